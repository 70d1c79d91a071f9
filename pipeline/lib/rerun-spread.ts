/**
 * results/rerun-spread.csv: run-to-run spread of a tool's prediction for the same cell and input
 * (issue 17 item 5). One row per (tool, cell) that was run more than once and compared:
 *
 *  - recorded reruns: extra live runs under results/raw/<tool>-reruns/run<N>/<cell_id>.txt (written
 *    by pipeline/reruns.ts, each from an empty scratch directory) are re-parsed with the tool's own
 *    parser, as is run 1, the recorded results/raw/<tool>/<cell_id>.txt, so both sides are the
 *    tool's full-precision output;
 *  - documented reruns (DOCUMENTED_RERUNS): repeated live runs whose outputs were compared when they
 *    were made but not both kept as files; spread 0 on exactly the cells the documentation names,
 *    with the place as evidence.
 * spread_pct = (max - min) / median x 100 over the runs. A cell without a second run gets no row, so
 * a tool that was never rerun has none (its head-to-head spread stays empty).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PredictionRow } from "./schema.ts";
import type { Suite } from "./suite.ts";
import type { ToolAdapter } from "./tool.ts";
import { compareStrings, fmt } from "./io.ts";
import { median } from "./metrics.ts";

export const SPREAD_COLUMNS = ["tool", "cell_id", "runs", "min", "max", "spread_pct", "evidence"] as const;
export const SPREAD_FILE = "rerun-spread.csv";
export const RERUNS_SUFFIX = "-reruns";
export type SpreadCsvRow = Record<(typeof SPREAD_COLUMNS)[number], string>;

/** Repeated live runs that were compared and found identical, but whose earlier outputs are not kept as files. */
export const DOCUMENTED_RERUNS: { tool: string; cells: RegExp; runs: number; evidence: string }[] = [
  {
    tool: "astra-sim",
    cells: /^mlperf-tr40-step\.resnet-50\./,
    runs: 2,
    evidence: "documented: tools-under-test/astra-sim/README.md (Results): the ResNet-50 step cells gave the same cycles in two live runs",
  },
  {
    tool: "timeloop",
    cells: /^eyeriss\.alexnet-conv\d\.n4\.eyeriss-65nm$/,
    runs: 2,
    evidence: "documented: tools-under-test/timeloop/README.md (What ran): the five AlexNet stats files are byte-identical to those of the previous live run",
  },
];

export function spreadPct(values: number[]): number {
  const m = median(values);
  const range = Math.max(...values) - Math.min(...values);
  return range === 0 ? 0 : (range / Math.abs(m)) * 100;
}

/** One tool's runs of the cells it was rerun on: cell id -> [run 1, run 2, ...] values (full precision). */
export interface ToolReruns {
  tool: string;
  runs: number; // number of recorded rerun directories (run 1 not counted)
  values: Map<string, number[]>;
}

function parseFile(tool: ToolAdapter<any>, suite: Suite, path: string, cellId: string, notes: string[]): number | undefined {
  const cell = suite.cells.get(cellId);
  if (!cell) {
    notes.push(`${path}: not a suite cell (remove the file or fix its name)`);
    return undefined;
  }
  try {
    return tool.parse(readFileSync(path, "utf8"), cell, { suite, workDir: "" }).value;
  } catch (e) {
    notes.push(`${path}: ${(e as Error).message.split("\n")[0]}`);
    return undefined;
  }
}

/**
 * The recorded reruns of one tool: results/raw/<tool>-reruns/run<N>/ beside run 1 in
 * results/raw/<tool>/. A cell enters only when run 1 and at least one rerun parse; files that
 * cannot be parsed are skipped with a note naming the file.
 */
export function readReruns(rawDir: string, tool: ToolAdapter<any>, suite: Suite, notes: string[] = []): ToolReruns | undefined {
  const name = tool.metadata.name;
  const dir = join(rawDir, `${name}${RERUNS_SUFFIX}`);
  if (!existsSync(dir)) return undefined;
  const runs = readdirSync(dir)
    .filter((d) => /^run\d+$/.test(d))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
  const values = new Map<string, number[]>();
  const ids = [...new Set(runs.flatMap((r) => readdirSync(join(dir, r)).filter((f) => f.endsWith(".txt")).map((f) => f.slice(0, -4))))].sort(compareStrings);
  for (const id of ids) {
    const first = join(rawDir, name, `${id}.txt`);
    if (!existsSync(first)) {
      notes.push(`${join(dir, "*", id)}.txt: no run 1 (${first}) to compare with`);
      continue;
    }
    const v1 = parseFile(tool, suite, first, id, notes);
    if (v1 === undefined) continue;
    const more = runs.flatMap((r) => {
      const p = join(dir, r, `${id}.txt`);
      if (!existsSync(p)) return [];
      const v = parseFile(tool, suite, p, id, notes);
      return v === undefined ? [] : [v];
    });
    if (more.length) values.set(id, [v1, ...more]);
  }
  return { tool: name, runs: runs.length, values };
}

/** Rows of results/rerun-spread.csv from recorded reruns and the documented ones (ok predictions only). */
export function spreadRows(reruns: ToolReruns[], predictions: Pick<PredictionRow, "tool" | "cell_id" | "status" | "predicted">[]): SpreadCsvRow[] {
  const rows: SpreadCsvRow[] = [];
  const recorded = new Set<string>();
  for (const r of reruns) {
    for (const [id, vs] of r.values) {
      recorded.add(`${r.tool}\u0000${id}`);
      rows.push({
        tool: r.tool,
        cell_id: id,
        runs: String(vs.length),
        min: fmt(Math.min(...vs)),
        max: fmt(Math.max(...vs)),
        spread_pct: fmt(spreadPct(vs)),
        evidence: `recorded: run 1 results/raw/${r.tool}/, ${vs.length === 2 ? "run 2" : `runs 2-${vs.length}`} results/raw/${r.tool}${RERUNS_SUFFIX}/ (re-parsed)`,
      });
    }
  }
  for (const d of DOCUMENTED_RERUNS)
    for (const p of predictions) {
      if (p.tool !== d.tool || p.status !== "ok" || p.predicted === undefined || !d.cells.test(p.cell_id) || recorded.has(`${p.tool}\u0000${p.cell_id}`)) continue;
      rows.push({ tool: p.tool, cell_id: p.cell_id, runs: String(d.runs), min: fmt(p.predicted), max: fmt(p.predicted), spread_pct: "0", evidence: d.evidence });
    }
  return rows.sort((a, b) => compareStrings(a.tool, b.tool) || compareStrings(a.cell_id, b.cell_id));
}
