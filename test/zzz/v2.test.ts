// ZZZ v2 engine and device layers: every refinement against a hand-computed value.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  alignmentFactor,
  analyticalTime,
  attentionDecodeOp,
  attentionPrefillOp,
  buildOps,
  calibrate,
  CalibrationInputError,
  DeviceLayerError,
  engineForCell,
  engineGraph,
  expandRuns,
  fuseGraph,
  gemmOp,
  interpolate,
  kernelTimes,
  predictGraph,
  profiledTime,
  runTimeline,
  tileDim,
  tilePadding,
  ASSUMPTIONS,
  ALL_REFINEMENTS,
  type CalibrationRow,
  type DeviceCalibration,
  type Op,
  type ProfileTable,
} from "../../zzz/index.ts";
import { readVidurProfile, ZzzDataError } from "../../pipeline/lib/zzz-data.ts";
import { h100, llama2_7b } from "./fixtures.ts";

const src = { kind: "assumption", what: "test" } as const;
/** Round test constants: GEMM 0.5, memory 0.5, attention 0.25 of peak, 2 us floor. */
const CAL: DeviceCalibration = {
  name: "test",
  gemm_efficiency: {},
  gemm_default: { value: 0.5, source: src },
  mem_efficiency: { value: 0.5, source: src },
  attention_efficiency: { value: 0.25, source: src },
  kernel_floor_s: { value: 2e-6, source: src },
};
const ALL = { efficiency: true, alignment: true, attention: true };

describe("host/device timeline", () => {
  const ks = [
    { device_s: 10e-6, count: 1 },
    { device_s: 1e-6, count: 1 },
    { device_s: 1e-6, count: 1 },
  ];
  it("a kernel starts at max(host issue, previous kernel end)", () => {
    // host 5 us/kernel: issue 5 -> 5..15; issue 10 -> 15..16; issue 15 -> 16..17: device-bound, 17 us
    expect(runTimeline(ks, 5e-6, 0, "host-sync", 0).latency_s).toBeCloseTo(17e-6, 12);
    // host 20 us/kernel: 20..30, 40..41, 60..61: host-bound, 61 us
    expect(runTimeline(ks, 20e-6, 0, "host-sync", 0).latency_s).toBeCloseTo(61e-6, 12);
    // per-call host cost and the synchronize are added
    expect(runTimeline(ks, 20e-6, 30e-6, "host-sync", 5e-6).latency_s).toBeCloseTo(96e-6, 12);
  });
  it("a CUDA graph replay and a profiler's kernel time are the sum of device times", () => {
    expect(runTimeline(ks, 20e-6, 0, "graph", 0).latency_s).toBeCloseTo(12e-6, 12);
    expect(runTimeline(ks, 20e-6, 0, "kernel", 0).latency_s).toBeCloseTo(12e-6, 12);
    expect(runTimeline(ks, 20e-6, 0, "serial", 0).latency_s).toBeCloseTo(72e-6, 12);
  });
  it("event timing of back-to-back calls: host-bound calls measure the host gap, device-bound ones the kernel", () => {
    // h = 20 us, d = 1 us: the third call's start event runs at 41 us, its kernel is issued at 60 us -> 61: 20 us
    expect(runTimeline([{ device_s: 1e-6, count: 1 }], 20e-6, 0, "events", 0).latency_s).toBeCloseTo(20e-6, 12);
    // h = 20 us, d = 30 us: the queue runs ahead of the device, each call spans its kernel: 30 us
    expect(runTimeline([{ device_s: 30e-6, count: 1 }], 20e-6, 0, "events", 0).latency_s).toBeCloseTo(30e-6, 12);
  });
  it("runs of per-layer kernels repeat in order", () => {
    const seq = expandRuns([
      { device_s: 1, count: 1 },
      { device_s: 2, count: 2 },
      { device_s: 3, count: 2 },
      { device_s: 4, count: 1 },
    ]);
    expect(seq).toEqual([1, 2, 3, 2, 3, 4]);
  });
});

describe("engines: graphs and fusion rules", () => {
  const decode = { kind: "decode-step", batch: 1, context_len: 512 } as const;
  const kernels = (ops: Op[]) => ops.reduce((s, o) => s + o.count, 0);
  it("eager Llama-2-7B decode launches 23 kernels per layer plus 3 (measure.py's model code)", () => {
    // norm, qkv, 10 RoPE kernels, 2 cache writes, SDPA, o, add, norm, gate_up, silu, mul, down, add = 23
    expect(kernels(buildOps(llama2_7b, decode, "bf16", { graph: "eager" }))).toBe(32 * 23 + 3);
    // prefill adds the attention-output reshape copy: 24 per layer
    expect(kernels(buildOps(llama2_7b, { kind: "prefill", batch: 1, seq_len: 128 }, "bf16", { graph: "eager" }))).toBe(32 * 24 + 3);
  });
  it("CUDA graphs run the eager kernels; torch.compile fuses RoPE, the cache writes, silu*mul and add+norm", () => {
    expect(kernels(engineGraph(llama2_7b, decode, "bf16", "pytorch-cudagraph").ops)).toBe(32 * 23 + 3);
    // per layer: norm, qkv, rope, kv-write, attention, o, add+norm, gate_up, act, down, add = 11
    expect(kernels(engineGraph(llama2_7b, decode, "bf16", "pytorch-compile").ops)).toBe(32 * 11 + 3);
    // the fused engine: the fused builder graph (11 per layer) with add+norm fused: 10 per layer
    expect(kernels(engineGraph(llama2_7b, decode, "bf16", "fused").ops)).toBe(32 * 10 + 3);
  });
  it("a fused kernel sums FLOPs and keeps its largest member's bytes", () => {
    const a: Op = { name: "x.a", kind: "elementwise", flops: 10, bytes: 300, param_elems: 0, count: 2, group: "g" };
    const b: Op = { name: "x.b", kind: "elementwise", flops: 5, bytes: 200, param_elems: 0, count: 2, group: "g" };
    const c: Op = { name: "y", kind: "elementwise", flops: 1, bytes: 100, param_elems: 0, count: 2, group: "h" };
    const f = fuseGraph([a, b, c], { fuseGroups: true, fuseAddNorm: false });
    expect(f.map((o) => [o.name, o.flops, o.bytes])).toEqual([
      ["g", 15, 300],
      ["y", 1, 100],
    ]);
  });
  it("eager small batches are host-bound, the same kernels in a CUDA graph are not", () => {
    const o = { calibration: CAL, refinements: { ...ALL_REFINEMENTS, profiles: false } } as const;
    const eager = predictGraph(llama2_7b, decode, h100, "bf16", { ...o, engine: "pytorch-eager", timing: "events" });
    const graph = predictGraph(llama2_7b, decode, h100, "bf16", { ...o, engine: "pytorch-cudagraph", timing: "graph" });
    expect(graph.latency_s).toBeCloseTo(graph.timeline.device_s, 12);
    // 739 kernels at 15 us of host each = 11.085 ms of issue time bound the eager step from below
    expect(eager.timeline.kernels).toBe(739);
    expect(eager.latency_s).toBeGreaterThan(739 * ASSUMPTIONS.eager_dispatch_s.value - 100e-6);
    expect(eager.latency_s).toBeGreaterThan(graph.latency_s);
  });
  it("maps cell engines to engines and rejects unknown ones", () => {
    expect(engineForCell("pytorch-cudagraph")).toBe("pytorch-cudagraph");
    expect(engineForCell("tensorrt-llm+triton")).toBe("fused");
    expect(engineForCell("vllm")).toBe("fused");
    expect(engineForCell("eyeriss-rs")).toBeUndefined();
  });
});

describe("analytical device method", () => {
  it("alignment: N = 50257 in bf16 loads 2-byte vectors, 1/8 of the aligned rate", () => {
    expect(alignmentFactor(768, 50257, 2)).toBe(0.125);
    expect(alignmentFactor(4096, 32000, 2)).toBe(1);
    // GPT-2 LM head on 1024 tokens: 79,047,426,048 FLOPs; 3144 tiles in 24 waves (0.99242);
    // padding 50257/50304; rate = 989e12 * 0.5 * 0.99242 * 0.99907 * 0.125 -> 1.28979 ms
    const op = gemmOp(1024, 50257, 768, 1, "bf16");
    const on = analyticalTime(op, h100, "bf16", CAL, ALL);
    expect(on.compute_s).toBeCloseTo(1.2897930e-3, 9);
    expect(on.device_s).toBeCloseTo(1.2897930e-3 + 2e-6, 9);
    const off = analyticalTime(op, h100, "bf16", CAL, { ...ALL, alignment: false });
    expect(on.compute_s / off.compute_s).toBeCloseTo(8, 9);
  });
  it("tile/wave model: skinny GEMMs get short tiles (at least 16 rows), and padding counts only real output", () => {
    expect(tileDim(1, 128)).toBe(16);
    expect(tileDim(32, 128)).toBe(32);
    expect(tileDim(50257, 128)).toBe(128);
    // m = 1 on a 16-row tile: 1/16 of the tile holds output; n = 4096 fills 32 tiles of 128
    expect(tilePadding(1, 4096)).toBe(1 / 16);
    // decode GEMV 1 x 4096 x 4096: compute 33.5 MFLOP at 989e12 * 0.5 / 16 = 1.085 us < memory
    // 33,570,816 B / 1.675e12 = 20.04 us: memory-bound, 22.04 us with the floor
    const t = analyticalTime(gemmOp(1, 4096, 4096, 1, "bf16"), h100, "bf16", CAL, ALL);
    expect(t.bound).toBe("memory");
    expect(t.device_s).toBeCloseTo(2e-6 + 33_570_816 / 1.675e12, 12);
  });
  it("the per-kernel floor is device time, separate from host cost: a tiny kernel takes the floor", () => {
    const tiny: Op = { name: "add", kind: "elementwise", flops: 8, bytes: 48, param_elems: 0, count: 1 };
    const t = analyticalTime(tiny, h100, "bf16", CAL, ALL);
    expect(t.bound).toBe("overhead");
    expect(t.device_s).toBeCloseTo(2e-6 + 48 / (3.35e12 * 0.5), 15);
  });
  it("FlashAttention prefill: GEMMs at attention efficiency with waves, plus softmax, against Q,K,V,O traffic", () => {
    // b1 s2048 h32 d128 causal: 34,376,515,584 FLOPs; 512 tiles in 4 waves (0.969697);
    // gemm 143.380 us + softmax 5 * 67,141,632 pairs / 66.9e12 = 5.018 us; HBM 67,108,864 B -> 40.06 us
    const op = attentionPrefillOp({ batch: 1, seq_len: 2048, n_heads: 32, n_kv_heads: 32, head_dim: 128, causal: true }, "bf16");
    const t = analyticalTime(op, h100, "bf16", CAL, ALL);
    expect(t.compute_s).toBeCloseTo(148.39837e-6, 10);
    expect(t.memory_s).toBeCloseTo(40.064993e-6, 10);
    expect(t.device_s).toBeCloseTo(150.39837e-6, 10);
    // without the model: one GEMM at v1's 0.8 of peak is 3.2x faster on the GEMM part
    expect(analyticalTime(op, h100, "bf16", CAL, { ...ALL, attention: false, efficiency: false }).compute_s).toBeCloseTo(34376515584 / (989e12 * 0.8 * (512 / 528)), 12);
  });
  it("FlashAttention decode reads the whole KV cache", () => {
    // b8 ctx2048 h32 d128: KV 268,435,456 B + q,o 131,072 B at 1.675e12 B/s = 160.338 us
    const op = attentionDecodeOp({ batch: 8, context_len: 2048, n_heads: 32, n_kv_heads: 32, head_dim: 128 }, "bf16");
    const t = analyticalTime(op, h100, "bf16", CAL, ALL);
    expect(t.memory_s).toBeCloseTo(268_566_528 / 1.675e12, 12);
    expect(t.bound).toBe("memory");
    expect(t.device_s).toBeCloseTo(2e-6 + 268_566_528 / 1.675e12, 12);
  });
  it("an op kind the device layer does not know is an error naming the op and the known kinds", () => {
    const bad = { name: "weird", kind: "fft", flops: 1, bytes: 1, param_elems: 0, count: 1 } as unknown as Op;
    expect(() => analyticalTime(bad, h100, "bf16", CAL, ALL)).toThrow(DeviceLayerError);
    expect(() => analyticalTime(bad, h100, "bf16", CAL, ALL)).toThrow(/'weird'.*'fft'.*gemm, bgemm/);
    const badDtype = { ...gemmOp(8, 8, 8, 1, "bf16"), dtypes: { activations: "fp4" } } as unknown as Op;
    expect(() => analyticalTime(badDtype, h100, "bf16", CAL, ALL)).toThrow(/dtype 'fp4'.*fp32, tf32, bf16/);
  });
  it("per-tensor dtypes: fp8 activations use the fp8 peak", () => {
    const dev = { ...h100, peak_flops_per_s: { bf16: 989e12, fp8: 1978e12 } };
    const op = gemmOp(8192, 8192, 8192, 1, "bf16");
    const bf = analyticalTime(op, dev, "bf16", CAL, ALL).compute_s;
    const f8 = analyticalTime({ ...op, dtypes: { activations: "fp8", weights: "fp8" } }, dev, "bf16", CAL, ALL).compute_s;
    expect(bf / f8).toBeCloseTo(2, 9);
  });
});

describe("profiled method: interpolation and the fallback ladder", () => {
  const table = (dtype: "bf16" | "fp16"): ProfileTable => ({
    source: `t-${dtype}`,
    device: h100.name,
    dtype,
    model: { n_embd: 4096, n_head: 32, n_kv_head: 32, n_expanded_embd: 11008 },
    ops: { add: [{ tokens: 1, time_s: 1e-6 }, { tokens: 4, time_s: 4e-6 }] },
    attn_prefill: [],
    attn_decode: [
      { batch: 1, kv_len: 512, time_s: 10e-6 },
      { batch: 1, kv_len: 1024, time_s: 20e-6 },
    ],
    kv_save: [],
  });
  const key = { n_embd: 4096, n_head: 32, n_kv_head: 32, n_expanded_embd: 11008 };
  const add = (tokens: number): Op => ({ name: "add", kind: "elementwise", flops: tokens, bytes: tokens * 6, param_elems: 0, count: 1, role: "add", tokens });
  it("piecewise-linear interpolation", () => {
    const pts = [
      { x: 1, y: 10 },
      { x: 3, y: 30 },
    ];
    expect(interpolate(pts, 2)).toEqual({ y: 20, rung: "profile-interpolated" });
    expect(interpolate(pts, 3)).toEqual({ y: 30, rung: "profile-exact" });
    expect(interpolate(pts, 6)).toEqual({ y: 30, rung: "profile-nearest", nearestX: 3 });
  });
  it("exact, interpolated, nearest (scaled linearly), other dtype (scaled by the peak ratio), then analytical", () => {
    const t = [table("bf16")];
    expect(profiledTime(t, add(4), h100, "bf16", key)).toMatchObject({ time_s: 4e-6, rung: "profile-exact" });
    expect(profiledTime(t, add(2), h100, "bf16", key)?.time_s).toBeCloseTo(2e-6, 15);
    expect(profiledTime(t, add(2), h100, "bf16", key)?.rung).toBe("profile-interpolated");
    expect(profiledTime(t, add(8), h100, "bf16", key)).toMatchObject({ rung: "profile-nearest" });
    expect(profiledTime(t, add(8), h100, "bf16", key)?.time_s).toBeCloseTo(8e-6, 15);
    // only an fp16 table on a device whose fp16 peak is twice its bf16 one: half the time
    const dev = { ...h100, peak_flops_per_s: { bf16: 989e12, fp16: 2 * 989e12 } };
    const other = profiledTime([table("fp16")], add(4), dev, "bf16", key);
    expect(other?.rung).toBe("profile-other-dtype");
    expect(other?.time_s).toBeCloseTo(8e-6, 15);
    // another model's table does not answer; nor does an op without a role
    expect(profiledTime(t, add(4), h100, "bf16", { ...key, n_embd: 768 })).toBeUndefined();
    expect(profiledTime(t, { ...add(4), role: undefined }, h100, "bf16", key)).toBeUndefined();
  });
  it("decode attention interpolates over the KV length", () => {
    const op = attentionDecodeOp({ batch: 1, context_len: 768, n_heads: 32, n_kv_heads: 32, head_dim: 128 }, "bf16");
    expect(profiledTime([table("bf16")], { ...op, role: "attn_decode" }, h100, "bf16", key)?.time_s).toBeCloseTo(15e-6, 15);
  });
  it("a group's profiled time is split over its kernels in proportion to their analytical times, and the rung is recorded", () => {
    const k1: Op = { ...add(4), name: "r1", group: "rope", bytes: 3.35e12 * 0.5 * 1e-6 }; // 1 us of memory
    const k2: Op = { ...add(4), name: "r2", group: "rope", role: undefined, bytes: 3.35e12 * 0.5 * 3e-6 }; // 3 us
    const out = kernelTimes([k1, k2], h100, "bf16", { engine: "pytorch-eager", timing: "events", calibration: CAL, profiles: [table("bf16")] }, key);
    // analytical 3 us and 5 us (2 us floor each); the profile says 4 us for the group: 1.5 and 2.5 us
    expect(out[0]!.device_s).toBeCloseTo(1.5e-6, 15);
    expect(out[1]!.device_s).toBeCloseTo(2.5e-6, 15);
    expect(out.map((k) => k.rung)).toEqual(["profile-exact", "profile-exact"]);
    expect(out[0]!.method).toBe("profiled");
  });
});

describe("calibration protocol", () => {
  const ceiling: CalibrationRow = {
    set: "h100/2026-11-26",
    workload_key: "ceiling.gemm.m8192.n8192.k8192",
    engine: "pytorch-eager",
    group: "ceiling",
    precision: "bf16",
    latency_s: 1.56264e-3,
    flops: 2 * 8192 ** 3,
  };
  const copy: CalibrationRow = { ...ceiling, workload_key: "ceiling.copy.bytes2147483648", latency_s: 1.42067e-3, flops: undefined, bytes: 2 * 2147483648 };
  const peaks = { flops_per_s: { bf16: 989.4e12 }, mem_bandwidth_bytes_per_s: 3.35e12 };
  it("takes the GEMM and copy efficiencies from the ceiling rows, with their source", () => {
    const c = calibrate("h100", [ceiling, copy], peaks);
    // 1,099,511,627,776 FLOPs / 1.56264 ms = 703.63 TFLOP/s of 989.4: 0.71117
    expect(c.gemm_efficiency.bf16!.value).toBeCloseTo(2 * 8192 ** 3 / 1.56264e-3 / 989.4e12, 12);
    expect(c.gemm_efficiency.bf16!.value).toBeCloseTo(0.71117, 4);
    // 4,294,967,296 B / 1.42067 ms = 3.0232 TB/s of 3.35: 0.90245
    expect(c.mem_efficiency.value).toBeCloseTo(0.90245, 4);
    expect(c.mem_efficiency.source).toMatchObject({ kind: "microbenchmark", set: "h100/2026-11-26" });
    expect(c.kernel_floor_s.source.kind).toBe("assumption");
  });
  it("refuses an evaluation row", () => {
    const evalRow: CalibrationRow = { ...ceiling, workload_key: "gemm.m2048.n4096.k4096", group: "gemm", cell_id: "gemm.m2048.n4096.k4096.h100-sxm5-80gb.bf16" };
    expect(() => calibrate("h100", [ceiling, evalRow], peaks)).toThrow(CalibrationInputError);
    expect(() => calibrate("h100", [ceiling, evalRow], peaks)).toThrow(/gemm\.m2048\.n4096\.k4096.*ground truth of gemm\.m2048/);
    // a ceiling-named row that is ground truth of a cell is refused too
    expect(() => calibrate("h100", [{ ...ceiling, cell_id: "some.cell" }], peaks)).toThrow(CalibrationInputError);
  });
});

describe("Vidur-format profile files", () => {
  const mlpHeader = [
    ...["emb", "input_layernorm", "attn_pre_proj", "attn_rope", "attn_post_proj", "post_attention_layernorm", "mlp_up_proj", "mlp_act", "mlp_down_proj", "add"].map((o) => `time_stats.${o}.median`),
    "n_head",
    "n_kv_head",
    "n_embd",
    "n_expanded_embd",
    "num_tokens",
    "num_tensor_parallel_workers",
  ];
  const attHeader = "time_stats.attn_kv_cache_save.median,time_stats.attn_prefill.median,time_stats.attn_decode.median,n_embd,n_q_head,n_kv_head,num_tensor_parallel_workers,batch_size,prefill_chunk_size,kv_cache_size,is_prefill";
  const write = (mlp: string, att: string) => {
    const d = mkdtempSync(join(tmpdir(), "vidur-"));
    writeFileSync(join(d, "mlp.csv"), mlp);
    writeFileSync(join(d, "attention.csv"), att);
    return d;
  };
  it("reads a valid profile (ms -> s)", () => {
    const d = write(`${mlpHeader.join(",")}\n${Array(10).fill("0.002").join(",")},32,32,4096,11008,1,1\n`, `${attHeader}\n0.003,,0.01,4096,32,32,1,1,0,512,False\n`);
    const t = readVidurProfile(d, "dev", "bf16");
    expect(t.ops.add).toEqual([{ tokens: 1, time_s: 2e-6 }]);
    expect(t.attn_decode).toEqual([{ batch: 1, kv_len: 512, time_s: 1e-5 }]);
  });
  it("rejects a missing column and a non-positive time with file, row and column", () => {
    const mlp = `${mlpHeader.filter((h) => h !== "num_tokens").join(",")}\n${Array(10).fill("0.002").join(",")},32,32,4096,11008,1\n`;
    const att = `${attHeader}\n0.003,,-0.01,4096,32,32,1,1,0,512,False\n`;
    const d = write(mlp, att);
    let msg = "";
    try {
      readVidurProfile(d, "dev", "bf16");
    } catch (e) {
      expect(e).toBeInstanceOf(ZzzDataError);
      msg = (e as Error).message;
    }
    expect(msg).toContain(`${join(d, "mlp.csv")}: row 1, column num_tokens`);
    expect(msg).toContain("(column missing)");
    expect(msg).toContain(`${join(d, "attention.csv")}: row 1, column time_stats.attn_decode.median`);
  });
});
