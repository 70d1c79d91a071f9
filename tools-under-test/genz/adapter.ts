/**
 * GenZ (GenZ-LLM-Analyzer, abhibambhaniya/GenZ-LLM-Analyzer @ 091bdd0a, analytical LLM inference
 * model) as a tool under test.
 *
 * GenZ builds the operator graph of a transformer's prefill or decode step (with tensor, pipeline and
 * expert parallelism) and times each operator against a system's peak compute, memory bandwidth and
 * interconnect (roofline per operator, efficiencies, collectives). Here it runs model-level prefill and
 * decode steps of decoder models (cells of kind prefill and decode-step).
 *
 * prepare() writes <workDir>/<cell id>/input.json (translation in README.md): a GenZ ModelConfig from
 * suite/models, GenZ's system dict from suite/hardware, the phase, batch, tokens, tp and bits.
 * invoke() runs `python3 tools-under-test/genz/driver.py input.json` in $GENZ_DIR (the driver calls
 * GenZ's prefill_moddeling / decode_moddeling) and returns the input (as '#' lines) and the JSON it
 * prints; parse() reads latency_ms (GenZ's Latency, ms) and gives seconds.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ToolMetadata, type Cell, type Hardware, type Model } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { Availability, Support, ToolAdapter, ToolContext } from "../../pipeline/lib/tool.ts";
import { runProcess, ToolRunError, ToolVerdict } from "../../pipeline/lib/exec.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));
export const DRIVER = join(here, "driver.py");

export const ENV_DIR = "GENZ_DIR";
export const ENV_STUBS = "GENZ_STUBS";
export const ENV_PYTHON = "GENZ_PYTHON";
export const ENV_TIMEOUT = "GENZ_TIMEOUT_S";
export const DEFAULT_PYTHON = "/usr/bin/python3";
export const DEFAULT_TIMEOUT_S = 120;
const GiB = 2 ** 30;

/** GenZ's bits and its compute multiplier (GenZ/system.py: time x multiplier relative to the bf16 Flops). */
export const BITS: Partial<Record<Cell["precision"], { bits: string; multiplier: number }>> = {
  bf16: { bits: "bf16", multiplier: 1 },
  fp16: { bits: "bf16", multiplier: 1 },
  fp32: { bits: "f32", multiplier: 2 },
  fp8: { bits: "fp8", multiplier: 0.5 },
};

const OPERATOR_KINDS = new Set(["gemm", "attention-prefill", "attention-decode", "norm", "softmax", "elementwise", "embedding"]);

function modelOf(cell: Cell, suite: Suite): Model | undefined {
  const w = cell.workload as { model?: string };
  return w.model ? suite.models.get(w.model) : undefined;
}

export function supports(cell: Cell, suite: Suite): Support {
  const w = cell.workload;
  const k = w.kind;
  if (k === "conv2d") return { ok: false, reason: "cannot express: GenZ models transformer (and Mamba) language models, not convolutions" };
  if (k === "training") return { ok: false, reason: "cannot express: GenZ models inference (prefill, decode, chunked prefill), not training iterations" };
  if (OPERATOR_KINDS.has(k))
    return { ok: false, reason: `no input generated: GenZ times ${k} operators inside its model graphs; this adapter runs model-level prefill and decode steps only` };
  if (k === "collective") return { ok: false, reason: "no input generated: GenZ has collective-time functions (collective_times.py); this adapter does not call them" };
  if (k === "serving") return { ok: false, reason: "no input generated: GenZ's end-to-end serving estimates are not translated from the suite's serving scenarios by this adapter" };
  if (k === "inference") return { ok: false, reason: "no input generated: whole-model inference cells (encoders, CNNs) are not translated to GenZ by this adapter" };
  if (k !== "prefill" && k !== "decode-step") return { ok: false, reason: `no input generated: workload kind ${k}` };
  const model = modelOf(cell, suite);
  if (!model) return { ok: false, reason: `unknown model ${(w as { model: string }).model}` };
  if (model.arch.kind !== "decoder") return { ok: false, reason: `no input generated: ${model.id} is a ${model.arch.kind} model; this adapter runs decoder language models` };
  if (!BITS[cell.precision]) return { ok: false, reason: `cannot express: GenZ has no datatype for precision ${cell.precision}` };
  const hw = suite.hardware.get(cell.hardware);
  if (!hw?.peak_flops_per_s[cell.precision as keyof Hardware["peak_flops_per_s"]]) return { ok: false, reason: `no input generated: suite/hardware gives no ${cell.precision} peak for ${cell.hardware}` };
  if (cell.parallelism.pp !== 1 || cell.parallelism.dp !== 1) return { ok: false, reason: "no input generated: only tensor parallelism is translated by this adapter" };
  if (cell.metric !== "latency") return { ok: false, reason: `no input generated: metric ${cell.metric} is not derived from GenZ's latency by this adapter` };
  return { ok: true };
}

// ---------------------------------------------------------------- translation suite -> GenZ

export function modelConfig(model: Model): Record<string, string | number> {
  const a = model.arch;
  if (a.kind === "cnn") throw new Error(`${model.id} is not a transformer`);
  const gated = a.mlp === "swiglu";
  return {
    model: `suite/${model.id}`,
    hidden_size: a.d_model,
    num_attention_heads: a.n_heads,
    num_key_value_heads: a.n_kv_heads,
    head_dim: a.d_model / a.n_heads,
    // GenZ's FFN: num_ffi = 2 is a gated MLP (up and gate fused), 1 is up + activation + down.
    num_ffi: gated ? 2 : 1,
    intermediate_size: a.d_ff,
    num_decoder_layers: a.n_layers,
    vocab_size: a.vocab_size,
    max_model_len: a.max_seq_len,
    hidden_act: gated ? "silu" : "gelu",
  };
}

/**
 * GenZ's system dict (get_inference_system with real_values): Flops in TFLOP/s (decimal), Memory_BW
 * in GenZ's 'GBsec' (binary: x 2^30 B/s), Memory_size in GB (binary: x 2^30 B), ICN in GBsec (per
 * direction, binary), ICN_LL in us. Flops is the suite's dense peak of the cell's precision divided by
 * GenZ's compute multiplier for that datatype, so that GenZ's effective rate is the suite's peak.
 */
export function systemDict(cell: Cell, hw: Hardware): Record<string, number | boolean> {
  const b = BITS[cell.precision]!;
  const peak = hw.peak_flops_per_s[cell.precision as keyof Hardware["peak_flops_per_s"]]!.value;
  const s: Record<string, number | boolean> = {
    Flops: (peak * b.multiplier) / 1e12,
    Memory_BW: hw.mem_bandwidth_bytes_per_s.value / GiB,
    real_values: true,
  };
  if (hw.mem_capacity_bytes) s.Memory_size = hw.mem_capacity_bytes.value / GiB;
  const intra = hw.node.intra_node;
  if (intra) {
    s.ICN = intra.bandwidth_bytes_per_s.value / GiB;
    if (intra.latency_s) s.ICN_LL = intra.latency_s.value * 1e6;
  }
  return s;
}

export function inputJson(cell: Cell, suite: Suite): Record<string, unknown> {
  const hw = suite.hardware.get(cell.hardware)!;
  const model = modelOf(cell, suite)!;
  const w = cell.workload;
  const phase = w.kind === "prefill" ? "prefill" : "decode";
  const tokens = w.kind === "prefill" ? w.seq_len : w.kind === "decode-step" ? w.context_len : 0;
  const batch = (w as { batch: number }).batch;
  return { model: modelConfig(model), system: systemDict(cell, hw), phase, batch, tokens, tp: cell.parallelism.tp, bits: BITS[cell.precision]!.bits };
}

// ---------------------------------------------------------------- raw output

export interface GenzRaw {
  header: Record<string, string>;
  out: { latency_ms: number; summary: Record<string, number>; ops: unknown[] };
}

export function parseRaw(raw: string): GenzRaw {
  const header: Record<string, string> = {};
  const body: string[] = [];
  for (const line of raw.split("\n")) {
    const m = /^# ([\w.-]+): (.*)$/.exec(line);
    if (m) header[m[1]!] = m[2]!;
    else if (line.trim() && !line.startsWith("#")) body.push(line);
  }
  const err = body.find((l) => l.startsWith("GENZ-ERROR: "));
  if (err) throw new ToolVerdict(`GenZ rejected the cell: ${err.slice(12)}`);
  const last = body[body.length - 1];
  let out: GenzRaw["out"];
  try {
    out = JSON.parse(last ?? "") as GenzRaw["out"];
  } catch (e) {
    throw new Error(`GenZ output has no result JSON (${(e as Error).message.slice(0, 80)})`);
  }
  if (typeof out.latency_ms !== "number" || !(out.latency_ms > 0)) throw new Error(`GenZ output: latency_ms is ${JSON.stringify(out.latency_ms)}, expected a positive number`);
  return { header, out };
}

export function predict(raw: string, cell: Cell): { value: number; unit: string } {
  const { out } = parseRaw(raw);
  if (cell.metric !== "latency") throw new Error(`metric ${cell.metric} is not derived from GenZ's output`);
  return { value: out.latency_ms / 1e3, unit: "s" };
}

// ---------------------------------------------------------------- running

export function availability(env: NodeJS.ProcessEnv = process.env): Availability {
  const dir = env[ENV_DIR];
  if (!dir) return { available: false, reason: `${ENV_DIR} is not set` };
  if (!existsSync(join(dir, "GenZ", "LLM_inference", "llm_prefill.py")) || !existsSync(join(dir, "Systems", "system_configs.py")))
    return { available: false, configured: true, reason: `${ENV_DIR}=${dir} has no GenZ/LLM_inference/llm_prefill.py and Systems/system_configs.py` };
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
  input: string;
  header: string[];
}

export function prepareCell(cell: Cell, suite: Suite, workDir: string): Prepared {
  const dir = resolve(workDir, cell.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const spec = inputJson(cell, suite);
  const input = join(dir, "input.json");
  writeFileSync(input, JSON.stringify(spec, null, 2) + "\n");
  const header = [`# genz: ${metadata.commit} (driver.py: prefill_moddeling / decode_moddeling) output for suite cell ${cell.id}`, `# input.json: ${JSON.stringify(spec)}`];
  return { dir, input, header };
}

export async function runGenz(prepared: Prepared, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = env[ENV_DIR]!;
  const stubs = env[ENV_STUBS];
  const r = await runProcess(
    metadata,
    {
      program: "python",
      localBin: env[ENV_PYTHON] || DEFAULT_PYTHON,
      args: [DRIVER, prepared.input],
      cwd: dir,
      readOnly: [prepared.input],
      writable: [prepared.dir],
      env: { PYTHONPATH: [dir, stubs].filter(Boolean).join(":") },
      timeout_s: timeoutSeconds(env),
    },
    env,
  );
  const out = r.stdout.trim();
  if (!out) throw new ToolRunError(`GenZ driver printed nothing${r.stderr.trim() ? ` (${r.stderr.trim().slice(-200)})` : ""}`);
  return prepared.header.join("\n") + "\n" + out + "\n";
}

export const genzAdapter: ToolAdapter<Prepared> = {
  metadata,
  recordRaw: true,
  async availability() {
    return availability();
  },
  supports: (cell, ctx) => supports(cell, ctx.suite),
  async prepare(cell: Cell, ctx: ToolContext) {
    return prepareCell(cell, ctx.suite, ctx.workDir);
  },
  inputFiles: (p) => [p.input],
  invoke: (prepared) => runGenz(prepared),
  parse: (raw, cell) => predict(raw, cell),
};
