/**
 * paper/generated/numbers.tex: one macro per number the paper's text quotes, computed from
 * results/ and suite/. A number whose input is missing becomes a macro that prints "n/a" (and a
 * warning), never a made-up value.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fmtFixed, fmtInt, fmtPct, fmtRate, fmtSeconds } from "./latex.ts";
import type { Loaded, SuiteData } from "./data.ts";

export interface NumberMacro {
  /** Macro name without the backslash; letters only. */
  name: string;
  /** LaTeX of the value, or undefined when the input is missing (prints n/a). */
  value: string | undefined;
  /** Where the value comes from (a comment in numbers.tex). */
  source: string;
  /** Why the value is n/a. */
  missing?: string;
}

/** The tools the text may quote, and the summary categories. */
export const QUOTED_TOOLS = ["zzz", "astra-sim", "vidur", "timeloop"] as const;
export const CATEGORIES = ["operator", "model", "serving", "multi-gpu", "all"] as const;

const DIGIT_WORDS = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"];

/** 'astra-sim' -> 'astraSim', 'multi-gpu' -> 'MultiGpu' (capitalised), digits spelled out: a valid macro name part. */
export function macroPart(s: string, capitalise: boolean): string {
  const words = s
    .replace(/[0-9]/g, (d) => ` ${DIGIT_WORDS[Number(d)]} `)
    .split(/[^A-Za-z]+/)
    .filter(Boolean);
  return words
    .map((w, i) => (i === 0 && !capitalise ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1)))
    .join("");
}

export interface NumberInputs {
  works: Loaded;
  prisma: Loaded;
  predictions: Loaded;
  accuracy: Loaded;
  summary: Loaded;
  claimed: Loaded;
  intensity: Loaded;
  rooflineHardware: Loaded;
  suite: SuiteData;
  /** Number of model files under suite/models. */
  modelCount: number;
}

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function whyMissing(l: Loaded): string | undefined {
  if (l.status === "ok") return undefined;
  return `${l.file} is ${l.status === "empty" ? "empty" : l.status}`;
}

export function computeNumbers(inp: NumberInputs): NumberMacro[] {
  const out: NumberMacro[] = [];
  const add = (name: string, source: string, l: Loaded | undefined, f: () => string | undefined, missingWhy?: string) => {
    const why = l ? whyMissing(l) : undefined;
    if (why) {
      out.push({ name, value: undefined, source, missing: why });
      return;
    }
    const v = f();
    out.push({ name, value: v, source, missing: v === undefined ? (missingWhy ?? `no value in ${source}`) : undefined });
  };

  // ---- survey
  const works = inp.works.rows as { key: string; year: number; methodology: string; open_source: string }[];
  add("numSurveyedWorks", "results/taxonomy/works.csv (rows)", inp.works, () => fmtInt(new Set(works.map((w) => w.key)).size));
  add("numOpenSourceWorks", "results/taxonomy/works.csv (open_source = yes)", inp.works, () =>
    fmtInt(works.filter((w) => /^\s*(yes|true)\b/i.test(w.open_source)).length),
  );
  add("numOpenSourceUnknown", "results/taxonomy/works.csv (open_source unknown or empty)", inp.works, () =>
    fmtInt(works.filter((w) => /^\s*(unknown)?\s*$/i.test(w.open_source)).length),
  );
  add("numOpenSourceNo", "results/taxonomy/works.csv (open_source = no)", inp.works, () => fmtInt(works.filter((w) => /^\s*(no|false)\b/i.test(w.open_source)).length));
  for (const st of [...new Set((inp.works.rows as { reading_status?: string }[]).map((w) => w.reading_status ?? "").filter(Boolean))].sort())
    add(`numReading${macroPart(st, true)}`, `results/taxonomy/works.csv (reading_status ${st})`, inp.works, () => fmtInt((inp.works.rows as { reading_status?: string }[]).filter((w) => w.reading_status === st).length));
  const meths = new Set(works.flatMap((w) => w.methodology.split(";").map((m) => m.trim())).filter(Boolean));
  add("numMethodologies", "results/taxonomy/works.csv (distinct methodology)", inp.works, () => fmtInt(meths.size));
  add("firstSurveyYear", "results/taxonomy/works.csv (min year)", inp.works, () => (works.length ? String(Math.min(...works.map((w) => w.year))) : undefined));
  add("lastSurveyYear", "results/taxonomy/works.csv (max year)", inp.works, () => (works.length ? String(Math.max(...works.map((w) => w.year))) : undefined));

  const prisma = inp.prisma.rows as { stage: string; count: number }[];
  add("numPrismaFirstStage", "results/prisma.csv (first stage)", inp.prisma, () => (prisma[0] ? fmtInt(prisma[0].count) : undefined));
  add("numPrismaIncluded", "results/prisma.csv (last stage)", inp.prisma, () => (prisma.length ? fmtInt(prisma[prisma.length - 1]!.count) : undefined));
  const seen = new Set<string>();
  for (const r of prisma) {
    const name = `prisma${macroPart(r.stage, true)}`;
    if (seen.has(name) || name === "prisma") continue;
    seen.add(name);
    add(name, `results/prisma.csv (stage '${r.stage}')`, inp.prisma, () => fmtInt(r.count));
  }

  // ---- suite
  const { cells, groundTruth } = inp.suite;
  const suiteSrc: Loaded = { file: "suite/cells", status: cells.length ? "ok" : "missing", rows: [], problems: [] };
  add("numSuiteCells", "suite/cells/*.yaml", suiteSrc, () => fmtInt(cells.length));
  for (const lvl of CATEGORIES.filter((c) => c !== "all"))
    add(`numCells${macroPart(lvl, true)}`, `suite/cells/*.yaml (level ${lvl})`, suiteSrc, () => fmtInt(cells.filter((c) => c.level === lvl).length));
  add("numSuiteHardware", "suite/cells/*.yaml (distinct hardware)", suiteSrc, () => fmtInt(new Set(cells.map((c) => c.hardware)).size));
  add("numSuiteModels", "suite/models/*.yaml", undefined, () => (inp.modelCount ? fmtInt(inp.modelCount) : undefined), "suite/models has no model file");
  const cellIds = new Set(cells.map((c) => c.id));
  const gtSrc: Loaded = { file: "suite/ground-truth", status: groundTruth.length ? "ok" : "missing", rows: [], problems: [] };
  add("numGroundTruthValues", "suite/ground-truth/**/*.csv (rows)", gtSrc, () => fmtInt(groundTruth.length));
  add("numGroundTruthMeasured", "suite/ground-truth/**/*.csv (source_kind measured)", gtSrc, () => fmtInt(groundTruth.filter((g) => g.source_kind === "measured").length));
  add("numGroundTruthPublished", "suite/ground-truth/**/*.csv (source_kind published)", gtSrc, () => fmtInt(groundTruth.filter((g) => g.source_kind === "published").length));
  add("numGroundTruthCells", "suite cells with at least one ground-truth value", gtSrc, () => fmtInt(new Set(groundTruth.map((g) => g.cell_id).filter((id) => cellIds.has(id))).size));

  // ---- evaluation
  const preds = inp.predictions.rows as { tool: string; status: string; wall_s: number }[];
  add("numToolsRun", "results/predictions.csv (tools with an ok prediction)", inp.predictions, () => fmtInt(new Set(preds.filter((p) => p.status === "ok").map((p) => p.tool)).size));
  for (const st of ["ok", "failed", "not-run"])
    add(`numPredictions${macroPart(st, true)}`, `results/predictions.csv (status ${st})`, inp.predictions, () => fmtInt(preds.filter((p) => p.status === st).length));
  add("numAccuracyPairs", "results/accuracy.csv (rows)", inp.accuracy, () => fmtInt(inp.accuracy.rows.length));

  const summary = inp.summary.rows as { tool: string; category: string; n: number; mape?: number; median_ape?: number; max_ape?: number; spearman?: number }[];
  for (const tool of QUOTED_TOOLS) {
    const t = macroPart(tool, false);
    for (const cat of CATEGORIES) {
      const row = summary.find((r) => r.tool === tool && r.category === cat);
      const c = macroPart(cat, true);
      const src = `results/summary.csv (tool ${tool}, category ${cat})`;
      const none = `no row for tool ${tool}, category ${cat} in results/summary.csv`;
      add(`${t}N${c}`, src, inp.summary, () => (row ? fmtInt(row.n) : undefined), none);
      add(`${t}Mape${c}`, src, inp.summary, () => (row?.mape !== undefined ? fmtPct(row.mape) : undefined), none);
      add(`${t}MedianApe${c}`, src, inp.summary, () => (row?.median_ape !== undefined ? fmtPct(row.median_ape) : undefined), none);
      add(`${t}MaxApe${c}`, src, inp.summary, () => (row?.max_ape !== undefined ? fmtPct(row.max_ape) : undefined), none);
      add(`${t}Spearman${c}`, src, inp.summary, () => (row?.spearman !== undefined ? fmtFixed(row.spearman, 2) : undefined), none);
    }
    const walls = preds.filter((p) => p.tool === tool && p.status === "ok").map((p) => p.wall_s);
    add(`${t}MedianWall`, `results/predictions.csv (median wall_s of ok predictions, tool ${tool})`, inp.predictions, () => {
      const m = median(walls);
      return m === undefined ? undefined : fmtSeconds(m);
    }, `no ok prediction of tool ${tool} in results/predictions.csv`);
  }

  // ---- claimed accuracy
  const claimed = inp.claimed.rows as { tool: string; verified: string }[];
  add("numClaims", "results/claimed-accuracy.csv (rows)", inp.claimed, () => fmtInt(claimed.length));
  add("numClaimTools", "results/claimed-accuracy.csv (distinct tools)", inp.claimed, () => fmtInt(new Set(claimed.map((c) => c.tool)).size));
  add("numClaimsVerified", "results/claimed-accuracy.csv (verified starts with yes)", inp.claimed, () => fmtInt(claimed.filter((c) => /^\s*yes\b/i.test(c.verified)).length));

  // ---- roofline
  const hw = inp.rooflineHardware.rows[0] as { peak_bf16_flops_per_s?: number; mem_bandwidth_bytes_per_s?: number } | undefined;
  add("rooflinePeakFlops", `${inp.rooflineHardware.file} (peak_flops_per_s.bf16)`, inp.rooflineHardware, () => (hw?.peak_bf16_flops_per_s ? fmtRate(hw.peak_bf16_flops_per_s, "FLOP/s") : undefined));
  add("rooflineMemBandwidth", `${inp.rooflineHardware.file} (mem_bandwidth_bytes_per_s)`, inp.rooflineHardware, () => (hw?.mem_bandwidth_bytes_per_s ? fmtRate(hw.mem_bandwidth_bytes_per_s, "B/s") : undefined));
  add("rooflineRidge", `${inp.rooflineHardware.file} (peak / bandwidth, FLOP/byte)`, inp.rooflineHardware, () =>
    hw?.peak_bf16_flops_per_s && hw.mem_bandwidth_bytes_per_s ? fmtInt(hw.peak_bf16_flops_per_s / hw.mem_bandwidth_bytes_per_s) : undefined,
  );
  const inten = (inp.intensity.rows as { hardware: string; flops?: number; intensity_flops_per_byte?: number; zzz_bound: string }[]).filter((r) => r.hardware === "h100-sxm5-80gb" && (r.flops ?? 0) > 0);
  add("numRooflineCells", "results/cell-intensity.csv (h100-sxm5-80gb, flops > 0)", inp.intensity, () => fmtInt(inten.length));
  const ridge = hw?.peak_bf16_flops_per_s && hw.mem_bandwidth_bytes_per_s ? hw.peak_bf16_flops_per_s / hw.mem_bandwidth_bytes_per_s : undefined;
  add("numRooflineBelowRidge", `results/cell-intensity.csv (h100-sxm5-80gb, intensity below the ridge of ${inp.rooflineHardware.file})`, inp.intensity, () =>
    ridge === undefined ? undefined : fmtInt(inten.filter((r) => r.intensity_flops_per_byte !== undefined && r.intensity_flops_per_byte < ridge).length),
  );
  add("numRooflineOverheadBound", "results/cell-intensity.csv (h100-sxm5-80gb, zzz_bound overhead)", inp.intensity, () => fmtInt(inten.filter((r) => /overhead/i.test(r.zzz_bound)).length));
  add("numRooflineComputeBound", "results/cell-intensity.csv (h100-sxm5-80gb, zzz_bound compute)", inp.intensity, () => fmtInt(inten.filter((r) => /compute/i.test(r.zzz_bound)).length));
  add("numRooflineMemoryBound", "results/cell-intensity.csv (h100-sxm5-80gb, zzz_bound memory)", inp.intensity, () => fmtInt(inten.filter((r) => /memory/i.test(r.zzz_bound)).length));

  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** numbers.tex: `\newcommand` per macro, its source as a comment; n/a values say why. */
export function numbersTex(macros: NumberMacro[]): string {
  const lines = [
    "% GENERATED by pipeline/figures.ts from results/ and suite/: do not edit.",
    "% Every number the paper's text quotes is one of these macros. 'n/a' marks a missing input.",
    "\\providecommand{\\xspace}{}",
    "\\providecommand{\\numNA}{\\textit{n/a}}",
  ];
  for (const m of macros) {
    if (!/^[A-Za-z]+$/.test(m.name)) throw new Error(`macro name '${m.name}' is not letters only`);
    lines.push(`% ${m.source}${m.missing ? ` -- n/a: ${m.missing}` : ""}`.replace(/\n/g, " "));
    lines.push(`\\newcommand{\\${m.name}}{${m.value ?? "\\numNA"}\\xspace}`);
  }
  return lines.join("\n") + "\n";
}

export function countModels(root: string): number {
  const dir = join(root, "suite/models");
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".yaml")).length : 0;
}
