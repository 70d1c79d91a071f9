/**
 * What evaluate checks between staging and publishing (pipeline/lib/publish.ts):
 *
 *  - keptRows / mergeKept: `--tools X` updates X's rows and keeps every other tool's rows of the
 *    published files verbatim; keptStaleness says when those kept rows no longer fit the suite
 *    (cells or ground truth changed), which would otherwise mix old and new results;
 *  - newFailures: cells a tool failed in this run that were not failed in the published results
 *    (the run is refused unless --accept-failures);
 *  - validateStaged: every staged file parses with its schema and header, predictions have exactly
 *    one row per (tool, suite cell) for every tool (none silently missing), accuracy rows name
 *    known tools and cells.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { readCsv, compareStrings, fmt } from "./io.ts";
import { PredictionRow, PREDICTION_COLUMNS, ACCURACY_COLUMNS, SUMMARY_COLUMNS, type PredictionRow as PredictionRowT } from "./schema.ts";
import { accuracyRows } from "./metrics.ts";
import type { Suite } from "./suite.ts";

/** A published results file's rows of the given tools (strings, in file order). */
export function keptRows(resultsDir: string, file: string, tools: string[]): Record<string, string>[] {
  if (tools.length === 0) return [];
  return readCsv(join(resultsDir, file)).filter((r) => tools.includes(r.tool ?? ""));
}

/** New rows of the tools that ran plus the kept rows of the others, ordered by tool (stable within a tool). */
export function mergeKept(fresh: Record<string, unknown>[], kept: Record<string, string>[]): Record<string, unknown>[] {
  return [...fresh, ...kept].sort((a, b) => compareStrings(String(a.tool), String(b.tool)));
}

/** Kept prediction rows parsed back (for accuracy and staleness checks). */
export function parsePredictions(rows: Record<string, string>[]): PredictionRowT[] {
  return rows.flatMap((r) => {
    const p = PredictionRow.safeParse(r);
    return p.success ? [p.data] : [];
  });
}

/**
 * Problems with the kept rows of tools not run now: a cell of the suite without a row, a row of a
 * cell no longer in the suite, accuracy rows that the current ground truth would not give.
 */
export function keptStaleness(resultsDir: string, kept: string[], suite: Suite, runTools: string[]): string[] {
  const problems: string[] = [];
  const hint = `run with --tools ${[...runTools, ...kept].join(",")} or without --tools`;
  const preds = keptRows(resultsDir, "predictions.csv", kept);
  const acc = keptRows(resultsDir, "accuracy.csv", kept);
  for (const tool of kept) {
    const mine = preds.filter((r) => r.tool === tool);
    if (mine.length === 0) {
      problems.push(`results/predictions.csv has no rows of ${tool} to keep: ${hint}`);
      continue;
    }
    const ids = new Set(mine.map((r) => r.cell_id ?? ""));
    const missing = [...suite.cells.keys()].filter((id) => !ids.has(id));
    const extra = [...ids].filter((id) => !suite.cells.has(id));
    if (missing.length || extra.length)
      problems.push(`the rows of ${tool} in results/ are from another suite (${missing.length} cells without a row, e.g. ${missing[0] ?? "-"}; ${extra.length} rows of cells no longer in the suite, e.g. ${extra[0] ?? "-"}): ${hint}`);
    else {
      const want = accuracyRows(parsePredictions(mine), suite.groundTruth, suite.cells).map((a) => `${a.cell_id}|${a.gt_id}|${fmt(a.measured)}`);
      const have = acc.filter((r) => r.tool === tool).map((r) => `${r.cell_id}|${r.gt_id}|${r.measured}`);
      const w = new Set(want);
      const h = new Set(have);
      const diff = [...want.filter((x) => !h.has(x)), ...have.filter((x) => !w.has(x))];
      if (diff.length) problems.push(`the accuracy rows of ${tool} in results/ were computed against other ground truth (${diff.length} rows differ, e.g. ${diff[0]!.split("|").slice(0, 2).join(" / ")}): ${hint}`);
    }
  }
  return problems;
}

export interface Failure {
  tool: string;
  cell_id: string;
  reason: string;
}

/** Failed rows of this run whose cell was not already failed in the published predictions. */
export function newFailures(rows: PredictionRowT[], resultsDir: string): Failure[] {
  const before = new Map(readCsv(join(resultsDir, "predictions.csv")).map((r) => [`${r.tool}\u0000${r.cell_id}`, r.status]));
  return rows
    .filter((r) => r.status === "failed" && before.get(`${r.tool}\u0000${r.cell_id}`) !== "failed")
    .map((r) => ({ tool: r.tool, cell_id: r.cell_id, reason: r.reason }));
}

/** Failures grouped by tool and reason, one line each, most frequent first. */
export function describeFailures(fs: Failure[]): string[] {
  const groups = new Map<string, Failure[]>();
  for (const f of fs) {
    const reason = f.reason.replace(/\d+(\.\d+)? s\b/g, "N s");
    const k = `${f.tool}\u0000${reason}`;
    groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  return [...groups.values()]
    .sort((a, b) => b.length - a.length || compareStrings(a[0]!.tool, b[0]!.tool))
    .map((g) => `${g[0]!.tool}: ${g.length} cell${g.length > 1 ? "s" : ""} (e.g. ${g[0]!.cell_id}): ${g[0]!.reason}`);
}

function header(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return readFileSync(path, "utf8").split("\n")[0];
}

/** Every problem of the staged results (empty when they may be published). */
export function validateStaged(dir: string, suite: Suite, tools: string[], extraFiles: { file: string; columns: readonly string[] }[] = []): string[] {
  const problems: string[] = [];
  const files = [
    { file: "predictions.csv", columns: PREDICTION_COLUMNS },
    { file: "accuracy.csv", columns: ACCURACY_COLUMNS },
    { file: "summary.csv", columns: SUMMARY_COLUMNS },
    ...extraFiles,
  ];
  for (const f of files) {
    const h = header(join(dir, f.file));
    if (h === undefined) problems.push(`results/${f.file}: not produced`);
    else if (h !== f.columns.join(",")) problems.push(`results/${f.file}: header '${h}', expected '${f.columns.join(",")}'`);
  }
  if (problems.length) return problems;
  const preds = parse(readFileSync(join(dir, "predictions.csv"), "utf8"), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const seen = new Set<string>();
  const perTool = new Map<string, number>();
  let bad = 0;
  preds.forEach((r, i) => {
    const p = PredictionRow.safeParse(r);
    if (!p.success) {
      if (bad++ < 3) problems.push(`results/predictions.csv row ${i + 2}: ${p.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
      return;
    }
    const k = `${p.data.tool}\u0000${p.data.cell_id}`;
    if (seen.has(k)) problems.push(`results/predictions.csv row ${i + 2}: second row for ${p.data.tool} / ${p.data.cell_id}`);
    seen.add(k);
    if (!suite.cells.has(p.data.cell_id)) problems.push(`results/predictions.csv row ${i + 2}: cell ${p.data.cell_id} is not in the suite`);
    perTool.set(p.data.tool, (perTool.get(p.data.tool) ?? 0) + 1);
  });
  if (bad > 3) problems.push(`results/predictions.csv: and ${bad - 3} more invalid rows`);
  for (const t of tools) {
    const n = perTool.get(t) ?? 0;
    if (n !== suite.cells.size) problems.push(`results/predictions.csv: ${t} has ${n} rows, expected one per suite cell (${suite.cells.size})`);
  }
  for (const t of perTool.keys()) if (!tools.includes(t)) problems.push(`results/predictions.csv: rows of unknown tool '${t}'`);
  const acc = readCsv(join(dir, "accuracy.csv"));
  const unknown = acc.filter((a) => !tools.includes(a.tool ?? "") || !suite.cells.has(a.cell_id ?? ""));
  if (unknown.length) problems.push(`results/accuracy.csv: ${unknown.length} rows of unknown tools or cells (e.g. ${unknown[0]!.tool} / ${unknown[0]!.cell_id})`);
  const nonFinite = acc.filter((a) => !Number.isFinite(Number(a.abs_pct_error)));
  if (nonFinite.length) problems.push(`results/accuracy.csv: ${nonFinite.length} rows without a finite abs_pct_error`);
  return problems;
}
