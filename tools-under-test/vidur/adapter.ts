/**
 * Vidur (microsoft/vidur), the LLM-inference serving simulator, as a tool under test.
 *
 * Cells: model-level Llama-2-7B prefill and decode-step cells (tp = pp = dp = 1) on hardware for
 * which this adapter has a complete Vidur compute profile (mlp.csv + attention.csv), see PROFILES.
 * Those are the project's own measured Vidur-format profile sets (H100, H200). Vidur's shipped
 * A100/H100 attention profiles are Git LFS objects that the available snapshot of the repository
 * lacks, so A100 cells are not run (the reason is given per cell), and H100 cells use the project's
 * H100 set, not Vidur's.
 *
 * Each cell is one controlled simulation (vLLM scheduler, all requests arriving at t = 0, fixed
 * request lengths), see simulationArgs():
 *   prefill S, batch 1:        1 request, S prompt tokens, 1 output token. Vidur runs one batch
 *                              (the prefill, which emits the first token); prediction = its
 *                              batch_execution_time.
 *   decode-step C, batch B:    B requests, C prompt tokens, 2 output tokens. Vidur prefills them
 *                              (in batches of at most 4096 tokens), then runs one decode batch of
 *                              all B requests, each with C cached tokens + the new one; prediction
 *                              = the batch_execution_time of that batch (0 prefill tokens, B decode
 *                              tokens). Vidur rounds the per-request KV length up to its 64-token
 *                              prediction granularity (C + 1 -> C + 64), as it does for any request.
 * invoke() runs `$VIDUR_PYTHON -m vidur.main ...` in $VIDUR_DIR and returns the batch_metrics.csv it
 * wrote (keep_individual_batch_metrics), preceded by '#' comment lines naming the simulation; the
 * runner records that as results/raw/vidur/<cell id>.txt. parse() reads it back (csv-parse).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parse as parseCsv } from "csv-parse/sync";
import { parse as parseYaml } from "yaml";
import { ToolMetadata, type Cell } from "../../pipeline/lib/schema.ts";
import type { ToolAdapter, Support, ToolContext } from "../../pipeline/lib/tool.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = resolve(here, "../..");
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));

export const ENV_DIR = "VIDUR_DIR";
export const ENV_PYTHON = "VIDUR_PYTHON";
export const DEFAULT_PYTHON = "/usr/bin/python3";

/** Suite model id -> Vidur model name (vidur/config/model_config.py). */
export const VIDUR_MODELS: Record<string, string> = {
  "llama-2-7b": "meta-llama/Llama-2-7b-hf",
  "llama-2-70b": "meta-llama/Llama-2-70b-hf",
  "llama-3-8b": "meta-llama/Meta-Llama-3-8B",
  "llama-3-70b": "meta-llama/Meta-Llama-3-70B",
};

export interface ProfileSet {
  /** Vidur device SKU the replica is declared as (memory planning only; times come from the files). */
  vidurDevice: "a100" | "h100" | "a40";
  /** Vidur node SKU; with tp = pp = 1 it only names the (unused) network profile files. */
  networkDevice: string;
  /** Repository-relative paths of the compute profiles. */
  mlp: string;
  attention: string;
  /** Memory margin handed to Vidur's memory planner (see README: why 0 for the H200). */
  memoryMarginFraction: number;
  basis: string;
}

const measuredSet = (hw: string) => `suite/ground-truth/measured/${hw}/2026-11-26/vidur`;

/**
 * Compute profiles per (hardware, model): the project's own measured Vidur-format sets (Llama-2-7B
 * shapes, tp 1, bf16; suite/measure/measure.py), one per GPU it was measured on. Vidur has no H200
 * device SKU: that replica is declared an `h100` (80 GB; the SKU's fp16_tflops only enters Vidur's
 * MFU metric) and the H200 profile files replace the H100 ones. With 80 GB and Vidur's default 10%
 * memory margin the planner admits only 59 sequences of 2050 tokens, fewer than the 64 of the
 * largest decode cell, which ran on both real GPUs: the margin is set to 0 (80 GB usable, 67
 * sequences), which changes admission only, never a predicted time.
 */
export const PROFILES: Record<string, Record<string, ProfileSet>> = {
  "h100-sxm5-80gb": {
    "llama-2-7b": {
      vidurDevice: "h100",
      networkDevice: "h100_pairwise_nvlink",
      mlp: `${measuredSet("h100-sxm5-80gb")}/mlp.csv`,
      attention: `${measuredSet("h100-sxm5-80gb")}/attention.csv`,
      memoryMarginFraction: 0,
      basis: "project-measured Vidur-format profiles (suite/ground-truth/measured/h100-sxm5-80gb/2026-11-26/vidur/)",
    },
  },
  "h200-sxm-141gb": {
    "llama-2-7b": {
      vidurDevice: "h100",
      networkDevice: "h100_pairwise_nvlink",
      mlp: `${measuredSet("h200-sxm-141gb")}/mlp.csv`,
      attention: `${measuredSet("h200-sxm-141gb")}/attention.csv`,
      memoryMarginFraction: 0,
      basis: "project-measured Vidur-format profiles (suite/ground-truth/measured/h200-sxm-141gb/2026-11-26/vidur/)",
    },
  },
};

export const LFS_REASON = (hw: string) =>
  `Vidur's ${hw === "a100-sxm4-80gb" ? "a100" : "h100"} attention profile (data/profiling/compute/<device>/<model>/attention.csv) is a Git LFS object absent from the snapshot of microsoft/vidur available here; without it Vidur cannot predict attention`;
export const NOT_INDEPENDENT_REASON =
  "ground truth is Vidur's own profiling data (data/profiling/), from which Vidur's predictor is trained: not an independent check of Vidur";

export function supports(cell: Cell): Support {
  const w = cell.workload;
  if (cell.id.startsWith("vidur.")) return { ok: false, reason: NOT_INDEPENDENT_REASON };
  if (w.kind === "serving")
    return {
      ok: false,
      reason:
        "MLPerf serving cells are not run: Vidur's h100 attention profiles are Git LFS objects absent here, Vidur's profiles are fp16 while the MLPerf engines run fp8, and the MLPerf dataset/latency-constraint setup is not modelled by this adapter",
    };
  if (w.kind !== "prefill" && w.kind !== "decode-step")
    return { ok: false, reason: `Vidur predicts LLM serving (per-batch and per-request times of whole models); workload kind '${w.kind}' is not one it simulates` };
  if (cell.metric !== "latency") return { ok: false, reason: `metric ${cell.metric} is not derived from Vidur's batch times in this adapter` };
  const vidurModel = VIDUR_MODELS[w.model];
  if (!vidurModel) return { ok: false, reason: `Vidur has no model config for ${w.model}` };
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
  throw new Error(`workload kind ${w.kind} is not mapped onto Vidur`);
}

/** vidur.main arguments for one cell; profile paths are absolute, output/cache under outDir/cacheDir. */
export function simulationArgs(cell: Cell, outDir: string, cacheDir: string, root = repoRoot): string[] {
  const w = cell.workload;
  if (w.kind !== "prefill" && w.kind !== "decode-step") throw new Error(`workload kind ${w.kind} is not mapped onto Vidur`);
  const prof = PROFILES[cell.hardware]?.[w.model];
  if (!prof) throw new Error(`no Vidur profile for ${w.model} on ${cell.hardware}`);
  const r = requestShape(cell);
  const rf = "--random_forrest_execution_time_predictor_config_";
  return [
    "-m", "vidur.main",
    "--replica_config_model_name", VIDUR_MODELS[w.model]!,
    "--replica_config_device", prof.vidurDevice,
    "--replica_config_network_device", prof.networkDevice,
    "--replica_config_memory_margin_fraction", String(prof.memoryMarginFraction),
    "--replica_config_tensor_parallel_size", "1",
    "--replica_config_num_pipeline_stages", "1",
    "--cluster_config_num_replicas", "1",
    "--replica_scheduler_config_type", "vllm",
    "--request_generator_config_type", "synthetic",
    "--synthetic_request_generator_config_num_requests", String(r.numRequests),
    "--interval_generator_config_type", "static",
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

export interface BatchRow {
  batch_id: number;
  num_tokens: number;
  num_prefill_tokens: number;
  num_decode_tokens: number;
  size: number;
  execution_time_s: number;
}

const BATCH_COLUMNS = ["Batch Id", "batch_num_tokens", "batch_num_prefill_tokens", "batch_num_decode_tokens", "batch_size", "batch_execution_time"] as const;

/** Vidur's batch_metrics.csv (optionally preceded by '#' comment lines), one row per batch. */
export function parseBatchMetrics(raw: string): BatchRow[] {
  const recs = parseCsv(raw, { columns: true, comment: "#", skip_empty_lines: true, trim: true }) as Record<string, string>[];
  if (recs.length === 0) throw new Error("Vidur batch_metrics.csv has no rows");
  const missing = BATCH_COLUMNS.filter((c) => !(c in recs[0]!));
  if (missing.length > 0) throw new Error(`Vidur batch_metrics.csv lacks column(s) ${missing.join(", ")} (run with --metrics_config_keep_individual_batch_metrics)`);
  return recs.map((r, i) => {
    const num = (c: (typeof BATCH_COLUMNS)[number]) => {
      const v = Number(r[c]);
      if (r[c] === "" || !Number.isFinite(v)) throw new Error(`Vidur batch_metrics.csv row ${i + 1}: ${c} = '${r[c]}' is not a number`);
      return v;
    };
    return {
      batch_id: num("Batch Id"),
      num_tokens: num("batch_num_tokens"),
      num_prefill_tokens: num("batch_num_prefill_tokens"),
      num_decode_tokens: num("batch_num_decode_tokens"),
      size: num("batch_size"),
      execution_time_s: num("batch_execution_time"),
    };
  });
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
  else throw new Error(`workload kind ${w.kind} is not mapped onto Vidur`);
  if (match.length !== 1)
    throw new Error(`expected exactly one Vidur batch matching ${cell.id}, found ${match.length} among ${rows.length} (sizes ${rows.map((r) => `${r.size}:${r.num_prefill_tokens}p+${r.num_decode_tokens}d`).join(", ")})`);
  return match[0]!;
}

export function availability(env: NodeJS.ProcessEnv = process.env): { available: boolean; reason?: string } {
  const dir = env[ENV_DIR];
  if (!dir) return { available: false, reason: `${ENV_DIR} is not set` };
  if (!existsSync(join(dir, "vidur", "main.py"))) return { available: false, reason: `${ENV_DIR}=${dir} has no vidur/main.py` };
  const py = env[ENV_PYTHON] || DEFAULT_PYTHON;
  if (!existsSync(py) || !statSync(py).isFile()) return { available: false, reason: `${ENV_PYTHON}=${py} is not a file` };
  return { available: true };
}

export interface Prepared {
  args: string[];
  outDir: string;
  /** The '#' lines written above the CSV in the raw output. */
  header: string[];
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export function prepareCell(cell: Cell, workDir: string, root = repoRoot): Prepared {
  const w = cell.workload;
  if (w.kind !== "prefill" && w.kind !== "decode-step") throw new Error(`workload kind ${w.kind} is not mapped onto Vidur`);
  const prof = PROFILES[cell.hardware]![w.model]!;
  const outDir = resolve(workDir, "out", cell.id);
  // One predictor cache for all cells: Vidur keys its trained models on the predictor config and
  // the profile data, so it trains once per profile set.
  const cacheDir = resolve(workDir, "cache");
  const args = simulationArgs(cell, outDir, cacheDir, root);
  const header = [
    `# vidur ${metadata.commit} batch_metrics.csv for suite cell ${cell.id}`,
    `# profiles: ${prof.mlp} sha256 ${sha256(join(root, prof.mlp))}`,
    `# profiles: ${prof.attention} sha256 ${sha256(join(root, prof.attention))}`,
    // Machine-specific paths are written relative to the repository, or as <output_dir>/<cache_dir>.
    `# args: ${args.map((a) => (a === outDir ? "<output_dir>" : a === cacheDir ? "<cache_dir>" : a.startsWith(root + "/") ? a.slice(root.length + 1) : a)).join(" ")}`,
  ];
  return { args, outDir, header };
}

function findBatchMetrics(outDir: string): string {
  // MetricsConfig appends a timestamped subdirectory to output_dir.
  const stamps = existsSync(outDir) ? readdirSync(outDir).sort() : [];
  for (const s of stamps.reverse()) {
    const f = join(outDir, s, "plots", "batch_metrics.csv");
    if (existsSync(f)) return f;
    const g = join(outDir, s, "batch_metrics.csv");
    if (existsSync(g)) return g;
  }
  throw new Error(`Vidur wrote no batch_metrics.csv under ${outDir}`);
}


export const vidurAdapter: ToolAdapter<Prepared> = {
  metadata,
  recordRaw: true,
  async availability() {
    return availability();
  },
  supports: (cell) => supports(cell),
  async prepare(cell: Cell, ctx: ToolContext) {
    return prepareCell(cell, ctx.workDir);
  },
  async invoke(prepared, cell) {
    // Every cell runs its own simulation (eager and CUDA-graph cells simulate the same step), so that
    // the run time recorded for each cell is that of a real Vidur run.
    rmSync(prepared.outDir, { recursive: true, force: true });
    mkdirSync(prepared.outDir, { recursive: true });
    const py = process.env[ENV_PYTHON] || DEFAULT_PYTHON;
    const r = await execa(py, prepared.args, { cwd: process.env[ENV_DIR]!, timeout: 1_800_000, reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`Vidur exited with ${r.exitCode}: ${(r.all ?? "").split("\n").slice(-3).join(" | ")}`);
    const csv = readFileSync(findBatchMetrics(prepared.outDir), "utf8");
    const header = prepared.header.map((l) => l.replace(/for suite cell \S+/, `for suite cell ${cell.id}`));
    return header.join("\n") + "\n" + csv;
  },
  parse(raw, cell) {
    return { value: selectBatch(parseBatchMetrics(raw), cell).execution_time_s, unit: "s" };
  },
};
