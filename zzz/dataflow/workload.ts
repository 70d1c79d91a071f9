/**
 * Workloads as loop nests, and how each data space is indexed by the loop dimensions.
 */
import { DIMS, type DataSpace, type Dim, type DimBounds, type LoopNestWorkload } from "./types.ts";

export interface Conv2dShape {
  /** batch, input channels, input height, input width, output channels (filters) */
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  /** filter height and width */
  r: number;
  s: number;
  stride: number;
  padding: number;
  groups: number;
}

function check(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
}

/**
 * A conv2d layer. Filter height r runs along S (height), filter width s along R (width), the output
 * width along P and the output height along Q (Timeloop's cnn-layer). One group is the nest; the
 * groups run one after another (`repeats`). Padding enters only through the output size.
 */
export function conv2dNest(name: string, c: Conv2dShape): LoopNestWorkload {
  for (const k of ["n", "c", "h", "w", "k", "r", "s", "stride", "groups"] as const) check(`conv2d ${k}`, c[k]);
  if (c.c % c.groups !== 0 || c.k % c.groups !== 0) throw new Error(`conv2d: c = ${c.c} and k = ${c.k} must be multiples of groups = ${c.groups}`);
  const out_h = Math.floor((c.h + 2 * c.padding - c.r) / c.stride) + 1;
  const out_w = Math.floor((c.w + 2 * c.padding - c.s) / c.stride) + 1;
  if (out_h < 1 || out_w < 1) throw new Error("conv2d: the filter is larger than the padded input");
  return {
    name,
    bounds: { R: c.s, S: c.r, P: out_w, Q: out_h, C: c.c / c.groups, K: c.k / c.groups, N: c.n },
    w_stride: c.stride,
    h_stride: c.stride,
    w_dilation: 1,
    h_dilation: 1,
    repeats: c.groups,
  };
}

/** A depthwise convolution: groups = channels, one input and one output channel per group. */
export function depthwiseNest(name: string, c: Omit<Conv2dShape, "k" | "groups"> & { multiplier?: number }): LoopNestWorkload {
  return conv2dNest(name, { ...c, k: c.c * (c.multiplier ?? 1), groups: c.c });
}

/** C[m,n] = A[m,k] B[k,n], `batch` times: P = m, C = k, K = n, N = batch (R = S = Q = 1). */
export function gemmNest(name: string, g: { m: number; n: number; k: number; batch?: number }): LoopNestWorkload {
  for (const k of ["m", "n", "k"] as const) check(`gemm ${k}`, g[k]);
  return {
    name,
    bounds: { R: 1, S: 1, P: g.m, Q: 1, C: g.k, K: g.n, N: g.batch ?? 1 },
    w_stride: 1,
    h_stride: 1,
    w_dilation: 1,
    h_dilation: 1,
    repeats: 1,
  };
}

export function macsOf(w: LoopNestWorkload): number {
  return DIMS.reduce((p, d) => p * w.bounds[d], 1);
}

/**
 * Each data space's coordinates as linear functions of the loop dimensions: one row per
 * coordinate, one coefficient per dimension (DIMS order). All coefficients are >= 0, so a box of
 * loop indices projects to a box of data (its corners project to the corners).
 */
export function projections(w: LoopNestWorkload): Record<DataSpace, number[][]> {
  const row = (terms: Partial<Record<Dim, number>>) => DIMS.map((d) => terms[d] ?? 0);
  return {
    Weights: [row({ C: 1 }), row({ K: 1 }), row({ R: 1 }), row({ S: 1 })],
    Inputs: [row({ N: 1 }), row({ C: 1 }), row({ R: w.w_dilation, P: w.w_stride }), row({ S: w.h_dilation, Q: w.h_stride })],
    Outputs: [row({ N: 1 }), row({ K: 1 }), row({ Q: 1 }), row({ P: 1 })],
  };
}

/** Words of each data space the whole nest touches (the inputs as the bounding box, as Timeloop). */
export function dataSpaceSizes(w: LoopNestWorkload): Record<DataSpace, number> {
  const p = projections(w);
  const size = (rows: number[][]) => rows.reduce((acc, r) => acc * (1 + DIMS.reduce((s, d, i) => s + r[i]! * (w.bounds[d] - 1), 0)), 1);
  return { Weights: size(p.Weights), Inputs: size(p.Inputs), Outputs: size(p.Outputs) };
}

export function boundsOf(b: Partial<DimBounds>): DimBounds {
  return { R: b.R ?? 1, S: b.S ?? 1, P: b.P ?? 1, Q: b.Q ?? 1, C: b.C ?? 1, K: b.K ?? 1, N: b.N ?? 1 };
}
