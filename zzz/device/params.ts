/**
 * Default calibration of ZZZ. None of these values was fitted to the suite's ground truth; each
 * comes from a ceiling measured outside the suite (the project's hardware notes,
 * shared/hardware/specs.md, "Measured ceilings") or is a stated assumption.
 */
import type { EngineParams } from "./types.ts";

export const DEFAULT_PARAMS: EngineParams = {
  // A large bf16 GEMM (8192^3, random data) on an H100 SXM ran at about 790-800 TFLOP/s against a
  // dense peak of 989.4 TFLOP/s: 795 / 989.4 = 0.80. (On an A100 a large GEMM reaches about
  // 293 / 312 = 0.94; one device-agnostic default is kept, from the suite's main device.)
  gemm_compute_efficiency: 0.8,
  // Device-to-device copy (bytes read + written): about 3.0 of 3.35 TB/s on an H100 SXM and
  // 4.3 of 4.8 TB/s on an H200: 0.896 on both, rounded to 0.90.
  mem_efficiency: 0.9,
  // ASSUMPTION, not measured: a typical cost of one CUDA kernel launch plus the minimum duration of
  // a tiny kernel, a few microseconds; 5 us is taken. (CUDA graphs would lower it.)
  launch_overhead_s: 5e-6,
  // ASSUMPTION: a 128 x 128 output tile per SM, a common CUTLASS/cuBLAS tile for large 16-bit GEMMs
  // on Ampere and Hopper; used only for wave quantization.
  tile_m: 128,
  tile_n: 128,
  // ASSUMPTION: split-K (CUTLASS split-K / stream-K, used by cuBLAS heuristics) fills idle SMs when a
  // GEMM has fewer output tiles than SMs; slices of fewer than 256 K-elements are assumed not worth
  // their partial-sum reduction. A structural rule of GEMM libraries, not fitted to ground truth.
  split_k_min_k: 256,
  // ASSUMPTION: a fused attention kernel reaches the same fraction of peak as a large GEMM. No
  // attention measurement is used, on purpose, so that the suite's FlashAttention throughput rows
  // stay out of the calibration.
  attention_compute_efficiency: 0.8,
};
