import { describe, expect, it } from "vitest";
import { measuredVsClaimedRows } from "../../pipeline/lib/measured-vs-claimed.ts";
import type { AccuracyRow } from "../../pipeline/lib/metrics.ts";
import type { Hardware, ToolMetadata } from "../../pipeline/lib/schema.ts";

const meta = (over: Partial<ToolMetadata>): ToolMetadata => ({ name: "sim", display_name: "Sim", version: "1", license: "MIT", methodology: "m", runner: { kind: "local", env: [] }, bib: "doe2024sim", ...over });
const acc = (cell_id: string, hardware: string, kind: string, ape: number): AccuracyRow => ({
  tool: "sim", tool_version: "1", cell_id, level: "operator", hardware, metric: "latency", unit: "s", gt_id: cell_id, gt_source_kind: kind, gt_source: "x", measured: 1, predicted: 1 + ape / 100, abs_pct_error: ape,
});
const hw = new Map([
  ["gpu1", { kind: "gpu" }],
  ["cpu1", { kind: "cpu" }],
]) as unknown as Map<string, Hardware>;
const claims = [
  { tool: "Sim", bib: "doe2024sim", claimed_error: "5%", metric: "latency", validated_on: "cluster A", place: "Table 2" },
  { tool: "Sim", bib: "doe2024sim", claimed_error: "9%", metric: "latency", validated_on: "cluster B", place: "Table 3" },
  { tool: "Other", bib: "roe2023other", claimed_error: "1%", metric: "latency", validated_on: "cluster B", place: "abstract" },
];

describe("results/measured-vs-claimed.csv", () => {
  it("puts our error per ground-truth tier beside the claim that matches the evaluated setting", () => {
    const rows = measuredVsClaimedRows([meta({ claim_match: "cluster B" })], claims, [acc("a", "gpu1", "measured", 10), acc("b", "gpu1", "measured", 30), acc("c", "cpu1", "measured", 4), acc("d", "gpu1", "published", 50)], hw);
    expect(rows.map((r) => [r.tier, r.n, r.mape_pct, r.worst_cell, r.claimed_error, r.claim_place])).toEqual([
      ["measured-cpu", "1", "4", "c", "9%", "Table 3"],
      ["measured-gpu", "2", "20", "b", "9%", "Table 3"],
      ["published", "1", "50", "d", "9%", "Table 3"],
    ]);
  });

  it("never fills in a number for a tool without comparisons, and skips the library engine", () => {
    const rows = measuredVsClaimedRows([meta({}), meta({ name: "zzz", runner: { kind: "library", env: [] } })], claims, [], hw);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tool: "sim", tier: "none", n: "0", mape_pct: "", claimed_error: "5% | 9%" });
  });

  it("adds rows over the cells that reproduce the claim's setting, one per captured group, with geometric means", () => {
    const rows = measuredVsClaimedRows([meta({ claim_cells: "^ar\\.(x\\d+)\\.gpu1$" })], claims, [acc("ar.x2.gpu1", "gpu1", "published", 10), acc("ar.x2.gpu1b", "gpu1", "published", 90), acc("ar.x8.gpu1", "gpu1", "published", 40), acc("other", "gpu1", "published", 5)], hw);
    const by = Object.fromEntries(rows.map((r) => [r.tier, r]));
    // "ar.x2.gpu1b" and "other" are outside the setting.
    expect(Object.keys(by).sort()).toEqual(["claim-setting:x2", "claim-setting:x8", "published"]);
    expect(by["claim-setting:x2"]).toMatchObject({ n: "1", mape_pct: "10" });
    expect(by["claim-setting:x8"]).toMatchObject({ n: "1", geomean_ape_pct: "40" });
    expect(by.published).toMatchObject({ n: "4", mape_pct: "36.25" });
    const two = measuredVsClaimedRows([meta({ claim_cells: "^ar\\.(x2)\\." })], claims, [acc("ar.x2.gpu1", "gpu1", "published", 10), acc("ar.x2.b", "gpu1", "published", 90)], hw);
    expect(two.find((r) => r.tier === "claim-setting:x2")).toMatchObject({ n: "2", mape_pct: "50", geomean_ape_pct: "30" });
  });

  it("splits a tier that mixes workload kinds into one row per kind", () => {
    const cell = (id: string, kind: string) => [id, { id, workload: { kind } }] as const;
    const cells = new Map([cell("a", "collective"), cell("b", "collective"), cell("t", "training"), cell("c", "gemm")]) as unknown as Map<string, import("../../pipeline/lib/schema.ts").Cell>;
    const rows = measuredVsClaimedRows([meta({})], claims, [acc("a", "gpu1", "published", 10), acc("b", "gpu1", "published", 20), acc("t", "gpu1", "published", 90), acc("c", "cpu1", "measured", 5)], hw, cells);
    expect(rows.map((r) => [r.tier, r.n, r.mape_pct])).toEqual([
      ["measured-cpu", "1", "5"],
      ["published", "3", "40"],
      ["published:collective", "2", "15"],
      ["published:training", "1", "90"],
    ]);
  });
});
