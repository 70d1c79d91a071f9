/**
 * Calculon (calculon-ai/calculon @ caa4b11f, analytical LLM-training model) as a tool under test.
 *
 * Calculon predicts the time of one training iteration (and its memory) of a GPT-style transformer
 * for a given parallel execution (tp, pp, dp, micro-batch, recomputation, sequence parallelism,
 * interleaving) on a system described by peak compute, memory and network tiers with efficiency
 * curves. It has no model of CNNs, and it predicts one iteration, not a run to a quality target.
 *
 * For a supported cell, prepare() writes into <workDir>/<cell id>/ (translation in README.md):
 *   model.json      the suite model's shape (hidden, feedforward, heads, head size, blocks, sequence)
 *   execution.json  the cell's parallelism, batch and what the cell states about recomputation,
 *                   sequence parallelism and interleaving; everything else as in Calculon's own
 *                   validation files (no overlap, no optimizer sharding, no offload)
 *   system.json     Calculon's shipped system file for the GPU (its efficiency curves, network ops,
 *                   processing mode) with every peak the suite gives replaced by the suite's value
 * invoke() runs `python3 bin/calculon llm model.json execution.json system.json stats.json` in
 * $CALCULON_DIR through pipeline/lib/exec.ts and returns the three inputs (as '#' lines) and the stats
 * JSON; the runner records it as results/raw/calculon/<cell id>.txt. parse() reads total_time (s);
 * for achieved_flops_per_device it divides the iteration's FLOPs, counted by Megatron-LM's formula
 * (megatronIterationFlops), by total_time x GPUs.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ToolMetadata, type Cell, type Hardware, type Model } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { Availability, Support, ToolAdapter, ToolContext } from "../../pipeline/lib/tool.ts";
import { launcherFor, runProcess, toolAvailability, ToolRunError, ToolVerdict } from "../../pipeline/lib/exec.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));

export const ENV_DIR = "CALCULON_DIR";
export const ENV_PYTHON = "CALCULON_PYTHON";
export const ENV_TIMEOUT = "CALCULON_TIMEOUT_S";
export const DEFAULT_PYTHON = "/usr/bin/python3";
export const DEFAULT_TIMEOUT_S = 300;

/**
 * Calculon's shipped system files (systems/<file>@caa4b11f, copied unchanged to fixtures/) used as the
 * template for each suite GPU: they carry Calculon's own efficiency curves and network ops.
 */
export const SYSTEM_TEMPLATES: Record<string, string> = {
  "a100-sxm4-80gb": "a100_80g.json",
  "h100-sxm5-80gb": "h100_80g_nvl8.json",
};

const DATATYPES: Partial<Record<Cell["precision"], string>> = { fp16: "float16", bf16: "bfloat16", fp8: "float8", fp32: "float32" };

export const NOT_TRAINING_REASON =
  "no input generated: Calculon is run here on training iterations only (its inference mode is not evaluated in this artifact)";
/** Whole-model inference workloads: Calculon has an inference mode that this artifact does not generate inputs for. */
const INFERENCE_KINDS = new Set(["prefill", "decode-step", "inference", "serving"]);
export const OPERATOR_REASON =
  "cannot express: Calculon models whole LLM training iterations and inference steps, not single operators or collectives";
export const TIME_TO_TRAIN_REASON =
  "cannot express: Calculon predicts one training iteration; time to train also depends on the number of steps to the quality target, evaluation and start-up";

function modelOf(cell: Cell, suite: Suite): Model | undefined {
  const w = cell.workload;
  return w.kind === "training" ? suite.models.get(w.model) : undefined;
}

export function supports(cell: Cell, suite: Suite): Support {
  const w = cell.workload;
  if (w.kind !== "training") return { ok: false, reason: INFERENCE_KINDS.has(w.kind) ? NOT_TRAINING_REASON : OPERATOR_REASON };
  if (w.scope !== "iteration") return { ok: false, reason: TIME_TO_TRAIN_REASON };
  const model = modelOf(cell, suite);
  if (!model) return { ok: false, reason: `unknown model ${w.model}` };
  if (model.arch.kind !== "decoder") return { ok: false, reason: `cannot express: Calculon models GPT-style decoder transformers; ${model.id} is a ${model.arch.kind} model` };
  if (model.arch.n_kv_heads !== model.arch.n_heads) return { ok: false, reason: `Calculon's attention is multi-head; ${model.id} uses grouped-query attention` };
  if (model.arch.mlp !== "gelu") return { ok: false, reason: `Calculon's MLP is two GEMMs with a GeLU; ${model.id} uses ${model.arch.mlp}` };
  if (!SYSTEM_TEMPLATES[cell.hardware]) return { ok: false, reason: `no Calculon system file for ${cell.hardware} (Calculon ships A100 80GB and H100 80GB systems)` };
  if (!DATATYPES[cell.precision]) return { ok: false, reason: `Calculon has no datatype for precision ${cell.precision}` };
  if (cell.metric !== "latency" && cell.metric !== "achieved_flops_per_device")
    return { ok: false, reason: `Calculon reports the iteration time; metric ${cell.metric} is not derived in this adapter` };
  return { ok: true };
}

// ---------------------------------------------------------------- translation suite -> Calculon

export function modelJson(model: Model, seqLen: number): Record<string, number> {
  const a = model.arch;
  if (a.kind === "cnn") throw new Error(`${model.id} is not a transformer`);
  return { hidden: a.d_model, feedforward: a.d_ff, seq_size: seqLen, attn_heads: a.n_heads, attn_size: a.d_model / a.n_heads, num_blocks: a.n_layers };
}

/**
 * Which Calculon network tier each parallel axis uses: Megatron-LM places ranks tp innermost, then dp,
 * then pp; an axis is on tier 0 (inside a node) when it and the axes inside it fit in one node.
 */
export function networkTiers(cell: Cell, devicesPerNode: number): { tensor_par_net: number; data_par_net: number; pipeline_par_net: number } {
  const { tp, dp } = cell.parallelism;
  return {
    tensor_par_net: tp <= devicesPerNode ? 0 : 1,
    data_par_net: tp * dp <= devicesPerNode ? 0 : 1,
    pipeline_par_net: tp * dp * cell.parallelism.pp <= devicesPerNode ? 0 : 1,
  };
}

export function executionJson(cell: Cell, hw: Hardware): Record<string, unknown> {
  const w = cell.workload;
  if (w.kind !== "training") throw new Error("not a training cell");
  const { tp, pp, dp } = cell.parallelism;
  const seqPar = w.sequence_parallel === true;
  const recompute = w.recompute ?? "none";
  return {
    num_procs: cell.n_devices,
    tensor_par: tp,
    pipeline_par: pp,
    data_par: dp,
    ...networkTiers(cell, hw.node.devices_per_node),
    batch_size: w.global_batch,
    // Not stated: one sample per micro-batch (the smallest; Calculon's validation uses 1 at tp x pp > 8).
    microbatch_size: w.micro_batch ?? 1,
    datatype: DATATYPES[cell.precision],
    fused_activation: false,
    attention_type: "multihead",
    activation_recompute: recompute === "selective" ? "attn_only" : recompute,
    pipeline_interleaving: w.virtual_stages ?? 1,
    optimizer_sharding: false,
    tensor_par_comm_type: seqPar ? "rs_ag" : "ar",
    tensor_par_overlap: "none",
    // Calculon's validation redoes the sequence-parallel all-gather in the backward pass with
    // selective recomputation, as Megatron-LM does.
    seq_par_ag_redo: seqPar,
    data_par_overlap: false,
    weight_offload: false,
    activations_offload: false,
    optimizer_offload: false,
    training: true,
  };
}

type Json = Record<string, any>;

/**
 * The system file: Calculon's template for the GPU, with the suite's values for every number the suite
 * gives: matrix peak of the cell's datatype (dense tensor-core FLOP/s), HBM bandwidth and capacity,
 * NVLink bandwidth per direction and node size (tier 0), and the inter-node link when the suite has
 * one (tier 1). Kept from the template: efficiency curves, vector peaks, host memory (tier 2, unused
 * without offload), latencies, collective ops, processor usage, processing mode.
 */
export function systemJson(template: Json, cell: Cell, hw: Hardware): { system: Json; from_suite: string[] } {
  const s = JSON.parse(JSON.stringify(template)) as Json;
  const from: string[] = [];
  const dt = DATATYPES[cell.precision]!;
  const peak = hw.peak_flops_per_s[cell.precision as keyof Hardware["peak_flops_per_s"]];
  if (!peak) throw new Error(`${hw.id} has no ${cell.precision} peak in suite/hardware`);
  s.matrix[dt] = { ...(s.matrix[dt] ?? s.matrix.float16), tflops: peak.value / 1e12 };
  if (!s.vector[dt]) s.vector[dt] = s.vector.float16;
  from.push(`matrix.${dt}.tflops`);
  s.mem1.GBps = hw.mem_bandwidth_bytes_per_s.value / 1e9;
  from.push("mem1.GBps");
  if (hw.mem_capacity_bytes) {
    s.mem1.GiB = hw.mem_capacity_bytes.value / 2 ** 30;
    from.push("mem1.GiB");
  }
  const intra = hw.node.intra_node;
  if (intra) {
    s.networks[0].bandwidth = intra.bandwidth_bytes_per_s.value / 1e9;
    from.push("networks[0].bandwidth");
  }
  s.networks[0].size = hw.node.devices_per_node;
  from.push("networks[0].size");
  const inter = hw.node.inter_node;
  if (inter) {
    s.networks[1].bandwidth = inter.bandwidth_bytes_per_s.value / 1e9;
    from.push("networks[1].bandwidth");
    if (inter.latency_s) {
      s.networks[1].latency = inter.latency_s.value;
      from.push("networks[1].latency");
    }
  }
  return { system: s, from_suite: from };
}

export function readTemplate(hardware: string): Json {
  const f = SYSTEM_TEMPLATES[hardware];
  if (!f) throw new Error(`no Calculon system file for ${hardware}`);
  return JSON.parse(readFileSync(join(here, "fixtures", "systems", f), "utf8")) as Json;
}

/**
 * FLOPs of one GPT training iteration as Megatron-LM counts them (Narayanan et al. SC21): per layer and
 * sequence, the forward pass is 24 s h^2 + 4 s^2 h; a step is forward + backward (2x) and, with
 * activation recomputation, one more forward, so 96 B s l h^2 (1 + s / (6h)) with recomputation
 * (72 without); plus the logit layer 2 B s h V forward, x3 with its backward (not recomputed):
 * 96 B s l h^2 (1 + s/(6h) + V/(16 l h)) with recomputation, the paper's expression.
 */
export function megatronIterationFlops(model: Model, batch: number, seqLen: number, recompute: boolean): number {
  const a = model.arch;
  if (a.kind === "cnn") throw new Error(`${model.id} is not a transformer`);
  const h = a.d_model;
  const passes = recompute ? 4 : 3;
  return passes * batch * a.n_layers * (24 * seqLen * h * h + 4 * seqLen * seqLen * h) + 6 * batch * seqLen * h * a.vocab_size;
}

// ---------------------------------------------------------------- raw output

export interface CalculonRaw {
  header: Record<string, string>;
  stats: Json;
}

/** The raw output: '# key: value' lines (inputs and provenance), then the stats JSON Calculon wrote. */
export function parseRaw(raw: string): CalculonRaw {
  const header: Record<string, string> = {};
  const body: string[] = [];
  for (const line of raw.split("\n")) {
    const m = /^# ([\w.-]+): (.*)$/.exec(line);
    if (m) header[m[1]!] = m[2]!;
    else if (!line.startsWith("#")) body.push(line);
  }
  const rejected = body.find((l) => l.startsWith("ERROR: "));
  if (rejected) throw new ToolVerdict(`Calculon rejected the execution: ${rejected.slice(7)}`);
  let stats: Json;
  try {
    stats = JSON.parse(body.join("\n")) as Json;
  } catch (e) {
    throw new Error(`Calculon output has no stats JSON (${(e as Error).message.slice(0, 80)})`);
  }
  const t = stats.total_time;
  if (typeof t !== "number" || !(t > 0)) throw new Error(`Calculon stats: total_time is ${JSON.stringify(t)}, expected a positive number of seconds`);
  return { header, stats };
}

export function predict(raw: string, cell: Cell, suite: Suite): { value: number; unit: string } {
  const { stats } = parseRaw(raw);
  const t = stats.total_time as number;
  if (cell.metric === "latency") return { value: t, unit: "s" };
  if (cell.metric === "achieved_flops_per_device") {
    const model = modelOf(cell, suite);
    const w = cell.workload;
    if (!model || w.kind !== "training") throw new Error(`no model for ${cell.id}`);
    const recompute = (w.recompute ?? "none") !== "none";
    const flops = megatronIterationFlops(model, w.global_batch, w.seq_len ?? (model.arch.kind === "cnn" ? 1 : model.arch.max_seq_len), recompute);
    return { value: flops / (t * cell.n_devices), unit: "FLOP/s" };
  }
  throw new Error(`metric ${cell.metric} is not derived from Calculon's output`);
}

// ---------------------------------------------------------------- running

export function availability(env: NodeJS.ProcessEnv = process.env): Availability {
  if (launcherFor(metadata, env) === "docker") return toolAvailability(metadata, ENV_PYTHON, env);
  const dir = env[ENV_DIR];
  if (!dir) return { available: false, reason: `${ENV_DIR} is not set` };
  if (!existsSync(join(dir, "bin", "calculon")) || !existsSync(join(dir, "calculon", "llm", "llm.py")))
    return { available: false, configured: true, reason: `${ENV_DIR}=${dir} has no bin/calculon and calculon/llm/llm.py` };
  const py = env[ENV_PYTHON] || DEFAULT_PYTHON;
  if (!existsSync(py) || !statSync(py).isFile()) return { available: false, configured: true, reason: `${ENV_PYTHON}=${py} is not a file` };
  return { available: true };
}

export function timeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[ENV_TIMEOUT]);
  return env[ENV_TIMEOUT] && Number.isFinite(v) && v > 0 ? v : DEFAULT_TIMEOUT_S;
}

export interface Prepared {
  dir: string;
  inputs: string[];
  stats: string;
  header: string[];
}

export function prepareCell(cell: Cell, suite: Suite, workDir: string): Prepared {
  const hw = suite.hardware.get(cell.hardware);
  const model = modelOf(cell, suite);
  const w = cell.workload;
  if (!hw || !model || w.kind !== "training") throw new Error(`cell ${cell.id} is not a supported training cell`);
  const dir = resolve(workDir, cell.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const app = modelJson(model, w.seq_len ?? (model.arch.kind === "cnn" ? 1 : model.arch.max_seq_len));
  const exe = executionJson(cell, hw);
  const { system, from_suite } = systemJson(readTemplate(cell.hardware), cell, hw);
  const inputs = [join(dir, "model.json"), join(dir, "execution.json"), join(dir, "system.json")];
  writeFileSync(inputs[0]!, JSON.stringify(app, null, 2) + "\n");
  writeFileSync(inputs[1]!, JSON.stringify(exe, null, 2) + "\n");
  writeFileSync(inputs[2]!, JSON.stringify(system, null, 2) + "\n");
  const header = [
    `# calculon: ${metadata.commit} (calculon llm) output for suite cell ${cell.id}`,
    `# model.json: ${JSON.stringify(app)}`,
    `# execution.json: ${JSON.stringify(exe)}`,
    `# system.template: ${SYSTEM_TEMPLATES[cell.hardware]} (calculon systems/@${metadata.commit?.slice(0, 8)})`,
    `# system.from_suite: ${from_suite.join(", ")}`,
    `# system.json: ${JSON.stringify(system)}`,
  ];
  return { dir, inputs, stats: join(dir, "stats.json"), header };
}

export async function runCalculon(prepared: Prepared, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = env[ENV_DIR];
  const docker = launcherFor(metadata, env) === "docker";
  const bin = docker ? "bin/calculon" : join(dir ?? "", "bin", "calculon");
  let r: { stdout: string; stderr: string };
  try {
    r = await runProcess(
    metadata,
    {
      program: "python",
      localBin: env[ENV_PYTHON] || DEFAULT_PYTHON,
      args: [bin, "llm", ...prepared.inputs, prepared.stats],
      cwd: docker ? prepared.dir : dir!,
      readOnly: prepared.inputs,
      writable: [prepared.dir],
      env: docker ? undefined : { PYTHONPATH: dir! },
      timeout_s: timeoutSeconds(env),
    },
    env,
  );
  } catch (e) {
    // Calculon prints 'ERROR: ...' and exits with -1 for an execution it rejects (e.g. memory over
    // capacity): that is its answer for the cell, recorded so that the re-parse gives the same failure.
    const said = /ERROR: [^|]*/.exec((e as Error).message)?.[0];
    if (e instanceof ToolRunError && said) return prepared.header.join("\n") + "\n" + said.trim() + "\n";
    throw e;
  }
  if (!existsSync(prepared.stats)) throw new ToolRunError(`calculon wrote no stats file${r.stdout.trim() ? ` (${r.stdout.trim().slice(0, 200)})` : ""}`);
  const stats = readFileSync(prepared.stats, "utf8");
  return prepared.header.join("\n") + "\n" + (stats.endsWith("\n") ? stats : stats + "\n");
}

export const calculonAdapter: ToolAdapter<Prepared> = {
  metadata,
  recordRaw: true,
  async availability() {
    return availability();
  },
  supports: (cell, ctx) => supports(cell, ctx.suite),
  async prepare(cell: Cell, ctx: ToolContext) {
    return prepareCell(cell, ctx.suite, ctx.workDir);
  },
  inputFiles: (p) => p.inputs,
  invoke: (prepared) => runCalculon(prepared),
  parse: (raw, cell, ctx) => predict(raw, cell, ctx.suite),
};
