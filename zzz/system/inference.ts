/**
 * Multi-GPU inference steps: a prefill or a decode step of a decoder sharded tp x pp ways.
 * - Tensor parallelism: heads, KV heads (replicated when fewer than tp) and d_ff split tp ways; two
 *   all-reduces of tokens x d_model (16-bit) per layer (after out-proj and after MLP-down), on the
 *   critical path (serving engines do not overlap them).
 * - Pipeline parallelism: layers split pp ways; one request batch passes through the stages in turn,
 *   so a step's latency is the sum of the stages plus pp-1 sends of tokens x d_model activations
 *   (throughput with pp micro-batches in flight is bounded by the slowest stage instead).
 * - Per-device ops are timed by the device layer (predictOp); the embedding runs on the first stage,
 *   the final norm and LM head (vocab split tp ways, last position of each sequence for a prefill) on
 *   the last.
 * - Memory per device: weights / (tp pp) (embedding and LM head on their stage), KV cache
 *   2 x layers/pp x batch x max(1, kv_heads/tp) x head_dim x positions, plus the largest op's
 *   activations.
 */
import { attentionDecodeOp, attentionPrefillOp, bytesPerElement, elementwiseOp, embeddingOp, linearOp, normOp } from "../ir/builders.ts";
import type { Dtype, Op, TransformerArch } from "../ir/types.ts";
import { predictOp } from "../device/roofline.ts";
import type { DeviceSpec, EngineParams } from "../device/types.ts";
import { ncclCollective } from "./nccl.ts";
import type { Topology } from "./types.ts";
import { PlanError } from "./plan.ts";
import type { OpTimer } from "./step.ts";

export type InferenceScenario = { kind: "prefill"; batch: number; seq_len: number } | { kind: "decode-step"; batch: number; context_len: number };

export interface InferenceStepResult {
  latency_s: number;
  compute_s: number;
  tp_comm_s: number;
  pp_comm_s: number;
  /** Slowest stage (compute + its TP communication), s: the step interval with pp batches in flight. */
  stage_s: number;
  memory: { weights_bytes: number; kv_cache_bytes: number; activations_bytes: number; total_bytes: number; capacity_bytes: number; fits: boolean };
  ops: Op[];
}

function layerOps(a: TransformerArch, sc: InferenceScenario, tp: number, dtype: Dtype, L: number): Op[] {
  const hd = a.d_model / a.n_heads;
  const h = a.n_heads / tp;
  const kv = Math.max(1, a.n_kv_heads / tp);
  const dff = a.d_ff / tp;
  const d = a.d_model;
  const T = sc.kind === "decode-step" ? sc.batch : sc.batch * sc.seq_len;
  const c = (o: Op): Op => ({ ...o, count: L });
  const ops: Op[] = [c(normOp(a.norm, T, d, dtype, "layer.norm1")), c(linearOp("layer.qkv", T, d, (h + 2 * kv) * hd, a.bias, dtype))];
  if (a.position === "rope") ops.push(c(elementwiseOp("rope", T * (h + kv) * hd, dtype, "layer.rope")));
  ops.push(
    c(
      sc.kind === "decode-step"
        ? attentionDecodeOp({ batch: sc.batch, context_len: sc.context_len, n_heads: h, n_kv_heads: kv, head_dim: hd }, dtype, "layer.attention")
        : attentionPrefillOp({ batch: sc.batch, seq_len: sc.seq_len, n_heads: h, n_kv_heads: kv, head_dim: hd, causal: true }, dtype, "layer.attention"),
    ),
  );
  ops.push(c(linearOp("layer.out-proj", T, h * hd, d, a.bias, dtype)), c(elementwiseOp("add", T * d, dtype, "layer.residual1")), c(normOp(a.norm, T, d, dtype, "layer.norm2")));
  if (a.mlp === "swiglu") ops.push(c(linearOp("layer.gate-up", T, d, 2 * dff, a.bias, dtype)), c(elementwiseOp("silu-mul", T * dff, dtype, "layer.silu-mul")));
  else ops.push(c(linearOp("layer.up", T, d, dff, a.bias, dtype)), c(elementwiseOp("gelu", T * dff, dtype, "layer.gelu")));
  ops.push(c(linearOp("layer.down", T, dff, d, a.bias, dtype)), c(elementwiseOp("add", T * d, dtype, "layer.residual2")));
  return ops;
}

/** One prefill or decode step of `arch` on tp x pp devices. */
export function inferenceStep(
  a: TransformerArch,
  sc: InferenceScenario,
  tp: number,
  pp: number,
  device: DeviceSpec,
  topology: Topology,
  dtype: Dtype,
  params: EngineParams,
  call_overhead_s: number = params.launch_overhead_s,
  op_time?: OpTimer,
): InferenceStepResult {
  if (a.kind !== "decoder") throw new PlanError("workload.model", "multi-GPU inference steps are for decoder models");
  if (a.n_heads % tp !== 0) throw new PlanError("parallelism.tp", `${a.n_heads} attention heads are not divisible by tp ${tp}`);
  if (a.d_ff % tp !== 0) throw new PlanError("parallelism.tp", `d_ff ${a.d_ff} is not divisible by tp ${tp}`);
  if (a.n_layers % pp !== 0) throw new PlanError("parallelism.pp", `${a.n_layers} layers are not divisible by pp ${pp}`);
  if (tp > topology.devices_per_node) throw new PlanError("parallelism.tp", `tp ${tp} spans more than one node of ${topology.devices_per_node}`);
  const L = a.n_layers / pp;
  const d = a.d_model;
  const T = sc.kind === "decode-step" ? sc.batch : sc.batch * sc.seq_len;
  const layer = layerOps(a, sc, tp, dtype, L);
  const first: Op[] = [embeddingOp(T, d, a.vocab_size, dtype, "embed.tokens")];
  const last: Op[] = [normOp(a.norm, T, d, dtype, "final.norm"), linearOp("lm-head", sc.batch, d, a.vocab_size / tp, false, dtype, 1, !a.tied_embeddings)];
  const timer = op_time ?? ((o: Op, dt: Dtype) => predictOp(o, device, dt, params).latency_s);
  const time = (ops: Op[]) => ops.reduce((s, o) => s + timer(o, dtype) * o.count, 0);
  const tLayer = time(layer);
  const actBytes = T * d * bytesPerElement(dtype === "fp8" ? "bf16" : dtype);
  const ar = tp > 1 ? ncclCollective("all-reduce", actBytes, { n_ranks: tp, n_nodes: 1 }, topology, call_overhead_s).time_s : 0;
  const tpPerStage = 2 * L * ar;
  const stageTimes = Array.from({ length: pp }, (_, s) => tLayer + tpPerStage + (s === 0 ? time(first) : 0) + (s === pp - 1 ? time(last) : 0));
  const crossNode = tp * pp > topology.devices_per_node;
  const send = pp > 1 ? ncclCollective("send-recv", actBytes, { n_ranks: 2, n_nodes: crossNode ? 2 : 1 }, topology, call_overhead_s).time_s : 0;
  const compute_s = stageTimes.reduce((x, y) => x + y, 0) - pp * tpPerStage;
  const latency_s = stageTimes.reduce((x, y) => x + y, 0) + (pp - 1) * send;
  // memory of the first stage's device (embedding) or the last (LM head), whichever is larger
  const b = bytesPerElement(dtype);
  const layerParams = layer.reduce((s, o) => s + o.param_elems * o.count, 0);
  const embedParams = a.vocab_size * d;
  // vocabulary-parallel embedding on the first stage, LM head on the last (the same table when tied)
  const embedCopies = pp === 1 && !a.tied_embeddings ? 2 : 1;
  const weights_bytes = (layerParams + (embedCopies * embedParams) / tp) * b;
  const positions = sc.kind === "decode-step" ? sc.context_len : sc.seq_len;
  const kv_cache_bytes = 2 * L * sc.batch * Math.max(1, a.n_kv_heads / tp) * (d / a.n_heads) * positions * b;
  const activations_bytes = Math.max(...layer.map((o) => o.bytes - (o.weight_bytes ?? 0) - (o.kv_bytes ?? 0))) + actBytes;
  const total_bytes = weights_bytes + kv_cache_bytes + activations_bytes;
  return {
    latency_s,
    compute_s,
    tp_comm_s: pp * tpPerStage,
    pp_comm_s: (pp - 1) * send,
    stage_s: Math.max(...stageTimes),
    memory: { weights_bytes, kv_cache_bytes, activations_bytes, total_bytes, capacity_bytes: device.mem_capacity_bytes, fits: total_bytes <= device.mem_capacity_bytes },
    ops: [...first, ...layer, ...last],
  };
}
