// The system-layer cells of ZZZ's adapter (tools-under-test/zzz/system-cells.ts) on the committed suite.
import { beforeAll, describe, expect, it } from "vitest";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { callOverhead, frameworkDefaults, systemEstimate, systemSupports, topologyOf } from "../../tools-under-test/zzz/system-cells.ts";
import type { Cell, Hardware } from "../../pipeline/lib/schema.ts";

let suite: Suite;
beforeAll(() => {
  suite = loadSuite(".");
});

describe("topology from a hardware file", () => {
  it("DGX H100: 18 NVLinks with NVLS inside a node, 50 GB/s per GPU between nodes", () => {
    const t = topologyOf(suite.hardware.get("h100-sxm5-80gb")!);
    if (typeof t === "string") throw new Error(t);
    expect(t.generation).toBe("hopper");
    expect(t.intra.n_links).toBe(18);
    expect(t.intra.nvls).toBe(true);
    expect(t.inter?.bandwidth_bytes_per_s).toBe(50e9);
  });
  it("a missing tier is named", () => {
    const hw = suite.hardware.get("h100-sxm5-80gb")!;
    const broken: Hardware = { ...hw, node: { devices_per_node: 8 } };
    expect(topologyOf(broken)).toMatch(/node.intra_node is missing/);
  });
});

describe("collective cells", () => {
  it("the per-call overhead comes from calibration rows, is non-negative, and is absent without rows", () => {
    const t = topologyOf(suite.hardware.get("a100-sxm4-80gb")!);
    if (typeof t === "string") throw new Error(t);
    const c = callOverhead("a100-sxm4-80gb", "all-reduce", 8, t);
    expect(c.source).toMatch(/calibration a100_dgx\/all_reduce n=8 \(15 rows/);
    expect(c.value_s).toBeGreaterThanOrEqual(0);
    expect(callOverhead("a100-sxm4-80gb", "all-gather", 8, t).source).toMatch(/no calibration rows/);
  });
  it("a 64 MiB all-reduce on 8 H100 is predicted within a factor of 1.5 of Vidur's 0.322 ms", () => {
    const cell = suite.cells.get("vidur.all-reduce.b67108864.x8.h100-sxm5-80gb")!;
    expect(systemSupports(cell, suite)).toEqual({ ok: true });
    const e = systemEstimate(cell, suite)!;
    expect(e.value).toBeGreaterThan(0.322e-3 / 1.5);
    expect(e.value).toBeLessThan(0.322e-3 * 1.5);
    expect(e.detail).toMatch(/nvls|ring|tree/);
  });
  it("a collective larger than the device memory names the cell and the field", () => {
    const cell = suite.cells.get("vidur.all-reduce.b67108864.x8.h100-sxm5-80gb")!;
    const big: Cell = { ...cell, id: "too-big", workload: { ...cell.workload, bytes: 1e12 } as Cell["workload"] };
    const s = systemSupports(big, suite)!;
    expect(s.ok).toBe(false);
    expect(s.ok ? "" : s.reason).toMatch(/too-big: workload.bytes/);
  });
});

describe("training cells", () => {
  it("time-to-train cells are not run, with the reason", () => {
    const cell = [...suite.cells.values()].find((c) => c.workload.kind === "training" && c.workload.scope === "time-to-train")!;
    const s = systemSupports(cell, suite)!;
    expect(s.ok).toBe(false);
  });
  it("the MLPerf GPT-3 175B step on 512 H100 runs with the NeMo plan and a breakdown", () => {
    const cell = suite.cells.get("mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512")!;
    expect(systemSupports(cell, suite)).toEqual({ ok: true });
    const e = systemEstimate(cell, suite)!;
    expect(e.detail).toMatch(/72 micro-batches of 2, v=4, SP=true/);
    expect(e.detail).toMatch(/ZeRO-1/);
    expect(e.value).toBeGreaterThan(1);
    expect(e.value).toBeLessThan(30);
  });
  it("framework defaults by engine", () => {
    expect(frameworkDefaults("nemo-megatron+transformer-engine (ngc24.04)").zero).toBe(1);
    expect(frameworkDefaults("megatron-lm").tp_comm_overlap).toBe(false);
  });
  it("a plan whose tp does not divide the heads is not run, naming the field", () => {
    const cell = suite.cells.get("mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512")!;
    const bad: Cell = { ...cell, id: "bad-tp", n_devices: 7 * 8 * 16, parallelism: { tp: 7, pp: 8, dp: 16 } };
    const s = systemSupports(bad, suite)!;
    expect(s.ok).toBe(false);
    expect(s.ok ? "" : s.reason).toMatch(/bad-tp: parallelism.tp/);
  });
});
