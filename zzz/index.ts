/**
 * ZZZ v1: a single-device, per-operator roofline performance model. Pure and deterministic: no
 * file, network or process I/O, no clock, no randomness.
 */
import {
  attentionDecodeOp,
  attentionPrefillOp,
  buildOps,
  elementwiseOp,
  embeddingOp,
  gemmOp,
  normOp,
  softmaxOp,
} from "./builders.ts";
import { predictOp, predictOps } from "./device.ts";
import { memoryFootprint } from "./memory.ts";
import { DEFAULT_PARAMS } from "./params.ts";
import type { BuildOptions, DeviceSpec, Dtype, EngineParams, ModelArch, Op, OperatorSpec, OpPrediction, Prediction, Scenario } from "./types.ts";

export * from "./types.ts";
export * from "./builders.ts";
export * from "./device.ts";
export * from "./memory.ts";
export * from "./collective.ts";
export * from "./params.ts";

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

/** The Op of an operator-level workload. */
export function opFromSpec(spec: OperatorSpec, dtype: Dtype): Op {
  switch (spec.kind) {
    case "gemm":
      return gemmOp(spec.m, spec.n, spec.k, spec.batch ?? 1, dtype);
    case "attention-prefill":
      return attentionPrefillOp(spec, dtype);
    case "attention-decode":
      return attentionDecodeOp(spec, dtype);
    case "norm":
      return normOp(spec.norm, spec.rows, spec.cols, dtype);
    case "softmax":
      return softmaxOp(spec.rows, spec.cols, dtype);
    case "elementwise":
      return elementwiseOp(spec.op, spec.elements, dtype);
    case "embedding":
      return embeddingOp(spec.tokens, spec.d_model, spec.vocab_size, dtype);
  }
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
