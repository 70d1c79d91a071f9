import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS, elementwiseOp, gemmOp, peakFlops, predictOp, predictOps, predictSingleOp, waveQuantization, type DeviceSpec } from "../../zzz/index.ts";
import { h100 } from "./fixtures.ts";

const P = DEFAULT_PARAMS; // gemm eff 0.8, mem eff 0.9, 5 us launch, 128 x 128 tiles
const BW = 3.35e12 * 0.9; // 3.015e12 B/s achievable

describe("roofline limits", () => {
  it("a huge GEMM with whole waves is compute-bound at flops / (peak * eff) + launch", () => {
    // m = 132*128 = 16896, n = 8192: tiles = 132 * 64 = 8448 = 64 whole waves of 132 SMs
    const op = gemmOp(16896, 8192, 8192, 1, "bf16");
    const p = predictOp(op, h100, "bf16", P);
    expect(p.wave_efficiency).toBe(1);
    expect(p.bound).toBe("compute");
    // 2*16896*8192*8192 = 2.2678e12 FLOPs / (989e12 * 0.8) = 2.866 ms
    expect(p.compute_s).toBeCloseTo(2 * 16896 * 8192 * 8192 / (989e12 * 0.8), 12);
    expect(p.latency_s).toBeCloseTo(2.866e-3 + 5e-6, 6);
    expect(p.memory_s).toBeLessThan(p.compute_s / 10);
  });
  it("an 8192^3 GEMM loses 3 % to the last partial wave", () => {
    // tiles 64*64 = 4096; waves ceil(4096/132) = 32; efficiency 4096/4224 = 0.9697
    const p = predictOp(gemmOp(8192, 8192, 8192, 1, "bf16"), h100, "bf16", P);
    expect(p.wave_efficiency).toBeCloseTo(4096 / 4224, 12);
    expect(p.compute_s).toBeCloseTo(2 * 8192 ** 3 / (989e12 * 0.8 * (4096 / 4224)), 12); // 1.433 ms
  });
  it("a GEMV-like GEMM (m = 1) is memory-bound at bytes / (bw * eff) + launch", () => {
    // bytes = (8192 + 8192^2 + 8192) * 2 = 134,250,496 -> / 3.015e12 = 44.53 us
    const op = gemmOp(1, 8192, 8192, 1, "bf16");
    expect(op.bytes).toBe(134_250_496);
    const p = predictOp(op, h100, "bf16", P);
    expect(p.bound).toBe("memory");
    expect(p.memory_s).toBeCloseTo(134_250_496 / BW, 12);
    expect(p.latency_s).toBeCloseTo(44.53e-6 + 5e-6, 8);
  });
  it("a tiny op is overhead-bound at about the launch cost", () => {
    // add of 1024 bf16 elements: 6144 B -> 2 ns; 1024 FLOPs / 66.9e12 -> 15 fs
    const p = predictOp(elementwiseOp("add", 1024, "bf16"), h100, "bf16", P);
    expect(p.bound).toBe("overhead");
    expect(p.latency_s).toBeCloseTo(5e-6 + 6144 / BW, 12);
    expect(p.compute_s).toBeCloseTo(1024 / 66.9e12, 20); // vector rate, not tensor rate
  });
  it("a launch-free engine makes the same tiny op memory-bound", () => {
    const p = predictOp(elementwiseOp("add", 1024, "bf16"), h100, "bf16", { ...P, launch_overhead_s: 0 });
    expect(p.bound).toBe("memory");
  });
});

describe("wave quantization", () => {
  it("133 tiles on 132 SMs take 2 waves at 133/264 efficiency", () => {
    const w = waveQuantization({ m: 133 * 128, n: 128, batch: 1 }, 132, P);
    expect(w).toEqual({ tiles: 133, waves: 2, efficiency: 133 / 264 });
  });
  it("split-K fills idle SMs for a skinny GEMM with a long K", () => {
    // Llama-2-70B qkv shard at tp 8, 128 tokens: m=128, n=1280, k=8192 on 108 SMs.
    // output tiles = 1 * 10 = 10; split = min(floor(108/10)=10, floor(8192/256)=32) = 10;
    // 100 work tiles in 1 wave -> efficiency 100/108.
    expect(waveQuantization({ m: 128, n: 1280, k: 8192, batch: 1 }, 108, P)).toEqual({ tiles: 100, waves: 1, efficiency: 100 / 108 });
    // K too short to split (k=256 -> floor(256/256)=1): stays at 10/108.
    expect(waveQuantization({ m: 128, n: 1280, k: 256, batch: 1 }, 108, P)).toEqual({ tiles: 10, waves: 1, efficiency: 10 / 108 });
  });

  it("batch multiplies tiles; partial tiles round up", () => {
    // ceil(200/128)=2 * ceil(129/128)=2 * 3 = 12 tiles; 1 wave of 132 -> 12/132
    expect(waveQuantization({ m: 200, n: 129, batch: 3 }, 132, P)).toEqual({ tiles: 12, waves: 1, efficiency: 12 / 132 });
  });
  it("doubles the compute time of a GEMM that spills one tile into a second wave", () => {
    const full = predictOp(gemmOp(132 * 128, 128, 4096, 1, "bf16"), h100, "bf16", P);
    const spill = predictOp(gemmOp(133 * 128, 128, 4096, 1, "bf16"), h100, "bf16", P);
    expect(full.wave_efficiency).toBe(1);
    // work grows by 133/132, time by 2 waves / 1 wave
    expect(spill.compute_s / full.compute_s).toBeCloseTo(2, 12);
  });
});

describe("peak lookup", () => {
  const dev: DeviceSpec = { ...h100, peak_flops_per_s: { fp16: 312e12, fp32: 19.5e12 }, vector_flops_per_s: 19.5e12 };
  it("uses the listed peak, else the fallback chain", () => {
    expect(peakFlops(dev, "fp16")).toBe(312e12);
    expect(peakFlops(dev, "bf16")).toBe(312e12); // bf16 -> fp16
    expect(peakFlops(dev, "tf32")).toBe(19.5e12); // tf32 -> fp32
    expect(peakFlops(dev, "fp8")).toBe(312e12); // fp8 -> fp16
    expect(peakFlops({ ...h100, peak_flops_per_s: {}, vector_flops_per_s: 7e12 }, "bf16")).toBe(7e12); // -> vector
  });
});

describe("op lists and operator specs", () => {
  it("predictOps sums latency times count", () => {
    const a = { ...elementwiseOp("add", 1024, "bf16"), count: 10 };
    const b = gemmOp(1, 8192, 8192, 1, "bf16");
    const r = predictOps([a, b], h100, "bf16", P);
    const la = predictOp(a, h100, "bf16", P).latency_s;
    const lb = predictOp(b, h100, "bf16", P).latency_s;
    expect(r.total_latency_s).toBeCloseTo(10 * la + lb, 15);
  });
  it("predictSingleOp accepts a suite operator spec", () => {
    const viaSpec = predictSingleOp({ kind: "gemm", m: 1, n: 8192, k: 8192 }, h100, "bf16");
    expect(viaSpec.latency_s).toBeCloseTo(134_250_496 / BW + 5e-6, 12);
    const attn = predictSingleOp({ kind: "attention-decode", batch: 1, context_len: 512, n_heads: 32, n_kv_heads: 8, head_dim: 128 }, h100, "bf16");
    expect(attn.op.kind).toBe("attention-decode");
  });
});
