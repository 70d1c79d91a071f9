/**
 * LLMServingSim (casys-kaist/LLMServingSim @ 5daddb21, version 2.0) as a tool under test: NOT RUN.
 *
 * LLMServingSim simulates LLM serving iteration by iteration: a vLLM-style scheduler forms each batch,
 * each layer of the batch is timed from per-layer latency tables that its vLLM-based profiler measured
 * on the target GPU (profiler/perf/<hardware>/<model>/<dtype>/tp<N>/), and the batch becomes a Chakra
 * execution trace run by CASYS' fork of ASTRA-sim. Two things stop it here (SETUP-LOG.md, README.md):
 *
 *   1. it could not be built: the ASTRA-sim fork pins the CASYS Chakra fork (casys-kaist/chakra
 *      c464cb05), which no snapshot here provides; that fork carries the 'LLM' trace converter the
 *      Python frontend calls for every batch and ETFeederNode accessors the fork's ASTRA-sim calls;
 *   2. none of the suite's cells has its input: the pinned commit ships profiles for RTX4090 and RTX
 *      PRO 6000 only (Llama-3.1-8B and Qwen3 models), and the profiler needs vLLM on the GPU itself.
 *
 * So supports() declines every cell, with the coverage prefixes of pipeline/lib/coverage.ts:
 * "no input generated: ..." for the cells LLMServingSim could express if it had a profile (serving,
 * prefill and decode-step cells of decoder models on a GPU), "cannot express: ..." for the others
 * (CPU host, encoders and CNNs, operators, collectives, training). availability() always reports the
 * tool unavailable; prepare/invoke/parse are never reached and throw if called. No number is produced.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ToolMetadata, type Cell } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { Availability, Support, ToolAdapter } from "../../pipeline/lib/tool.ts";
import { CANNOT_EXPRESS, NO_INPUT_GENERATED } from "../../pipeline/lib/coverage.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));

export const ENV_DIR = "LLMSERVINGSIM_DIR";

/** Hardware with a shipped profile at the pinned commit (git ls-tree 5daddb21 profiler/perf). */
export const PROFILED_HARDWARE = ["RTX4090", "RTXPRO6000"] as const;
/** Models with a shipped profile at the pinned commit (profiler/perf/<hw>/<org>/<model>). */
export const PROFILED_MODELS = ["meta-llama/Llama-3.1-8B", "Qwen/Qwen3-32B", "Qwen/Qwen3-30B-A3B-Instruct-2507"] as const;

/** Why the simulator itself is not available here (SETUP-LOG.md, steps 5 to 8). */
export const BUILD_REASON =
  "the simulator was not built here either: the Chakra fork its ASTRA-sim pins (casys-kaist/chakra c464cb05, with the 'LLM' trace converter) is in no snapshot here (tools-under-test/llmservingsim/SETUP-LOG.md)";

/** Workload kinds LLMServingSim could express: a serving run, or one batch of one (prefill, decode step). */
const LLM_KINDS = new Set(["serving", "prefill", "decode-step"]);

export function noProfileReason(model: string, hardware: string): string {
  return (
    `${NO_INPUT_GENERATED} no LLMServingSim profile of ${model} on ${hardware} (its batch times come from per-layer tables its vLLM-based ` +
    `profiler measures on the target GPU; commit ${metadata.commit!.slice(0, 8)} ships ${PROFILED_HARDWARE.join(" and ")} tables only, and vLLM ` +
    `is not installable here); ${BUILD_REASON}`
  );
}

export function supports(cell: Cell, suite: Pick<Suite, "models" | "hardware">): Support {
  const w = cell.workload;
  if (!LLM_KINDS.has(w.kind))
    return {
      ok: false,
      reason: `${CANNOT_EXPRESS} LLMServingSim simulates LLM serving (request streams, batch by batch, with per-request TTFT, TPOT and latency and token throughput); workload kind '${w.kind}' is not one it simulates`,
    };
  const modelId = (w as { model: string }).model;
  const model = suite.models.get(modelId);
  if (!model) return { ok: false, reason: `${CANNOT_EXPRESS} model ${modelId} is not in suite/models` };
  if (model.arch.kind !== "decoder")
    return {
      ok: false,
      reason: `${CANNOT_EXPRESS} LLMServingSim simulates decoder language models (architecture catalogs: llama, qwen3, qwen3_moe, mixtral, phimoe); ${modelId} is a ${model.arch.kind} model`,
    };
  const hw = suite.hardware.get(cell.hardware);
  if (!hw) return { ok: false, reason: `${CANNOT_EXPRESS} hardware ${cell.hardware} is not in suite/hardware` };
  if (hw.kind !== "gpu")
    return {
      ok: false,
      reason: `${CANNOT_EXPRESS} LLMServingSim's layer times come from its profiler, which records per-layer CUDA kernel latency of a vLLM engine on a GPU; ${cell.hardware} is a ${hw.kind}`,
    };
  return { ok: false, reason: noProfileReason(modelId, cell.hardware) };
}

export function availability(env: NodeJS.ProcessEnv = process.env): Availability {
  const dir = env[ENV_DIR];
  if (!dir) return { available: false, reason: `${ENV_DIR} is not set` };
  const bin = join(dir, "astra-sim", "build", "astra_analytical", "build", "AnalyticalAstra", "bin", "AnalyticalAstra");
  if (!existsSync(bin)) return { available: false, configured: true, reason: `${ENV_DIR}=${dir} has no ${bin.slice(dir.length + 1)}: ${BUILD_REASON}` };
  // Even a built checkout runs nothing: no suite cell has a profile (supports() declines them all).
  return { available: false, configured: true, reason: `no suite cell has an LLMServingSim profile (${PROFILED_HARDWARE.join(", ")} only); this adapter has no live path` };
}

function neverReached(what: string): never {
  throw new Error(`llmservingsim adapter: ${what} called, but supports() declines every cell (no profile, simulator not built; README.md)`);
}

export const llmServingSimAdapter: ToolAdapter<never> = {
  metadata,
  recordRaw: true,
  async availability() {
    return availability();
  },
  supports: (cell, ctx) => supports(cell, ctx.suite),
  prepare: async () => neverReached("prepare()"),
  invoke: async () => neverReached("invoke()"),
  parse: () => neverReached("parse()"),
};
