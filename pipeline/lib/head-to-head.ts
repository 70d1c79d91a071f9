/**
 * Head-to-head comparison of the tools on exactly the same cells (issue 17):
 *
 *  - results/head-to-head.csv: per cell kind (pipeline/lib/coverage.ts cellKind) and ground-truth
 *    tier, every tool's n, MAPE, median APE, signed mean error (bias_pct: mean of
 *    (predicted - measured) / measured x 100; positive = the tool over-predicts), p90 APE and
 *    Spearman over one cell set: the ground-truth values of the cells where EVERY tool of the set
 *    has a prediction (a tool missing one cell shrinks the set for all). Cell sets:
 *      - "all": the tools with >= MIN_SHARED predictions of the kind and tier, as many as still
 *        share >= MIN_SHARED values (the tool with the fewest is dropped until they do);
 *      - every pair of tools that shares at least one value of the kind and tier.
 *    gt_tier is measured, published or derived (a ground-truth value whose notes say DERIVED, e.g.
 *    step times derived from MLPerf run logs). A row is a headline row only when its tier is not
 *    derived and no tool of the set takes part of its prediction from another tool on these cells
 *    (metadata `inputs_from`, e.g. ASTRA-sim's training steps use ZZZ's per-layer compute): fed_by
 *    names those, headline says false. rerun_spread_pct is the tool's largest run-to-run spread
 *    over the set's cells (results/rerun-spread.csv, pipeline/lib/rerun-spread.ts) and rerun_cells
 *    on how many of the n_cells it was rerun; both are empty when it was rerun on none of them, so
 *    an error difference smaller than the spread is not read as a result.
 *  - results/head-to-head-runtime.csv: per tool and kind, median and p90 wall seconds per ok cell
 *    (predictions.csv wall_s; re-parsed rows carry the recorded live run's time; rows without one
 *    are left out) beside the tool's MAPE on the kind's headline-tier values: the accuracy vs run
 *    time front.
 *  - results/shared-cells.csv: per pair of tools, the number of ground-truth cells (and values)
 *    where both have a prediction, by kind and in total.
 * Pure functions; evaluate.ts writes the files.
 */
import type { GroundTruthRow, PredictionRow, ToolMetadata } from "./schema.ts";
import type { Suite } from "./suite.ts";
import type { AccuracyRow } from "./metrics.ts";
import { median, spearman } from "./metrics.ts";
import { cellKind } from "./coverage.ts";
import { compareStrings, fmt } from "./io.ts";

export const MIN_SHARED = 5;

export const H2H_COLUMNS = ["kind", "cell_set", "tool", "n", "mape", "median_ape", "bias_pct", "p90_ape", "spearman", "gt_tier", "rerun_spread_pct", "rerun_cells", "n_cells", "set_kind", "fed_by", "headline"] as const;
export const RUNTIME_COLUMNS = ["tool", "kind", "n_cells_timed", "median_wall_s", "p90_wall_s", "n", "mape", "median_ape"] as const;
export const SHARED_COLUMNS = ["tool_a", "tool_b", "kind", "shared_cells", "shared_values"] as const;

export type GtTier = "measured" | "published" | "derived";

export function gtTier(g: Pick<GroundTruthRow, "source_kind" | "notes">): GtTier {
  if (g.notes && /\bDERIVED\b/.test(g.notes)) return "derived";
  return g.source_kind;
}

/** Percentile by linear interpolation between closest ranks (numpy's default): p in [0, 100]. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = ((s.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export interface ErrorStats {
  n: number;
  mape: number;
  median_ape: number;
  bias_pct: number;
  p90_ape: number;
  spearman: number | undefined;
}

/** Error statistics of (predicted, measured) pairs. */
export function errorStats(pairs: { predicted: number; measured: number }[]): ErrorStats {
  const signed = pairs.map((x) => ((x.predicted - x.measured) / x.measured) * 100);
  const apes = signed.map(Math.abs);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return {
    n: pairs.length,
    mape: mean(apes),
    median_ape: median(apes),
    bias_pct: mean(signed),
    p90_ape: percentile(apes, 90),
    spearman: spearman(pairs.map((x) => x.predicted), pairs.map((x) => x.measured)),
  };
}

/** Which tool feeds part of `tool`'s prediction for a cell of this workload kind (metadata inputs_from). */
export function fedBy(meta: Pick<ToolMetadata, "inputs_from"> | undefined, workloadKind: string): string[] {
  return (meta?.inputs_from ?? []).filter((f) => f.workload_kinds.includes(workloadKind)).map((f) => f.tool);
}

interface Value {
  key: string; // cell_id | gt_id
  cell_id: string;
  predicted: number;
  measured: number;
  fed: string[];
}

/** Accuracy rows grouped by kind and tier, then by tool: value key -> value. */
function groupValues(acc: AccuracyRow[], suite: Pick<Suite, "cells" | "models" | "hardware" | "groundTruth">, tools: Map<string, Pick<ToolMetadata, "inputs_from">>) {
  const tierOf = new Map(suite.groundTruth.map((g) => [`${g.cell_id}|${g.gt_id}`, gtTier(g)]));
  const groups = new Map<string, Map<string, Map<string, Value>>>();
  for (const a of acc) {
    const cell = suite.cells.get(a.cell_id);
    if (!cell) continue;
    const key = `${a.cell_id}|${a.gt_id}`;
    const tier = tierOf.get(key) ?? (a.gt_source_kind as GtTier);
    const g = `${cellKind(cell, suite)}\u0000${tier}`;
    const byTool = groups.get(g) ?? new Map<string, Map<string, Value>>();
    const vals = byTool.get(a.tool) ?? new Map<string, Value>();
    vals.set(key, { key, cell_id: a.cell_id, predicted: a.predicted, measured: a.measured, fed: fedBy(tools.get(a.tool), cell.workload.kind) });
    byTool.set(a.tool, vals);
    groups.set(g, byTool);
  }
  return groups;
}

function intersect(byTool: Map<string, Map<string, Value>>, set: string[]): string[] {
  const [first, ...rest] = set;
  return [...(byTool.get(first!)?.keys() ?? [])].filter((k) => rest.every((t) => byTool.get(t)?.has(k))).sort();
}

/** The "all" cell set: tools with >= min values, dropping the one with fewest until >= min are shared. */
export function allToolsSet(byTool: Map<string, Map<string, unknown>>, min = MIN_SHARED): string[] {
  let set = [...byTool].filter(([, v]) => v.size >= min).sort((a, b) => b[1].size - a[1].size || compareStrings(a[0], b[0])).map(([t]) => t);
  while (set.length >= 2) {
    const [first, ...rest] = set;
    const n = [...byTool.get(first!)!.keys()].filter((k) => rest.every((t) => byTool.get(t)!.has(k))).length;
    if (n >= min) return set.sort();
    set = set.slice(0, -1);
  }
  return [];
}

export interface SpreadRow {
  tool: string;
  cell_id: string;
  spread_pct: string;
}

/**
 * Largest run-to-run spread (results/rerun-spread.csv) of a tool over the given cells, and on how many
 * of them it was rerun; both empty when none of them was (a tool never rerun has no spread, not 0).
 */
export function spreadOver(spread: SpreadRow[], tool: string, cells: Set<string>): { spread_pct: string; cells: string } {
  const xs = spread.filter((s) => s.tool === tool && cells.has(s.cell_id) && s.spread_pct !== "").map((s) => Number(s.spread_pct));
  return xs.length ? { spread_pct: fmt(Math.max(...xs)), cells: String(xs.length) } : { spread_pct: "", cells: "" };
}

export function headToHeadRows(
  acc: AccuracyRow[],
  suite: Pick<Suite, "cells" | "models" | "hardware" | "groundTruth">,
  tools: Map<string, Pick<ToolMetadata, "inputs_from">>,
  spread: SpreadRow[] = [],
): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const [g, byTool] of groupValues(acc, suite, tools)) {
    const [kind, tier] = g.split("\u0000") as [string, GtTier];
    const sets: { set: string[]; setKind: string }[] = [];
    const all = allToolsSet(byTool);
    if (all.length >= 2) sets.push({ set: all, setKind: "all" });
    const names = [...byTool.keys()].sort();
    for (let i = 0; i < names.length; i++)
      for (let j = i + 1; j < names.length; j++) {
        const pair = [names[i]!, names[j]!];
        if (all.length === 2 && all.join("+") === pair.join("+")) continue; // the "all" row already is this pair
        if (intersect(byTool, pair).length > 0) sets.push({ set: pair, setKind: "pair" });
      }
    for (const { set, setKind } of sets) {
      const keys = intersect(byTool, set);
      const cells = new Set(keys.map((k) => k.split("|")[0]!));
      const fed = [...new Set(set.flatMap((t) => keys.flatMap((k) => byTool.get(t)!.get(k)!.fed.map((f) => `${t}<-${f}`))))].sort();
      for (const tool of set) {
        const s = errorStats(keys.map((k) => byTool.get(tool)!.get(k)!));
        const sp = spreadOver(spread, tool, cells);
        out.push({
          kind,
          cell_set: set.join("+"),
          tool,
          n: String(s.n),
          mape: fmt(s.mape),
          median_ape: fmt(s.median_ape),
          bias_pct: fmt(s.bias_pct),
          p90_ape: fmt(s.p90_ape),
          spearman: s.spearman === undefined ? "" : s.spearman.toFixed(4),
          gt_tier: tier,
          rerun_spread_pct: sp.spread_pct,
          rerun_cells: sp.cells,
          n_cells: String(cells.size),
          set_kind: setKind,
          fed_by: fed.join(" "),
          headline: String(tier !== "derived" && fed.length === 0),
        });
      }
    }
  }
  return out.sort(
    (a, b) =>
      compareStrings(a.kind!, b.kind!) ||
      compareStrings(a.gt_tier!, b.gt_tier!) ||
      compareStrings(a.set_kind!, b.set_kind!) ||
      compareStrings(a.cell_set!, b.cell_set!) ||
      compareStrings(a.tool!, b.tool!),
  );
}

/** Per tool and kind: run time per ok cell beside MAPE on the kind's non-derived values. */
export function runtimeRows(predictions: PredictionRow[], acc: AccuracyRow[], suite: Pick<Suite, "cells" | "models" | "hardware" | "groundTruth">): Record<string, string>[] {
  const tierOf = new Map(suite.groundTruth.map((g) => [`${g.cell_id}|${g.gt_id}`, gtTier(g)]));
  const groups = new Map<string, { walls: number[]; pairs: { predicted: number; measured: number }[] }>();
  const get = (tool: string, kind: string) => {
    const k = `${tool}\u0000${kind}`;
    const g = groups.get(k) ?? { walls: [], pairs: [] };
    groups.set(k, g);
    return g;
  };
  for (const p of predictions) {
    if (p.status !== "ok") continue;
    const cell = suite.cells.get(p.cell_id);
    if (!cell) continue;
    const g = get(p.tool, cellKind(cell, suite));
    if (!p.reason.includes("no recorded run time")) g.walls.push(p.wall_s);
  }
  for (const a of acc) {
    const cell = suite.cells.get(a.cell_id);
    if (!cell || tierOf.get(`${a.cell_id}|${a.gt_id}`) === "derived") continue;
    get(a.tool, cellKind(cell, suite)).pairs.push(a);
  }
  return [...groups]
    .map(([k, g]) => {
      const [tool, kind] = k.split("\u0000") as [string, string];
      const s = g.pairs.length ? errorStats(g.pairs) : undefined;
      return {
        tool,
        kind,
        n_cells_timed: String(g.walls.length),
        median_wall_s: g.walls.length ? fmt(median(g.walls)) : "",
        p90_wall_s: g.walls.length ? fmt(percentile(g.walls, 90)) : "",
        n: String(g.pairs.length),
        mape: s ? fmt(s.mape) : "",
        median_ape: s ? fmt(s.median_ape) : "",
      };
    })
    .sort((a, b) => compareStrings(a.tool, b.tool) || compareStrings(a.kind, b.kind));
}

/** Per pair of tools: ground-truth cells and values where both predicted, per kind and in total ("all"). */
export function sharedCellRows(acc: AccuracyRow[], tools: string[], suite: Pick<Suite, "cells" | "models" | "hardware">): Record<string, string>[] {
  const byTool = new Map<string, Set<string>>();
  for (const a of acc) byTool.set(a.tool, (byTool.get(a.tool) ?? new Set()).add(`${a.cell_id}|${a.gt_id}`));
  const names = [...new Set(tools)].sort();
  const out: Record<string, string>[] = [];
  for (let i = 0; i < names.length; i++)
    for (let j = i + 1; j < names.length; j++) {
      const a = byTool.get(names[i]!) ?? new Set<string>();
      const b = byTool.get(names[j]!) ?? new Set<string>();
      const shared = [...a].filter((k) => b.has(k));
      const perKind = new Map<string, string[]>();
      for (const k of shared) {
        const cell = suite.cells.get(k.split("|")[0]!);
        if (!cell) continue;
        const kind = cellKind(cell, suite);
        perKind.set(kind, [...(perKind.get(kind) ?? []), k]);
      }
      const row = (kind: string, keys: string[]) => ({ tool_a: names[i]!, tool_b: names[j]!, kind, shared_cells: String(new Set(keys.map((k) => k.split("|")[0])).size), shared_values: String(keys.length) });
      out.push(row("all", shared));
      for (const [kind, keys] of [...perKind].sort((x, y) => compareStrings(x[0], y[0]))) out.push(row(kind, keys));
    }
  return out;
}
