// results/coverage.csv, head-to-head.csv and shared-cells.csv (issue 17): recomputed from the committed
// predictions they match the committed files, every tool of a cell set is scored on the same values,
// and rows fed by another tool or over derived ground truth are never headline rows.
import { describe, expect, it } from "vitest";
import { loadSuite } from "../../pipeline/lib/suite.ts";
import { readCsv } from "../../pipeline/lib/io.ts";
import { parsePredictions } from "../../pipeline/lib/results-check.ts";
import { accuracyRows } from "../../pipeline/lib/metrics.ts";
import { coverageClass, coverageRows } from "../../pipeline/lib/coverage.ts";
import { errorStats, gtTier, headToHeadRows, sharedCellRows } from "../../pipeline/lib/head-to-head.ts";
import { TOOLS } from "../../tools-under-test/registry.ts";
import { readReruns, spreadPct, spreadRows, SPREAD_FILE } from "../../pipeline/lib/rerun-spread.ts";

const suite = loadSuite(".");
const preds = parsePredictions(readCsv("results/predictions.csv"));
const acc = accuracyRows(preds, suite.groundTruth, suite.cells);
const meta = new Map(TOOLS.map((t) => [t.metadata.name, t.metadata]));
const notes: string[] = [];
const spread = spreadRows(TOOLS.flatMap((t) => readReruns("results/raw", t, suite, notes) ?? []), preds);
const h2h = headToHeadRows(acc, suite, meta, spread);

describe("head-to-head over shared cells", () => {
  it("recomputes the committed head-to-head.csv, coverage.csv and shared-cells.csv", () => {
    const strip = (rows: Record<string, string>[]) => rows.map((r) => JSON.stringify(r));
    expect(strip(h2h)).toEqual(strip(readCsv("results/head-to-head.csv")));
    expect(strip(coverageRows(preds, suite))).toEqual(strip(readCsv("results/coverage.csv")));
    const tools = [...new Set(preds.map((p) => p.tool))].sort();
    expect(strip(sharedCellRows(acc, tools, suite))).toEqual(strip(readCsv("results/shared-cells.csv")));
  });

  it("scores every tool of a cell set on the same number of values and cells", () => {
    const bySet = new Map<string, Set<string>>();
    for (const r of h2h) {
      const k = `${r.kind}|${r.gt_tier}|${r.cell_set}`;
      bySet.set(k, (bySet.get(k) ?? new Set()).add(`${r.n}/${r.n_cells}`));
      expect(r.cell_set!.split("+")).toContain(r.tool);
    }
    expect(bySet.size).toBeGreaterThan(5);
    for (const [k, ns] of bySet) expect([k, ns.size]).toEqual([k, 1]);
  });

  it("has at least one headline set of two or more third-party tools with n >= 5", () => {
    const third = h2h.filter((r) => r.headline === "true" && r.set_kind === "all" && Number(r.n) >= 5 && r.cell_set!.split("+").filter((t) => t !== "zzz").length >= 2);
    expect(third.length).toBeGreaterThan(0);
  });

  it("keeps ASTRA-sim's ZZZ-fed training steps and derived ground truth out of the headline", () => {
    for (const r of h2h) {
      if (r.gt_tier === "derived" || r.fed_by !== "") expect(r.headline).toBe("false");
      else expect(r.headline).toBe("true");
    }
    const astraTraining = h2h.filter((r) => r.tool === "astra-sim" && r.kind!.startsWith("training"));
    for (const r of astraTraining) expect(r.fed_by).toContain("astra-sim<-zzz");
  });

  it("computes bias as the signed mean error: positive when a tool over-predicts", () => {
    const s = errorStats([
      { predicted: 2, measured: 1 },
      { predicted: 1, measured: 1 },
    ]);
    expect(s.n).toBe(2);
    expect(s.mape).toBeCloseTo(50);
    expect(s.bias_pct).toBeCloseTo(50);
    expect(errorStats([{ predicted: 0.5, measured: 1 }]).bias_pct).toBeCloseTo(-50);
    expect(gtTier({ source_kind: "published", notes: "DERIVED from MLPerf run logs" })).toBe("derived");
    expect(gtTier({ source_kind: "measured", notes: "" })).toBe("measured");
  });

  it("classifies not-run reasons by their prefix", () => {
    expect(coverageClass({ status: "not-run", reason: "cannot express: no conv2d" })).toBe("cannot_express");
    expect(coverageClass({ status: "not-run", reason: "no input generated: no trace" })).toBe("no_input_generated");
    expect(coverageClass({ status: "not-run", reason: "whatever" })).toBe("unclassified");
    expect(coverageClass({ status: "ok", reason: "" })).toBe("ok");
  });

  it("recomputes results/rerun-spread.csv from the recorded reruns, every file parsing", () => {
    expect(notes).toEqual([]);
    expect(spread.map((r) => JSON.stringify(r))).toEqual(readCsv(`results/${SPREAD_FILE}`).map((r) => JSON.stringify(r)));
  });

  it("fills rerun_spread_pct: Vidur's reruns differ, the deterministic tools' reruns are 0, a tool never rerun stays empty", () => {
    const vidur = spread.filter((r) => r.tool === "vidur");
    expect(vidur.length).toBe(14);
    for (const r of vidur) expect(r.runs).toBe("3");
    expect(Math.max(...vidur.map((r) => Number(r.spread_pct)))).toBeGreaterThan(1);
    for (const t of ["genz", "llm-viewer", "calculon", "astra-sim", "timeloop"]) {
      const rows = spread.filter((r) => r.tool === t);
      expect([t, rows.length > 0]).toEqual([t, true]);
      for (const r of rows) expect([t, r.cell_id, r.spread_pct, r.min]).toEqual([t, r.cell_id, "0", r.max]);
    }
    const rerun = new Set(spread.map((r) => r.tool));
    const filled = h2h.filter((r) => r.rerun_spread_pct !== "");
    expect(filled.length).toBeGreaterThan(0);
    for (const r of h2h) {
      if (!rerun.has(r.tool!)) expect([r.tool, r.rerun_spread_pct, r.rerun_cells]).toEqual([r.tool, "", ""]);
      if (r.rerun_cells !== "") expect(Number(r.rerun_cells)).toBeLessThanOrEqual(Number(r.n_cells));
    }
    expect(h2h.some((r) => r.tool === "vidur" && Number(r.rerun_spread_pct) > 0)).toBe(true);
    expect(h2h.some((r) => r.tool === "llm-viewer" && r.rerun_spread_pct === "0")).toBe(true);
  });

  it("computes the spread as range over median, 0 for identical runs", () => {
    expect(spreadPct([1, 1, 1])).toBe(0);
    expect(spreadPct([0.99, 1, 1.02])).toBeCloseTo(3);
    expect(spreadPct([2, 4])).toBeCloseTo(66.6667, 3);
  });
});
