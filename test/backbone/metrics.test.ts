import { describe, expect, it } from "vitest";
import { ranks, spearman, median, accuracyRows, summaryRows } from "../../pipeline/lib/metrics.ts";
import type { Cell, GroundTruthRow, PredictionRow } from "../../pipeline/lib/schema.ts";

describe("metrics", () => {
  it("ranks average ties", () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });
  it("spearman on hand examples", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [40, 30, 20, 10])).toBeCloseTo(-1);
    // d = [0, 0, -1, 1] -> rho = 1 - 6*2/(4*15) = 0.8
    expect(spearman([1, 2, 3, 4], [1, 2, 4, 3])).toBeCloseTo(0.8);
    expect(spearman([1, 2], [1, 2])).toBeUndefined();
  });
  it("median", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
  it("joins predictions with ground truth in the cell's unit and summarizes per level", () => {
    const cell = (id: string, level: Cell["level"]): Cell =>
      ({ id, level, hardware: "h", metric: "latency", unit: "s", workload: { kind: "gemm", m: 1, n: 1, k: 1, batch: 1 }, n_devices: 1, parallelism: { tp: 1, pp: 1, dp: 1 }, precision: "bf16", engine: "any" }) as Cell;
    const cells = new Map([["a", cell("a", "operator")], ["b", cell("b", "operator")], ["m", cell("m", "model")]]);
    const p = (cell_id: string, predicted: number): PredictionRow => ({ tool: "t", tool_version: "1", cell_id, metric: "latency", unit: "s", predicted, status: "ok", reason: "", wall_s: 0 });
    const g = (cell_id: string, value: number, unit: string): GroundTruthRow =>
      ({ gt_id: `g-${cell_id}`, cell_id, value, unit, source_kind: "published", bib: "k", place: "Table 1" }) as GroundTruthRow;
    const acc = accuracyRows([p("a", 0.011), p("b", 0.009), p("m", 2)], [g("a", 10, "ms"), g("b", 10, "ms"), g("m", 1, "s")], cells);
    expect(acc.map((a) => [a.cell_id, a.measured, Number(a.abs_pct_error.toFixed(6))])).toEqual([["a", 0.01, 10], ["b", 0.01, 10], ["m", 1, 100]]);
    const s = summaryRows(acc);
    expect(s.map((r) => [r.category, r.n, Number(r.mape.toFixed(6)), Number(r.max_ape.toFixed(6))])).toEqual([["all", 3, 40, 100], ["model", 1, 100, 100], ["operator", 2, 10, 10]]);
  });
});
