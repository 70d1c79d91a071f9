import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PAGE_RANGE, refsStartFromAux } from "../../pipeline/lib/render/paper-check.ts";
import { claimCell, claimsTex, engineNumbers, loadToolsCsv, renderSurveyOutputs, toolsNumbers } from "../../pipeline/lib/render/survey-tables.ts";
import type { Loaded } from "../../pipeline/lib/render/data.ts";

const repo = join(import.meta.dirname, "../..");
const SP = 65536; // sp per pt

describe("pages before references (main.aux \\refsstart)", () => {
  // A4-like page: width 600pt, text top at 740pt from the bottom, text height 680pt.
  const line = (page: number, xPt: number, yPt: number) =>
    `\\refsstart{${page}}{${xPt * SP}}{${yPt * SP}}{${740 * SP}}{${680 * SP}}{${600 * SP}}`;
  it("counts full pages plus the filled share of a two-column page", () => {
    expect(refsStartFromAux(`\\relax\n${line(11, 100, 740)}\n`)).toEqual({ page: 11, column: 0, fraction: 0, pagesBefore: 10 });
    expect(refsStartFromAux(line(11, 100, 400))).toMatchObject({ column: 0, fraction: 0.5, pagesBefore: 10.25 });
    expect(refsStartFromAux(line(11, 400, 400))).toMatchObject({ column: 1, fraction: 0.5, pagesBefore: 10.75 });
    expect(refsStartFromAux(line(12, 400, 60))).toMatchObject({ column: 1, fraction: 1, pagesBefore: 12 });
  });
  it("is undefined without the line (no \\markrefsstart in main.tex) or without an aux", () => {
    expect(refsStartFromAux("\\relax\n\\bibstyle{IEEEtran}\n")).toBeUndefined();
    expect(refsStartFromAux(undefined)).toBeUndefined();
  });
  it("uses the submission's page range", () => {
    expect(PAGE_RANGE).toEqual({ min: 10.5, max: 11 });
  });
});

describe("claims.tex (\\claimErr)", () => {
  const claimed: Loaded = {
    file: "results/claimed-accuracy.csv",
    status: "ok",
    problems: [],
    rows: [
      { tool: "A", bib: "a2020", claimed_error: "5%" },
      { tool: "A", bib: "a2020", claimed_error: "<9% & more" },
      { tool: "B", bib: "b2021", claimed_error: "95% accuracy" },
      { tool: "C", bib: "", claimed_error: "1%" },
    ],
  };
  it("numbers each work's claims in file order and escapes them", () => {
    const { tex, count } = claimsTex(claimed);
    expect(count).toBe(4);
    expect(tex).toContain("\\@namedef{claimerr@a2020@1}{5\\%}");
    expect(tex).toContain("\\@namedef{claimerr@a2020@2}{\\textless{}9\\% \\& more}");
    expect(tex).toContain("\\@namedef{claimerr@b2021@1}{95\\% accuracy}");
    expect(tex).not.toContain("claimerr@@"); // a claim without a bib key is not addressable
    expect(tex).toContain("{\\numNA}"); // an unknown claim prints n/a
  });
  it("defines only the macro when the CSV is missing", () => {
    const { tex, count } = claimsTex({ ...claimed, status: "missing", rows: [] });
    expect(count).toBe(0);
    expect(tex).toContain("\\newcommand{\\claimErr}");
    expect(tex).not.toContain("\\@namedef");
  });
  it("shortens a table cell to the first claim and counts the rest", () => {
    const c = (error: string) => ({ error, metric: "m", validated_on: "v", place: "p", source: "paper abstract" as const, evidence: "read in this review" as const, against: "not stated" as const, n_points: "not stated" as const, kind: "model error" as const });
    expect(claimCell({ validation: { status: "not stated", ground_truth: "-", claims: [] } })).toBe("--");
    expect(claimCell({ validation: { status: "stated", ground_truth: "-", claims: [c("5%"), c("7%")] } })).toBe("5% (+1)");
    expect(claimCell({ validation: { status: "stated", ground_truth: "-", claims: [c("45.3% (mean) and 53.0% (p90) lower error")] } })).toMatch(/\u2026$/);
  });
});

describe("results/tools.csv macros", () => {
  it("prints n/a with the reason when the file is absent", () => {
    const root = mkdtempSync(join(tmpdir(), "tools-"));
    const t = loadToolsCsv(root);
    expect(t.status).toBe("missing");
    const m = toolsNumbers(t).find((x) => x.name === "astraSimSetupSteps")!;
    expect(m.value).toBeUndefined();
    expect(m.missing).toBe("results/tools.csv is missing");
  });
  it("reads values, accepts cells_supported for cells_run, and leaves empty fields n/a", () => {
    const root = mkdtempSync(join(tmpdir(), "tools-"));
    mkdirSync(join(root, "results"));
    writeFileSync(join(root, "results/tools.csv"), "tool,setup_steps,failed_steps,cells_supported,cells_ok,wall_s_per_cell\nastra-sim,9,5,122,120,0.0523\nvidur,,,81,81,3.1\n");
    const ms = toolsNumbers(loadToolsCsv(root));
    const v = (n: string) => ms.find((x) => x.name === n);
    expect(v("astraSimSetupSteps")?.value).toBe("9");
    expect(v("astraSimCellsRun")?.value).toBe("122");
    expect(v("astraSimWallPerCell")?.value).toBe("52.3\\,ms");
    expect(v("vidurSetupSteps")?.value).toBeUndefined();
    expect(v("vidurSetupSteps")?.missing).toBe("empty setup_steps");
    expect(v("timeloopCellsOk")?.missing).toBe("no row for tool timeloop in results/tools.csv");
  });
});

describe("engine macros (CUDA graph vs eager)", () => {
  it("averages the measured GPU errors per timing method", () => {
    const root = mkdtempSync(join(tmpdir(), "eng-"));
    mkdirSync(join(root, "results"));
    writeFileSync(
      join(root, "results/accuracy.csv"),
      [
        "tool,cell_id,hardware,gt_source_kind,abs_pct_error",
        "vidur,m.decode.cudagraph.h100,h100,measured,10",
        "vidur,m.decode.h100,h100,measured,30",
        "vidur,m.decode.h100,h100,measured,50",
        "vidur,m.decode.cpu,cpu,measured,99",
        "vidur,m.decode.h100,h100,published,99",
      ].join("\n") + "\n",
    );
    const ms = engineNumbers(root, new Set(["h100"]));
    const v = (n: string) => ms.find((x) => x.name === n)?.value;
    expect(v("vidurMapeCudaGraph")).toBe("10.0\\,\\%");
    expect(v("vidurMapeEager")).toBe("40.0\\,\\%");
    expect(v("vidurNEager")).toBe("2");
    expect(v("zzzMapeEager")).toBeUndefined();
  });
});

describe("survey category tables from taxonomy/", () => {
  it("puts every surveyed work in exactly one category table and marks the tools run", () => {
    const claimed: Loaded = { file: "results/claimed-accuracy.csv", status: "missing", problems: [], rows: [] };
    const out = renderSurveyOutputs(repo, join(repo, "paper/templates"), claimed, new Set(["parashar2019timeloop"]));
    const cats = out.files.filter((f) => f.name.startsWith("cat-"));
    expect(cats.map((c) => c.name)).toEqual(["cat-accel", "cat-gpu", "cat-dist", "cat-llm", "cat-edge", "cat-memnet"]);
    const keys = cats.flatMap((c) => [...c.tex.matchAll(/\\cite\{([^}]+)\}/g)].map((m) => m[1]!));
    expect(new Set(keys).size).toBe(keys.length); // no work in two tables
    expect(keys.length).toBe(cats.reduce((s, c) => s + c.rows, 0));
    const accel = cats[0]!.tex;
    expect(accel).toContain("Timeloop$^\\dagger$~\\cite{parashar2019timeloop}");
    expect(accel).not.toContain("Accelergy$^\\dagger$");
    expect(cats[1]!.tex).toContain("Abbreviations as in \\cref{tab:cat-accel}");
  });
});
