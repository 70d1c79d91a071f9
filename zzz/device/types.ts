/**
 * Device-layer types: a device, the calibration knobs of the analytical method, per-op predictions
 * and the memory footprint.
 */
import type { Dtype, Op } from "../ir/types.ts";

/** A device as ZZZ sees it. Peaks are dense, per precision, FLOP/s. */
export interface DeviceSpec {
  name: string;
  compute_units: number; // SMs
  peak_flops_per_s: Partial<Record<Dtype, number>>;
  /** Peak for non-tensor-core math (fp32 CUDA cores); used by norm/softmax/elementwise. */
  vector_flops_per_s: number;
  mem_bandwidth_bytes_per_s: number;
  mem_capacity_bytes: number;
  l2_bytes?: number;
}

/** Calibration knobs; defaults are in zzz/device/params.ts with the reason for each value. */
export interface EngineParams {
  /** Achievable fraction of peak tensor FLOP/s for large GEMMs. */
  gemm_compute_efficiency: number;
  /** Achievable fraction of peak memory bandwidth. */
  mem_efficiency: number;
  /** Fixed cost per kernel launch, seconds. */
  launch_overhead_s: number;
  /** GEMM output tile (rows x cols) used for wave quantization. */
  tile_m: number;
  tile_n: number;
  /**
   * Split-K: when a GEMM has fewer output tiles than compute units, GEMM libraries split the K
   * dimension across units (CUTLASS split-K / stream-K). Each slice keeps at least this many K.
   */
  split_k_min_k: number;
  /** Achievable fraction of peak for attention kernels (fused, FlashAttention-like). */
  attention_compute_efficiency: number;
}

export type Bound = "compute" | "memory" | "overhead";

export interface OpPrediction {
  op: Op;
  /** Latency of ONE copy, seconds. */
  latency_s: number;
  bound: Bound;
  compute_s: number;
  memory_s: number;
  /** Fraction of the SMs busy in the last wave (1 = no quantization loss). */
  wave_efficiency: number;
}

export interface MemoryFootprint {
  weights_bytes: number;
  activations_bytes: number;
  kv_cache_bytes: number;
  total_bytes: number;
  capacity_bytes: number;
  fits: boolean;
}
