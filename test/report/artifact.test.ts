import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { appendixTex, artifactMarkdown, claims, makeTargets } from "../../pipeline/lib/render/artifact.ts";

const ROOT = path.join(import.meta.dirname, "../..");

describe("artifact appendix", () => {
  const makefile = readFileSync(path.join(ROOT, "Makefile"), "utf8");
  it("documents every Makefile target that has a '## make' comment, continuation lines included", () => {
    const t = makeTargets("## make evaluate: run it.\n## RERUN=x: live.\nevaluate:\n## make test: tests.\n");
    expect(t).toEqual([{ target: "evaluate", doc: "run it. RERUN=x: live." }, { target: "test", doc: "tests." }]);
    const real = makeTargets(makefile).map((x) => x.target);
    for (const need of ["evaluate", "test", "figures", "paper", "report", "compare"]) expect(real).toContain(need);
  });
  it("maps each figure, table and number to its command and input, with the template's fields", () => {
    const input = {
      figures: [{ name: "pred-vs-measured", hasData: true, inputs: [{ file: "results/accuracy.csv" }] }],
      tables: [{ name: "tool-comparison", hasData: true, inputs: ["results/summary.csv"] }],
      numbers: [{ name: "zzzMape", value: "38.4", source: "results/summary.csv (zzz, all)" }],
      makefile,
    };
    expect(claims(input).map((c) => `${c.kind} ${c.id} <- ${c.reads}`)).toEqual([
      "figure fig:pred-vs-measured <- results/accuracy.csv",
      "table tool-comparison <- results/summary.csv",
      "number \\zzzMape <- results/summary.csv (zzz, all)",
    ]);
    const md = artifactMarkdown(input);
    for (const h of ["## Abstract", "## Checklist", "## How delivered", "## Hardware dependencies", "## Software dependencies", "## Installation", "## Experiment workflow", "## Evaluation and expected results", "## Experiment customization"]) expect(md).toContain(h);
    expect(md).toContain("| number `\\zzzMape` | 38.4 | `make evaluate && make figures` | results/summary.csv (zzz, all) |");
    expect(appendixTex(input)).toContain("fig:pred-vs-measured & results/accuracy.csv\\\\");
  });
});
