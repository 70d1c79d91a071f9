/**
 * Decision fidelity: where the ground truth holds several configurations of the same job, does a
 * tool's ranking pick the measured best, and how much worse is its pick really (regret)?
 *
 * A job is a cell with its configuration knobs removed: the device count and parallelism, the
 * engine, and the training knobs (recomputation, micro-batch, sequence parallelism, virtual
 * stages). Within a job the objective is device-seconds for time metrics (value x n_devices:
 * the cost of the run) and throughput per device for throughput metrics. A tool is scored on a job
 * when it predicted at least two of the job's configurations that have ground truth; its pick is
 * its best-predicted configuration among those, the best is the measured best among the same ones.
 */
import type { Cell } from "./schema.ts";

export interface DecisionInput {
  tool: string;
  cell_id: string;
  measured: number;
  predicted: number;
}

export interface DecisionRow {
  tool: string;
  job: string;
  metric: string;
  configurations: number;
  tool_pick: string;
  measured_best: string;
  top1: boolean;
  /** measured objective of the tool's pick relative to the measured best (0 = the best). */
  regret: number;
}

const TRAINING_KNOBS = ["recompute", "micro_batch", "sequence_parallel", "virtual_stages"];
const TIME_METRICS = new Set(["latency", "time_to_train", "ttft_p50", "ttft_p99", "tpot_p50", "tpot_p99"]);

export function jobKey(c: Cell): string {
  const w = { ...(c.workload as Record<string, unknown>) };
  for (const k of TRAINING_KNOBS) delete w[k];
  return JSON.stringify({ level: c.level, workload: w, hardware: c.hardware, precision: c.precision, metric: c.metric });
}

export function configLabel(c: Cell): string {
  const w = c.workload as Record<string, unknown>;
  const p = c.parallelism;
  const knobs = TRAINING_KNOBS.filter((k) => w[k] !== undefined).map((k) => `${k}=${String(w[k])}`);
  return [`x${c.n_devices}`, `tp${p.tp}.pp${p.pp}.dp${p.dp}`, c.engine, ...knobs].join(" ");
}

/** Lower is better. */
function objective(c: Cell, value: number): number | undefined {
  if (TIME_METRICS.has(c.metric)) return value * c.n_devices;
  if (c.metric === "throughput" || c.metric === "achieved_flops_per_device" || c.metric === "bus_bandwidth") return -value / (c.metric === "throughput" ? c.n_devices : 1);
  return undefined;
}

export function decisionFidelity(rows: readonly DecisionInput[], cells: ReadonlyMap<string, Cell>): DecisionRow[] {
  // one measured value per (tool, cell): the first ground-truth row (accuracy.csv may hold several)
  const seen = new Set<string>();
  const byToolJob = new Map<string, { cell: Cell; measured: number; predicted: number }[]>();
  for (const r of rows) {
    const c = cells.get(r.cell_id);
    if (!c || !Number.isFinite(r.measured) || !Number.isFinite(r.predicted)) continue;
    const k = `${r.tool}\u0000${r.cell_id}`;
    if (seen.has(k)) continue;
    seen.add(k);
    if (objective(c, 1) === undefined) continue;
    const key = `${r.tool}\u0000${jobKey(c)}`;
    const list = byToolJob.get(key) ?? [];
    list.push({ cell: c, measured: r.measured, predicted: r.predicted });
    byToolJob.set(key, list);
  }
  const out: DecisionRow[] = [];
  for (const [key, list] of byToolJob) {
    const labels = new Set(list.map((x) => configLabel(x.cell)));
    if (labels.size < 2 || labels.size !== list.length) continue;
    const tool = key.split("\u0000")[0]!;
    const by = (f: (x: (typeof list)[number]) => number) => list.slice().sort((a, b) => f(a) - f(b) || (a.cell.id < b.cell.id ? -1 : 1))[0]!;
    const pick = by((x) => objective(x.cell, x.predicted)!);
    const best = by((x) => objective(x.cell, x.measured)!);
    const om = (x: (typeof list)[number]) => objective(x.cell, x.measured)!;
    const regret = om(best) === 0 ? 0 : (om(pick) - om(best)) / Math.abs(om(best));
    const c0 = list[0]!.cell;
    const w = c0.workload as { kind: string; model?: string };
    out.push({
      tool,
      // the job's name and, to find it, the id of its first configuration
      job: `${w.kind}${w.model ? `:${w.model}` : ""}@${c0.hardware}/${c0.precision} (${list.map((x) => x.cell.id).sort()[0]})`,
      metric: c0.metric,
      configurations: list.length,
      tool_pick: configLabel(pick.cell),
      measured_best: configLabel(best.cell),
      top1: pick === best || om(pick) === om(best),
      regret: Number(regret.toFixed(6)),
    });
  }
  return out.sort((a, b) => (a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
}
