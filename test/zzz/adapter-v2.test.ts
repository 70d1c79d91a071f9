// ZZZ v2 through its adapter on the committed suite: engine selection, calibration modes, the
// cross-device fallback and the ablation/calibration reports.
import { describe, expect, it } from "vitest";
import { loadSuite } from "../../pipeline/lib/suite.ts";
import { calibrationFor, estimate, MODE_CONFIGS, supports, timingOf, type EstimateV2 } from "../../tools-under-test/zzz/adapter.ts";
import { ABLATION_STEPS, ablationRows, calibrationMatrixRows, CROSS_DEVICE } from "../../pipeline/lib/zzz-report.ts";

const suite = loadSuite(".");
const cell = (id: string) => {
  const c = suite.cells.get(id);
  if (!c) throw new Error(`no cell ${id}`);
  return c;
};

describe("ZZZ v2 adapter", () => {
  it("an engine the engine layer does not know is not-run, naming the known ones", () => {
    const c = { ...cell("llama-2-7b.decode.c512.b8.cudagraph.h100-sxm5-80gb.bf16"), engine: "jax-xla" };
    const s = supports(c, suite);
    expect(s.ok).toBe(false);
    expect(s.ok ? "" : s.reason).toMatch(/engine 'jax-xla' is not known.*pytorch-eager.*pytorch-cudagraph/);
  });
  it("times each cell as its ground truth was timed", () => {
    expect(timingOf(cell("llama-2-7b.decode.c512.b8.cudagraph.h100-sxm5-80gb.bf16"), suite)).toBe("graph");
    expect(timingOf(cell("llama-2-7b.decode.c512.b8.h100-sxm5-80gb.bf16"), suite)).toBe("events");
    expect(timingOf(cell("llmcompass.gelu.e1024.a100-sxm4-80gb"), suite)).toBe("host-sync");
    expect(timingOf(cell("vidur.llama-2-7b.add.t1.tp1.h100-sxm5-80gb"), suite)).toBe("kernel");
  });
  it("microbench constants come from the device's ceiling rows; the A100 borrows the H100's", () => {
    const h100 = calibrationFor("h100-sxm5-80gb", suite, MODE_CONFIGS.microbench);
    expect(h100.name).toBe("microbench:h100-sxm5-80gb");
    expect(h100.gemm_default.source).toMatchObject({ kind: "microbenchmark", set: "h100-sxm5-80gb/2026-11-26" });
    expect(h100.gemm_default.value).toBeGreaterThan(0.5);
    expect(h100.gemm_default.value).toBeLessThan(1);
    const a100 = calibrationFor("a100-sxm4-80gb", suite, MODE_CONFIGS.microbench);
    expect(a100.name).toBe("microbench:h100-sxm5-80gb->a100-sxm4-80gb");
    expect(a100.gemm_default.value).toBe(h100.gemm_default.value);
    expect(calibrationFor("h100-sxm5-80gb", suite, MODE_CONFIGS.datasheet).gemm_default.value).toBe(1);
  });
  it("eager small-batch steps are host-bound and slower than their CUDA-graph twins; profiled mode answers from the profile", () => {
    const eager = estimate(cell("llama-2-7b.decode.c512.b1.h100-sxm5-80gb.bf16"), suite) as EstimateV2;
    const graph = estimate(cell("llama-2-7b.decode.c512.b1.cudagraph.h100-sxm5-80gb.bf16"), suite) as EstimateV2;
    expect(eager.engine).toBe("pytorch-eager");
    expect(eager.latency_s).toBeGreaterThan(graph.latency_s * 1.3);
    expect(eager.bound).toBe("overhead");
    const prof = estimate(cell("llama-2-7b.decode.c512.b1.cudagraph.h100-sxm5-80gb.bf16"), suite, MODE_CONFIGS.profiled) as EstimateV2;
    expect(prof.rungs["profile-exact"]).toBeGreaterThan(32 * 10);
    expect(graph.rungs["profile-exact"]).toBeUndefined();
  });
  it("the ablation has every step for every category, and the cross-device matrix every pair", () => {
    const ab = ablationRows(suite, new Set());
    expect(ab.filter((r) => r.category === "all").map((r) => r.step)).toEqual(ABLATION_STEPS.map((_, i) => i));
    const m = calibrationMatrixRows(suite).filter((r) => r.category === "single-device");
    expect(m.map((r) => `${r.calibrated_on}>${r.applied_to}`)).toEqual(CROSS_DEVICE.map(([a, b]) => `${a}>${b}`));
  });
});
