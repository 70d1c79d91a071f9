import { describe, expect, it } from "vitest";
import { kvCacheBytes, memoryFootprint } from "../../zzz/index.ts";
import { h100, h200, llama2_70b, llama2_7b, resnet50 } from "./fixtures.ts";

describe("memory footprint", () => {
  it("Llama-2-70B bf16 weights (137.95 GB) do not fit 80 GB", () => {
    const m = memoryFootprint(llama2_70b, { kind: "decode-step", batch: 1, context_len: 4096 }, "bf16", h100);
    expect(m.weights_bytes).toBe(68_976_648_192 * 2); // 137,953,296,384
    expect(m.fits).toBe(false);
  });
  it("Llama-2-70B bf16 decode at context 4096 fits 141 GB at batch 2, not at batch 3", () => {
    // KV per sequence: 2 * 80 layers * 8 kv heads * 128 * 4096 * 2 B = 1,342,177,280
    // batch 2: 137,953,296,384 + 2,684,354,560 = 140,637,650,944 (+ KB of activations) <= 141e9
    // batch 3: 137,953,296,384 + 4,026,531,840 = 141,979,828,224 > 141e9
    const b2 = memoryFootprint(llama2_70b, { kind: "decode-step", batch: 2, context_len: 4096 }, "bf16", h200);
    expect(b2.kv_cache_bytes).toBe(2_684_354_560);
    expect(b2.fits).toBe(true);
    const b3 = memoryFootprint(llama2_70b, { kind: "decode-step", batch: 3, context_len: 4096 }, "bf16", h200);
    expect(b3.fits).toBe(false);
  });
  it("Llama-2-7B decode at batch 64, context 2048 does not fit 80 GB; batch 32 does", () => {
    // KV: 2 * 32 layers * 4096 (32 heads * 128) * 2 B * 2048 * 64 = 68,719,476,736
    // + weights 6,738,415,616 * 2 = 13,476,831,232 -> 82.2 GB > 80 GB
    const b64 = memoryFootprint(llama2_7b, { kind: "decode-step", batch: 64, context_len: 2048 }, "bf16", h100);
    expect(b64.kv_cache_bytes).toBe(68_719_476_736);
    expect(b64.total_bytes).toBeGreaterThan(82_196_307_968);
    expect(b64.fits).toBe(false);
    expect(memoryFootprint(llama2_7b, { kind: "decode-step", batch: 32, context_len: 2048 }, "bf16", h100).fits).toBe(true);
  });
  it("prefill holds the KV cache it fills; activations peak at the largest op plus the residual", () => {
    expect(kvCacheBytes(llama2_7b, { kind: "prefill", batch: 1, seq_len: 2048 }, "bf16")).toBe(2 * 32 * 4096 * 2048 * 2);
    const m = memoryFootprint(llama2_7b, { kind: "prefill", batch: 1, seq_len: 2048 }, "bf16", h100);
    // largest working set: silu-mul (read gate and up 2048x22016, write 2048x11008)
    //   = 2048*33024*2 B = 135,266,304 (gate-up's is smaller: 2048*(4096+22016)*2 = 106,954,752)
    // residual stream 2048*4096*2 = 16,777,216
    expect(m.activations_bytes).toBe(135_266_304 + 16_777_216);
    expect(m.total_bytes).toBe(m.weights_bytes + m.kv_cache_bytes + m.activations_bytes);
  });
  it("CNN: no KV cache; fp32 weights of ResNet-50 = 25,557,032 * 4", () => {
    const m = memoryFootprint(resnet50, { kind: "inference", batch: 1 }, "fp32", h100);
    expect(m.kv_cache_bytes).toBe(0);
    expect(m.weights_bytes).toBe(102_228_128);
  });
});
