/**
 * LLMCompass (PrincetonUniversity/LLMCompass @ 2e015fd2, Zhang et al. ISCA 2024) as a tool under test.
 *
 * LLMCompass describes a device as a hardware template (cores of systolic arrays and vector units,
 * SRAM, a global buffer, memory) and simulates each operator after a mapping search
 * (compile_and_simulate, mode "heuristic-GPU"). Here it runs softmax, layernorm and GeLU operator
 * cells on A100 (its own A100_80GB_fp16 device) and H100/H200 (descriptions from suite/hardware,
 * README.md "Translation").
 *
 * prepare() writes <workDir>/<cell id>/input.json; invoke() runs `python3 tools-under-test/llmcompass/
 * driver.py input.json` in $LLMCOMPASS_DIR and returns the input (as '#' lines) and the JSON it
 * prints; parse() reads latency_s (simulated time plus LLMCompass' per-kernel overhead), seconds.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ToolMetadata, type Cell, type Hardware } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { Availability, Support, ToolAdapter, ToolContext } from "../../pipeline/lib/tool.ts";
import { runProcess, ToolRunError } from "../../pipeline/lib/exec.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));
export const DRIVER = join(here, "driver.py");

export const ENV_DIR = "LLMCOMPASS_DIR";
export const ENV_STUBS = "LLMCOMPASS_STUBS";
export const ENV_SCALESIM = "LLMCOMPASS_SCALESIM";
export const ENV_PYTHON = "LLMCOMPASS_PYTHON";
export const ENV_TIMEOUT = "LLMCOMPASS_TIMEOUT_S";
export const DEFAULT_PYTHON = "/usr/bin/python3";
export const DEFAULT_TIMEOUT_S = 600;

/** LLMCompass has one 2-byte floating datatype for these devices (fp16); bf16 has the same width and tensor peak. */
const PRECISIONS = new Set<Cell["precision"]>(["fp16", "bf16"]);
const GPUS = new Set(["a100-sxm4-80gb", "h100-sxm5-80gb", "h200-sxm-141gb"]);

/** Why GEMM and model-level cells have no input in this session (SETUP-LOG.md, README.md). */
export const SEARCH_COST =
  "no input generated: LLMCompass' matmul mapping search took 31-123 s of CPU per GEMM on the shared 2-core host (SETUP-LOG.md); GEMMs and the transformer blocks built of them were not run within this session's CPU budget";

export function supports(cell: Cell, suite: Suite): Support {
  const w = cell.workload;
  const k = w.kind;
  if (k === "conv2d") return { ok: false, reason: "cannot express: LLMCompass' operators are matmul, softmax, layernorm, gelu and transformer blocks, not convolutions" };
  if (k === "training") return { ok: false, reason: "cannot express: LLMCompass models inference, not training iterations" };
  if (k === "embedding") return { ok: false, reason: "cannot express: LLMCompass has no embedding operator" };
  if (k === "norm" && w.norm !== "layernorm") return { ok: false, reason: `cannot express: LLMCompass has LayerNorm only, not ${w.norm}` };
  if (k === "elementwise" && w.op !== "gelu") return { ok: false, reason: `cannot express: LLMCompass' elementwise operator is GeLU only, not ${w.op}` };
  if (k === "attention-prefill" || k === "attention-decode")
    return { ok: false, reason: "no input generated: LLMCompass has no fused attention operator (its transformer block composes batched matmuls and softmax); this adapter does not compose one" };
  if (k === "collective") return { ok: false, reason: "no input generated: LLMCompass' all-reduce model (communication_primitives.py) is not called by this adapter" };
  if (k === "serving") return { ok: false, reason: "cannot express: LLMCompass simulates single prefill / decode steps, not request-level serving" };
  if (k === "inference") return { ok: false, reason: "no input generated: whole-model inference cells (encoders, CNNs) are not translated to LLMCompass" };
  if (k === "prefill" || k === "decode-step") {
    const model = suite.models.get(w.model);
    if (!model) return { ok: false, reason: `unknown model ${w.model}` };
    const a = model.arch;
    if (a.kind !== "decoder") return { ok: false, reason: `no input generated: ${model.id} is a ${a.kind} model` };
    if (a.mlp === "swiglu" || a.n_kv_heads !== a.n_heads || a.d_ff !== 4 * a.d_model)
      return { ok: false, reason: `cannot express: LLMCompass' transformer block (software_model/transformer.py) is GPT-3's (multi-head attention, 4 x d GeLU FFN, LayerNorm); ${model.id} has ${a.mlp} FFN with d_ff ${a.d_ff} and ${a.n_kv_heads} KV heads` };
    if (!GPUS.has(cell.hardware)) return { ok: false, reason: `no input generated: no LLMCompass description of ${cell.hardware}` };
    return { ok: false, reason: SEARCH_COST };
  }
  if (k !== "gemm" && k !== "softmax" && k !== "norm" && k !== "elementwise") return { ok: false, reason: `no input generated: workload kind ${k}` };
  if (!GPUS.has(cell.hardware))
    return { ok: false, reason: `no input generated: no LLMCompass description of ${cell.hardware} (its template is cores of systolic arrays and vector units; only A100, H100 and H200 are described here)` };
  if (!PRECISIONS.has(cell.precision)) return { ok: false, reason: `cannot express: the LLMCompass devices used here compute in fp16; precision ${cell.precision}` };
  if (cell.metric !== "latency") return { ok: false, reason: `no input generated: metric ${cell.metric}` };
  if (k === "gemm") return { ok: false, reason: SEARCH_COST };
  return { ok: true };
}

// ---------------------------------------------------------------- translation suite -> LLMCompass

/**
 * Device description for H100/H200 (README.md "Translation"): LLMCompass' A100 SM (4 systolic arrays
 * of 16 x 16, 512 vector FLOP/cycle, 192 KiB SRAM, A100 kernel overheads and 5120 B/cycle global
 * buffer bandwidth, which suite/hardware does not give) with the suite's SM count, L2, memory
 * bandwidth and capacity; 2 MAC/cycle per array (Hopper's 1024 dense FLOP/clk per tensor core) and the
 * clock that makes the array peak the suite's dense bf16 peak.
 */
export function deviceSpec(hw: Hardware): Record<string, unknown> {
  if (hw.id === "a100-sxm4-80gb") return { builtin: "A100_80GB_fp16" };
  const cores = hw.compute_units!.value;
  const arrays = 4, side = 16, mac = 2;
  const peak = hw.peak_flops_per_s.bf16!.value;
  return {
    core_count: cores,
    clock_hz: peak / (cores * arrays * side * side * mac * 2),
    systolic_arrays_per_core: arrays,
    systolic_array: { height: side, width: side, mac_per_cycle: mac, input_word_size: 2, output_word_size: 2 },
    vector_unit: { flops_per_cycle: 512, word_size: 2, flops_per_exp: 35, vector_width: 32, vector_count: 4 },
    sram_bytes_per_core: 192 * 1024,
    l2_bytes: hw.l2_bytes!.value,
    l2_bytes_per_cycle: 5120,
    mem_bandwidth_bytes_per_s: hw.mem_bandwidth_bytes_per_s.value,
    io_latency_s: 1e-6,
    mem_capacity_bytes: hw.mem_capacity_bytes!.value,
    overhead: "A100",
  };
}

export function inputJson(cell: Cell, suite: Suite): Record<string, unknown> {
  const hw = suite.hardware.get(cell.hardware)!;
  const w = cell.workload;
  let op: string;
  let shape: Record<string, number>;
  if (w.kind === "softmax") [op, shape] = ["softmax", { rows: w.rows, cols: w.cols }];
  else if (w.kind === "norm") [op, shape] = ["layernorm", { rows: w.rows, cols: w.cols }];
  else if (w.kind === "elementwise") [op, shape] = ["gelu", { elements: w.elements }];
  else if (w.kind === "gemm") [op, shape] = w.batch > 1 ? ["bmm", { batch: w.batch, m: w.m, n: w.n, k: w.k }] : ["matmul", { m: w.m, n: w.n, k: w.k }];
  else throw new Error(`${cell.id}: workload ${w.kind} is not translated`);
  return { op, shape, device: deviceSpec(hw), tp: cell.parallelism.tp };
}

// ---------------------------------------------------------------- raw output

export interface LlmcompassOut {
  op: string;
  latency_s: number;
  simulated_s: number;
  overhead_s: number;
}

export function parseRaw(raw: string): { header: Record<string, string>; out: LlmcompassOut } {
  const header: Record<string, string> = {};
  const body: string[] = [];
  for (const line of raw.split("\n")) {
    const m = /^# ([\w.-]+): (.*)$/.exec(line);
    if (m) header[m[1]!] = m[2]!;
    else if (line.trim() && !line.startsWith("#")) body.push(line);
  }
  const last = body[body.length - 1];
  let out: LlmcompassOut;
  try {
    out = JSON.parse(last ?? "") as LlmcompassOut;
  } catch (e) {
    throw new Error(`LLMCompass output has no result JSON (${(e as Error).message.slice(0, 80)})`);
  }
  if (typeof out.latency_s !== "number" || !(out.latency_s > 0)) throw new Error(`LLMCompass output: latency_s is ${JSON.stringify(out.latency_s)}, expected a positive number`);
  return { header, out };
}

export function predict(raw: string, cell: Cell): { value: number; unit: string } {
  const { out } = parseRaw(raw);
  if (cell.metric !== "latency") throw new Error(`metric ${cell.metric} is not derived from LLMCompass' output`);
  return { value: out.latency_s, unit: "s" };
}

// ---------------------------------------------------------------- running

export function availability(env: NodeJS.ProcessEnv = process.env): Availability {
  const dir = env[ENV_DIR];
  if (!dir) return { available: false, reason: `${ENV_DIR} is not set` };
  if (!existsSync(join(dir, "software_model", "matmul.py")) || !existsSync(join(dir, "hardware_model", "device.py")))
    return { available: false, configured: true, reason: `${ENV_DIR}=${dir} has no software_model/matmul.py and hardware_model/device.py` };
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
  const header = [`# llmcompass: ${metadata.commit} (driver.py: compile_and_simulate heuristic-GPU) output for suite cell ${cell.id}`, `# input.json: ${JSON.stringify(spec)}`];
  return { dir, input, header };
}

export async function runLlmcompass(prepared: Prepared, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = env[ENV_DIR]!;
  const r = await runProcess(
    metadata,
    {
      program: "python",
      localBin: env[ENV_PYTHON] || DEFAULT_PYTHON,
      args: [DRIVER, prepared.input],
      cwd: dir,
      readOnly: [prepared.input],
      writable: [prepared.dir, join(dir, "systolic_array_model")],
      // stubs first: the torch stub must shadow Debian's torch (no torch.compile in 1.13)
      env: { PYTHONPATH: [env[ENV_STUBS], dir, env[ENV_SCALESIM]].filter(Boolean).join(":") },
      timeout_s: timeoutSeconds(env),
    },
    env,
  );
  const out = r.stdout.trim();
  if (!out) throw new ToolRunError(`LLMCompass driver printed nothing${r.stderr.trim() ? ` (${r.stderr.trim().slice(-200)})` : ""}`);
  return prepared.header.join("\n") + "\n" + out + "\n";
}

export const llmcompassAdapter: ToolAdapter<Prepared> = {
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
  invoke: (prepared) => runLlmcompass(prepared),
  parse: (raw, cell) => predict(raw, cell),
};
