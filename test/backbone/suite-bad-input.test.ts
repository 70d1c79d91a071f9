import { describe, expect, it } from "vitest";
import { cpSync, existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadSuite, SuiteError } from "../../pipeline/lib/suite.ts";
import { evaluate } from "../../pipeline/evaluate.ts";
import { tempSuite, goodCell } from "./helpers.ts";

function problemsOf(root: string) {
  try {
    loadSuite(root);
  } catch (e) {
    expect(e).toBeInstanceOf(SuiteError);
    return (e as SuiteError).problems;
  }
  throw new Error("expected the suite to be rejected");
}

describe("the committed suite", () => {
  it("loads without problems and has the cells issue 2 asks for", () => {
    const s = loadSuite(".");
    expect([...s.models.keys()].sort()).toEqual(expect.arrayContaining(["bert-base", "gpt-2", "gpt-3-175b", "llama-2-70b", "llama-2-7b", "resnet-50"]));
    expect([...s.hardware.keys()]).toEqual(expect.arrayContaining(["a100-sxm4-80gb", "h100-sxm5-80gb", "h200-sxm-141gb"]));
    for (const b of [1, 8, 32, 128, 256]) expect(s.cells.has(`resnet-50.infer.b${b}.h100-sxm5-80gb.bf16`)).toBe(true);
    for (const c of [512, 2048]) for (const b of [1, 8, 32, 64]) expect(s.cells.has(`llama-2-7b.decode.c${c}.b${b}.h200-sxm-141gb.bf16`)).toBe(true);
  });
});

describe("bad suite input stops the run and names file, field and expected value", () => {
  it("a good temp suite loads (control)", () => {
    expect(loadSuite(tempSuite([goodCell]), { groundTruth: false }).cells.size).toBe(1);
  });

  it("missing field", () => {
    const { metric: _drop, ...cell } = goodCell;
    const p = problemsOf(tempSuite([cell]));
    expect(p).toHaveLength(1);
    expect(p[0]!.file).toBe("suite/cells/test.yaml");
    expect(p[0]!.field).toBe("cells[0].metric");
    expect(p[0]!.message).toMatch(/missing required field/);
  });

  it("wrong unit", () => {
    const p = problemsOf(tempSuite([{ ...goodCell, unit: "tokens/s" }]));
    expect(p).toHaveLength(1);
    expect(p[0]!.file).toBe("suite/cells/test.yaml");
    expect(p[0]!.field).toBe("cells[0].unit");
    expect(p[0]!.message).toMatch(/not a unit of metric 'latency'; expected one of s, ms, us/);
  });

  it("unknown model", () => {
    const p = problemsOf(tempSuite([{ ...goodCell, workload: { ...goodCell.workload, model: "llama-9-7b" } }]));
    expect(p).toHaveLength(1);
    expect(p[0]!.file).toBe("suite/cells/test.yaml");
    expect(p[0]!.field).toBe(`cell '${goodCell.id}'.workload.model`);
    expect(p[0]!.message).toMatch(/unknown model 'llama-9-7b'; expected one of .*llama-2-7b/);
  });

  it("collects every problem instead of stopping at the first", () => {
    const { metric: _m, ...noMetric } = goodCell;
    const p = problemsOf(tempSuite([noMetric, { ...goodCell, id: "x2", unit: "GB/s" }, { ...goodCell, id: "x3", hardware: "tpu-v9" }]));
    expect(p.map((x) => x.field).sort()).toEqual(["cell 'x3'.hardware", "cells[0].metric", "cells[1].unit"]);
  });

  it("evaluate writes nothing when the suite is bad", async () => {
    const root = tempSuite([{ ...goodCell, unit: "tokens/s" }]);
    cpSync("taxonomy", join(root, "taxonomy"), { recursive: true }); // validated before the suite
    mkdirSync(join(root, "results"), { recursive: true });
    writeFileSync(join(root, "results/predictions.csv"), "earlier results\n");
    await expect(evaluate({ root, quiet: true })).rejects.toBeInstanceOf(SuiteError);
    expect(readFileSync(join(root, "results/predictions.csv"), "utf8")).toBe("earlier results\n");
    expect(existsSync(join(root, "results/accuracy.csv"))).toBe(false);
  });
});
