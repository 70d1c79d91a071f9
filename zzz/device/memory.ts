/**
 * Device-memory footprint of one forward pass (inference), bytes:
 * - weights: every parameter (countParams) at the dtype's element size. For ResNet-50 this keeps
 *   batchnorm's gamma and beta (2 per channel) where the folded conv stores 1 bias: +0.1 % at most.
 * - KV cache (decoders): 2 (K and V) * n_layers * batch * n_kv_heads * head_dim * positions, with
 *   positions = context_len for a decode step and seq_len for a prefill (the cache it fills).
 * - activations: the largest working set of any single operator (its activation inputs and
 *   outputs, i.e. its bytes minus weight and KV-cache reads), plus, for transformers, one
 *   residual-stream tensor (tokens x d_model) that stays alive across each block. Inference frees
 *   each activation once consumed, so this is a peak, not a sum. Allocator slack, CUDA context and
 *   workspace are not modeled.
 * fits = total <= device capacity.
 */
import { buildOps, bytesPerElement, countParams } from "../ir/builders.ts";
import type { BuildOptions, Dtype, ModelArch, Scenario } from "../ir/types.ts";
import type { DeviceSpec, MemoryFootprint } from "./types.ts";

export function kvCacheBytes(arch: ModelArch, scenario: Scenario, dtype: Dtype): number {
  if (arch.kind !== "decoder") return 0;
  const positions = scenario.kind === "decode-step" ? scenario.context_len : (scenario.seq_len ?? 0);
  const headDim = arch.d_model / arch.n_heads;
  return 2 * arch.n_layers * scenario.batch * arch.n_kv_heads * headDim * positions * bytesPerElement(dtype);
}

export function memoryFootprint(
  arch: ModelArch,
  scenario: Scenario,
  dtype: Dtype,
  device: DeviceSpec,
  opts: BuildOptions = {},
): MemoryFootprint {
  const b = bytesPerElement(dtype);
  const weights_bytes = countParams(arch) * b;
  const kv_cache_bytes = kvCacheBytes(arch, scenario, dtype);
  const ops = buildOps(arch, scenario, dtype, opts);
  const workingSet = Math.max(0, ...ops.map((o) => o.bytes - (o.weight_bytes ?? 0) - (o.kv_bytes ?? 0)));
  let residual = 0;
  if (arch.kind !== "cnn") {
    const tokens = scenario.kind === "decode-step" ? scenario.batch : scenario.batch * (scenario.seq_len ?? 0);
    residual = tokens * arch.d_model * b;
  }
  const activations_bytes = workingSet + residual;
  const total_bytes = weights_bytes + kv_cache_bytes + activations_bytes;
  const capacity_bytes = device.mem_capacity_bytes;
  return { weights_bytes, activations_bytes, kv_cache_bytes, total_bytes, capacity_bytes, fits: total_bytes <= capacity_bytes };
}
