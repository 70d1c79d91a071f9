/**
 * LLM-Viewer (hahnyuan/LLM-Viewer @ 472f71f1, per-layer roofline of LLM inference) as a tool under test.
 *
 * LLM-Viewer's ModelAnalyzer counts OPs and bytes of every layer of one transformer layer (from a layer
 * config in configs/) for the prefill of `seqlen` tokens and the decode of one token against a KV cache
 * of `seqlen`, times each by the roofline of a hardware entry (bandwidth, FP16/INT8 peak) and sums over
 * layers plus the LM head. Single device; no efficiencies.
 *
 * prepare() writes into <workDir>/<cell id>/ (translation in README.md): input.json (hardware entry
 * from suite/hardware, stage, batch, seqlen, bit widths, flash attention) and model_params/suite.py
 * (the suite model as an EasyDict, LLM-Viewer's local-model mechanism, as in its model_params/DiT.py).
 * invoke() runs `python3 tools-under-test/llm-viewer/driver.py input.json` in that directory with
 * $LLM_VIEWER_DIR on PYTHONPATH; parse() reads total_results[stage].inference_time (s).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ToolMetadata, type Cell, type Hardware, type Model } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { Availability, Support, ToolAdapter, ToolContext } from "../../pipeline/lib/tool.ts";
import { runProcess, ToolRunError } from "../../pipeline/lib/exec.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));
export const DRIVER = join(here, "driver.py");

export const ENV_DIR = "LLM_VIEWER_DIR";
export const ENV_STUBS = "LLM_VIEWER_STUBS";
export const ENV_PYTHON = "LLM_VIEWER_PYTHON";
export const ENV_TIMEOUT = "LLM_VIEWER_TIMEOUT_S";
export const DEFAULT_PYTHON = "/usr/bin/python3";
export const DEFAULT_TIMEOUT_S = 60;

/** Bit width per precision; LLM-Viewer takes its INT8 peak when every width is <= 8, else its FP16 peak. */
export const BITS: Partial<Record<Cell["precision"], number>> = { bf16: 16, fp16: 16, fp32: 32, fp8: 8 };

/**
 * LLM-Viewer's onchip_buffer (register file + shared memory of all SMs, hardwares/hardware_params.py)
 * for the GPU family; it only sizes flash-attention blocks (min(buffer / (bytes x head), head) = head
 * for every suite model). H200 is the GH100 die of H100: LLM-Viewer's nvidia_H100_SXM value.
 */
export const ONCHIP_BUFFER_BYTES: Record<string, number> = {
  "a100-sxm4-80gb": 27648e3,
  "h100-sxm5-80gb": 33792e3,
  "h200-sxm-141gb": 33792e3,
};

const OPERATOR_KINDS = new Set(["gemm", "attention-prefill", "attention-decode", "norm", "softmax", "elementwise", "embedding"]);

function modelOf(cell: Cell, suite: Suite): Model | undefined {
  const w = cell.workload as { model?: string };
  return w.model ? suite.models.get(w.model) : undefined;
}

export function supports(cell: Cell, suite: Suite): Support {
  const k = cell.workload.kind;
  if (k === "conv2d") return { ok: false, reason: "cannot express: LLM-Viewer's layer configs describe transformer layers (and DiT blocks), not convolutions" };
  if (k === "training") return { ok: false, reason: "cannot express: LLM-Viewer models inference (prefill and decode), not training" };
  if (k === "collective") return { ok: false, reason: "cannot express: LLM-Viewer has no interconnect or collective model" };
  if (OPERATOR_KINDS.has(k))
    return { ok: false, reason: `no input generated: LLM-Viewer times ${k} operators only as layers of a whole model (ModelAnalyzer.analyze); this adapter runs model-level steps` };
  if (k === "serving") return { ok: false, reason: "no input generated: LLM-Viewer's analyze_generate_task (prefill + decode sum) is not translated from the suite's serving scenarios" };
  if (k === "inference") return { ok: false, reason: "no input generated: whole-model inference cells (encoders, CNNs) have no LLM-Viewer layer config used by this adapter" };
  if (k !== "prefill" && k !== "decode-step") return { ok: false, reason: `no input generated: workload kind ${k}` };
  if (cell.n_devices !== 1 || cell.parallelism.tp !== 1) return { ok: false, reason: "cannot express: LLM-Viewer models one device (no tensor or pipeline parallelism)" };
  const model = modelOf(cell, suite);
  if (!model) return { ok: false, reason: "unknown model" };
  if (model.arch.kind !== "decoder") return { ok: false, reason: `no input generated: ${model.id} is a ${model.arch.kind} model` };
  if (model.arch.mlp !== "swiglu")
    return { ok: false, reason: `no input generated: ${model.id} has a ${model.arch.mlp} MLP; LLM-Viewer's shipped configs (Llama, OPT, GPT-J, ChatGLM3) all count a gate projection or fixed sizes, and this adapter uses configs/Llama.py only` };
  if (!BITS[cell.precision]) return { ok: false, reason: `cannot express: no LLM-Viewer bit width for ${cell.precision}` };
  const hw = suite.hardware.get(cell.hardware);
  if (!hw?.peak_flops_per_s[cell.precision as keyof Hardware["peak_flops_per_s"]]) return { ok: false, reason: `no input generated: suite/hardware gives no ${cell.precision} peak for ${cell.hardware}` };
  if (cell.metric !== "latency") return { ok: false, reason: `no input generated: metric ${cell.metric}` };
  return { ok: true };
}

// ---------------------------------------------------------------- translation suite -> LLM-Viewer

/** The model as LLM-Viewer's configs/Llama.py reads it (Hugging Face LlamaConfig attribute names). */
export function modelParams(model: Model): Record<string, number> {
  const a = model.arch;
  if (a.kind === "cnn") throw new Error(`${model.id} is not a transformer`);
  return { hidden_size: a.d_model, num_attention_heads: a.n_heads, num_key_value_heads: a.n_kv_heads, num_hidden_layers: a.n_layers, intermediate_size: a.d_ff, vocab_size: a.vocab_size };
}

/**
 * LLM-Viewer's hardware entry: bandwidth (B/s) = suite HBM bandwidth; FP16 (the peak for any width > 8)
 * = the suite's dense peak of the cell's precision; INT8 = the suite's int8 or fp8 peak for 8-bit cells
 * (else the FP16 value, unused); onchip_buffer from ONCHIP_BUFFER_BYTES, else the suite's L2.
 */
export function hardwareEntry(cell: Cell, hw: Hardware): { name: string; params: Record<string, number> } {
  const peaks = hw.peak_flops_per_s as Record<string, { value: number } | undefined>;
  const peak = peaks[cell.precision]!.value;
  const int8 = BITS[cell.precision] === 8 ? peak : (peaks.int8?.value ?? peak);
  const buffer = ONCHIP_BUFFER_BYTES[hw.id] ?? hw.l2_bytes?.value ?? 1e6;
  return { name: `suite_${hw.id}_${cell.precision}`, params: { bandwidth: hw.mem_bandwidth_bytes_per_s.value, FP16: peak, INT8: int8, onchip_buffer: buffer } };
}

export function inputJson(cell: Cell, suite: Suite): Record<string, unknown> {
  const hw = suite.hardware.get(cell.hardware)!;
  const model = modelOf(cell, suite)!;
  const w = cell.workload;
  const bits = BITS[cell.precision]!;
  return {
    model_id: `suite/${model.id}`,
    config_file: "configs/Llama.py",
    hardware: hardwareEntry(cell, hw),
    stage: w.kind === "prefill" ? "prefill" : "decode",
    batch: (w as { batch: number }).batch,
    seqlen: w.kind === "prefill" ? w.seq_len : w.kind === "decode-step" ? w.context_len : 0,
    w_bit: bits,
    a_bit: bits,
    kv_bit: bits,
    // The measured steps use PyTorch's scaled_dot_product_attention (flash kernels): LLM-Viewer's own
    // flash-attention option (its CLI --use_flashattention) is the matching setting.
    use_flashattention: true,
  };
}

export function modelParamsPy(modelId: string, params: Record<string, number>): string {
  const kv = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(", ");
  return `# generated by tools-under-test/llm-viewer/adapter.ts from suite/models\nfrom easydict import EasyDict\n\nmodel_params = {${JSON.stringify(modelId)}: EasyDict(${kv})}\n`;
}

// ---------------------------------------------------------------- raw output

export interface ViewerRaw {
  header: Record<string, string>;
  out: { stage: string; total_results: Record<string, Record<string, number>>; layers: Record<string, unknown> };
}

export function parseRaw(raw: string): ViewerRaw {
  const header: Record<string, string> = {};
  const body: string[] = [];
  for (const line of raw.split("\n")) {
    const m = /^# ([\w.-]+): (.*)$/.exec(line);
    if (m) header[m[1]!] = m[2]!;
    else if (line.trim() && !line.startsWith("#")) body.push(line);
  }
  const last = body[body.length - 1];
  let out: ViewerRaw["out"];
  try {
    out = JSON.parse(last ?? "") as ViewerRaw["out"];
  } catch (e) {
    throw new Error(`LLM-Viewer output has no result JSON (${(e as Error).message.slice(0, 80)})`);
  }
  const t = out.total_results?.[out.stage]?.inference_time;
  if (typeof t !== "number" || !(t > 0)) throw new Error(`LLM-Viewer output: total_results.${out.stage}.inference_time is ${JSON.stringify(t)}, expected a positive number of seconds`);
  return { header, out };
}

export function predict(raw: string, cell: Cell): { value: number; unit: string } {
  const { out } = parseRaw(raw);
  const want = cell.workload.kind === "prefill" ? "prefill" : "decode";
  if (out.stage !== want) throw new Error(`LLM-Viewer output is for stage ${out.stage}, the cell is ${want}`);
  return { value: out.total_results[want]!.inference_time!, unit: "s" };
}

// ---------------------------------------------------------------- running

export function availability(env: NodeJS.ProcessEnv = process.env): Availability {
  const dir = env[ENV_DIR];
  if (!dir) return { available: false, reason: `${ENV_DIR} is not set` };
  if (!existsSync(join(dir, "model_analyzer.py")) || !existsSync(join(dir, "configs", "Llama.py")))
    return { available: false, configured: true, reason: `${ENV_DIR}=${dir} has no model_analyzer.py and configs/Llama.py` };
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
  header: string[];
}

export function prepareCell(cell: Cell, suite: Suite, workDir: string): Prepared {
  const dir = resolve(workDir, cell.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "model_params"), { recursive: true });
  const spec = inputJson(cell, suite);
  const params = modelParams(modelOf(cell, suite)!);
  const input = join(dir, "input.json");
  const py = join(dir, "model_params", "suite.py");
  writeFileSync(input, JSON.stringify(spec, null, 2) + "\n");
  writeFileSync(py, modelParamsPy(spec.model_id as string, params));
  const header = [
    `# llm-viewer: ${metadata.commit} (driver.py: ModelAnalyzer.analyze) output for suite cell ${cell.id}`,
    `# input.json: ${JSON.stringify(spec)}`,
    `# model_params: ${JSON.stringify(params)}`,
  ];
  return { dir, inputs: [input, py], header };
}

export async function runViewer(prepared: Prepared, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = env[ENV_DIR]!;
  const r = await runProcess(
    metadata,
    {
      program: "python",
      localBin: env[ENV_PYTHON] || DEFAULT_PYTHON,
      args: [DRIVER, prepared.inputs[0]!],
      cwd: prepared.dir,
      readOnly: prepared.inputs,
      writable: [prepared.dir],
      env: { PYTHONPATH: [prepared.dir, dir, env[ENV_STUBS]].filter(Boolean).join(":") },
      timeout_s: timeoutSeconds(env),
    },
    env,
  );
  const out = r.stdout.trim();
  if (!out) throw new ToolRunError(`LLM-Viewer driver printed nothing${r.stderr.trim() ? ` (${r.stderr.trim().slice(-200)})` : ""}`);
  return prepared.header.join("\n") + "\n" + out + "\n";
}

export const llmViewerAdapter: ToolAdapter<Prepared> = {
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
  invoke: (prepared) => runViewer(prepared),
  parse: (raw, cell) => predict(raw, cell),
};
