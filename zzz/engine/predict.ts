/**
 * engine/: how a framework runs a graph. v1 behaviour: every op is one kernel, run back to back;
 * the whole-graph latency is the sum of the per-op device latencies.
 */
import { buildOps } from "../ir/builders.ts";
import { opFromSpec } from "../ir/spec.ts";
import type { BuildOptions, Dtype, ModelArch, Op, OperatorSpec, Scenario } from "../ir/types.ts";
import { memoryFootprint } from "../device/memory.ts";
import { DEFAULT_PARAMS } from "../device/params.ts";
import { predictOp, predictOps } from "../device/roofline.ts";
import type { DeviceSpec, EngineParams, OpPrediction } from "../device/types.ts";
import type { Prediction } from "./types.ts";

/** Latency of one forward pass (sum of its operators' latencies) and its memory footprint. */
export function predict(
  arch: ModelArch,
  scenario: Scenario,
  device: DeviceSpec,
  dtype: Dtype,
  params: EngineParams = DEFAULT_PARAMS,
  opts: BuildOptions = {},
): Prediction {
  const ops = buildOps(arch, scenario, dtype, opts);
  const { total_latency_s, ops: preds } = predictOps(ops, device, dtype, params);
  return { total_latency_s, ops: preds, memory: memoryFootprint(arch, scenario, dtype, device, opts) };
}

/** Latency of ONE operator (an Op, or an operator-level workload spec), launch overhead included. */
export function predictSingleOp(
  op: Op | OperatorSpec,
  device: DeviceSpec,
  dtype: Dtype,
  params: EngineParams = DEFAULT_PARAMS,
): OpPrediction {
  const o = "flops" in op ? op : opFromSpec(op, dtype);
  return predictOp(o, device, dtype, params);
}
