/**
 * ZZZ v2 analytical device method: the device time of ONE kernel, host cost excluded (the engine
 * layer adds host dispatch and the timeline).
 *
 *   device_s = floor + max(compute_s, memory_s)
 *
 * - floor: the calibration's per-kernel device floor (grid launch, ramp-up and tail), charged once
 *   per kernel whatever its size; the host's launch cost is not in it.
 * - memory_s = bytes / (peak bandwidth * mem_efficiency).
 * - compute_s for tensor-core ops (gemm, bgemm, conv2d) uses a tile/wave model (LLMCompass-style,
 *   without its L2 search): output tiles of tile_m x tile_n (128 x 128, or the next power of two of
 *   a smaller m or n, at least 16: `tileDim`), split-K when the tiles do not fill the SMs, wave
 *   quantization, and tile padding (the fraction of the padded tiles that holds real output):
 *     rate = peak(dtype) * gemm_efficiency(dtype) * wave_efficiency * padding * alignment
 *   A tile/wave model was chosen over Calculon-style size -> efficiency curves because its only
 *   inputs are the device's SM count and the tile shape (structural, no per-device fitted curve)
 *   and one large-GEMM efficiency that a single microbenchmark measures, so it transfers to a
 *   device that was never profiled; a curve would have to be measured per device. L2 reuse is
 *   taken as perfect (each operand read from DRAM once), a stated limit of this model.
 * - alignment: a tensor-core GEMM loads its operands in 16-byte vectors only when the leading
 *   dimensions (k of A and W, n of C for y = x W^T) are multiples of 16 bytes; otherwise the widest
 *   load that divides them is used, and the operand feed (hence the compute-bound rate) scales with
 *   that width: alignment = min(16, 2^v2(k*b), 2^v2(n*b)) / 16. (cuBLAS documents multiples of 8
 *   fp16 elements as the condition for full tensor-core speed; the linear scaling is this model's
 *   first-order assumption.)
 * - attention (FlashAttention model): HBM traffic of Q, K, V, O (decode: the whole KV cache) at
 *   mem_efficiency; the two GEMMs (QK^T, PV) at attention_efficiency of the dense peak with the
 *   kernel's wave quantization (one tile per 128 queries x head x sequence); plus the softmax
 *   (5 FLOPs per attended pair: max, subtract, exp, sum, scale) on the vector units, additive
 *   because FlashAttention-2 does not overlap its softmax with its matmuls.
 * - vector ops (norm, softmax, elementwise, embedding, pool): compute at the fp32 CUDA-core peak.
 * - a CPU device (kind "cpu"): GEMMs and convs at peak * gemm_efficiency, without the tile/wave,
 *   padding and alignment terms (they describe tensor-core tiles).
 * An op the method does not know throws an error naming it and the supported kinds.
 */
import { bytesPerElement } from "../ir/builders.ts";
import type { Dtype, Op, OpKind } from "../ir/types.ts";
import { gemmEfficiency, type DeviceCalibration } from "./calibration.ts";
import { PEAK_FALLBACK, peakFlops, waveQuantization } from "./roofline.ts";
import type { Bound, DeviceSpec } from "./types.ts";

/** The refinements of the v2 device method, each switchable (the ablation turns them on in turn). */
export interface DeviceRefinements {
  /** Calibrated per-dtype, per-class efficiencies and tile padding (off: v1's flat 0.8 / 0.9). */
  efficiency: boolean;
  /** Alignment penalty for GEMM dimensions that do not fill 16-byte vectors. */
  alignment: boolean;
  /** FlashAttention model (off: attention as one GEMM at v1's 0.8 of peak). */
  attention: boolean;
}

export const ALL_DEVICE_REFINEMENTS: DeviceRefinements = { efficiency: true, alignment: true, attention: true };

/** Tile shape and split-K rule of the tile/wave model (structural assumptions, see roofline.ts). */
export const TILE = { tile_m: 128, tile_n: 128, split_k_min_k: 256 } as const;

/** v1's flat constants, used while the efficiency refinement is off (zzz/device/params.ts). */
const V1 = { gemm: 0.8, mem: 0.9, attention: 0.8 } as const;

export const KNOWN_KINDS: readonly OpKind[] = ["gemm", "bgemm", "conv2d", "attention-prefill", "attention-decode", "norm", "softmax", "elementwise", "embedding", "pool"];
const TENSOR: ReadonlySet<OpKind> = new Set(["gemm", "bgemm", "conv2d"]);
const KNOWN: ReadonlySet<OpKind> = new Set(KNOWN_KINDS);

export type Rung = "analytical" | "profile-exact" | "profile-interpolated" | "profile-nearest" | "profile-other-dtype";

export interface KernelTime {
  op: Op;
  /** Device time of ONE copy of the op, seconds (floor included). */
  device_s: number;
  compute_s: number;
  memory_s: number;
  floor_s: number;
  bound: Bound;
  method: "analytical" | "profiled";
  /** Which rung of the profiled method's fallback ladder answered ("analytical" for the analytical method). */
  rung: Rung;
}

export class DeviceLayerError extends Error {}

/** Largest power of two dividing x (x > 0 integer), capped at 16. */
export function pow2Align(x: number): number {
  let a = 1;
  while (a < 16 && x % (a * 2) === 0) a *= 2;
  return a;
}

/** Fraction of the aligned tensor-core rate for y = x W^T with these k, n and element size. */
export function alignmentFactor(k: number, n: number, elemBytes: number): number {
  return Math.min(pow2Align(k * elemBytes), pow2Align(n * elemBytes)) / 16;
}

/**
 * The output tile a GEMM library picks for one dimension: the next power of two of the dimension,
 * between 16 (the M of the smallest bf16/fp16 tensor-core instruction, mma.m16n8k16) and 128 (the
 * large-GEMM tile): skinny GEMMs run on short tiles, not on padded 128-row ones.
 */
export function tileDim(x: number, max: number): number {
  let t = 16;
  while (t < x && t < max) t *= 2;
  return t;
}

/** Tile padding: the fraction of the padded tiles' rows and columns that hold real output. */
export function tilePadding(m: number, n: number): number {
  const tm = tileDim(m, TILE.tile_m);
  const tn = tileDim(n, TILE.tile_n);
  return (m / (Math.ceil(m / tm) * tm)) * (n / (Math.ceil(n / tn) * tn));
}

export function analyticalTime(op: Op, device: DeviceSpec, dtype: Dtype, cal: DeviceCalibration, ref: DeviceRefinements): KernelTime {
  if (!KNOWN.has(op.kind)) throw new DeviceLayerError(`op '${op.name}' has kind '${op.kind}'; the device layer knows ${KNOWN_KINDS.join(", ")}`);
  const dt = op.dtypes?.activations ?? dtype;
  if (!(dt in PEAK_FALLBACK)) throw new DeviceLayerError(`op '${op.name}' has dtype '${dt}'; the device layer knows ${Object.keys(PEAK_FALLBACK).join(", ")}`);
  const memEff = ref.efficiency ? cal.mem_efficiency.value : V1.mem;
  const bw = device.mem_bandwidth_bytes_per_s * memEff;
  const floor_s = cal.kernel_floor_s.value;
  let compute_s: number;
  let memory_s = op.bytes / bw;
  const isAttention = op.kind === "attention-prefill" || op.kind === "attention-decode";
  const cpu = device.kind === "cpu";
  if (TENSOR.has(op.kind) && cpu) {
    // CPU: BLAS at the calibrated fraction of the measured GEMM ceiling; no tiles, waves or alignment
    compute_s = op.flops / (peakFlops(device, dt) * (ref.efficiency ? gemmEfficiency(cal, dt) : V1.gemm));
  } else if (TENSOR.has(op.kind) && op.gemm) {
    const g = op.gemm;
    const tiles = ref.efficiency ? { ...TILE, tile_m: tileDim(g.m, TILE.tile_m), tile_n: tileDim(g.n, TILE.tile_n) } : TILE;
    const wave = waveQuantization(g, device.compute_units, tiles).efficiency;
    let rate = peakFlops(device, dt) * (ref.efficiency ? gemmEfficiency(cal, dt) : V1.gemm) * wave;
    if (ref.efficiency) rate *= tilePadding(g.m, g.n);
    if (ref.alignment && op.kind !== "conv2d") rate *= alignmentFactor(g.k, g.n, bytesPerElement(op.dtypes?.weights ?? dt));
    compute_s = op.flops / rate;
  } else if (isAttention && ref.attention && op.attn) {
    const a = op.attn;
    const eff = cal.attention_efficiency.value;
    const wave = op.gemm ? waveQuantization(op.gemm, device.compute_units, TILE).efficiency : 1;
    const pairs = a.batch * a.n_heads * (a.causal ? (a.q_len * (a.q_len + 1)) / 2 + a.q_len * (a.kv_len - a.q_len) : a.q_len * a.kv_len);
    const gemm_s = op.kind === "attention-decode" ? op.flops / (peakFlops(device, dt) * eff) : op.flops / (peakFlops(device, dt) * eff * wave);
    const softmax_s = (5 * pairs) / device.vector_flops_per_s;
    compute_s = gemm_s + softmax_s;
    memory_s = op.bytes / bw;
  } else if (isAttention) {
    const wave = op.gemm ? waveQuantization(op.gemm, device.compute_units, TILE).efficiency : 1;
    compute_s = op.flops / (peakFlops(device, dt) * (ref.efficiency ? cal.attention_efficiency.value : V1.attention) * wave);
  } else {
    compute_s = op.flops / device.vector_flops_per_s;
  }
  const device_s = floor_s + Math.max(compute_s, memory_s);
  const bound: Bound = floor_s > compute_s && floor_s > memory_s ? "overhead" : compute_s >= memory_s ? "compute" : "memory";
  return { op, device_s, compute_s, memory_s, floor_s, bound, method: "analytical", rung: "analytical" };
}
