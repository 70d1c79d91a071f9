/** Human-readable tables and CSV for the `zzz` commands' results (the JSON is the result itself). */
import { fmt, toCsv } from "../io.ts";
import type { PredictJson, SearchJson, ServeJson, TrainJson } from "./commands.ts";

const ms = (s: number) => (Math.abs(s) >= 10 ? `${s.toPrecision(4)} s` : `${(s * 1e3).toPrecision(4)} ms`);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const gb = (b: number) => (Number.isFinite(b) ? `${(b / 1e9).toFixed(1)} GB` : "unbounded");
const big = (x: number) => (x >= 1e6 ? x.toExponential(3) : x.toPrecision(4));

function table(columns: string[], rows: (string | number)[][], right: Set<number> = new Set()): string {
  const cells = [columns, ...rows.map((r) => r.map(String))];
  const w = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (right.has(i) ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join("  ").trimEnd();
  return [line(cells[0]!), w.map((x) => "-".repeat(x)).join("  "), ...cells.slice(1).map(line)].join("\n");
}
function kv(pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n");
}

function workloadText(c: PredictJson["cell"]): string {
  const w = c.workload;
  switch (w.kind) {
    case "prefill":
      return `prefill, batch ${w.batch}, seq ${w.seq_len}`;
    case "decode-step":
      return `decode step, batch ${w.batch}, context ${w.context_len}`;
    case "inference":
      return `forward, batch ${w.batch}${w.seq_len ? `, seq ${w.seq_len}` : ""}`;
    case "training":
      return `training step, global batch ${w.global_batch}${w.micro_batch ? `, micro-batch ${w.micro_batch}` : ""}${w.seq_len ? `, seq ${w.seq_len}` : ""}`;
    default:
      return w.kind;
  }
}
const devices = (c: PredictJson["cell"]) => `${c.n_devices} (tp ${c.parallelism.tp} x pp ${c.parallelism.pp} x dp ${c.parallelism.dp})`;

export function predictTable(r: PredictJson): string {
  const p = r.prediction;
  const pairs: [string, string][] = [
    ["model", `${r.cell.workload.kind === "training" || "model" in r.cell.workload ? (r.cell.workload as { model: string }).model : ""} (${r.files.model})`],
    ["hardware", `${r.cell.hardware} (${r.files.hardware})`],
    ["workload", `${workloadText(r.cell)}, ${r.cell.precision}`],
    ["devices", devices(r.cell)],
    ["engine", `${r.cell.engine}${p.engine ? ` -> ${p.engine}, timing ${p.timing}` : ""}`],
    ["latency", ms(p.latency_s)],
  ];
  if (r.tokens_per_s !== undefined) pairs.push(["tokens/s", big(r.tokens_per_s)]);
  pairs.push(["FLOPs", big(p.flops)]);
  if (p.bytes) pairs.push(["bytes", big(p.bytes)]);
  pairs.push(["bound", p.bound]);
  if (p.calibration) pairs.push(["calibration", p.calibration]);
  pairs.push(["detail", p.detail]);
  let out = kv(pairs);
  if (r.breakdown) out += `\n\n${breakdownTable(r.breakdown)}`;
  return out;
}

function breakdownTable(rows: NonNullable<PredictJson["breakdown"]>): string {
  // count and bound are per-operator columns: left out of a breakdown into the step's parts
  const perOp = rows.some((b) => b.count !== undefined);
  const total = rows.reduce((a, b) => a + b.time_s, 0);
  const body = rows.map((b) => [b.part, ...(perOp ? [b.count ?? ""] : []), ms(b.time_s), pct(b.share), ...(perOp ? [b.bound ?? ""] : [])]);
  body.push(["total", ...(perOp ? [""] : []), ms(total), pct(rows.reduce((a, b) => a + b.share, 0)), ...(perOp ? [""] : [])]);
  return table(["part", ...(perOp ? ["count"] : []), "time", "share", ...(perOp ? ["bound"] : [])], body, perOp ? new Set([1, 2, 3]) : new Set([1, 2]));
}

export function predictCsv(r: PredictJson): string {
  if (r.breakdown) return toCsv(["part", "count", "time_s", "share", "bound"], r.breakdown.map((b) => ({ ...b, time_s: fmt(b.time_s), share: fmt(b.share) })));
  const w = r.cell.workload as Record<string, unknown>;
  const row = {
    model: w.model,
    hardware: r.cell.hardware,
    phase: w.kind,
    batch: w.batch ?? w.global_batch,
    seq_len: w.seq_len,
    context_len: w.context_len,
    dtype: r.cell.precision,
    engine: r.cell.engine,
    tp: r.cell.parallelism.tp,
    pp: r.cell.parallelism.pp,
    dp: r.cell.parallelism.dp,
    gpus: r.cell.n_devices,
    latency_s: fmt(r.prediction.latency_s),
    tokens_per_s: fmt(r.tokens_per_s),
    flops: fmt(r.prediction.flops),
    bytes: fmt(r.prediction.bytes),
    bound: r.prediction.bound,
  };
  return toCsv(Object.keys(row), [row]);
}

export function trainTable(r: TrainJson): string {
  const m = r.memory_per_device;
  const head = kv([
    ["model", `${(r.cell.workload as { model: string }).model} (${r.files.model})`],
    ["hardware", `${r.cell.hardware} (${r.files.hardware})`],
    ["workload", `${workloadText(r.cell)}, ${r.cell.precision}, engine ${r.cell.engine}`],
    ["devices", devices(r.cell)],
    ["step time", ms(r.step_s)],
    ["tokens/s", big(r.tokens_per_s)],
    ["MFU", pct(r.mfu)],
    ["micro-batches", String(r.microbatches)],
    [
      "memory/device",
      `${gb(m.total_bytes)} of ${gb(m.capacity_bytes)} (${m.fits ? "fits" : "DOES NOT FIT"}): weights ${gb(m.weights_bytes)}, gradients ${gb(m.gradients_bytes)}, optimizer ${gb(m.optimizer_bytes)}, activations ${gb(m.activations_bytes)}`,
    ],
  ]);
  return `${head}\n\n${breakdownTable(r.breakdown)}`;
}

export function trainCsv(r: TrainJson): string {
  const m = r.memory_per_device;
  const row: Record<string, unknown> = {
    model: (r.cell.workload as { model: string }).model,
    hardware: r.cell.hardware,
    tp: r.cell.parallelism.tp,
    pp: r.cell.parallelism.pp,
    dp: r.cell.parallelism.dp,
    step_s: fmt(r.step_s),
    tokens_per_s: fmt(r.tokens_per_s),
    mfu: fmt(r.mfu),
    ...Object.fromEntries(r.breakdown.map((b, i) => [["compute_s", "tp_exposed_s", "bubble_idle_s", "p2p_exposed_s", "dp_exposed_s", "optimizer_s"][i]!, fmt(b.time_s)])),
    mem_total_bytes: fmt(m.total_bytes),
    mem_capacity_bytes: fmt(m.capacity_bytes),
    fits: m.fits,
  };
  return toCsv(Object.keys(row), [row]);
}

export function serveTable(r: ServeJson): string {
  const c = r.config;
  const w = r.workload;
  const m = r.metrics;
  const head = kv([
    ["model", r.files.model],
    ["hardware", `${r.files.hardware}, ${c.replicas} replica${c.replicas > 1 ? "s" : ""} of 1 GPU, ${c.dtype}`],
    ["scheduler", `${c.scheduler} (max ${c.max_num_batched_tokens} tokens, ${c.max_num_seqs} seqs per batch; ${c.kv_blocks_per_replica} KV blocks of ${c.block_size} per replica)`],
    ["workload", `${w.requests} requests, ${w.rate_per_s === null ? "all at t = 0" : `Poisson ${w.rate_per_s}/s`}, prompt ${w.prompt_tokens}, output ${w.output_tokens} tokens, seed ${w.seed}`],
    ["throughput", `${m.throughput_rps.toPrecision(4)} requests/s, ${m.output_tokens_per_s.toPrecision(5)} output tokens/s`],
    ["completed", `${m.completed} (rejected ${m.rejected}, preemptions ${m.preemptions}, ${m.iterations} iterations)`],
  ]);
  const rows = (["ttft_s", "tpot_s", "e2e_s"] as const).map((k) => [k.replace("_s", "").toUpperCase(), ms(m[k].p50), ms(m[k].p90), ms(m[k].p99), ms(m[k].mean), ms(m[k].max)]);
  return `${head}\n\n${table(["metric", "p50", "p90", "p99", "mean", "max"], rows, new Set([1, 2, 3, 4, 5]))}`;
}

export function serveCsv(r: ServeJson): string {
  const m = r.metrics;
  const row: Record<string, unknown> = { replicas: r.config.replicas, scheduler: r.config.scheduler, max_num_batched_tokens: r.config.max_num_batched_tokens, requests: r.workload.requests, rate_per_s: r.workload.rate_per_s };
  for (const k of ["ttft_s", "tpot_s", "e2e_s"] as const) for (const q of ["p50", "p90", "p99"] as const) row[`${k.replace("_s", "")}_${q}_s`] = fmt(m[k][q]);
  row.throughput_rps = fmt(m.throughput_rps);
  row.output_tokens_per_s = fmt(m.output_tokens_per_s);
  return toCsv(Object.keys(row), [row]);
}

const SEARCH_COLS = {
  train: ["rank", "gpus", "tp", "pp", "dp", "micro_batch", "step_s", "mem_per_device_bytes", "tokens_per_s", "tokens_per_s_per_gpu", "gpu_s_per_mtoken"],
  serve: ["rank", "gpus", "replicas", "scheduler", "max_num_batched_tokens", "max_num_seqs", "ttft_p99_s", "tpot_p99_s", "tokens_per_s", "tokens_per_s_per_gpu", "gpu_s_per_mtoken"],
} as const;

export function searchTable(r: SearchJson): string {
  const c = r.constraints;
  const lim = [`at most ${c.max_gpus} GPUs`, "fits in memory", ...(c.ttft_slo_s !== undefined ? [`TTFT p99 <= ${ms(c.ttft_slo_s)}`] : []), ...(c.tpot_slo_s !== undefined ? [`TPOT p99 <= ${ms(c.tpot_slo_s)}`] : [])];
  const head = kv([
    ["search", `${r.for} configurations of ${r.files.model} on ${r.files.hardware}, ranked by ${r.objective === "cost" ? "cost (GPU-seconds per million tokens)" : "throughput (tokens/s)"}`],
    ["constraints", lim.join(", ")],
    ["evaluated", `${r.evaluated}, feasible ${r.feasible}${Object.keys(r.rejected).length ? `; rejected: ${Object.entries(r.rejected).map(([k, v]) => `${v} ${k}`).join("; ")}` : ""}`],
  ]);
  if (!r.best.length) return `${head}\n\nno configuration meets the constraints`;
  const cols = SEARCH_COLS[r.for];
  const TIMES = new Set(["step_s", "ttft_p99_s", "tpot_p99_s"]);
  const show = (k: string, v: unknown) => (v === undefined ? "" : TIMES.has(k) ? ms(v as number) : k.endsWith("_bytes") ? gb(v as number) : typeof v === "number" && !Number.isInteger(v) ? big(v) : String(v));
  return `${head}\n\n${table(
    cols.map((c) => (TIMES.has(c) ? c.replace(/_s$/, "") : c.replace(/_bytes$/, ""))),
    r.best.map((b) => cols.map((k) => show(k, (b as Record<string, unknown>)[k]))),
    new Set(cols.map((k, i) => (k === "scheduler" ? -1 : i))),
  )}`;
}

export function searchCsv(r: SearchJson): string {
  const cols = SEARCH_COLS[r.for];
  return toCsv(
    cols,
    r.best.map((b) => {
      const x = b as Record<string, unknown>;
      return Object.fromEntries(cols.map((k) => [k, typeof x[k] === "number" ? fmt(x[k]) : x[k]]));
    }),
  );
}
