/**
 * results/coverage.csv: which tool can say something about which ground-truth cell, and why not.
 *
 * One row per (tool, cell kind, hardware, metric) over the suite cells that have ground truth (every
 * level: operator, model, serving, multi-gpu), with the cells counted by what the tool did:
 *
 *   ok                  a prediction;
 *   failed              the tool ran and failed (crash, rejection, timeout: its reason);
 *   cannot_express      not run, reason "cannot express: ..." (the tool has no way to model the cell:
 *                       wrong workload class, device class, metric it does not report);
 *   no_input_generated  not run, reason "no input generated: ..." (the tool could express the cell,
 *                       but this artifact never generated its input: a trace, a profile, a mapping,
 *                       a plan), or a supported cell that has no recorded run here (the runner's
 *                       "tool not available here ... and no recorded output");
 *   excluded            not run, reason "excluded: ..." (the tool could run it, but the comparison
 *                       would not be fair, e.g. the ground truth is the tool's own training data, or
 *                       the run would exceed the time budget this artifact gives the tool, e.g.
 *                       SCALE-Sim's cycle-level simulation of a layer over its MAC limit);
 *   unclassified        not run with a reason that follows none of these conventions (an adapter to fix).
 *
 * The reason conventions are the contract between adapters and this table: supports() returns
 * { ok: false, reason: "cannot express: ..." | "no input generated: ..." | "excluded: ..." }
 * (the prefixes are CANNOT_EXPRESS, NO_INPUT_GENERATED and EXCLUDED below).
 *
 * The cell kind is a stable classifier over the cell's schema fields (workload kind and phase, the
 * model's architecture, the hardware's kind, the training scope), never its id: see cellKind.
 */
import type { Cell, GroundTruthRow, PredictionRow } from "./schema.ts";
import type { Suite } from "./suite.ts";
import { compareStrings } from "./io.ts";

export const COVERAGE_COLUMNS = [
  "tool",
  "kind",
  "hardware",
  "metric",
  "cells",
  "ok",
  "cannot_express",
  "failed",
  "no_input_generated",
  "excluded",
  "unclassified",
  "example_reason",
] as const;

export const CANNOT_EXPRESS = "cannot express:";
export const NO_INPUT_GENERATED = "no input generated:";
export const EXCLUDED = "excluded:";

export type CoverageClass = "ok" | "failed" | "cannot_express" | "no_input_generated" | "excluded" | "unclassified";

/** What a prediction row says about the tool's coverage of its cell. */
export function coverageClass(p: Pick<PredictionRow, "status" | "reason">): CoverageClass {
  if (p.status === "ok") return "ok";
  if (p.status === "failed") return "failed";
  const r = p.reason.trimStart();
  if (r.startsWith(CANNOT_EXPRESS)) return "cannot_express";
  if (r.startsWith(NO_INPUT_GENERATED)) return "no_input_generated";
  if (r.startsWith(EXCLUDED)) return "excluded";
  // The runner's own reason for a supported cell that never ran here (pipeline/lib/runner.ts).
  if (/^tool not available here \(.*\) and no recorded output$/.test(r)) return "no_input_generated";
  return "unclassified";
}

/** The kinds cellKind returns (stable names: results files and tests use them). */
export const CELL_KINDS = [
  "gemm",
  "attention-prefill",
  "attention-decode",
  "norm/elementwise",
  "conv2d",
  "accelerator-layer",
  "collective",
  "cnn-forward",
  "encoder-forward",
  "llm-forward",
  "llm-prefill-step",
  "llm-decode-step",
  "serving",
  "training-step",
  "time-to-train",
] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/**
 * The kind of a cell, from its schema fields: the workload kind (and phase), the hardware's kind
 * (a single layer on a dataflow accelerator is an accelerator-layer), the model's architecture
 * (cnn/encoder/decoder forward passes) and the training scope (an iteration or a time to train).
 */
export function cellKind(cell: Cell, suite: Pick<Suite, "models" | "hardware">): CellKind {
  const w = cell.workload;
  const hwKind = suite.hardware.get(cell.hardware)?.kind;
  switch (w.kind) {
    case "gemm":
      return hwKind === "accelerator" ? "accelerator-layer" : "gemm";
    case "conv2d":
      return hwKind === "accelerator" ? "accelerator-layer" : "conv2d";
    case "attention-prefill":
    case "attention-decode":
    case "collective":
    case "serving":
      return w.kind;
    case "norm":
    case "softmax":
    case "elementwise":
    case "embedding":
      return "norm/elementwise";
    case "inference": {
      const arch = suite.models.get(w.model)?.arch.kind;
      return arch === "cnn" ? "cnn-forward" : arch === "encoder" ? "encoder-forward" : "llm-forward";
    }
    case "prefill":
      return "llm-prefill-step";
    case "decode-step":
      return "llm-decode-step";
    case "training":
      return w.scope === "time-to-train" ? "time-to-train" : "training-step";
  }
}

/** Cell ids that have at least one ground-truth value. */
export function cellsWithGroundTruth(gt: GroundTruthRow[]): Set<string> {
  return new Set(gt.map((g) => g.cell_id));
}

function mostFrequent(xs: string[]): string {
  const n = new Map<string, number>();
  for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))[0]?.[0] ?? "";
}

/** Rows of results/coverage.csv, sorted by tool, kind, hardware, metric. */
export function coverageRows(predictions: Pick<PredictionRow, "tool" | "cell_id" | "status" | "reason">[], suite: Pick<Suite, "cells" | "models" | "hardware" | "groundTruth">): Record<string, string>[] {
  const withGt = cellsWithGroundTruth(suite.groundTruth);
  const groups = new Map<string, { tool: string; kind: string; hardware: string; metric: string; counts: Record<CoverageClass, number>; reasons: string[] }>();
  for (const p of predictions) {
    if (!withGt.has(p.cell_id)) continue;
    const cell = suite.cells.get(p.cell_id);
    if (!cell) continue;
    const kind = cellKind(cell, suite);
    const key = [p.tool, kind, cell.hardware, cell.metric].join("\u0000");
    const g = groups.get(key) ?? { tool: p.tool, kind, hardware: cell.hardware, metric: cell.metric, counts: { ok: 0, failed: 0, cannot_express: 0, no_input_generated: 0, excluded: 0, unclassified: 0 }, reasons: [] };
    const c = coverageClass(p);
    g.counts[c]++;
    if (c !== "ok") g.reasons.push(p.reason.replace(/\s+/g, " ").slice(0, 200));
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort((a, b) => compareStrings(a.tool, b.tool) || compareStrings(a.kind, b.kind) || compareStrings(a.hardware, b.hardware) || compareStrings(a.metric, b.metric))
    .map((g) => ({
      tool: g.tool,
      kind: g.kind,
      hardware: g.hardware,
      metric: g.metric,
      cells: String(Object.values(g.counts).reduce((s, x) => s + x, 0)),
      ok: String(g.counts.ok),
      cannot_express: String(g.counts.cannot_express),
      failed: String(g.counts.failed),
      no_input_generated: String(g.counts.no_input_generated),
      excluded: String(g.counts.excluded),
      unclassified: String(g.counts.unclassified),
      example_reason: mostFrequent(g.reasons),
    }));
}
