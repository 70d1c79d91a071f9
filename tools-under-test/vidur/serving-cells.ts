#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * The fixed-request-mix serving cells run with Vidur (suite/cells/vidur-serving.yaml) and the
 * check of their predictions against values derived from this artifact's measurements.
 *
 *   tsx tools-under-test/vidur/serving-cells.ts cells   writes suite/cells/vidur-serving.yaml
 *   tsx tools-under-test/vidur/serving-cells.ts check   writes results/vidur-serving-check.csv (make evaluate does too)
 *                                                       from results/predictions.csv and the measured sets
 *
 * A cell: R requests of I prompt and O output tokens on one idle device, all arriving at t = 0 (a
 * static batch) or, for a few mixes, with Poisson arrivals at a given rate; served by a vLLM-style
 * scheduler (at most 4096 tokens per batch), or for one mix by Sarathi-Serve's. No serving
 * system was measured in this artifact, so no cell has ground truth in suite/ground-truth/. Where a
 * quantity of a cell equals a measured one up to a stated approximation, DERIVED lists it:
 *  - TTFT of a lone request (R = 1) = the measured prefill latency of batch 1 at S = I (the prefill
 *    emits the first token; nothing else runs);
 *  - TPOT (time per output token after the first) of a mix whose prefills all fit in one batch
 *    (R * I <= 4096) = the measured decode-step latency at batch R, context I (the O - 1 decode steps
 *    of all R requests run at contexts I + 1 .. I + O - 1; the measurement is at context I);
 *  - throughput of a lone request = O / (TTFT + (O - 1) * TPOT), from the two above.
 * Every other (cell, metric), Poisson and Sarathi mixes included, is a system-level prediction without an independent reference:
 * "not comparable" (the check file says so; it is never an accuracy).
 */
import { readFileSync } from "node:fs";
import { stringify as stringifyYaml } from "yaml";
import { parse as parseCsv } from "csv-parse/sync";
import { writeFileAtomic, writeCsvAtomic, fmt } from "../../pipeline/lib/io.ts";
import type { Cell, GroundTruthRow } from "../../pipeline/lib/schema.ts";

export const CELL_FILE = "suite/cells/vidur-serving.yaml";
/** Written by `make evaluate` (pipeline/evaluate.ts), from the predictions it has just made. */
export const CHECK_FILE = "results/vidur-serving-check.csv";
export const MAX_BATCH_TOKENS = 4096; // Vidur's vLLM scheduler default (max_tokens_in_batch)

interface Device {
  hardware: string;
  precision: "bf16" | "fp32";
  model: string;
  /** Engine of the measurements the derived values come from. */
  engine: string;
}
export const DEVICES: Device[] = [
  { hardware: "h100-sxm5-80gb", precision: "bf16", model: "llama-2-7b", engine: "pytorch-cudagraph" },
  { hardware: "h200-sxm-141gb", precision: "bf16", model: "llama-2-7b", engine: "pytorch-cudagraph" },
  { hardware: "cpu-2core-amd-epyc-fam25-model17", precision: "fp32", model: "llama-2-7b-2layer", engine: "pytorch-eager" },
];
export interface Mix {
  r: number;
  i: number;
  o: number;
  /** Poisson arrival rate (requests/s); absent: all requests at t = 0. */
  qps?: number;
  /** Serving engine (Vidur scheduler through the adapter); absent: vllm. */
  engine?: "sarathi-serve" | "orca";
  metrics: readonly Metric[];
}
interface Metric {
  metric: "ttft_p50" | "ttft_p99" | "tpot_p50" | "tpot_p99" | "throughput";
  unit: "s" | "tokens/s";
  tag: string;
}
const M = {
  ttft50: { metric: "ttft_p50", unit: "s", tag: "ttft-p50" },
  ttft99: { metric: "ttft_p99", unit: "s", tag: "ttft-p99" },
  tpot50: { metric: "tpot_p50", unit: "s", tag: "tpot-p50" },
  tpot99: { metric: "tpot_p99", unit: "s", tag: "tpot-p99" },
  thr: { metric: "throughput", unit: "tokens/s", tag: "throughput" },
} as const satisfies Record<string, Metric>;
const BASIC = [M.ttft50, M.tpot50, M.thr] as const;
const TAILS = [M.ttft50, M.ttft99, M.tpot50, M.tpot99, M.thr] as const;

export const GPU_MIXES: Mix[] = [
  { r: 1, i: 512, o: 16, metrics: BASIC },
  { r: 1, i: 2048, o: 16, metrics: BASIC },
  { r: 8, i: 512, o: 16, metrics: BASIC },
  { r: 32, i: 512, o: 64, metrics: BASIC },
  // the same mix under Sarathi-Serve's chunked prefills (Vidur's sarathi scheduler)
  { r: 32, i: 512, o: 64, engine: "sarathi-serve", metrics: BASIC },
  // Poisson arrivals (Vidur's generator, seed 42)
  { r: 64, i: 512, o: 128, qps: 8, metrics: TAILS },
  { r: 64, i: 512, o: 128, qps: 32, metrics: TAILS },
];
export const CPU_MIXES: Mix[] = [
  { r: 1, i: 128, o: 16, metrics: BASIC },
  { r: 1, i: 512, o: 16, metrics: BASIC },
  { r: 8, i: 512, o: 16, metrics: BASIC },
];
const mixesOf = (d: Device) => (d.hardware.startsWith("cpu") ? CPU_MIXES : GPU_MIXES);

export function cellId(d: Device, m: Mix, tag: string): string {
  const kind = m.qps === undefined ? "static" : "poisson";
  const extra = (m.qps === undefined ? "" : `.qps${m.qps}`) + (m.engine === undefined ? "" : `.${m.engine}`);
  return `${kind}-mix.${d.model}.r${m.r}.in${m.i}.out${m.o}${extra}.${d.hardware}.${d.precision}.${tag}`;
}

export function servingCells(): Cell[] {
  const cells: Cell[] = [];
  for (const d of DEVICES) {
    for (const m of mixesOf(d)) {
      for (const x of m.metrics) {
        const arrival = m.qps === undefined ? "all arriving at t = 0" : `Poisson arrivals at ${m.qps} requests/s`;
        cells.push({
          id: cellId(d, m, x.tag),
          level: "serving",
          workload: {
            kind: "serving",
            model: d.model,
            scenario: m.qps === undefined ? "offline" : "server",
            input_len: m.i,
            output_len: m.o,
            num_requests: m.r,
            ...(m.qps === undefined ? {} : { qps: m.qps }),
          },
          hardware: d.hardware,
          n_devices: 1,
          parallelism: { tp: 1, pp: 1, dp: 1 },
          precision: d.precision,
          engine: m.engine ?? "vllm",
          metric: x.metric,
          unit: x.unit,
          notes: `fixed request mix: ${m.r} request(s) of ${m.i} prompt + ${m.o} output tokens, ${arrival} on one idle device, ${m.engine ?? "vLLM"}-style scheduling (tools-under-test/vidur/serving-cells.ts). No serving system was measured: no ground truth; values derived from measured prefill/decode steps, where a quantity allows it, are in ${CHECK_FILE}`,
        });
      }
    }
  }
  return cells;
}

/** How a (cell, metric) relates to the measured sets: the measured cell ids it is derived from, or why not comparable. */
export function derivation(d: Device, m: Mix, metric: string): { from: string[]; formula: string } | { reason: string } {
  const { r, i, o } = m;
  if (m.qps !== undefined) return { reason: `Poisson arrivals at ${m.qps} requests/s: queueing and mixed prefill/decode batches, no measured serving system` };
  if (m.engine !== undefined) return { reason: `${m.engine} scheduling (chunked prefills mixed with decodes): no measured serving system` };
  const eng = d.engine === "pytorch-cudagraph" ? ".cudagraph" : "";
  const prefill = `${d.model}.prefill.s${i}.b1${eng}.${d.hardware}.${d.precision}`;
  const decode = `${d.model}.decode.c${i}.b${r}${eng}.${d.hardware}.${d.precision}`;
  const oneBatch = r * i <= MAX_BATCH_TOKENS;
  if (metric === "ttft_p50")
    return r === 1 ? { from: [prefill], formula: "TTFT = prefill latency (batch 1)" } : { reason: `TTFT of ${r} requests needs a batched prefill of ${r} x ${i} tokens: not measured` };
  if (metric === "tpot_p50")
    return oneBatch
      ? { from: [decode], formula: `TPOT = decode-step latency at batch ${r}, context ${i} (steps run at contexts ${i + 1}..${i + o - 1})` }
      : { reason: `${r} x ${i} prompt tokens exceed one ${MAX_BATCH_TOKENS}-token batch: decodes wait for later prefills, no measured equivalent` };
  if (metric === "throughput")
    return r === 1
      ? { from: [prefill, decode], formula: `throughput = ${o} / (prefill + ${o - 1} x decode step)` }
      : { reason: `throughput of ${r} requests needs the batched prefill: not measured` };
  return { reason: `metric ${metric} not derived` };
}

export function derivedValue(metric: string, o: number, v: number[]): number {
  if (metric === "throughput") return o / (v[0]! + (o - 1) * v[1]!);
  return v[0]!;
}

export const CHECK_COLUMNS = ["cell_id", "metric", "unit", "predicted", "derived", "abs_pct_error", "comparison", "derived_from", "formula_or_reason"] as const;

/** Rows of the derived check, from Vidur's predictions and the measured ground truth (first measured row per cell). */
export function checkRows(predictions: { tool: string; cell_id: string; predicted: string; status: string }[], gt: Pick<GroundTruthRow, "cell_id" | "value" | "source_kind" | "gt_id">[]): Record<string, string>[] {
  const pred = new Map(predictions.filter((p) => p.tool === "vidur" && p.status === "ok").map((p) => [p.cell_id, Number(p.predicted)]));
  const measured = new Map<string, { value: number; gt_id: string }>();
  for (const g of [...gt].sort((a, b) => (a.gt_id < b.gt_id ? -1 : 1))) if (g.source_kind === "measured" && !measured.has(g.cell_id)) measured.set(g.cell_id, { value: g.value, gt_id: g.gt_id });
  const rows: Record<string, string>[] = [];
  for (const d of DEVICES) {
    for (const mix of mixesOf(d)) {
      for (const m of mix.metrics) {
        const id = cellId(d, mix, m.tag);
        const p = pred.get(id);
        const der = derivation(d, mix, m.metric);
        const base = { cell_id: id, metric: m.metric, unit: m.unit, predicted: p === undefined ? "" : fmt(p) };
        if ("reason" in der) {
          rows.push({ ...base, derived: "", abs_pct_error: "", comparison: "not comparable", derived_from: "", formula_or_reason: der.reason });
          continue;
        }
        const vals = der.from.map((c) => measured.get(c));
        const missing = der.from.filter((_, k) => vals[k] === undefined);
        if (missing.length > 0) {
          rows.push({ ...base, derived: "", abs_pct_error: "", comparison: "waiting for a measurement", derived_from: der.from.join(" + "), formula_or_reason: `no measured value for ${missing.join(", ")}` });
          continue;
        }
        const v = derivedValue(m.metric, mix.o, vals.map((x) => x!.value));
        rows.push({
          ...base,
          derived: fmt(v),
          abs_pct_error: p === undefined ? "" : fmt((Math.abs(p - v) / v) * 100),
          comparison: "derived from measured components",
          derived_from: vals.map((x) => x!.gt_id).join(" + "),
          formula_or_reason: der.formula,
        });
      }
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const what = process.argv[2];
  if (what === "cells") {
    const header = "# GENERATED by tools-under-test/vidur/serving-cells.ts (tsx tools-under-test/vidur/serving-cells.ts cells); do not edit.\n";
    writeFileAtomic(CELL_FILE, header + stringifyYaml({ cells: servingCells() }, { lineWidth: 0 }));
    console.log(`wrote ${CELL_FILE}`);
  } else if (what === "check") {
    const { loadSuite } = await import("../../pipeline/lib/suite.ts");
    const suite = loadSuite(".");
    const preds = parseCsv(readFileSync("results/predictions.csv", "utf8"), { columns: true }) as { tool: string; cell_id: string; predicted: string; status: string }[];
    writeCsvAtomic(CHECK_FILE, CHECK_COLUMNS, checkRows(preds, suite.groundTruth));
    console.log(`wrote ${CHECK_FILE}`);
  } else {
    console.error("usage: serving-cells.ts cells|check");
    process.exit(2);
  }
}
