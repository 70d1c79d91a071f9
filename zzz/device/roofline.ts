/**
 * Per-operator roofline with achievable-peak factors, wave quantization and launch overhead.
 *
 *   compute_s = flops / rate, where
 *     tensor ops (gemm, bgemm, conv2d as implicit GEMM, attention):
 *       rate = peak(dtype) * efficiency * wave_efficiency
 *       (efficiency = gemm_compute_efficiency, or attention_compute_efficiency for attention)
 *     vector ops (norm, softmax, elementwise, embedding, pool): rate = device.vector_flops_per_s
 *   memory_s  = bytes / (mem_bandwidth * mem_efficiency)
 *   latency_s = max(compute_s, memory_s) + launch_overhead_s
 *   bound     = "overhead" when launch_overhead_s exceeds both terms, else the larger term.
 *
 * Wave quantization (GEMM-shaped ops): tiles = ceil(m/tile_m) * ceil(n/tile_n) * batch,
 * waves = ceil(tiles / compute_units), wave_efficiency = tiles / (waves * compute_units).
 */
import type { Dtype, Op, OpKind } from "../ir/types.ts";
import type { DeviceSpec, EngineParams, OpPrediction } from "./types.ts";

const TENSOR_KINDS: ReadonlySet<OpKind> = new Set(["gemm", "bgemm", "conv2d", "attention-prefill", "attention-decode"]);
const ATTENTION_KINDS: ReadonlySet<OpKind> = new Set(["attention-prefill", "attention-decode"]);

/**
 * Which listed peak stands in for a dtype the device does not list, in order of preference:
 * - bf16 <-> fp16: equal dense tensor rates on every NVIDIA part that has both (A100, H100, H200).
 *   (V100 has fp16 tensor cores but no bf16 ones; a bf16 cell on it would be overestimated.)
 * - tf32 -> fp32: no TF32 tensor cores (pre-Ampere) means fp32 math.
 * - fp8 -> fp16/bf16, int8 -> fp16/bf16: without 8-bit units the math runs after an upcast.
 * - anything -> fp32, and finally device.vector_flops_per_s (fp32 CUDA-core peak).
 */
export const PEAK_FALLBACK: Record<Dtype, Dtype[]> = {
  fp32: ["fp32"],
  tf32: ["tf32", "fp32"],
  bf16: ["bf16", "fp16", "fp32"],
  fp16: ["fp16", "bf16", "fp32"],
  fp8: ["fp8", "fp16", "bf16", "fp32"],
  int8: ["int8", "fp16", "bf16", "fp32"],
  int16: ["int16", "fp16", "bf16", "fp32"],
};

/** The dense tensor peak used for `dtype` on `device` (see PEAK_FALLBACK), FLOP/s. */
export function peakFlops(device: DeviceSpec, dtype: Dtype): number {
  for (const d of PEAK_FALLBACK[dtype]) {
    const v = device.peak_flops_per_s[d];
    if (v !== undefined && v > 0) return v;
  }
  return device.vector_flops_per_s;
}

export interface WaveQuantization {
  tiles: number;
  waves: number;
  efficiency: number;
}

export function waveQuantization(
  gemm: { m: number; n: number; batch: number; k?: number },
  compute_units: number,
  params: Pick<EngineParams, "tile_m" | "tile_n"> & Partial<Pick<EngineParams, "split_k_min_k">>,
): WaveQuantization {
  const outTiles = Math.ceil(gemm.m / params.tile_m) * Math.ceil(gemm.n / params.tile_n) * gemm.batch;
  // Split-K: too few output tiles to fill the units -> split K into slices of >= split_k_min_k.
  let split = 1;
  if (gemm.k !== undefined && params.split_k_min_k !== undefined && outTiles < compute_units)
    split = Math.max(1, Math.min(Math.floor(compute_units / outTiles), Math.floor(gemm.k / params.split_k_min_k)));
  const tiles = outTiles * split;
  const waves = Math.ceil(tiles / compute_units);
  return { tiles, waves, efficiency: tiles / (waves * compute_units) };
}

export function predictOp(op: Op, device: DeviceSpec, dtype: Dtype, params: EngineParams): OpPrediction {
  const tensor = TENSOR_KINDS.has(op.kind);
  let wave_efficiency = 1;
  let rate: number;
  if (tensor) {
    if (op.gemm) wave_efficiency = waveQuantization(op.gemm, device.compute_units, params).efficiency;
    const eff = ATTENTION_KINDS.has(op.kind) ? params.attention_compute_efficiency : params.gemm_compute_efficiency;
    rate = peakFlops(device, dtype) * eff * wave_efficiency;
  } else {
    rate = device.vector_flops_per_s;
  }
  const compute_s = op.flops / rate;
  const memory_s = op.bytes / (device.mem_bandwidth_bytes_per_s * params.mem_efficiency);
  const overhead = params.launch_overhead_s;
  const latency_s = Math.max(compute_s, memory_s) + overhead;
  const bound = overhead > compute_s && overhead > memory_s ? "overhead" : compute_s >= memory_s ? "compute" : "memory";
  return { op, latency_s, bound, compute_s, memory_s, wave_efficiency };
}

export interface OpsPrediction {
  /** Sum over ops of latency_s * count, seconds. */
  total_latency_s: number;
  ops: OpPrediction[];
}

export function predictOps(ops: Op[], device: DeviceSpec, dtype: Dtype, params: EngineParams): OpsPrediction {
  const preds = ops.map((o) => predictOp(o, device, dtype, params));
  return { total_latency_s: preds.reduce((s, p) => s + p.latency_s * p.op.count, 0), ops: preds };
}
