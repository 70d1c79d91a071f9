import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { fmtInt, fmtPct, fmtRate, fmtSeconds, latexEscape, raw, renderTemplateString } from "../../pipeline/lib/render/latex.ts";
import { loadCsv, loadHardwareYaml, loadSuiteData } from "../../pipeline/lib/render/data.ts";
import { computeNumbers, macroPart, numbersTex, type NumberInputs } from "../../pipeline/lib/render/numbers.ts";
import { renderTables } from "../../pipeline/lib/render/tables.ts";

const repo = join(import.meta.dirname, "../..");
const fixtures = join(repo, "test/figures/fixtures");

describe("LaTeX escaping through handlebars templates", () => {
  it("escapes every special character", () => {
    expect(latexEscape("a & b_c 100% $x$ #1 {y} ~ ^ \\")).toBe(
      "a \\& b\\_c 100\\% \\$x\\$ \\#1 \\{y\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}",
    );
  });
  it("escapes values from data but passes LaTeX the pipeline wrote (raw) through", () => {
    const out = renderTemplateString("{{#each rows}}{{name}} & {{cite}} \\\\\n{{/each}}", {
      rows: [{ name: "GPU_Sim & 50% of #1", cite: raw("\\cite{a_b}") }],
    });
    expect(out).toBe("GPU\\_Sim \\& 50\\% of \\#1 & \\cite{a_b} \\\\\n");
  });
  it("fails on a template field that the context lacks (no silent empty cell)", () => {
    expect(() => renderTemplateString("{{nope}}", { rows: [] })).toThrow();
  });
  it("renders the real table templates with escaped CSV text", () => {
    const works = loadCsv(fixtures, "results/taxonomy/works.csv");
    const tables = renderTables(
      {
        works,
        predictions: loadCsv(fixtures, "results/predictions.csv"),
        summary: loadCsv(fixtures, "results/summary.csv"),
        claimed: loadCsv(fixtures, "results/claimed-accuracy.csv"),
        suite: loadSuiteData(fixtures),
        root: fixtures,
      },
      join(repo, "paper/templates"),
    );
    const tax = tables.find((t) => t.name === "taxonomy-summary")!.tex;
    expect(tax).not.toContain("\\cite{"); // works are cited in the survey's category tables, not listed here
    expect(tax).toMatch(/^analytical & 2 & 2020--2021 & /m);
    expect(tax).toContain("\\label{tab:taxonomy}");
    const claimed = tables.find((t) => t.name === "accuracy-claimed")!.tex;
    expect(claimed).toContain("2.8\\%-11.4\\%"); // from the CSV, escaped
    expect(claimed).toContain("\\cite{astrasim2020}");
    expect(claimed).not.toContain("nn-Meter"); // not an error in percent, and not run here
    expect(claimed).toContain("5.0\\,\\% (1)"); // measured MAPE of astra-sim next to its claim
    expect(claimed).toMatch(/^LLMCompass & 4\.1\\% & .* & not run \\\\$/m); // verified numeric claim of a tool not run here
    const suite = tables.find((t) => t.name === "suite")!;
    expect(suite.hasData).toBe(false);
    expect(suite.tex).toContain("no data yet");
  });
  it("sets a claim beside the geometric-mean errors over the cells that reproduce its setting", () => {
    const mvcRow = (tier: string, n: number, gm: string, validatedOn: string) => ({ tool: "astra-sim", tier, n, mape_pct: 1, geomean_ape_pct: Number(gm), claim_bib: "astrasim2020", claimed_validated_on: validatedOn });
    const inputs = {
      works: loadCsv(fixtures, "results/taxonomy/works.csv"),
      predictions: loadCsv(fixtures, "results/predictions.csv"),
      summary: loadCsv(fixtures, "results/summary.csv"),
      claimed: loadCsv(fixtures, "results/claimed-accuracy.csv"),
      suite: loadSuiteData(fixtures),
      root: fixtures,
    };
    const withSetting = { file: "results/measured-vs-claimed.csv", status: "ok" as const, problems: [], rows: [mvcRow("claim-setting:x2", 8, "49.8", "real system"), mvcRow("claim-setting:x8", 8, "22.8", "real system"), mvcRow("published", 64, "38.5", "real system")] };
    const claimed = renderTables({ ...inputs, mvc: withSetting }, join(repo, "paper/templates")).find((t) => t.name === "accuracy-claimed")!.tex;
    expect(claimed).toMatch(/^ASTRA-sim 2\.0 & .* & 22\.8\\,\\%--49\.8\\,\\% \(16\)\$\^\{g\}\$ \\\\$/m);
    expect(claimed).toContain("geometric-mean errors");
    // A claim of another setting keeps the overall MAPE.
    const other = { ...withSetting, rows: withSetting.rows.map((r) => ({ ...r, claimed_validated_on: "another system" })) };
    expect(renderTables({ ...inputs, mvc: other }, join(repo, "paper/templates")).find((t) => t.name === "accuracy-claimed")!.tex).toContain("5.0\\,\\% (1)");
  });
});

describe("number macros", () => {
  const inputs = (root: string): NumberInputs => ({
    works: loadCsv(root, "results/taxonomy/works.csv"),
    prisma: loadCsv(root, "results/prisma.csv"),
    predictions: loadCsv(root, "results/predictions.csv"),
    accuracy: loadCsv(root, "results/accuracy.csv"),
    summary: loadCsv(root, "results/summary.csv"),
    claimed: loadCsv(root, "results/claimed-accuracy.csv"),
    intensity: loadCsv(root, "results/cell-intensity.csv"),
    rooflineHardware: loadHardwareYaml(root, "suite/hardware/h100-sxm5-80gb.yaml"),
    suite: loadSuiteData(root),
    modelCount: 0,
  });
  it("turns tool and category names into macro names", () => {
    expect(macroPart("astra-sim", false)).toBe("astraSim");
    expect(macroPart("multi-gpu", true)).toBe("MultiGpu");
    expect(macroPart("h100", false)).toBe("hOneZeroZero");
  });
  it("computes each macro from the fixture CSVs", () => {
    const m = new Map(computeNumbers(inputs(fixtures)).map((x) => [x.name, x]));
    expect(m.get("zzzMapeAll")?.value).toBe("16.7\\,\\%");
    expect(m.get("zzzNOperator")?.value).toBe("2");
    expect(m.get("zzzSpearmanOperator")?.value).toBe("1.00");
    expect(m.get("vidurMapeServing")?.value).toBe("50.0\\,\\%");
    expect(m.get("numSurveyedWorks")?.value).toBe("3");
    expect(m.get("numMethodologies")?.value).toBe("3");
    expect(m.get("numPrismaIncluded")?.value).toBe("140");
    expect(m.get("prismaScreened")?.value).toBe("200");
    expect(m.get("numPredictionsNotRun")?.value).toBe("1");
    expect(m.get("zzzMedianWall")?.value).toBe("200\\,\\textmu{}s");
    expect(m.get("rooflinePeakFlops")?.value).toBe("989.4\\,TFLOP/s");
    expect(m.get("numRooflineMemoryBound")?.value).toBe("1");
    // a combination with no row is n/a, not zero
    expect(m.get("timeloopMapeAll")?.value).toBeUndefined();
    expect(m.get("timeloopMapeAll")?.missing).toMatch(/no row for tool timeloop/);
  });
  it("prints n/a with the reason when an input is missing, never a number", () => {
    const inp = inputs(fixtures);
    inp.summary = { file: "results/summary.csv", status: "missing", rows: [], problems: [] };
    const macros = computeNumbers(inp);
    const zzz = macros.find((x) => x.name === "zzzMapeAll")!;
    expect(zzz.value).toBeUndefined();
    expect(zzz.missing).toBe("results/summary.csv is missing");
    const tex = numbersTex(macros);
    expect(tex).toContain("\\newcommand{\\zzzMapeAll}{\\numNA\\xspace}");
    expect(tex).toContain("% results/summary.csv (tool zzz, category all) -- n/a: results/summary.csv is missing");
    expect(tex).toContain("\\newcommand{\\numSurveyedWorks}{3\\xspace}");
    expect(tex).toMatch(/\\providecommand\{\\numNA\}\{\\textit\{n\/a\}\}/);
  });
  it("formats numbers with fixed rules", () => {
    expect(fmtInt(1234567)).toBe("1\\,234\\,567");
    expect(fmtPct(3.14159)).toBe("3.1\\,\\%");
    expect(fmtPct(250.4)).toBe("250\\,\\%");
    expect(fmtSeconds(0.0123)).toBe("12.3\\,ms");
    expect(fmtSeconds(2.5)).toBe("2.50\\,s");
    expect(fmtRate(3.35e12, "B/s")).toBe("3.35\\,TB/s");
  });
});

describe("claimed-accuracy table scope", () => {
  it("leaves out the claims of learned (ML-based) predictors, which the survey cites only as contrast", () => {
    const claimed = loadCsv(fixtures, "results/claimed-accuracy.csv");
    const works = loadCsv(fixtures, "results/taxonomy/works.csv");
    const extra = { tool: "LearnedX", bib: "learned2024", claimed_error: "5%", metric: "latency error", validated_on: "GPUs", place: "abstract", verified: "yes", claimed_kind: "value" };
    const render = (methodology: string) =>
      renderTables(
        {
          works: { ...works, rows: [...works.rows, { ...works.rows[0], key: "learned2024", methodology }] },
          predictions: loadCsv(fixtures, "results/predictions.csv"),
          summary: loadCsv(fixtures, "results/summary.csv"),
          claimed: { ...claimed, rows: [...claimed.rows, extra] },
          suite: loadSuiteData(fixtures),
          root: fixtures,
        },
        join(repo, "paper/templates"),
      ).find((t) => t.name === "accuracy-claimed")!.tex;
    expect(render("analytical")).toContain("LearnedX");
    expect(render("ml-based (contrast only)")).not.toContain("LearnedX");
  });
});
