/**
 * Survey-section outputs generated from taxonomy/ and results/:
 *   paper/generated/cat-<id>.tex   one comparison table per survey category (Section 5 of the paper),
 *                                  from taxonomy/works/*.yaml (name, method, level, validation, claim)
 *   paper/generated/claims.tex     \claimErr[i]{bibkey}: the i-th claimed error of a work, as recorded
 *                                  in results/claimed-accuracy.csv (so the text never types a claimed number)
 *   paper/generated/tools-ease.tex ease-of-use table from results/tools.csv (placeholder row when absent)
 * plus number macros from results/tools.csv (n/a with a notice when the file is absent).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { z } from "zod";
import { loadTaxonomy } from "../survey/taxonomy.ts";
import type { Work } from "../survey/schema.ts";
import type { Loaded } from "./data.ts";
import { fmtFixed, fmtInt, fmtSeconds, latexEscape, raw, renderTemplate } from "./latex.ts";
import type { NumberMacro } from "./numbers.ts";
import { macroPart } from "./numbers.ts";

type W = z.infer<typeof Work> & { file: string };

/** The survey's categories (paper Section 5) and which records each table holds. */
export const CATEGORIES: { id: string; title: string; pick: (w: W) => boolean }[] = [
  { id: "accel", title: "DNN-accelerator (dataflow) models and simulators", pick: (w) => w.file.endsWith("accel-dataflow.yaml") },
  {
    id: "gpu",
    title: "GPU models and simulators, including sampled GPU simulation",
    pick: (w) => w.file.endsWith("gpu.yaml") || (w.file.endsWith("simulation-methodology.yaml") && w.hardware.includes("GPU")),
  },
  { id: "dist", title: "distributed-training simulators and analytical models", pick: (w) => w.file.endsWith("distributed.yaml") },
  { id: "llm", title: "LLM inference and serving simulators", pick: (w) => w.file.endsWith("llm-inference.yaml") },
  {
    id: "edge",
    title: "edge and CPU-side predictors, CPU simulation methodology, and learned predictors (contrast only)",
    pick: (w) =>
      (w.file.endsWith("simulation-methodology.yaml") && !w.hardware.includes("GPU")) ||
      (w.file.endsWith("ml-contrast.yaml") && !w.hardware.includes("memory/network subsystem")),
  },
  {
    id: "memnet",
    title: "memory and network models",
    pick: (w) => w.file.endsWith("memory-network.yaml") || (w.file.endsWith("ml-contrast.yaml") && w.hardware.includes("memory/network subsystem")),
  },
];

const METH_ABBR: Record<string, string> = {
  analytical: "An",
  "cycle-level simulation": "Cy",
  "event-driven simulation": "Ev",
  "trace-driven/replay": "Tr",
  "hybrid (analytical + profiling)": "Hy",
  "ml-based (contrast only)": "ML",
};
const LEVEL_ABBR: Record<string, string> = {
  "operator/kernel": "op",
  "layer/graph": "graph",
  device: "dev",
  node: "node",
  cluster: "clus",
  "serving system": "serv",
};
const HW_ABBR: Record<string, string> = {
  GPU: "GPU",
  TPU: "TPU",
  "DNN accelerator (dataflow)": "Acc",
  "CPU/edge SoC": "CPU",
  "memory/network subsystem": "Mem/Net",
  "multi-device cluster": "Clus",
};
const STATUS_ABBR: Record<string, string> = {
  stated: "stated",
  unverified: "unverif.",
  "not stated": "no number",
  "not applicable": "not a predictor",
  "not checked": "not checked",
};

/** Shortens a claimed error for a table cell: the first claim, '+k more' for the rest. */
export function claimCell(w: Pick<W, "validation">): string {
  const cs = w.validation.claims;
  if (!cs.length) return "--";
  const first = cs[0]!.error.length > 28 ? `${cs[0]!.error.slice(0, 26).trimEnd()}\u2026` : cs[0]!.error;
  return cs.length > 1 ? `${first} (+${cs.length - 1})` : first;
}

export interface SurveyOutputs {
  files: { name: string; tex: string; rows: number; hasData: boolean }[];
  numbers: NumberMacro[];
  notices: string[];
}

const ToolsRow = z.object({
  tool: z.string().min(1),
  setup_steps: z.coerce.number().optional(),
  setup_minutes: z.coerce.number().optional(),
  failed_steps: z.coerce.number().optional(),
  cells_run: z.coerce.number().optional(),
  cells_ok: z.coerce.number().optional(),
  wall_s_per_cell: z.coerce.number().optional(),
  input_lines_per_cell: z.coerce.number().optional(),
});
type ToolsRow = z.infer<typeof ToolsRow>;
/** Tools whose ease-of-use numbers the text may quote. */
export const EASE_TOOLS = ["astra-sim", "vidur", "timeloop", "zzz"] as const;

/** results/tools.csv: rows, or why it cannot be used (absent, unreadable, invalid rows). */
export function loadToolsCsv(root: string): { rows: ToolsRow[]; status: Loaded["status"]; problems: string[] } {
  const p = join(root, "results/tools.csv");
  if (!existsSync(p)) return { rows: [], status: "missing", problems: [] };
  const recs = parseCsv(readFileSync(p, "utf8"), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const problems: string[] = [];
  const rows: ToolsRow[] = [];
  recs.forEach((r, i) => {
    const clean: Record<string, string> = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== "" && v !== undefined));
    // The builder names the attempted cells cells_supported; cells_run is the brief's name for them.
    if (clean.cells_run === undefined && clean.cells_supported !== undefined) clean.cells_run = clean.cells_supported;
    const res = ToolsRow.safeParse(clean);
    if (res.success) rows.push(res.data);
    else problems.push(`results/tools.csv row ${i + 2}: ${res.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
  });
  return { rows, status: rows.length ? "ok" : problems.length ? "invalid" : "empty", problems };
}

export function toolsNumbers(tools: ReturnType<typeof loadToolsCsv>): NumberMacro[] {
  const out: NumberMacro[] = [];
  const fields: [keyof ToolsRow, string, (v: number) => string][] = [
    ["setup_steps", "SetupSteps", fmtInt],
    ["setup_minutes", "SetupMinutes", (v) => fmtInt(v)],
    ["failed_steps", "FailedSteps", fmtInt],
    ["cells_run", "CellsRun", fmtInt],
    ["cells_ok", "CellsOk", fmtInt],
    ["wall_s_per_cell", "WallPerCell", fmtSeconds],
    ["input_lines_per_cell", "InputLinesPerCell", fmtInt],
  ];
  for (const t of EASE_TOOLS) {
    const row = tools.rows.find((r) => r.tool === t);
    for (const [field, suffix, fmt] of fields) {
      const v = row?.[field] as number | undefined;
      const src = `results/tools.csv (tool ${t}, ${String(field)})`;
      const missing =
        tools.status !== "ok" ? `results/tools.csv is ${tools.status}` : !row ? `no row for tool ${t} in results/tools.csv` : v === undefined ? `empty ${String(field)}` : undefined;
      out.push({ name: `${macroPart(t, false)}${suffix}`, value: missing ? undefined : fmt(v!), source: src, missing });
    }
  }
  return out;
}

/** claims.tex: \claimErr[i]{key} prints claim i (1-based, in the order of results/claimed-accuracy.csv) of work key; n/a when absent. */
export function claimsTex(claimed: Loaded): { tex: string; count: number } {
  const lines = [
    "% GENERATED by pipeline/figures.ts from results/claimed-accuracy.csv: do not edit.",
    "% \\claimErr[i]{bibkey}: the i-th claimed error of that work as its authors state it; n/a when absent.",
    "\\makeatletter",
    "\\providecommand{\\numNA}{\\textit{n/a}}",
    "\\newcommand{\\claimErr}[2][1]{\\@ifundefined{claimerr@#2@#1}{\\numNA}{\\@nameuse{claimerr@#2@#1}}}",
  ];
  const rows = claimed.status === "ok" ? (claimed.rows as { bib: string; claimed_error: string }[]) : [];
  const idx = new Map<string, number>();
  for (const r of rows) {
    if (!r.bib || !r.claimed_error) continue;
    const i = (idx.get(r.bib) ?? 0) + 1;
    idx.set(r.bib, i);
    lines.push(`\\@namedef{claimerr@${r.bib}@${i}}{${latexEscape(r.claimed_error)}}`);
  }
  lines.push("\\makeatother");
  return { tex: lines.join("\n") + "\n", count: rows.length };
}

/** runKeys: bib keys of the tools with at least one ok prediction in results/predictions.csv (marked with a dagger). */
export function renderSurveyOutputs(root: string, templatesDir: string, claimed: Loaded, runKeys: ReadonlySet<string> = new Set()): SurveyOutputs {
  const files: SurveyOutputs["files"] = [];
  const notices: string[] = [];
  const tax = loadTaxonomy(join(root, "taxonomy"));
  for (const p of tax.problems) notices.push(`${p.file} ${p.key} ${p.field}: ${p.message}`);
  const works: W[] = tax.works.map((l) => ({ ...l.value, file: l.file }));
  const tpl = join(templatesDir, "category.tex.hbs");
  for (const c of CATEGORIES) {
    const ws = works.filter(c.pick).sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    const rows = ws.map((w) => ({
      name: w.name,
      cite: raw(`\\cite{${w.key}}`),
      meth: w.methodology.map((m) => METH_ABBR[m] ?? m).join("+"),
      level: w.abstraction.map((a) => LEVEL_ABBR[a] ?? a).join(", "),
      hw: w.hardware.map((h) => HW_ABBR[h] ?? h).join(", "),
      status: STATUS_ABBR[w.validation.status] ?? w.validation.status,
      claim: claimCell(w),
      code: w.artifact.open_source === "yes" ? "yes" : w.artifact.open_source === "no" ? "no" : "?",
      evaluated: runKeys.has(w.key) ? raw("$^\\dagger$") : "",
    }));
    const tex = renderTemplate(tpl, {
      rows,
      hasData: rows.length > 0,
      title: c.title,
      first: c.id === CATEGORIES[0]!.id,
      n: fmtInt(rows.length),
      label: `tab:cat-${c.id}`,
    });
    files.push({ name: `cat-${c.id}`, tex, rows: rows.length, hasData: rows.length > 0 });
  }
  // One compact index of the categories (the per-work catalogues above stay in the artifact): works,
  // how many state a claim we read, how many publish code we found, and every work cited.
  const indexRows = CATEGORIES.map((c) => {
    const ws = works.filter(c.pick).sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    return {
      title: c.title,
      n: fmtInt(ws.length),
      stated: fmtInt(ws.filter((w) => w.validation.status === "stated").length),
      code: fmtInt(ws.filter((w) => w.artifact.open_source === "yes").length),
      cites: raw(ws.length ? `\\cite{${ws.map((w) => w.key).join(",")}}` : "--"),
    };
  });
  files.push({
    name: "survey-index",
    tex: renderTemplate(join(templatesDir, "survey-index.tex.hbs"), { rows: indexRows, hasData: works.length > 0, label: "tab:survey-index" }),
    rows: indexRows.length,
    hasData: works.length > 0,
  });
  const cl = claimsTex(claimed);
  files.push({ name: "claims", tex: cl.tex, rows: cl.count, hasData: cl.count > 0 });

  const tools = loadToolsCsv(root);
  notices.push(...tools.problems);
  // An absent results/tools.csv is expected before the ease-of-use runs: its macros print n/a and
  // figures.ts warns about them; only an unreadable file is a problem.
  if (tools.status === "invalid") notices.push(`results/tools.csv has no valid row: the ease-of-use table and its macros print n/a`);
  const easeRows = tools.rows
    .filter((r) => (EASE_TOOLS as readonly string[]).includes(r.tool))
    .sort((a, b) => a.tool.localeCompare(b.tool))
    .map((r) => {
      const f = (v: number | undefined, fmt: (x: number) => string) => (v === undefined ? raw("--") : raw(fmt(v)));
      return {
        tool: r.tool,
        steps: f(r.setup_steps, fmtInt),
        failed: f(r.failed_steps, fmtInt),
        minutes: f(r.setup_minutes, fmtInt),
        run: f(r.cells_run, fmtInt),
        ok: f(r.cells_ok, fmtInt),
        wall: f(r.wall_s_per_cell, fmtSeconds),
        lines: f(r.input_lines_per_cell, (x) => fmtFixed(x, 0)),
      };
    });
  files.push({
    name: "tools-ease",
    tex: renderTemplate(join(templatesDir, "tools-ease.tex.hbs"), {
      rows: easeRows,
      hasData: easeRows.length > 0,
      status: raw(easeRows.length ? "Generated from \\texttt{results/tools.csv}." : "No data yet: \\texttt{results/tools.csv} is " + tools.status + "."),
      label: "tab:ease",
    }),
    rows: easeRows.length,
    hasData: easeRows.length > 0,
  });
  return { files, numbers: toolsNumbers(tools), notices };
}

/**
 * Survey and suite macros the survey text quotes: works per survey category and per validation
 * status, search-log counts, background references, ground truth per tier (published, measured on
 * CPU, measured on GPU) and ZZZ's calibration constants. Every value is counted from its file.
 */
export function surveyNumbers(root: string, suite: { cells: { id: string; hardware: string }[]; hardware: Map<string, { kind?: string }>; groundTruth: { cell_id: string; source_kind: string }[] }, params: Record<string, number>): NumberMacro[] {
  const out: NumberMacro[] = [];
  const tax = loadTaxonomy(join(root, "taxonomy"));
  const ok = tax.works.length > 0;
  const add = (name: string, source: string, v: string | undefined, missing?: string) => out.push({ name, value: v, source, missing: v === undefined ? (missing ?? `no value in ${source}`) : undefined });
  const works: W[] = tax.works.map((l) => ({ ...l.value, file: l.file }));
  for (const c of CATEGORIES) add(`numWorks${macroPart(c.id, true)}`, `taxonomy/works/*.yaml (survey category ${c.id})`, ok ? fmtInt(works.filter(c.pick).length) : undefined);
  const st: [string, string][] = [["stated", "Stated"], ["not stated", "NotStated"], ["unverified", "Unverified"], ["not checked", "NotChecked"], ["not applicable", "NotApplicable"]];
  for (const [s, n] of st) add(`numValidation${n}`, `taxonomy/works/*.yaml (validation.status ${s})`, ok ? fmtInt(works.filter((w) => w.validation.status === s).length) : undefined);
  add("numWorksHardwareGT", "taxonomy/works/*.yaml (status stated, ground truth names hardware/measured)", ok ? fmtInt(works.filter((w) => w.validation.status === "stated" && /measur|hardware|real|silicon|GPU/i.test(w.validation.ground_truth) && !/simulat/i.test(w.validation.ground_truth)).length) : undefined);
  add("numWorksLlmWorkload", "taxonomy/works/*.yaml (workloads include LLM training or inference)", ok ? fmtInt(works.filter((w) => w.workloads.some((x) => /LLM/.test(x))).length) : undefined);
  // Trends (paper Section "Trends"): works whose record (name, summary) names the topic, or whose outputs include it.
  const text = (w: W) => [w.name, w.summary].join(" ");
  const trend = (name: string, source: string, pick: (w: W) => boolean) => add(name, `taxonomy/works/*.yaml (${source})`, ok ? fmtInt(works.filter(pick).length) : undefined);
  trend("numTrendEmulation", "hardware GPU, summary names emulation or unmodified frameworks", (w) => w.hardware.includes("GPU") && /emulat|unmodified/i.test(text(w)));
  trend("numTrendMoe", "summary names MoE or mixture of experts", (w) => /\bMoE\b|mixture.of.experts|expert.parallel/i.test(text(w)));
  trend("numTrendDisaggregation", "summary names disaggregated systems or serving", (w) => /disaggregat/i.test(text(w)));
  trend("numTrendFpEight", "summary names FP8, low or mixed precision or quantisation", (w) => /FP8|low.precision|mixed.precision|quantiz/i.test(text(w)));
  trend("numTrendEnergy", "outputs include energy", (w) => w.outputs.includes("energy"));
  trend("numTrendCost", "outputs include cost", (w) => w.outputs.includes("cost"));
  trend("numTrendEnergyLlm", "outputs include energy, workloads include LLM", (w) => w.outputs.includes("energy") && w.workloads.some((x) => /LLM/.test(x)));
  trend("numTrendNeedsRealSystem", "decision.needs the real system", (w) => (w.decision?.needs ?? []).includes("the real system"));
  add("numBackgroundRefs", "taxonomy/background.yaml (entries)", tax.background.length ? fmtInt(tax.background.length) : undefined);
  const log = tax.searchLog?.value;
  add("numSearchQueries", "taxonomy/search-log.yaml (queries)", log ? fmtInt(log.queries.length) : undefined);
  add("numSearchQueriesIdentification", "taxonomy/search-log.yaml (queries, purpose identification)", log ? fmtInt(log.queries.filter((q) => q.purpose === "identification").length) : undefined);
  add("numSearchQueriesVerification", "taxonomy/search-log.yaml (queries, purpose verification)", log ? fmtInt(log.queries.filter((q) => q.purpose === "verification").length) : undefined);
  add("numSearchExcluded", "taxonomy/search-log.yaml (excluded candidates)", log ? fmtInt(log.excluded.length) : undefined);
  const dates = (log?.queries ?? []).map((q) => q.date).sort();
  add("searchDate", "taxonomy/search-log.yaml (date of the latest query)", dates.length ? dates[dates.length - 1] : undefined);
  // Records per identification source, counted from the records' found_by (works, background, excluded).
  const foundBy = [...works.map((w) => w.found_by), ...tax.background.map((b) => b.value.found_by), ...(log?.excluded ?? []).map((e) => e.found_by)];
  const queryIds = new Set((log?.queries ?? []).map((q) => q.id));
  const kindOf = new Map((log?.sources ?? []).map((x) => [x.id, x.kind]));
  const count = (pred: (id: string) => boolean) => (log ? fmtInt(foundBy.filter(pred).length) : undefined);
  add("numIdentifiedCandidates", "taxonomy/ records found_by prior-candidates", count((id) => id === "prior-candidates"));
  add("numIdentifiedNotes", "taxonomy/ records found_by prior-notes", count((id) => id === "prior-notes"));
  add("numIdentifiedQueries", "taxonomy/ records found_by a search-log query", count((id) => queryIds.has(id)));
  add("numIdentifiedOther", "taxonomy/ records found_by an incidental source", count((id) => kindOf.get(id) === "incidental"));
  add("numIdentifiedReviewList", "taxonomy/ records found_by the review list or the anchors", count((id) => kindOf.get(id) === "review list" || id === "anchors-tools"));

  const hwOf = new Map(suite.cells.map((c) => [c.id, suite.hardware.get(c.hardware)?.kind ?? "unknown"]));
  const meas = suite.groundTruth.filter((g) => g.source_kind === "measured");
  const gtOk = suite.groundTruth.length > 0;
  add("numGroundTruthMeasuredGpu", "suite/ground-truth (measured, cell hardware kind gpu)", gtOk ? fmtInt(meas.filter((g) => hwOf.get(g.cell_id) === "gpu").length) : undefined);
  add("numGroundTruthMeasuredCpu", "suite/ground-truth (measured, cell hardware kind cpu)", gtOk ? fmtInt(meas.filter((g) => hwOf.get(g.cell_id) === "cpu").length) : undefined);

  const p = (k: string) => (typeof params[k] === "number" ? params[k]! : undefined);
  const pct = (v: number | undefined) => (v === undefined ? undefined : `${Math.round(v * 100)}\\,\\%`);
  add("zzzGemmEfficiency", "zzz/device/params.ts (gemm_compute_efficiency)", pct(p("gemm_compute_efficiency")));
  add("zzzMemEfficiency", "zzz/device/params.ts (mem_efficiency)", pct(p("mem_efficiency")));
  add("zzzAttentionEfficiency", "zzz/device/params.ts (attention_compute_efficiency)", pct(p("attention_compute_efficiency")));
  add("zzzLaunchOverhead", "zzz/device/params.ts (launch_overhead_s)", p("launch_overhead_s") === undefined ? undefined : fmtSeconds(p("launch_overhead_s")!));
  add("zzzTile", "zzz/device/params.ts (tile_m x tile_n)", p("tile_m") && p("tile_n") ? `${p("tile_m")}\\,$\\times$\\,${p("tile_n")}` : undefined);
  add("zzzSplitKMin", "zzz/device/params.ts (split_k_min_k)", p("split_k_min_k") === undefined ? undefined : fmtInt(p("split_k_min_k")!));
  return out;
}

/**
 * Error by timing method on the GPU cells with measured ground truth: `<tool>MapeCudaGraph` over cells
 * timed inside a CUDA graph (cell id contains '.cudagraph.'), `<tool>MapeEager` over the same
 * measurements in PyTorch eager mode, with their counts. n/a when results/accuracy.csv is absent.
 */
export function engineNumbers(root: string, gpuHardware: ReadonlySet<string>): NumberMacro[] {
  const out: NumberMacro[] = [];
  const p = join(root, "results/accuracy.csv");
  const rows = existsSync(p)
    ? (parseCsv(readFileSync(p, "utf8"), { columns: true, skip_empty_lines: true }) as { tool: string; cell_id: string; hardware: string; gt_source_kind: string; abs_pct_error: string }[])
    : [];
  for (const tool of ["vidur", "zzz"]) {
    const mine = rows.filter((r) => r.tool === tool && r.gt_source_kind === "measured" && gpuHardware.has(r.hardware) && Number.isFinite(Number(r.abs_pct_error)));
    for (const [suffix, pick] of [
      ["CudaGraph", (r: { cell_id: string }) => r.cell_id.includes(".cudagraph.")],
      ["Eager", (r: { cell_id: string }) => !r.cell_id.includes(".cudagraph.")],
    ] as const) {
      const xs = mine.filter(pick).map((r) => Number(r.abs_pct_error));
      const src = `results/accuracy.csv (tool ${tool}, measured GPU ground truth, ${suffix === "CudaGraph" ? "CUDA-graph" : "eager"} timing)`;
      const missing = !existsSync(p) ? "results/accuracy.csv is missing" : xs.length ? undefined : `no ${suffix} row for tool ${tool}`;
      out.push({ name: `${macroPart(tool, false)}Mape${suffix}`, source: src, value: missing ? undefined : `${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)}\\,\\%`, missing });
      out.push({ name: `${macroPart(tool, false)}N${suffix}`, source: src, value: missing ? undefined : fmtInt(xs.length), missing });
    }
  }
  return out;
}
