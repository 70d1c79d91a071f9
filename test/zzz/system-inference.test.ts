// Multi-GPU inference steps (zzz/system/inference.ts).
import { describe, expect, it } from "vitest";
import { inferenceStep, ncclCollective } from "../../zzz/system/index.ts";
import type { Topology } from "../../zzz/system/index.ts";
import { DEFAULT_PARAMS } from "../../zzz/device/params.ts";
import type { DeviceSpec } from "../../zzz/device/types.ts";
import type { TransformerArch } from "../../zzz/ir/types.ts";

const H100: DeviceSpec = { name: "h100", compute_units: 132, peak_flops_per_s: { bf16: 989.4e12 }, vector_flops_per_s: 66.9e12, mem_bandwidth_bytes_per_s: 3.35e12, mem_capacity_bytes: 80e9 };
const NODE: Topology = { name: "dgx-h100", generation: "hopper", devices_per_node: 8, intra: { kind: "nvlink", bandwidth_bytes_per_s: 450e9, n_links: 18, latency_s: 0 } };
// Llama-2-70B's shape (suite/models/llama-2-70b.yaml)
const LLAMA70: TransformerArch = {
  kind: "decoder", n_layers: 80, d_model: 8192, n_heads: 64, n_kv_heads: 8, d_ff: 28672, vocab_size: 32000, max_seq_len: 4096,
  mlp: "swiglu", norm: "rmsnorm", position: "rope", tied_embeddings: false, type_vocab_size: 0, pooler: false, bias: false,
};
const decode = { kind: "decode-step" as const, batch: 8, context_len: 1024 };

describe("tensor-parallel decode step", () => {
  it("two all-reduces of batch x d_model (16-bit) per layer: 160 on Llama-2-70B at tp 8", () => {
    const r = inferenceStep(LLAMA70, decode, 8, 1, H100, NODE, "bf16", DEFAULT_PARAMS);
    const ar = ncclCollective("all-reduce", 8 * 8192 * 2, { n_ranks: 8, n_nodes: 1 }, NODE, DEFAULT_PARAMS.launch_overhead_s).time_s;
    expect(r.tp_comm_s).toBeCloseTo(160 * ar, 12);
    expect(r.latency_s).toBeCloseTo(r.compute_s + r.tp_comm_s, 12);
  });
  it("per-device GEMM work and KV cache shrink with tp (KV heads 8 split 8 ways: one per device)", () => {
    const r1 = inferenceStep(LLAMA70, decode, 1, 1, { ...H100, mem_capacity_bytes: 1e12 }, NODE, "bf16", DEFAULT_PARAMS);
    const r8 = inferenceStep(LLAMA70, decode, 8, 1, H100, NODE, "bf16", DEFAULT_PARAMS);
    expect(r8.memory.kv_cache_bytes).toBe(2 * 80 * 8 * 1 * 128 * 1024 * 2);
    expect(r1.memory.kv_cache_bytes / r8.memory.kv_cache_bytes).toBe(8);
    expect(r8.compute_s).toBeLessThan(r1.compute_s / 4);
    expect(r1.memory.fits).toBe(true);
    expect(r8.memory.weights_bytes).toBeLessThan(20e9);
  });
  it("pipeline stages add pp - 1 sends", () => {
    const r = inferenceStep(LLAMA70, decode, 4, 2, H100, NODE, "bf16", DEFAULT_PARAMS);
    expect(r.pp_comm_s).toBeGreaterThan(0);
    expect(r.latency_s).toBeCloseTo(r.compute_s + r.tp_comm_s + r.pp_comm_s, 12);
  });
  it("bad input names the field", () => {
    expect(() => inferenceStep(LLAMA70, decode, 3, 1, H100, NODE, "bf16", DEFAULT_PARAMS)).toThrow(/parallelism.tp/);
    expect(() => inferenceStep(LLAMA70, decode, 1, 3, H100, NODE, "bf16", DEFAULT_PARAMS)).toThrow(/parallelism.pp/);
  });
});
