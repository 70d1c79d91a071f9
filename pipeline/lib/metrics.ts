/** Accuracy rows and per-(tool, category) summaries; pure functions over typed rows. */
import type { Cell, GroundTruthRow, PredictionRow } from "./schema.ts";
import { convertToCellUnit } from "./suite.ts";
import { compareStrings } from "./io.ts";

export interface AccuracyRow {
  tool: string;
  tool_version: string;
  cell_id: string;
  level: string;
  hardware: string;
  metric: string;
  unit: string;
  gt_id: string;
  gt_source_kind: string;
  gt_source: string;
  measured: number;
  predicted: number;
  abs_pct_error: number;
}

export interface SummaryRow {
  tool: string;
  category: string;
  n: number;
  mape: number;
  median_ape: number;
  max_ape: number;
  spearman: number | undefined;
}

export function gtSource(g: GroundTruthRow): string {
  return g.source_kind === "published"
    ? `${g.bib}: ${g.place}`
    : `measured on ${g.device}, ${g.date}, ${g.script}`;
}

export function accuracyRows(predictions: PredictionRow[], gt: GroundTruthRow[], cells: Map<string, Cell>): AccuracyRow[] {
  const byCell = new Map<string, GroundTruthRow[]>();
  for (const g of gt) byCell.set(g.cell_id, [...(byCell.get(g.cell_id) ?? []), g]);
  const out: AccuracyRow[] = [];
  for (const p of predictions) {
    if (p.status !== "ok" || p.predicted === undefined) continue;
    const cell = cells.get(p.cell_id);
    if (!cell) continue;
    for (const g of byCell.get(p.cell_id) ?? []) {
      const measured = convertToCellUnit(cell, g.value, g.unit);
      if (measured === undefined) continue; // checkGroundTruth reports the unit mismatch
      out.push({
        tool: p.tool,
        tool_version: p.tool_version,
        cell_id: p.cell_id,
        level: cell.level,
        hardware: cell.hardware,
        metric: cell.metric,
        unit: cell.unit,
        gt_id: g.gt_id,
        gt_source_kind: g.source_kind,
        gt_source: gtSource(g),
        measured,
        predicted: p.predicted,
        abs_pct_error: (Math.abs(p.predicted - measured) / measured) * 100,
      });
    }
  }
  return out.sort((a, b) => compareStrings(a.tool, b.tool) || compareStrings(a.cell_id, b.cell_id) || compareStrings(a.gt_id, b.gt_id));
}

/** Ranks with ties averaged (1-based). */
export function ranks(xs: number[]): number[] {
  const idx = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = avg;
    i = j + 1;
  }
  return r;
}

/** Spearman rank correlation (Pearson on ranks); undefined below 3 points or with zero variance. */
export function spearman(xs: number[], ys: number[]): number | undefined {
  if (xs.length !== ys.length || xs.length < 3) return undefined;
  const rx = ranks(xs);
  const ry = ranks(ys);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    const dx = rx[i]! - mx;
    const dy = ry[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return undefined;
  return sxy / Math.sqrt(sxx * syy);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One row per (tool, category) where category is the cell level, plus 'all'. */
export function summaryRows(acc: AccuracyRow[]): SummaryRow[] {
  const groups = new Map<string, AccuracyRow[]>();
  for (const a of acc) {
    for (const cat of [a.level, "all"]) {
      const k = `${a.tool}\u0000${cat}`;
      groups.set(k, [...(groups.get(k) ?? []), a]);
    }
  }
  const out: SummaryRow[] = [];
  for (const [k, rows] of groups) {
    const [tool, category] = k.split("\u0000") as [string, string];
    const apes = rows.map((r) => r.abs_pct_error);
    out.push({
      tool,
      category,
      n: rows.length,
      mape: apes.reduce((s, x) => s + x, 0) / apes.length,
      median_ape: median(apes),
      max_ape: Math.max(...apes),
      spearman: spearman(rows.map((r) => r.predicted), rows.map((r) => r.measured)),
    });
  }
  return out.sort((a, b) => compareStrings(a.tool, b.tool) || compareStrings(a.category, b.category));
}
