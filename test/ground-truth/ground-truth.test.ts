import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkGroundTruth, formatProblem, loadGroundTruthFiles, parseGroundTruthCsv } from "../../pipeline/lib/ground-truth.ts";
import { GROUND_TRUTH_COLUMNS } from "../../pipeline/lib/schema.ts";

const HEADER = GROUND_TRUTH_COLUMNS.join(",");
const good = (gt: string, cell: string, value = "1.5", unit = "ms", bib = "agrawal2024vidur", place = "data/x.csv@abc") =>
  `${gt},${cell},${value},${unit},published,${bib},${place},,,,,`;

const dirs: string[] = [];
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "gt-test-"));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return root;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const CELLS = [
  { id: "op.a", metric: "latency" as const },
  { id: "srv.b", metric: "throughput" as const },
];

describe("loadGroundTruthFiles", () => {
  it("finds ground-truth.csv files at any depth and keeps file and line of every row", () => {
    const root = tree({
      "suite/ground-truth/published/x/ground-truth.csv": `${HEADER}\n${good("x.1", "op.a")}\n${good("x.2", "srv.b", "10", "tokens/s")}\n`,
      "suite/ground-truth/measured/cpu/2026-01-01/ground-truth.csv": `${HEADER}\nm.1,op.a,2,ms,measured,,,suite/measure/measure.py,cpu,torch 1.13,2026-01-01,\n`,
      "suite/ground-truth/published/x/other.csv": "not,a,ground,truth,file\n",
    });
    const { rows, problems } = loadGroundTruthFiles(root);
    expect(problems).toEqual([]);
    expect(rows.map((r) => [r.gt_id, r.file, r.row])).toEqual([
      ["m.1", path.join("suite/ground-truth/measured/cpu/2026-01-01/ground-truth.csv"), 2],
      ["x.1", path.join("suite/ground-truth/published/x/ground-truth.csv"), 2],
      ["x.2", path.join("suite/ground-truth/published/x/ground-truth.csv"), 3],
    ]);
    expect(checkGroundTruth(rows, CELLS)).toEqual([]);
  });

  it("names file and row of a published value without a source (no bib, no place)", () => {
    const f = "suite/ground-truth/published/x/ground-truth.csv";
    const root = tree({ [f]: `${HEADER}\n${good("x.1", "op.a")}\nx.2,op.a,3,ms,published,,,,,,,\n` });
    const { rows, problems } = loadGroundTruthFiles(root);
    expect(rows).toHaveLength(1);
    expect(problems.map((p) => [p.file, p.row, p.field])).toEqual([
      [f, 3, "bib"],
      [f, 3, "place"],
    ]);
    expect(formatProblem(problems[0]!)).toMatch(/^suite\/ground-truth\/published\/x\/ground-truth\.csv:3: bib: a published value needs/);
  });

  it("names file and row of a measured value without its provenance", () => {
    const { problems } = parseGroundTruthCsv(`${HEADER}\nm.1,op.a,2,ms,measured,,,,cpu,,2026-01-01,\n`, "m.csv");
    expect(problems.map((p) => [p.file, p.row, p.field]).sort()).toEqual([
      ["m.csv", 2, "script"],
      ["m.csv", 2, "versions"],
    ]);
  });

  it("names file and row of an unknown unit", () => {
    const { rows, problems } = parseGroundTruthCsv(`${HEADER}\n${good("x.1", "op.a")}\n${good("x.2", "op.a", "3", "furlongs")}\n`, "f.csv");
    expect(rows.map((r) => r.gt_id)).toEqual(["x.1"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: "f.csv", row: 3, field: "unit" });
    expect(problems[0]!.message).toContain("furlongs");
  });

  it("rejects a wrong header and a row with a missing field", () => {
    expect(parseGroundTruthCsv("gt_id,cell_id,value\nx,y,1\n", "h.csv").problems).toMatchObject([{ file: "h.csv", row: 1, field: "(header)" }]);
    const r = parseGroundTruthCsv(`${HEADER}\nx.1,op.a,1,ms,published\n`, "s.csv");
    expect(r.problems).toMatchObject([{ file: "s.csv", row: 2, field: "(row)" }]);
  });

  it("rejects a non-positive value", () => {
    const r = parseGroundTruthCsv(`${HEADER}\n${good("x.1", "op.a", "0")}\n${good("x.2", "op.a", "abc")}\n`, "v.csv");
    expect(r.problems.map((p) => [p.row, p.field])).toEqual([
      [2, "value"],
      [3, "value"],
    ]);
  });
});

describe("checkGroundTruth", () => {
  const load = (text: string) => parseGroundTruthCsv(`${HEADER}\n${text}\n`, "g.csv").rows;

  it("flags a row that points at no cell, with file and row", () => {
    const rows = load([good("x.1", "op.a"), good("x.2", "op.missing")].join("\n"));
    const problems = checkGroundTruth(rows, CELLS);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: "g.csv", row: 3, field: "cell_id" });
    expect(problems[0]!.message).toContain("op.missing");
  });

  it("accepts plain cell ids (then it cannot check units)", () => {
    const rows = load(good("x.1", "op.a", "1", "tokens/s"));
    expect(checkGroundTruth(rows, ["op.a"])).toEqual([]);
    expect(checkGroundTruth(rows, CELLS)).toMatchObject([{ row: 2, field: "unit" }]);
  });

  it("flags a unit that does not belong to the cell's metric", () => {
    const rows = load([good("x.1", "srv.b", "5", "ms"), good("x.2", "op.a", "5", "us")].join("\n"));
    const problems = checkGroundTruth(rows, CELLS);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: "g.csv", row: 2, field: "unit" });
    expect(problems[0]!.message).toContain("'throughput'");
  });

  it("flags a duplicate gt_id and a duplicate (cell, source) row, naming both places", () => {
    const rows = load(
      [
        good("x.1", "op.a", "1"),
        good("x.1", "srv.b", "2", "tokens/s"), // same gt_id, other cell
        good("x.3", "op.a", "1.1"), // same cell, same bib and place
        good("x.4", "op.a", "1.2", "ms", "agrawal2024vidur", "data/other.csv@abc"), // same cell, other place: fine
      ].join("\n"),
    );
    const problems = checkGroundTruth(rows, CELLS);
    expect(problems.map((p) => [p.row, p.field])).toEqual([
      [3, "gt_id"],
      [4, "cell_id"],
    ]);
    expect(problems[0]!.message).toContain("g.csv:2");
    expect(problems[1]!.message).toMatch(/duplicate row.*g\.csv:2/);
  });

  it("flags a bib key that no bib file has, when the keys are given", () => {
    const rows = load(good("x.1", "op.a", "1", "ms", "nosuchkey2099"));
    expect(checkGroundTruth(rows, CELLS)).toEqual([]);
    expect(checkGroundTruth(rows, CELLS, { bibKeys: new Set(["agrawal2024vidur"]) })).toMatchObject([{ row: 2, field: "bib" }]);
  });
});
