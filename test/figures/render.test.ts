import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderFigure, specInputs, svgToPdf } from "../../pipeline/lib/render/vega.ts";
import { buildAll } from "../../pipeline/lib/render/build.ts";
import { loadStyle, toolKey } from "../../pipeline/lib/render/style.ts";

const repo = join(import.meta.dirname, "../..");
const fixtures = join(import.meta.dirname, "fixtures");
const specDir = join(repo, "figures");
const specs = readdirSync(specDir).filter((f) => f.endsWith(".vl.json")).sort();
const spec = (n: string) => join(specDir, `${n}.vl.json`);
const emptyRoot = mkdtempSync(join(tmpdir(), "fig-empty-"));

describe("figure specs", () => {
  it("there are at least 8, each reading its data from results/ or suite/", () => {
    expect(specs.length).toBeGreaterThanOrEqual(8);
    for (const s of specs) {
      const inputs = specInputs(JSON.parse(readFileSync(join(specDir, s), "utf8")));
      expect(inputs.length, s).toBeGreaterThan(0);
      for (const i of inputs) expect(i, s).toMatch(/^(results|suite|figures\/data)\//);
    }
  });
});

describe("headless rendering", () => {
  it.each(["pred-vs-measured", "taxonomy-coverage"])("gives byte-identical SVG and PDF for the same inputs, whatever was rendered before (%s)", async (name) => {
    const a = await renderFigure(fixtures, name, spec(name));
    await renderFigure(fixtures, "taxonomy-coverage", spec("taxonomy-coverage")); // moves vega's clip/gradient id counters
    const b = await renderFigure(fixtures, name, spec(name));
    expect(a.hasData).toBe(true);
    expect(a.svg.length).toBeGreaterThan(1000);
    expect(b.svg).toBe(a.svg);
    const [pa, pb] = [await svgToPdf(a.svg), await svgToPdf(b.svg)];
    expect(pa.subarray(0, 5).toString()).toBe("%PDF-");
    expect(Buffer.compare(pa, pb)).toBe(0);
    // The font is embedded (IEEE requires every font embedded): a TrueType font file, no base-14 reference.
    expect(pa.toString("latin1")).toContain("/FontFile2");
    expect(pa.toString("latin1")).not.toContain("/BaseFont /Helvetica");
  });

  it("renders every spec from the fixtures with data, and from an empty root as an explicit 'no data yet' panel", async () => {
    for (const s of specs) {
      const name = s.replace(".vl.json", "");
      const withData = await renderFigure(fixtures, name, join(specDir, s));
      expect(withData.hasData, name).toBe(true);
      expect(withData.svg, name).not.toContain("no data yet");
      expect(withData.warnings, name).toEqual([]);
      const none = await renderFigure(emptyRoot, name, join(specDir, s));
      expect(none.hasData, name).toBe(false);
      expect(none.svg, name).toContain("no data yet");
    }
  });

  it("draws each tool in its one palette colour in every figure", async () => {
    const { tools } = loadStyle();
    const colour = (t: string) => tools.range[tools.domain.indexOf(t)]!;
    for (const name of ["pred-vs-measured", "error-distribution", "runtime-vs-error"]) {
      const f = await renderFigure(fixtures, name, spec(name));
      for (const t of ["zzz", "vidur", "astra-sim"]) expect(f.svg.toLowerCase(), `${name}/${t}`).toContain(`fill="${colour(t).toLowerCase()}"`);
      // A tool absent from the figure's data takes no legend entry (and no colour).
      expect(f.svg.toLowerCase(), name).not.toContain(`fill="${colour("timeloop").toLowerCase()}"`);
    }
    expect(toolKey("ASTRA-sim")).toBe("astra-sim");
    expect(toolKey("SCALE-Sim v2")).toBe("scale-sim");
    expect(toolKey("SomethingElse")).toBe("other");
  });

  it("rejects an input that fails its schema instead of drawing it", async () => {
    const f = await renderFigure(join(fixtures, "bad"), "prisma", spec("prisma"));
    expect(f.hasData).toBe(false);
    expect(f.problems.map((p) => p.file)).toContain("results/prisma.csv");
    expect(f.svg).toContain("invalid");
  });
});

describe("buildAll", () => {
  it("writes SVG, PDF, figure/table .tex and numbers.tex; captions state the data status", async () => {
    const out = mkdtempSync(join(tmpdir(), "fig-out-"));
    const res = await buildAll({ dataRoot: fixtures, outRoot: out, specDir, templatesDir: join(repo, "paper/templates") });
    const figOut = readdirSync(join(out, "figures/out"));
    for (const s of specs) {
      const n = s.replace(".vl.json", "");
      expect(figOut).toContain(`${n}.svg`);
      expect(figOut).toContain(`${n}.pdf`);
    }
    const plain = (t: string) => t.replace(/\\allowbreak\{\}/g, ""); // paths may break after / - .
    const fig = plain(readFileSync(join(out, "paper/generated/fig-pred-vs-measured.tex"), "utf8"));
    expect(fig).toMatch(/\\begin\{figure\*?\}\[!t\]/);
    expect(fig).toContain("\\label{fig:pred-vs-measured}");
    expect(fig).toMatch(/Drawn from \\texttt\{results\/accuracy\.csv\} \(5 rows/);
    expect(res.tables.map((t) => t.name).sort()).toEqual(["accuracy-claimed", "decision-fidelity", "decision-guide", "head-to-head", "suite", "taxonomy-summary", "tool-comparison", "zzz-ablation", "zzz-calibration"]);

    const empty = mkdtempSync(join(tmpdir(), "fig-out2-"));
    await buildAll({ dataRoot: emptyRoot, outRoot: empty, specDir, templatesDir: join(repo, "paper/templates") });
    expect(plain(readFileSync(join(empty, "paper/generated/fig-pred-vs-measured.tex"), "utf8"))).toContain("No data yet: \\texttt{results/accuracy.csv} is missing");
    expect(readFileSync(join(empty, "paper/generated/numbers.tex"), "utf8")).toContain("\\newcommand{\\zzzMapeAll}{\\numNA\\xspace}");
  });
});

describe("input loading", () => {
  it("adds the canonical unit to accuracy rows, so cells quoted in ms and s share one axis", async () => {
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const { loadCsv } = await import("../../pipeline/lib/render/data.ts");
    const root = mkdtempSync(join(tmpdir(), "fig-acc-"));
    mkdirSync(join(root, "results"));
    writeFileSync(
      join(root, "results/accuracy.csv"),
      "tool,tool_version,cell_id,level,hardware,metric,unit,gt_id,gt_source_kind,gt_source,measured,predicted,abs_pct_error\n" +
        "zzz,1,c1,operator,h100-sxm5-80gb,latency,ms,g1,published,x,2,3,50\n" +
        "zzz,1,c2,operator,h100-sxm5-80gb,latency,s,g2,published,x,0.002,0.003,50\n",
    );
    const l = loadCsv(root, "results/accuracy.csv");
    expect(l.status).toBe("ok");
    expect(l.rows.map((r) => r.measured_canonical)).toEqual([0.002, 0.002]);
    expect(l.rows.map((r) => r.predicted_canonical)).toEqual([0.003, 0.003]);
    expect(l.rows[0]!.tool_key).toBe("zzz");
    expect(l.rows[0]!.pred_key).toBe("zzz|c1|latency");
  });
  it("collects every schema problem of a file, with row and field", async () => {
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const { loadCsv } = await import("../../pipeline/lib/render/data.ts");
    const root = mkdtempSync(join(tmpdir(), "fig-bad-"));
    mkdirSync(join(root, "results"));
    writeFileSync(join(root, "results/summary.csv"), "tool,category,n,mape,median_ape,max_ape,spearman\nzzz,all,x,1,1,1,\nzzz,operator,3,abc,1,1,\n");
    const l = loadCsv(root, "results/summary.csv");
    expect(l.status).toBe("invalid");
    expect(l.problems.map((p) => p.field)).toEqual(["row 2.n", "row 3.mape"]);
  });
});
