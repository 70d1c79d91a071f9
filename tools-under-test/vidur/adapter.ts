/**
 * Vidur (microsoft/vidur), the LLM-inference serving simulator, as a tool under test.
 *
 * Cells (see README.md for the full mapping and what is not run, with reasons):
 *  - iteration cells: model-level Llama-shaped prefill (batch 1) and decode-step cells (tp = pp = dp
 *    = 1) on hardware for which this adapter has a complete Vidur compute profile (mlp.csv +
 *    attention.csv), see PROFILES: the project's own measured Vidur-format sets (H100, H200 and the
 *    2-core CPU host). Prediction = the batch_execution_time of the cell's batch in batch_metrics.csv.
 *  - serving cells with a fixed request mix (workload.num_requests requests of input_len/output_len
 *    tokens, all arriving at t = 0, or Poisson arrivals at workload.qps): TTFT, TPOT and throughput
 *    from request_metrics.csv.
 *
 * Each cell is one controlled simulation, see simulationArgs():
 *   prefill S, batch 1:        1 request, S prompt tokens, 1 output token. Vidur runs one batch
 *                              (the prefill, which emits the first token).
 *   decode-step C, batch B:    B requests, C prompt tokens, 2 output tokens. Vidur prefills them
 *                              (in batches of at most 4096 tokens), then runs one decode batch of
 *                              all B requests, each with C cached tokens + the new one. Vidur rounds
 *                              the per-request KV length up to its 64-token prediction granularity
 *                              (C + 1 -> C + 64), as it does for any request.
 *   serving (fixed mix) R,I,O: R requests, I prompt tokens, O output tokens, all at t = 0 (or
 *                              Poisson arrivals at the cell's qps).
 * invoke() runs `python -m vidur.main ...` (or `python -c <LAUNCHER>` for a model this adapter
 * registers, see EXTRA_MODELS) in $VIDUR_DIR through pipeline/lib/exec.ts (local or Docker, with a
 * time limit) and returns the batch_metrics.csv and request_metrics.csv it wrote, each after a
 * '# section: <file>' line, below '#' lines naming the profile set (paths, sha256) and arguments;
 * the runner records that as results/raw/vidur/<cell id>.txt. parse() reads it back (csv-parse).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseCsv } from "csv-parse/sync";
import { parse as parseYaml } from "yaml";
import { ToolMetadata, type Cell } from "../../pipeline/lib/schema.ts";
import type { ToolAdapter, Support, ToolContext, Availability } from "../../pipeline/lib/tool.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import { runProcess, launcherFor, toolAvailability } from "../../pipeline/lib/exec.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = resolve(here, "../..");
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));

export const ENV_DIR = "VIDUR_DIR";
export const ENV_PYTHON = "VIDUR_PYTHON";
/** Time limit of one Vidur run in seconds (default 1800: the first run per profile set trains its models). */
export const ENV_TIMEOUT = "VIDUR_TIMEOUT_S";
export const DEFAULT_PYTHON = "/usr/bin/python3";
export const DEFAULT_TIMEOUT_S = 1800;

/** Suite model id -> Vidur model name (vidur/config/model_config.py, or EXTRA_MODELS). */
export const VIDUR_MODELS: Record<string, string> = {
  "llama-2-7b": "meta-llama/Llama-2-7b-hf",
  "llama-2-7b-2layer": "llama-2-7b-2layer",
  "llama-2-70b": "meta-llama/Llama-2-70b-hf",
  "llama-3-8b": "meta-llama/Meta-Llama-3-8B",
  "llama-3-70b": "meta-llama/Meta-Llama-3-70B",
};

/**
 * Models that Vidur (7d475133) has no config for, registered by this adapter at launch through
 * Vidur's own extension point (model configs are looked up among the subclasses of
 * BaseModelConfig by get_name(); vidur/config/base_fixed_config.py): a subclass of an existing
 * config with fields overridden. Nothing in Vidur is changed; see LAUNCHER.
 */
export const EXTRA_MODELS: Record<string, { base: string; overrides: Record<string, number> }> = {
  // suite/models/llama-2-7b-2layer.yaml: Llama-2-7B with 2 of its 32 layers (the CPU measurement shape).
  "llama-2-7b-2layer": { base: "Llama2_7BModelConfig", overrides: { num_layers: 2 } },
};

/** The Python program passed with -c for a model in EXTRA_MODELS: register the config, then run vidur.main. */
export function launcherCode(vidurModel: string): string {
  const m = EXTRA_MODELS[vidurModel];
  if (!m) throw new Error(`no adapter-registered Vidur model '${vidurModel}'`);
  const cls = `Adapter_${vidurModel.replace(/[^A-Za-z0-9]/g, "_")}`;
  return [
    "from dataclasses import dataclass",
    `from vidur.config.model_config import ${m.base}`,
    "@dataclass",
    `class ${cls}(${m.base}):`,
    ...Object.entries(m.overrides).map(([k, v]) => `    ${k}: int = ${v}`),
    "    @staticmethod",
    "    def get_name():",
    `        return ${JSON.stringify(vidurModel)}`,
    "from vidur.main import main",
    "main()",
  ].join("\n");
}

export interface ProfileSet {
  /** Vidur device SKU the replica is declared as (memory planning only; times come from the files). */
  vidurDevice: "a100" | "h100" | "a40";
  /** Vidur node SKU; with tp = pp = 1 it only names the (unused) network profile files. */
  networkDevice: string;
  /** Repository-relative paths of the compute profiles. */
  mlp: string;
  attention: string;
  /** Memory margin handed to Vidur's memory planner (see README: why 0 for the H100/H200 sets). */
  memoryMarginFraction: number;
  basis: string;
}

const measuredSet = (hw: string) => `suite/ground-truth/measured/${hw}/2026-11-26/vidur`;
export const CPU = "cpu-2core-amd-epyc-fam25-model17";

/**
 * Compute profiles per (hardware, model): the project's own measured Vidur-format sets
 * (suite/measure/measure.py), one per device it was measured on. Vidur's device SKUs are a closed
 * enum (a40, a100, h100; vidur/types/device_sku_type.py): a device without a SKU is declared as a
 * stand-in SKU, whose total_memory_gb only enters the memory planner and whose fp16_tflops only
 * Vidur's MFU metric; every predicted time comes from the profile files.
 *  - H200: declared h100 (80 GB). With Vidur's default 10% memory margin the planner admits only
 *    59 sequences of 2050 tokens, fewer than the 64 of the largest decode cell, which ran on both
 *    real GPUs: margin 0 (80 GB usable, 67 sequences). Admission only, never a time.
 *  - CPU host (23.5 GiB RAM): declared a40 (45 GB, the smallest SKU), Vidur's default margin 0.1;
 *    the 2-layer model and the cells' KV caches need a small fraction of it.
 */
export const PROFILES: Record<string, Record<string, ProfileSet>> = {
  "h100-sxm5-80gb": {
    "llama-2-7b": {
      vidurDevice: "h100",
      networkDevice: "h100_pairwise_nvlink",
      mlp: `${measuredSet("h100-sxm5-80gb")}/mlp.csv`,
      attention: `${measuredSet("h100-sxm5-80gb")}/attention.csv`,
      memoryMarginFraction: 0,
      basis: "project-measured Vidur-format profiles, H100-SXM5-80GB, Llama-2-7B layer shapes, bf16 (suite/ground-truth/measured/h100-sxm5-80gb/2026-11-26/vidur/)",
    },
  },
  "h200-sxm-141gb": {
    "llama-2-7b": {
      vidurDevice: "h100",
      networkDevice: "h100_pairwise_nvlink",
      mlp: `${measuredSet("h200-sxm-141gb")}/mlp.csv`,
      attention: `${measuredSet("h200-sxm-141gb")}/attention.csv`,
      memoryMarginFraction: 0,
      basis: "project-measured Vidur-format profiles, H200-SXM-141GB, Llama-2-7B layer shapes, bf16 (suite/ground-truth/measured/h200-sxm-141gb/2026-11-26/vidur/); declared Vidur SKU h100 (memory planning only)",
    },
  },
  [CPU]: {
    "llama-2-7b-2layer": {
      vidurDevice: "a40",
      networkDevice: "a40_pairwise_nvlink",
      mlp: `${measuredSet(CPU)}/mlp.csv`,
      attention: `${measuredSet(CPU)}/attention.csv`,
      memoryMarginFraction: 0.1,
      basis: `project-measured Vidur-format profiles, 2-core CPU host, Llama-2-7B layer shapes, fp32 (suite/ground-truth/measured/${CPU}/2026-11-26/vidur/); declared Vidur SKU a40 (memory planning only)`,
    },
  },
};

/** Vidur scheduler per cell engine; the suite's static-batch measurements match vLLM's (see README). */
export const SCHEDULERS: Record<string, "vllm" | "orca" | "sarathi"> = { vllm: "vllm", orca: "orca", "sarathi-serve": "sarathi" };
export const DEFAULT_SCHEDULER = "vllm";
export function schedulerFor(cell: Cell): "vllm" | "orca" | "sarathi" {
  return SCHEDULERS[cell.engine] ?? DEFAULT_SCHEDULER;
}

export const LFS_REASON = (hw: string) =>
  `no input generated: Vidur's ${hw === "a100-sxm4-80gb" ? "a100" : "h100"} attention profile (data/profiling/compute/<device>/<model>/attention.csv) is a Git LFS object absent from the snapshot of microsoft/vidur available here; without it Vidur cannot predict attention`;
export const NOT_INDEPENDENT_REASON =
  "excluded: ground truth is Vidur's own profiling data (data/profiling/), from which Vidur's predictor is trained: not an independent check of Vidur";
export const MLPERF_REASON =
  "no input generated: Vidur needs Llama-2-70B operator profiles on the cell's GPU at its tensor parallelism (attention with 64 query / 8 KV heads, split over the TP ranks); none is usable here: upstream's h100 Llama-2-70b mlp.csv is present but its attention.csv is a Git LFS object absent from the snapshot, upstream has no H200 profiles, and this artifact measured only Llama-2-7B shapes at TP 1. Even with profiles: the submissions run TensorRT-LLM in fp8 while Vidur's profiles are fp16/bf16 PyTorch kernels, and the MLPerf dataset (OpenOrca length distribution), Server arrival process and latency constraints are not modelled by this adapter";
/** A serving cell without a fixed request mix (an MLPerf-style scenario) of a model other than Llama-2-70B. */
export const SCENARIO_REASON =
  "no input generated: an MLPerf-style scenario (dataset length distribution, arrival process, latency constraints) is not mapped onto Vidur by this adapter; only fixed request mixes (workload.num_requests, input_len, output_len) are";

/** Vidur simulates decoder-only LLMs; a config for another decoder is a file a user can add (our gap). */
export const noConfigReason = (model: string, suite: Pick<Suite, "models">) => {
  const kind = suite.models.get(model)?.arch.kind;
  return kind !== undefined && kind !== "decoder"
    ? `cannot express: Vidur simulates decoder-only LLMs; ${model} is ${kind === "encoder" ? "an" : "a"} ${kind} model`
    : `no input generated: Vidur has no model config for ${model}`;
};

const SERVING_METRICS = new Set(["ttft_p50", "ttft_p99", "tpot_p50", "tpot_p99", "throughput"]);

export function supports(cell: Cell, suite: Pick<Suite, "models">): Support {
  const w = cell.workload;
  if (cell.id.startsWith("vidur.")) return { ok: false, reason: NOT_INDEPENDENT_REASON };
  if (w.kind === "serving") {
    if (w.num_requests === undefined || w.input_len === undefined || w.output_len === undefined) {
      if (w.model === "llama-2-70b") return { ok: false, reason: MLPERF_REASON };
      if (!VIDUR_MODELS[w.model]) return { ok: false, reason: noConfigReason(w.model, suite) };
      return { ok: false, reason: SCENARIO_REASON };
    }
    if (!SERVING_METRICS.has(cell.metric)) return { ok: false, reason: `metric ${cell.metric} is not read from Vidur's request metrics in this adapter` };
    if (cell.metric === "throughput" && cell.unit !== "tokens/s") return { ok: false, reason: "serving throughput is read as output tokens/s" };
    if (w.output_len < 2 && cell.metric.startsWith("tpot")) return { ok: false, reason: "TPOT needs at least 2 output tokens" };
  } else if (w.kind !== "prefill" && w.kind !== "decode-step") {
    return { ok: false, reason: `cannot express: Vidur predicts LLM serving (per-batch and per-request times of whole models); workload kind '${w.kind}' is not one it simulates` };
  } else if (cell.metric !== "latency") {
    return { ok: false, reason: `metric ${cell.metric} is not derived from Vidur's batch times in this adapter` };
  }
  const vidurModel = VIDUR_MODELS[w.model];
  if (!vidurModel) return { ok: false, reason: noConfigReason(w.model, suite) };
  const p = cell.parallelism;
  if (cell.n_devices !== 1 || p.tp !== 1 || p.pp !== 1 || p.dp !== 1) return { ok: false, reason: "only single-device (tp = pp = dp = 1) cells are mapped onto Vidur in this adapter" };
  if (w.kind === "prefill" && w.batch !== 1) return { ok: false, reason: "prefill cells are mapped for batch 1 only (one request, one prefill batch)" };
  if (!PROFILES[cell.hardware]?.[w.model]) {
    if ((cell.hardware === "a100-sxm4-80gb" || cell.hardware === "h100-sxm5-80gb") && (w.model === "llama-2-7b" || w.model === "llama-2-70b"))
      return { ok: false, reason: LFS_REASON(cell.hardware) };
    return { ok: false, reason: `no Vidur compute profile of ${w.model} on ${cell.hardware} in this artifact` };
  }
  return { ok: true };
}

/** The request mix of one cell: how many requests, their prompt and output lengths. */
export function requestShape(cell: Cell): { numRequests: number; prefillTokens: number; decodeTokens: number } {
  const w = cell.workload;
  if (w.kind === "prefill") return { numRequests: w.batch, prefillTokens: w.seq_len, decodeTokens: 1 };
  if (w.kind === "decode-step") return { numRequests: w.batch, prefillTokens: w.context_len, decodeTokens: 2 };
  if (w.kind === "serving" && w.num_requests !== undefined && w.input_len !== undefined && w.output_len !== undefined)
    return { numRequests: w.num_requests, prefillTokens: w.input_len, decodeTokens: w.output_len };
  throw new Error(`workload kind ${w.kind} is not mapped onto Vidur`);
}

/** Poisson arrival rate of a serving cell's request mix (requests/s); undefined: all requests at t = 0. */
export function qpsOf(cell: Cell): number | undefined {
  return cell.workload.kind === "serving" ? cell.workload.qps : undefined;
}

/**
 * Vidur's interval generator: static (every request at t = 0) or Poisson at the cell's qps. Vidur's
 * Poisson generator (vidur/request_generator/poisson_request_interval_generator.py) caps each
 * interval at 3 / qps and draws from Python's random module seeded by --seed (default 42), so a run
 * is deterministic.
 */
export function arrivalArgs(cell: Cell): string[] {
  const qps = qpsOf(cell);
  return qps === undefined
    ? ["--interval_generator_config_type", "static"]
    : ["--interval_generator_config_type", "poisson", "--poisson_request_interval_generator_config_qps", String(qps)];
}

function modelOf(cell: Cell): string {
  const w = cell.workload;
  if (w.kind === "prefill" || w.kind === "decode-step" || w.kind === "serving") return w.model;
  throw new Error(`workload kind ${w.kind} is not mapped onto Vidur`);
}

/** vidur.main arguments for one cell (after the program selector); profile paths are absolute. */
export function simulationArgs(cell: Cell, outDir: string, cacheDir: string, root = repoRoot): string[] {
  const model = modelOf(cell);
  const prof = PROFILES[cell.hardware]?.[model];
  if (!prof) throw new Error(`no Vidur profile for ${model} on ${cell.hardware}`);
  const vidurModel = VIDUR_MODELS[model]!;
  const r = requestShape(cell);
  const rf = "--random_forrest_execution_time_predictor_config_";
  return [
    ...(EXTRA_MODELS[vidurModel] ? ["-c", launcherCode(vidurModel)] : ["-m", "vidur.main"]),
    "--replica_config_model_name", vidurModel,
    "--replica_config_device", prof.vidurDevice,
    "--replica_config_network_device", prof.networkDevice,
    "--replica_config_memory_margin_fraction", String(prof.memoryMarginFraction),
    "--replica_config_tensor_parallel_size", "1",
    "--replica_config_num_pipeline_stages", "1",
    "--cluster_config_num_replicas", "1",
    "--replica_scheduler_config_type", schedulerFor(cell),
    "--request_generator_config_type", "synthetic",
    "--synthetic_request_generator_config_num_requests", String(r.numRequests),
    ...arrivalArgs(cell),
    "--length_generator_config_type", "fixed",
    "--fixed_request_length_generator_config_prefill_tokens", String(r.prefillTokens),
    "--fixed_request_length_generator_config_decode_tokens", String(r.decodeTokens),
    "--fixed_request_length_generator_config_max_tokens", String(r.prefillTokens + r.decodeTokens),
    "--execution_time_predictor_config_type", "random_forrest",
    `${rf}compute_input_file`, join(root, prof.mlp),
    `${rf}attention_input_file`, join(root, prof.attention),
    "--metrics_config_output_dir", outDir,
    "--metrics_config_cache_dir", cacheDir,
    "--metrics_config_keep_individual_batch_metrics",
    "--no-metrics_config_store_plots",
    "--no-metrics_config_enable_chrome_trace",
  ];
}

// ------------------------------------------------------------------ raw output: sections

/** The line that starts each of Vidur's files in a raw output. */
export const SECTION = (file: string) => `# section: ${file}`;
export const BATCH_FILE = "batch_metrics.csv";
export const REQUEST_FILE = "request_metrics.csv";

/**
 * Splits a raw output into its files. Outputs recorded before sections existed hold only
 * batch_metrics.csv below their '#' header lines.
 */
export function splitSections(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  let buf: string[] = [];
  const flush = () => {
    if (current !== undefined) out.set(current, buf.join("\n"));
    buf = [];
  };
  let sawSection = false;
  for (const line of raw.split("\n")) {
    const m = /^# section: (\S+)\s*$/.exec(line);
    if (m) {
      flush();
      current = m[1]!;
      sawSection = true;
      continue;
    }
    if (current !== undefined) buf.push(line);
  }
  flush();
  if (!sawSection) out.set(BATCH_FILE, raw);
  return out;
}

function section(raw: string, file: string): string {
  const s = splitSections(raw).get(file);
  if (s === undefined) throw new Error(`Vidur raw output has no ${file} section`);
  return s;
}

// ------------------------------------------------------------------ batch metrics

export interface BatchRow {
  batch_id: number;
  num_tokens: number;
  num_prefill_tokens: number;
  num_decode_tokens: number;
  size: number;
  execution_time_s: number;
}

const BATCH_COLUMNS = ["Batch Id", "batch_num_tokens", "batch_num_prefill_tokens", "batch_num_decode_tokens", "batch_size", "batch_execution_time"] as const;

function readTable<C extends string>(csv: string, columns: readonly C[], what: string, hint: string): Record<C, string>[] {
  const recs = parseCsv(csv, { columns: true, comment: "#", skip_empty_lines: true, trim: true }) as Record<string, string>[];
  if (recs.length === 0) throw new Error(`Vidur ${what} has no rows`);
  const missing = columns.filter((c) => !(c in recs[0]!));
  if (missing.length > 0) throw new Error(`Vidur ${what} lacks column(s) ${missing.join(", ")}${hint}`);
  return recs as Record<C, string>[];
}

function numberAt(r: Record<string, string>, c: string, what: string, i: number): number {
  const v = Number(r[c]);
  if (r[c] === "" || r[c] === undefined || !Number.isFinite(v)) throw new Error(`Vidur ${what} row ${i + 1}: ${c} = '${r[c]}' is not a number`);
  return v;
}

/** Vidur's batch_metrics.csv (or a raw output holding it), one row per batch. */
export function parseBatchMetrics(raw: string): BatchRow[] {
  const what = BATCH_FILE;
  const recs = readTable(section(raw, BATCH_FILE), BATCH_COLUMNS, what, " (run with --metrics_config_keep_individual_batch_metrics)");
  return recs.map((r, i) => ({
    batch_id: numberAt(r, "Batch Id", what, i),
    num_tokens: numberAt(r, "batch_num_tokens", what, i),
    num_prefill_tokens: numberAt(r, "batch_num_prefill_tokens", what, i),
    num_decode_tokens: numberAt(r, "batch_num_decode_tokens", what, i),
    size: numberAt(r, "batch_size", what, i),
    execution_time_s: numberAt(r, "batch_execution_time", what, i),
  }));
}

/**
 * The batch that is the cell: prefill = the batch with batch_size requests and batch*seq_len
 * prefill tokens; decode-step = the batch with B requests, B decode tokens and no prefill token.
 * Exactly one must match.
 */
export function selectBatch(rows: BatchRow[], cell: Cell): BatchRow {
  const w = cell.workload;
  let match: BatchRow[];
  if (w.kind === "prefill") match = rows.filter((r) => r.size === w.batch && r.num_prefill_tokens === w.batch * w.seq_len && r.num_decode_tokens === 0);
  else if (w.kind === "decode-step") match = rows.filter((r) => r.size === w.batch && r.num_prefill_tokens === 0 && r.num_decode_tokens === w.batch);
  else throw new Error(`workload kind ${w.kind} is not an iteration cell`);
  if (match.length !== 1)
    throw new Error(`expected exactly one Vidur batch matching ${cell.id}, found ${match.length} among ${rows.length} (sizes ${rows.map((r) => `${r.size}:${r.num_prefill_tokens}p+${r.num_decode_tokens}d`).join(", ")})`);
  return match[0]!;
}

// ------------------------------------------------------------------ request metrics

export interface RequestRow {
  id: number;
  e2e_s: number;
  /** prefill_e2e_time: arrival to the end of the prefill, which emits the first token = TTFT. */
  ttft_s: number;
  /** decode_time_execution_plus_preemption_normalized as Vidur writes it: decode time / all N output tokens. */
  decode_normalized_s: number;
  /** Time per output token after the first: decode time / (N - 1) (NaN when N < 2). */
  tpot_s: number;
  num_prefill_tokens: number;
  num_decode_tokens: number;
  inter_arrival_s: number;
}

const REQUEST_COLUMNS = [
  "Request Id",
  "request_e2e_time",
  "prefill_e2e_time",
  "decode_time_execution_plus_preemption_normalized",
  "request_num_prefill_tokens",
  "request_num_decode_tokens",
  "request_inter_arrival_delay",
] as const;

/**
 * Vidur's request_metrics.csv (seconds), one row per request. Vidur divides the decode time
 * (completion - end of prefill) by all N output tokens, including the one the prefill emits
 * (vidur/metrics/metrics_store.py, DECODE_TIME_EXECUTION_PLUS_PREEMPTION_NORMALIZED), so its
 * column is (N - 1)/N of the usual TPOT; tpot_s undoes that: normalized * N / (N - 1).
 */
export function parseRequestMetrics(raw: string): RequestRow[] {
  const what = REQUEST_FILE;
  const recs = readTable(section(raw, REQUEST_FILE), REQUEST_COLUMNS, what, "");
  return recs.map((r, i) => {
    const n = numberAt(r, "request_num_decode_tokens", what, i);
    const norm = numberAt(r, "decode_time_execution_plus_preemption_normalized", what, i);
    return {
      id: numberAt(r, "Request Id", what, i),
      e2e_s: numberAt(r, "request_e2e_time", what, i),
      ttft_s: numberAt(r, "prefill_e2e_time", what, i),
      decode_normalized_s: norm,
      tpot_s: n >= 2 ? (norm * n) / (n - 1) : Number.NaN,
      num_prefill_tokens: numberAt(r, "request_num_prefill_tokens", what, i),
      num_decode_tokens: n,
      // The first request has no inter-arrival delay (empty).
      inter_arrival_s: r.request_inter_arrival_delay === "" ? 0 : numberAt(r, "request_inter_arrival_delay", what, i),
    };
  });
}

/** Percentile with linear interpolation between order statistics (numpy's default method). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) throw new Error("percentile of no values");
  const s = [...values].sort((a, b) => a - b);
  const pos = (p / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export interface ServingSummary {
  requests: number;
  ttft_p50_s: number;
  ttft_p99_s: number;
  tpot_p50_s: number;
  tpot_p99_s: number;
  e2e_p50_s: number;
  e2e_p90_s: number;
  e2e_p99_s: number;
  /**
   * Output tokens of all requests / makespan, the makespan running from the first arrival to the
   * last completion (arrival i = sum of the inter-arrival delays up to i; completion = arrival + e2e).
   * With every request arriving at t = 0 it is the largest e2e time.
   */
  throughput_tokens_per_s: number;
}

/** `arrivals`: "static" requires every request to arrive at t = 0; "poisson" accepts any delays. */
export function servingSummary(rows: RequestRow[], arrivals: "static" | "poisson" = "static"): ServingSummary {
  if (arrivals === "static" && rows.some((r) => r.inter_arrival_s !== 0))
    throw new Error("request_inter_arrival_delay is not 0: the requests did not all arrive at t = 0 (a static request mix is expected)");
  const byId = [...rows].sort((a, b) => a.id - b.id);
  let t = 0;
  const done = byId.map((r) => (t += r.inter_arrival_s) + r.e2e_s);
  const e2e = rows.map((r) => r.e2e_s);
  const tpot = rows.map((r) => r.tpot_s).filter((v) => Number.isFinite(v));
  return {
    requests: rows.length,
    ttft_p50_s: percentile(rows.map((r) => r.ttft_s), 50),
    ttft_p99_s: percentile(rows.map((r) => r.ttft_s), 99),
    tpot_p50_s: tpot.length ? percentile(tpot, 50) : Number.NaN,
    tpot_p99_s: tpot.length ? percentile(tpot, 99) : Number.NaN,
    e2e_p50_s: percentile(e2e, 50),
    e2e_p90_s: percentile(e2e, 90),
    e2e_p99_s: percentile(e2e, 99),
    throughput_tokens_per_s: rows.reduce((a, r) => a + r.num_decode_tokens, 0) / Math.max(...done),
  };
}

/** The prediction of a serving cell from its raw output. */
export function servingValue(raw: string, cell: Cell): { value: number; unit: string } {
  const w = cell.workload;
  if (w.kind !== "serving") throw new Error(`${cell.id} is not a serving cell`);
  const rows = parseRequestMetrics(raw);
  const r = requestShape(cell);
  if (rows.length !== r.numRequests) throw new Error(`expected ${r.numRequests} requests in ${REQUEST_FILE}, found ${rows.length}`);
  const off = rows.filter((x) => x.num_prefill_tokens !== r.prefillTokens || x.num_decode_tokens !== r.decodeTokens);
  if (off.length > 0) throw new Error(`request ${off[0]!.id} has ${off[0]!.num_prefill_tokens}+${off[0]!.num_decode_tokens} tokens, not the cell's ${r.prefillTokens}+${r.decodeTokens}`);
  const s = servingSummary(rows, qpsOf(cell) === undefined ? "static" : "poisson");
  switch (cell.metric) {
    case "ttft_p50":
      return { value: s.ttft_p50_s, unit: "s" };
    case "ttft_p99":
      return { value: s.ttft_p99_s, unit: "s" };
    case "tpot_p50":
      return { value: s.tpot_p50_s, unit: "s" };
    case "tpot_p99":
      return { value: s.tpot_p99_s, unit: "s" };
    case "throughput":
      return { value: s.throughput_tokens_per_s, unit: "tokens/s" };
    default:
      throw new Error(`metric ${cell.metric} is not read from Vidur's request metrics`);
  }
}

// ------------------------------------------------------------------ availability, prepare, invoke

/**
 * Local: VIDUR_DIR (a checkout with vidur/main.py) and VIDUR_PYTHON (default /usr/bin/python3).
 * Docker (DOCKER_TOOLS lists vidur): the image (VIDUR_DOCKER_IMAGE or metadata) and a docker
 * client. Unset -> not configured (the runner re-parses recorded outputs); set but broken ->
 * configured (every cell fails with the reason).
 */
export function availability(env: NodeJS.ProcessEnv = process.env): Availability {
  if (launcherFor(metadata, env) === "docker") return toolAvailability(metadata, ENV_PYTHON, env);
  const dir = env[ENV_DIR];
  if (!dir) return { available: false, reason: `${ENV_DIR} is not set` };
  if (!existsSync(join(dir, "vidur", "main.py"))) return { available: false, configured: true, reason: `${ENV_DIR}=${dir} has no vidur/main.py` };
  const py = env[ENV_PYTHON] || DEFAULT_PYTHON;
  if (!existsSync(py) || !statSync(py).isFile()) return { available: false, configured: true, reason: `${ENV_PYTHON}=${py} is not a file` };
  return { available: true };
}

/** VIDUR_TIMEOUT_S, else the runner's limit for the cell (10x its recorded wall time, at least 60 s), else DEFAULT_TIMEOUT_S. */
export function timeoutSeconds(env: NodeJS.ProcessEnv = process.env, derived?: number): number {
  const v = Number(env[ENV_TIMEOUT]);
  return env[ENV_TIMEOUT] && Number.isFinite(v) && v > 0 ? v : derived ?? DEFAULT_TIMEOUT_S;
}

export interface Prepared {
  args: string[];
  outDir: string;
  cacheDir: string;
  /** Profile files the run reads (mounted read-only in a container). */
  inputs: string[];
  /** The '#' lines written above the CSVs in the raw output. */
  header: string[];
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export function prepareCell(cell: Cell, workDir: string, root = repoRoot): Prepared {
  const model = modelOf(cell);
  const prof = PROFILES[cell.hardware]?.[model];
  if (!prof) throw new Error(`no Vidur profile for ${model} on ${cell.hardware}`);
  const outDir = resolve(workDir, "out", cell.id);
  // One predictor cache for all cells: Vidur keys its trained models on the predictor config and
  // the profile data, so it trains once per profile set.
  const cacheDir = resolve(workDir, "cache");
  const args = simulationArgs(cell, outDir, cacheDir, root);
  const vidurModel = VIDUR_MODELS[model]!;
  const shown = (a: string) => (a === outDir ? "<output_dir>" : a === cacheDir ? "<cache_dir>" : a.startsWith(root + "/") ? a.slice(root.length + 1) : a);
  const header = [
    `# vidur ${metadata.commit} output for suite cell ${cell.id}`,
    `# profile set: ${prof.basis}`,
    `# profiles: ${prof.mlp} sha256 ${sha256(join(root, prof.mlp))}`,
    `# profiles: ${prof.attention} sha256 ${sha256(join(root, prof.attention))}`,
    ...(EXTRA_MODELS[vidurModel]
      ? [`# model: ${vidurModel} registered by the adapter (-c program): ${EXTRA_MODELS[vidurModel]!.base} with ${JSON.stringify(EXTRA_MODELS[vidurModel]!.overrides)}`]
      : []),
    // Machine-specific paths are written relative to the repository, or as <output_dir>/<cache_dir>;
    // the -c program is named, not repeated.
    `# args: ${args.map((a, i) => (args[i - 1] === "-c" ? "<launcher>" : shown(a))).join(" ")}`,
  ];
  return { args, outDir, cacheDir, inputs: [join(root, prof.mlp), join(root, prof.attention)], header };
}

function findOutput(outDir: string, file: string): string {
  // MetricsConfig appends a timestamped subdirectory to output_dir.
  const stamps = existsSync(outDir) ? readdirSync(outDir).sort() : [];
  for (const s of stamps.reverse()) {
    for (const f of [join(outDir, s, file), join(outDir, s, "plots", file)]) if (existsSync(f)) return f;
  }
  throw new Error(`Vidur wrote no ${file} under ${outDir}`);
}

/** Runs one prepared simulation and returns the raw output to record. */
export async function runVidur(prepared: Prepared, cellId: string, env: NodeJS.ProcessEnv = process.env, derivedTimeout_s?: number): Promise<string> {
  rmSync(prepared.outDir, { recursive: true, force: true });
  mkdirSync(prepared.outDir, { recursive: true });
  mkdirSync(prepared.cacheDir, { recursive: true });
  const docker = launcherFor(metadata, env) === "docker";
  await runProcess(
    metadata,
    {
      program: "python",
      localBin: env[ENV_PYTHON] || DEFAULT_PYTHON,
      args: prepared.args,
      // Local: the checkout (python -m/-c import vidur from the working directory). Docker: Vidur
      // is installed in the image; the output directory is the (writable) working directory.
      cwd: docker ? prepared.outDir : env[ENV_DIR]!,
      readOnly: prepared.inputs,
      writable: [prepared.outDir, prepared.cacheDir],
      timeout_s: timeoutSeconds(env, derivedTimeout_s),
    },
    env,
  );
  const batch = readFileSync(findOutput(prepared.outDir, BATCH_FILE), "utf8");
  const requests = readFileSync(findOutput(prepared.outDir, REQUEST_FILE), "utf8");
  const header = prepared.header.map((l) => l.replace(/for suite cell \S+/, `for suite cell ${cellId}`));
  const body = (s: string) => (s.endsWith("\n") ? s : s + "\n");
  return [...header, SECTION(BATCH_FILE)].join("\n") + "\n" + body(batch) + SECTION(REQUEST_FILE) + "\n" + body(requests);
}

export function parseRaw(raw: string, cell: Cell): { value: number; unit: string } {
  if (cell.workload.kind === "serving") return servingValue(raw, cell);
  return { value: selectBatch(parseBatchMetrics(raw), cell).execution_time_s, unit: "s" };
}

export const vidurAdapter: ToolAdapter<Prepared> = {
  metadata,
  recordRaw: true,
  timeLimit: (derived) => timeoutSeconds(process.env, derived),
  async availability() {
    return availability();
  },
  supports: (cell, ctx) => supports(cell, ctx.suite),
  async prepare(cell: Cell, ctx: ToolContext) {
    return prepareCell(cell, ctx.workDir);
  },
  // Every cell runs its own simulation (eager and CUDA-graph cells simulate the same step), so that
  // the run time recorded for each cell is that of a real Vidur run.
  invoke: (prepared, cell, ctx) => runVidur(prepared, cell.id, process.env, ctx.timeout_s),
  // Vidur trains and pickles its predictors into the shared cache directory: with JOBS > 1, runs
  // sharing it go one after another.
  exclusive: (prepared) => prepared.cacheDir,
  parse: (raw, cell) => parseRaw(raw, cell),
};
