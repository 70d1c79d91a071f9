/**
 * ZZZ v2 reports written by `make evaluate` (pure over the loaded suite; the caller writes files):
 * - per-mode summaries (datasheet, microbench, profiled) for results/summary.csv: the microbench
 *   rows are the `zzz` tool's own; the other two modes appear as tools `zzz-datasheet` and
 *   `zzz-profiled`;
 * - results/zzz-ablation.csv: MAPE, median and Spearman per category as each refinement is switched
 *   on in turn (v1 -> + device floor and host timeline -> + engine graphs and fusion -> + efficiency
 *   model -> + alignment -> + attention model -> + profiles);
 * - results/zzz-calibration.csv: the cross-device matrix (constants calibrated on one device and
 *   applied unchanged to another) with the constants themselves.
 * Categories: the cell levels and `all` (as summary.csv), plus named subsets: `vidur-steps` (the
 * Llama step cells Vidur predicts), `vidur-steps-cudagraph`, `measured-gpu` (our H100/H200
 * operator and model cells), `published-a100` (Vidur and LLMCompass A100 operators).
 */
import type { Cell, PredictionRow } from "./schema.ts";
import { accuracyRows, median, spearman, type AccuracyRow, type SummaryRow } from "./metrics.ts";
import { convertToCellUnit, type Suite } from "./suite.ts";
import { compareStrings, fmt, writeCsvAtomic } from "./io.ts";
import { join } from "node:path";
import { calibrationFor, estimate, estimateV1, metadata, MODE_CONFIGS, supports, type ZzzConfig } from "../../tools-under-test/zzz/adapter.ts";
import { ALL_REFINEMENTS, CALIBRATION_MODES, gemmEfficiency, type Refinements } from "../../zzz/index.ts";

export const ABLATION_FILE = "zzz-ablation.csv";
export const CALIBRATION_FILE = "zzz-calibration.csv";
/** Tool names of the datasheet and profiled modes in summary.csv (the microbench mode is `zzz`). */
export const ZZZ_MODE_TOOLS = ["zzz-datasheet", "zzz-profiled"] as const;
export const ABLATION_COLUMNS = ["step", "refinement", "category", "n", "mape", "median_ape", "spearman", "bias_pct"] as const;
export const CALIBRATION_COLUMNS = ["calibrated_on", "applied_to", "mode", "category", "n", "mape", "median_ape", "spearman", "bias_pct", "gemm_efficiency", "mem_efficiency", "calibration"] as const;

/** ZZZ's prediction rows for every cell it supports (no wall time: in-process, deterministic). */
export function zzzPredictions(suite: Suite, cfg: ZzzConfig | "v1", tool = "zzz"): PredictionRow[] {
  const rows: PredictionRow[] = [];
  for (const cell of [...suite.cells.values()].sort((a, b) => compareStrings(a.id, b.id))) {
    if (!supports(cell, suite).ok) continue;
    try {
      const e = cfg === "v1" ? estimateV1(cell, suite) : estimate(cell, suite, cfg);
      const v = convertToCellUnit(cell, e.value, e.unit);
      if (v === undefined || !(v > 0)) continue;
      rows.push({ tool, tool_version: metadata.version, cell_id: cell.id, metric: cell.metric, unit: cell.unit, predicted: v, status: "ok", reason: "", wall_s: 0 });
    } catch {
      // a failing cell is reported by the runner in predictions.csv
    }
  }
  return rows;
}

type Filter = (a: AccuracyRow, cell: Cell) => boolean;

export function categories(vidurCells: Set<string>): Array<[string, Filter]> {
  return [
    ["all", () => true],
    ["operator", (a) => a.level === "operator"],
    ["model", (a) => a.level === "model"],
    ["multi-gpu", (a) => a.level === "multi-gpu"],
    ["serving", (a) => a.level === "serving"],
    ["vidur-steps", (a) => vidurCells.has(a.cell_id)],
    ["vidur-steps-cudagraph", (a, c) => vidurCells.has(a.cell_id) && c.engine === "pytorch-cudagraph"],
    ["measured-gpu", (a) => a.gt_source_kind === "measured" && /^(h100|h200)/.test(a.hardware) && (a.level === "operator" || a.level === "model")],
    ["published-a100", (a) => a.gt_source_kind === "published" && a.hardware.startsWith("a100") && a.level === "operator"],
  ];
}

export interface Stats {
  n: number;
  mape: number;
  median_ape: number;
  max_ape: number;
  spearman: number | undefined;
  bias_pct: number;
}

export function stats(acc: AccuracyRow[]): Stats | undefined {
  if (!acc.length) return undefined;
  const ape = acc.map((a) => a.abs_pct_error);
  return {
    n: acc.length,
    mape: ape.reduce((s, x) => s + x, 0) / ape.length,
    median_ape: median(ape),
    max_ape: Math.max(...ape),
    spearman: spearman(
      acc.map((a) => a.measured),
      acc.map((a) => a.predicted),
    ),
    bias_pct: (acc.reduce((s, a) => s + (a.predicted - a.measured) / a.measured, 0) / acc.length) * 100,
  };
}

function accuracyOf(suite: Suite, cfg: ZzzConfig | "v1", tool = "zzz"): AccuracyRow[] {
  return accuracyRows(zzzPredictions(suite, cfg, tool), suite.groundTruth, suite.cells);
}

/** The cells Vidur predicts with ground truth (its same-cell comparison set), from its fixtures' cell list. */
export function vidurStepCells(suite: Suite, vidurPredictions: PredictionRow[]): Set<string> {
  const gt = new Set(suite.groundTruth.map((g) => g.cell_id));
  return new Set(vidurPredictions.filter((p) => p.tool === "vidur" && p.status === "ok" && gt.has(p.cell_id)).map((p) => p.cell_id));
}

function fmtStats(s: Stats) {
  return { n: s.n, mape: fmt(s.mape), median_ape: fmt(s.median_ape), spearman: s.spearman === undefined ? "" : s.spearman.toFixed(4), bias_pct: fmt(s.bias_pct) };
}

/** Summary rows (summary.csv format) of the datasheet and profiled modes. */
export function modeSummaryRows(suite: Suite): SummaryRow[] {
  const out: SummaryRow[] = [];
  for (const mode of CALIBRATION_MODES) {
    if (mode === "microbench") continue; // the zzz tool's own rows
    const tool = `zzz-${mode}`;
    const acc = accuracyOf(suite, MODE_CONFIGS[mode], tool);
    const levels = ["all", ...new Set(acc.map((a) => a.level))].sort((a, b) => (a === "all" ? -1 : b === "all" ? 1 : compareStrings(a, b)));
    for (const cat of levels) {
      const s = stats(cat === "all" ? acc : acc.filter((a) => a.level === cat));
      if (s) out.push({ tool, category: cat, n: s.n, mape: s.mape, median_ape: s.median_ape, max_ape: s.max_ape, spearman: s.spearman });
    }
  }
  return out;
}

export const ABLATION_STEPS: Array<[string, Refinements | "v1", ZzzConfig["mode"]]> = [
  ["v1", "v1", "microbench"],
  ["+ device floor and host timeline", { engine_graphs: false, efficiency: false, alignment: false, attention: false, profiles: false }, "microbench"],
  ["+ engine graphs and fusion", { engine_graphs: true, efficiency: false, alignment: false, attention: false, profiles: false }, "microbench"],
  ["+ efficiency model (microbench)", { engine_graphs: true, efficiency: true, alignment: false, attention: false, profiles: false }, "microbench"],
  ["+ alignment", { engine_graphs: true, efficiency: true, alignment: true, attention: false, profiles: false }, "microbench"],
  ["+ attention model", { ...ALL_REFINEMENTS, profiles: false }, "microbench"],
  ["+ profiles", ALL_REFINEMENTS, "profiled"],
];

export function ablationRows(suite: Suite, vidurCells: Set<string>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  ABLATION_STEPS.forEach(([name, ref, mode], i) => {
    const acc = accuracyOf(suite, ref === "v1" ? "v1" : { mode, refinements: ref });
    for (const [cat, f] of categories(vidurCells)) {
      const s = stats(acc.filter((a) => f(a, suite.cells.get(a.cell_id)!)));
      if (s) out.push({ step: i, refinement: name, category: cat, ...fmtStats(s) });
    }
  });
  return out;
}

/** Single-device cells of `target` (operators and models, every ground-truth tier). */
const DEVICE_CATEGORIES: Array<[string, (a: AccuracyRow) => boolean]> = [
  ["single-device", (a) => a.level === "operator" || a.level === "model"],
  ["operator", (a) => a.level === "operator"],
  ["model", (a) => a.level === "model"],
];

export const CROSS_DEVICE: Array<[string | "datasheet", string]> = [
  ["datasheet", "h100-sxm5-80gb"],
  ["datasheet", "h200-sxm-141gb"],
  ["datasheet", "a100-sxm4-80gb"],
  ["h100-sxm5-80gb", "h100-sxm5-80gb"],
  ["h100-sxm5-80gb", "h200-sxm-141gb"],
  ["h100-sxm5-80gb", "a100-sxm4-80gb"],
  ["h200-sxm-141gb", "h200-sxm-141gb"],
  ["h200-sxm-141gb", "h100-sxm5-80gb"],
  ["h200-sxm-141gb", "a100-sxm4-80gb"],
];

export function calibrationMatrixRows(suite: Suite): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [src, target] of CROSS_DEVICE) {
    const cfg: ZzzConfig =
      src === "datasheet" ? MODE_CONFIGS.datasheet : { ...MODE_CONFIGS.microbench, calibrateOn: src };
    const cal = calibrationFor(target, suite, cfg);
    const acc = accuracyOf(suite, cfg).filter((a) => a.hardware === target);
    for (const [cat, f] of DEVICE_CATEGORIES) {
      const s = stats(acc.filter(f));
      if (!s) continue;
      out.push({
        calibrated_on: src,
        applied_to: target,
        mode: src === "datasheet" ? "datasheet" : "microbench",
        category: cat,
        ...fmtStats(s),
        gemm_efficiency: gemmEfficiency(cal, "bf16").toFixed(4),
        mem_efficiency: cal.mem_efficiency.value.toFixed(4),
        calibration: cal.name,
      });
    }
  }
  return out;
}

/**
 * make evaluate's hook: writes zzz-ablation.csv and zzz-calibration.csv into `resultsDir` (the
 * staged results/) and returns the datasheet and profiled modes' summary rows (appended to
 * summary.csv by the caller).
 */
export function writeZzzReports(resultsDir: string, suite: Suite, predictions: PredictionRow[]): SummaryRow[] {
  const vidurCells = vidurStepCells(suite, predictions);
  writeCsvAtomic(join(resultsDir, ABLATION_FILE), ABLATION_COLUMNS, ablationRows(suite, vidurCells));
  writeCsvAtomic(join(resultsDir, CALIBRATION_FILE), CALIBRATION_COLUMNS, calibrationMatrixRows(suite));
  return modeSummaryRows(suite);
}
