/**
 * The explicit mapping of shared/ground-truth/published.csv onto the suite
 * (suite/ground-truth/published/shared-csv/mapping.csv): one row per published.csv row, every
 * imported / already-imported row points at a ground-truth row that exists and carries the same value,
 * every not-mapped row says why.
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { loadGroundTruthFiles } from "../../pipeline/lib/ground-truth.ts";
import { REPO_ROOT } from "../../suite/ground-truth/published/lib.ts";
import {
  DECISIONS,
  MAPPING_COLUMNS,
  MAPPING_PATH,
  agreesWithShared,
  build,
  buildMapping,
  numbersIn,
  renderMapping,
} from "../../suite/ground-truth/published/shared-csv/import.ts";

const DIR = path.join(REPO_ROOT, "suite/ground-truth/published/shared-csv");
type Row = Record<string, string> & { id: string; value: string; verified: string; shared_id: string; gt_id: string; cell_id: string; status: string; reason: string };
const readCsv = (p: string) => parse(fs.readFileSync(p, "utf8"), { columns: true, skip_empty_lines: true }) as Row[];
const shared = readCsv(path.join(DIR, "data/published.csv"));
const mapping = readCsv(MAPPING_PATH);

describe("shared published.csv -> suite mapping", () => {
  it("the committed copy is the shared file (when ../shared is present) and has the 44 rows", () => {
    const original = path.resolve(REPO_ROOT, "../shared/ground-truth/published.csv");
    if (fs.existsSync(original)) expect(fs.readFileSync(path.join(DIR, "data/published.csv"), "utf8")).toBe(fs.readFileSync(original, "utf8"));
    expect(shared).toHaveLength(44);
  });

  it("mapping.csv has exactly one row per published.csv row, in the same order, with the fixed columns", () => {
    expect(Object.keys(mapping[0]!)).toEqual([...MAPPING_COLUMNS]);
    expect(mapping.map((m) => m.shared_id)).toEqual(shared.map((s) => s.id));
    expect(new Set(mapping.map((m) => m.shared_id)).size).toBe(mapping.length);
    for (const m of mapping) expect(["imported", "already-imported", "not-mapped"], m.shared_id).toContain(m.status);
    for (const [m, s] of mapping.map((m, i) => [m, shared[i]!] as const)) expect(m.verified, m.shared_id).toBe(s.verified);
  });

  it("mapping.csv is what the importer generates", () => {
    expect(fs.readFileSync(MAPPING_PATH, "utf8")).toBe(renderMapping(build().mapping));
  });

  it("every imported / already-imported row names an existing gt_id and cell with the same value", () => {
    const { rows } = loadGroundTruthFiles(REPO_ROOT);
    const byId = new Map(rows.map((r) => [r.gt_id, r]));
    const mapped = mapping.filter((m) => m.status !== "not-mapped");
    expect(mapped.length).toBeGreaterThanOrEqual(20);
    for (const m of mapped) {
      const gt = byId.get(m.gt_id);
      expect(gt, `${m.shared_id} -> ${m.gt_id}`).toBeDefined();
      expect(gt!.cell_id, m.shared_id).toBe(m.cell_id);
      const s = shared.find((x) => x.id === m.shared_id)!;
      expect(agreesWithShared(s.value!, gt!.value), `${m.shared_id}: '${s.value}' vs ${m.gt_id} = ${gt!.value}`).toBe(true);
      expect(s.verified, m.shared_id).toMatch(/^yes/);
      // imported rows live in this source; already-imported ones in another importer's file
      const inHere = gt!.file.includes(path.join("published", "shared-csv"));
      expect(inHere, m.shared_id).toBe(m.status === "imported");
    }
  });

  it("every not-mapped row has a reason, secondary (press) rows are never imported, and tool-claimed errors are not ground truth", () => {
    for (const m of mapping.filter((x) => x.status === "not-mapped")) {
      expect(m.reason.length, m.shared_id).toBeGreaterThan(10);
      expect(m.gt_id, m.shared_id).toBe("");
    }
    const secondary = shared.filter((s) => /^secondary/.test(s.verified!)).map((s) => s.id);
    expect(secondary.length).toBe(6);
    for (const id of secondary) expect(mapping.find((m) => m.shared_id === id)).toMatchObject({ status: "not-mapped", reason: "secondary source" });
    expect(mapping.find((m) => m.shared_id === "astrasim_h100_ar_8gpu")!.status).toBe("not-mapped");
  });

  it("value agreement follows the precision written in published.csv", () => {
    expect(numbersIn("15.0087 ms / 293.0334")).toEqual(["15.0087", "293.0334"]);
    expect(agreesWithShared("568.284", 568.284028)).toBe(true);
    expect(agreesWithShared("20556.40", 20556.4)).toBe(true);
    expect(agreesWithShared("756960.0", 756960)).toBe(true);
    expect(agreesWithShared("502 PFLOP/s ; 163 TFLOP/s/GPU (52% peak)", 163.411)).toBe(true);
    expect(agreesWithShared("568.284", 568.29)).toBe(false);
    expect(agreesWithShared("88714.3", 88714.4)).toBe(false);
    expect(agreesWithShared("~28 (just over)", 29)).toBe(false);
  });

  it("the mapping builder reports rows without a decision, unknown gt_ids and disagreeing values", () => {
    const row = (id: string, value: string, verified = "yes") => ({ id, value, verified });
    const others = [{ gt_id: "llmcompass.gemm.m8192.n16384.k16384.a100-sxm4-80gb.median", cell_id: "c", value: 15.1 }];
    const { problems } = buildMapping([row("no_such_row", "1"), row("llmcompass_a100_gemm_8192x16384x16384", "15.0087 ms / 293.0334")], [], others);
    expect(problems.some((p) => p.includes("no_such_row has no decision"))).toBe(true);
    expect(problems.some((p) => p.includes("does not agree"))).toBe(true);
    expect(problems.some((p) => p.includes("mlperf_inf41_h200x8_llama2_off") && p.includes("not a row of published.csv"))).toBe(true);
    const missing = buildMapping([row("mlperf_inf40_h100x1_gptj_off", "31.0737")], [], []);
    expect(missing.problems.some((p) => p.includes("found 0 times"))).toBe(true);
    expect(Object.keys(DECISIONS)).toHaveLength(44);
  });
});
