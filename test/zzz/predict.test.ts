import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS, predict } from "../../zzz/index.ts";
import { h100, llama2_7b, resnet50 } from "./fixtures.ts";

const BW = 3.35e12 * 0.9;
const TENSOR = 989e12 * 0.8;

describe("model-level prediction on an H100-like device (bf16)", () => {
  it("Llama-2-7B decode (batch 1, context 512) is weight streaming plus launches", () => {
    const p = predict(llama2_7b, { kind: "decode-step", batch: 1, context_len: 512 }, h100, "bf16");
    // every GEMM is memory-bound at batch 1
    for (const o of p.ops.filter((x) => x.op.kind === "gemm")) expect(o.bound).toBe("memory");
    // lower bound: all weights once = 13,476,831,232 B / 3.015e12 = 4.470 ms
    const weights = 13_476_831_232 / BW;
    // kernels: 3 (embed, final norm, lm head) + 32 layers * 11 (norm, qkv, rope, attention, out-proj,
    // add, norm, gate-up, silu-mul, down, add) = 355 launches * 5 us = 1.775 ms;
    // KV cache 2*32*512*4096*2 B = 268 MB -> 89 us
    const launches = 355 * DEFAULT_PARAMS.launch_overhead_s;
    const kv = 268_435_456 / BW;
    expect(p.ops.reduce((s, o) => s + o.op.count, 0)).toBe(355);
    expect(p.total_latency_s).toBeGreaterThan(weights);
    expect(p.total_latency_s).toBeLessThan(weights + launches + kv + 0.05e-3);
    expect(p.memory.fits).toBe(true);
  });
  it("Llama-2-7B prefill (seq 2048) is GEMM compute plus memory-bound glue", () => {
    const p = predict(llama2_7b, { kind: "prefill", batch: 1, seq_len: 2048 }, h100, "bf16");
    for (const o of p.ops.filter((x) => x.op.kind === "gemm" && x.op.name !== "lm-head")) expect(o.bound).toBe("compute");
    // layer GEMM flops: 2 * 2048 tokens * 32 layers * 202,375,168 linear weights = 2.6526e13
    // attention: 32 * 4*32*128 * 2048*2049/2 = 1.1000e12; at 0.8 * 989 TFLOP/s -> 34.92 ms
    const lower = (2 * 2048 * 32 * 202_375_168 + 32 * 34_376_515_584) / TENSOR;
    expect(lower).toBeCloseTo(34.92e-3, 4);
    expect(p.total_latency_s).toBeGreaterThan(lower);
    // wave losses are at most 1 - 0.97 on these shapes; glue (norms, rope, adds, silu-mul) and
    // launches stay under 10 ms at 2048 tokens
    expect(p.total_latency_s).toBeLessThan(lower / 0.97 + 10e-3);
  });
  it("fp32 convs fall back to the vector peak on a device that lists only bf16", () => {
    const p = predict(resnet50, { kind: "inference", batch: 1 }, h100, "fp32");
    const stem = p.ops.find((o) => o.op.name === "stem.conv7x7");
    if (!stem) throw new Error("no stem conv");
    // stem: m = 112*112 = 12544 -> 98 row tiles, n = 64 -> 1 column tile: 98 tiles on 132 SMs
    expect(stem.wave_efficiency).toBeCloseTo(98 / 132, 12);
    // rate = 66.9e12 (vector, no fp32/tf32 tensor peak listed) * 0.8 * 98/132
    expect(stem.compute_s).toBeCloseTo(stem.op.flops / (66.9e12 * 0.8 * (98 / 132)), 12);
  });
});
