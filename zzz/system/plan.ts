/**
 * Parallelism plans: a model and a cluster -> per-device op lists (forward and backward of one
 * micro-batch on one pipeline stage), the collectives each micro-batch and each step needs, and the
 * memory per device. Conventions (each a stated choice):
 *
 * - Tensor parallelism (Megatron-LM [shoeybi2019megatron]): QKV and MLP-up are column-parallel, out-proj
 *   and MLP-down row-parallel; heads, KV heads and d_ff are split tp ways. Per layer and micro-batch:
 *   without sequence parallelism 2 all-reduces forward and 2 backward of tokens x d_model activations;
 *   with sequence parallelism [korthikanti2022reducing] each all-reduce becomes an all-gather + a
 *   reduce-scatter of the same tensor, and norms, dropout and residual adds run on tokens/tp rows.
 * - Backward of a GEMM-shaped op (linear, conv as implicit GEMM) is two GEMMs: dgrad (m x k output,
 *   contraction n) and wgrad (k x n output, contraction m), each with the forward's FLOPs.
 *   Backward of fused attention (FlashAttention-2) runs 5 matmuls where the forward runs 2: 2.5x the
 *   forward FLOPs, and twice its bytes (Q, K, V, O, dO read; dQ, dK, dV written).
 *   Backward of a non-GEMM op (norm, activation, add, softmax, embedding, pool): twice the forward
 *   FLOPs and bytes (reads the output gradient and the saved input, writes the input gradient).
 * - Recomputation: full = the whole forward of each layer again before its backward; selective = the
 *   attention core again (Korthikanti et al.'s selective recomputation); none = nothing.
 * - Attention: fused (FlashAttention-like, the default) or, with fused_attention false, the unfused core
 *   of Megatron-LM before FlashAttention: Q K^T to DRAM, fused scale-mask-softmax, attention dropout
 *   (1-byte mask), P V; the s x s tensors are what Korthikanti et al.'s 5as/h activation term stores.
 * - Precision: GEMMs run in the cell's precision (fp8 with Transformer Engine); attention, norms,
 *   activations and communicated activations in bf16 (2 bytes); weights and gradients in 16 bits;
 *   Adam's fp32 master weights, momentum and variance 12 bytes per parameter ([rajbhandari2020zero]'s
 *   16 bytes per parameter of mixed-precision Adam).
 * - Memory (bytes per device): weights 2/param, gradients 2/param, optimizer 12/param, each divided by
 *   dp for the ZeRO stages that shard it (1: optimizer; 2: + gradients; 3: + weights). Activations per
 *   layer and micro-batch from Korthikanti et al. (2022), Table 2: s*b*h*(34 + 5*a*s/h) bytes without
 *   parallelism; /tp for the tensor-parallel parts (all of it with sequence parallelism, the 24 of 34
 *   inside the TP regions otherwise); selective recomputation and fused attention drop the 5*a*s/h term; full keeps only
 *   the layer input (2*s*b*h). Micro-batches in flight on the first stage: m (GPipe), min(m, pp) (1F1B),
 *   min(m, pp) * (1 + (pp-1)/(pp*v)) (interleaved, Narayanan et al. 2021).
 */
import { attentionPrefillOp, bytesPerElement, countParams, elementwiseOp, embeddingOp, gemmOp, linearOp, normOp, buildOps } from "../ir/builders.ts";
import type { Dtype, ModelArch, Op, TransformerArch, CnnArch } from "../ir/types.ts";

export type Recompute = "none" | "selective" | "full";
export type Schedule = "gpipe" | "1f1b";

export interface ParallelPlan {
  tp: number;
  pp: number;
  dp: number;
  /** Samples per micro-batch. */
  micro_batch: number;
  global_batch: number;
  seq_len?: number;
  sequence_parallel: boolean;
  recompute: Recompute;
  schedule: Schedule;
  /** Model chunks per pipeline device (interleaved 1F1B when > 1). */
  virtual_stages: number;
  /** ZeRO stage: 0 = plain data parallelism (all-reduce), 1 = distributed optimizer, 2, 3 (= FSDP). */
  zero: 0 | 1 | 2 | 3;
  /** Tensor-parallel collectives overlapped with GEMMs (Transformer Engine userbuffers). */
  tp_comm_overlap: boolean;
  /** Data-parallel gradient reduction overlapped with backward compute (bucketed), parameter gather with forward. */
  dp_overlap: boolean;
  /** Expert parallelism degree (MoE); 1 for dense models. */
  ep: number;
  /** Fused (FlashAttention-like) attention, the default; false keeps the s x s scores in memory. */
  fused_attention?: boolean;
}

/** Per-device work of one micro-batch on one pipeline stage (chunk). */
export interface StageWork {
  forward: Op[];
  backward: Op[];
  /** dtype to time each op with (parallel to forward/backward). */
  forward_dtype: Dtype[];
  backward_dtype: Dtype[];
  /** Tensor-parallel collectives per micro-batch on this stage: op and bytes, counts included. */
  tp_collectives: { op: "all-reduce" | "all-gather" | "reduce-scatter"; bytes: number; count: number; phase: "forward" | "backward" }[];
  /** Bytes sent to the next stage per micro-batch (forward activations; the backward sends as many). */
  p2p_bytes: number;
  /** Parameters held by one device for this stage (after tensor parallelism). */
  params: number;
}

export class PlanError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Checks a plan against a model and a cluster; throws PlanError naming the field. */
export function checkPlan(arch: ModelArch, plan: ParallelPlan, n_devices: number): void {
  const { tp, pp, dp } = plan;
  if (tp * pp * dp !== n_devices) throw new PlanError("parallelism", `tp*pp*dp = ${tp * pp * dp} != n_devices ${n_devices}`);
  if (plan.global_batch % (dp * plan.micro_batch) !== 0)
    throw new PlanError("workload.global_batch", `global batch ${plan.global_batch} is not a multiple of dp ${dp} x micro-batch ${plan.micro_batch}`);
  if (arch.kind === "cnn") {
    if (tp !== 1 || pp !== 1) throw new PlanError("parallelism", "a CNN plan supports data parallelism only (tp = pp = 1)");
    return;
  }
  if (arch.n_heads % tp !== 0) throw new PlanError("parallelism.tp", `${arch.n_heads} attention heads are not divisible by tp ${tp}`);
  if (arch.n_kv_heads % tp !== 0 && tp % arch.n_kv_heads !== 0)
    throw new PlanError("parallelism.tp", `${arch.n_kv_heads} KV heads neither divide nor are divisible by tp ${tp}`);
  if (arch.d_ff % tp !== 0) throw new PlanError("parallelism.tp", `d_ff ${arch.d_ff} is not divisible by tp ${tp}`);
  const chunks = pp * plan.virtual_stages;
  if (arch.n_layers % chunks !== 0)
    throw new PlanError("parallelism.pp", `${arch.n_layers} layers are not divisible by pp ${pp} x virtual stages ${plan.virtual_stages}`);
  if (plan.virtual_stages > 1 && (plan.global_batch / dp / plan.micro_batch) % pp !== 0)
    throw new PlanError("workload.virtual_stages", `the interleaved schedule needs micro-batches per pipeline (${plan.global_batch / dp / plan.micro_batch}) divisible by pp ${pp}`);
  if (plan.seq_len === undefined) throw new PlanError("workload.seq_len", "a transformer training plan needs seq_len");
}

function scaled(op: Op, f: number, b: number, name: string): Op {
  return { ...op, name, flops: op.flops * f, bytes: op.bytes * b, param_elems: 0, gemm: undefined };
}

/** Backward ops of one forward op (see the header). */
export function backwardOps(op: Op): Op[] {
  if (op.kind === "attention-prefill") return [{ ...scaled(op, 2.5, 2, `${op.name}.bwd`), kind: "attention-prefill", gemm: op.gemm }];
  if (op.gemm && (op.kind === "gemm" || op.kind === "bgemm" || op.kind === "conv2d")) {
    const { m, n, k, batch } = op.gemm;
    const dt = op.bytes / Math.max(1, batch * (m * k + k * n + m * n)); // bytes per element of the forward
    const dgrad: Op = { ...gemmOp(m, k, n, batch, "fp32", `${op.name}.dgrad`), count: op.count };
    const wgrad: Op = { ...gemmOp(k, n, m, batch, "fp32", `${op.name}.wgrad`), count: op.count };
    return [dgrad, wgrad].map((g) => ({ ...g, bytes: (g.bytes / 4) * dt }));
  }
  return [scaled(op, 2, 2, `${op.name}.bwd`)];
}

/** Forward ops of the layers of one stage chunk of a transformer, per device, one micro-batch. */
function transformerStage(a: TransformerArch, plan: ParallelPlan, dtype: Dtype, layers: number, first: boolean, last: boolean): StageWork {
  const tp = plan.tp;
  const b = plan.micro_batch;
  const s = plan.seq_len!;
  const T = b * s;
  const d = a.d_model;
  const hd = d / a.n_heads;
  const h = a.n_heads / tp;
  const kv = Math.max(1, a.n_kv_heads / tp);
  const dff = a.d_ff / tp;
  const act: Dtype = dtype === "fp8" ? "bf16" : dtype;
  const gemmDt: Dtype = dtype;
  const Tn = plan.sequence_parallel ? T / tp : T; // rows of the non-TP ops
  const L = layers;
  const fwd: { op: Op; dt: Dtype }[] = [];
  const push = (op: Op, dt: Dtype) => fwd.push({ op, dt });
  if (first) {
    push(embeddingOp(Tn, d, a.vocab_size / tp, act, "embed.tokens"), act);
    if (a.position === "learned") push(embeddingOp(Tn, d, a.max_seq_len, act, "embed.positions"), act);
  }
  const attnOps: Op[] = [];
  push({ ...normOp(a.norm, Tn, d, act, "layer.norm1"), count: L }, act);
  push({ ...linearOp("layer.qkv", T, d, (h + 2 * kv) * hd, a.bias, gemmDt), count: L }, gemmDt);
  if (plan.fused_attention === false) {
    // Unfused attention core (Megatron-LM before FlashAttention): S = Q K^T written to DRAM, a fused
    // scale-mask-softmax, attention dropout (writes a 1-byte mask), O = P V; all s x s per head.
    const bpe = bytesPerElement(act);
    const scores = b * h * s * s;
    const q = b * h * s * hd;
    const k = b * kv * s * hd;
    const qk: Op = { ...gemmOp(s, s, hd, b * h, act, "layer.attention.qk"), bytes: (q + k + scores) * bpe, count: L };
    const sm: Op = { name: "layer.attention.softmax", kind: "softmax", flops: 5 * scores, bytes: 2 * scores * bpe, param_elems: 0, count: L };
    const dr: Op = { name: "layer.attention.dropout", kind: "elementwise", flops: 2 * scores, bytes: 2 * scores * bpe + scores, param_elems: 0, count: L };
    const pv: Op = { ...gemmOp(s, hd, s, b * h, act, "layer.attention.pv"), bytes: (scores + k + q) * bpe, count: L };
    for (const o of [qk, sm, dr, pv]) {
      push(o, act);
      attnOps.push(o);
    }
  } else {
    const att = { ...attentionPrefillOp({ batch: b, seq_len: s, n_heads: h, n_kv_heads: kv, head_dim: hd, causal: true }, act, "layer.attention"), count: L };
    push(att, act);
    attnOps.push(att);
  }
  push({ ...linearOp("layer.out-proj", T, h * hd, d, a.bias, gemmDt), count: L }, gemmDt);
  push({ ...elementwiseOp("add", Tn * d, act, "layer.residual1"), count: L }, act);
  push({ ...normOp(a.norm, Tn, d, act, "layer.norm2"), count: L }, act);
  if (a.mlp === "swiglu") {
    push({ ...linearOp("layer.gate-up", T, d, 2 * dff, a.bias, gemmDt), count: L }, gemmDt);
    push({ ...elementwiseOp("silu-mul", T * dff, act, "layer.silu-mul"), count: L }, act);
  } else {
    push({ ...linearOp("layer.up", T, d, dff, a.bias, gemmDt), count: L }, gemmDt);
    push({ ...elementwiseOp("gelu", T * dff, act, "layer.gelu"), count: L }, act);
  }
  push({ ...linearOp("layer.down", T, dff, d, a.bias, gemmDt), count: L }, gemmDt);
  push({ ...elementwiseOp("add", Tn * d, act, "layer.residual2"), count: L }, act);
  if (last) {
    push(normOp(a.norm, Tn, d, act, "final.norm"), act);
    push(linearOp("lm-head", T, d, a.vocab_size / tp, false, gemmDt, 1, !a.tied_embeddings), gemmDt);
    push({ ...elementwiseOp("add", T * (a.vocab_size / tp), act, "cross-entropy"), flops: 5 * T * (a.vocab_size / tp) }, act);
  }
  const backward: Op[] = [];
  const backward_dtype: Dtype[] = [];
  // recomputation runs (part of) the forward again before the backward
  const re = plan.recompute === "full" ? fwd.filter((f) => f.op.count === L && f.op.name.startsWith("layer.")) : plan.recompute === "selective" ? fwd.filter((f) => f.op.name.startsWith("layer.attention")) : [];
  for (const r of re) {
    backward.push({ ...r.op, name: `${r.op.name}.recompute` });
    backward_dtype.push(r.dt);
  }
  for (const f of fwd)
    for (const g of backwardOps(f.op)) {
      backward.push({ ...g, count: f.op.count });
      backward_dtype.push(f.dt);
    }
  const actBytes = T * d * bytesPerElement(act);
  const tp_collectives: StageWork["tp_collectives"] = [];
  if (tp > 1) {
    const reCount = plan.recompute === "full" ? 2 * L : 0; // the recomputed forward repeats its collectives
    if (plan.sequence_parallel) {
      tp_collectives.push({ op: "all-gather", bytes: actBytes, count: 2 * L, phase: "forward" }, { op: "reduce-scatter", bytes: actBytes, count: 2 * L, phase: "forward" });
      tp_collectives.push({ op: "all-gather", bytes: actBytes, count: 2 * L + reCount, phase: "backward" }, { op: "reduce-scatter", bytes: actBytes, count: 2 * L + reCount, phase: "backward" });
    } else {
      tp_collectives.push({ op: "all-reduce", bytes: actBytes, count: 2 * L, phase: "forward" });
      tp_collectives.push({ op: "all-reduce", bytes: actBytes, count: 2 * L + reCount, phase: "backward" });
    }
  }
  let params = 0;
  for (const f of fwd) params += f.op.param_elems * f.op.count;
  if (first) params = params; // embedding shard already /tp
  void attnOps;
  return {
    forward: fwd.map((f) => f.op),
    forward_dtype: fwd.map((f) => f.dt),
    backward,
    backward_dtype,
    tp_collectives,
    p2p_bytes: plan.sequence_parallel ? actBytes / tp : actBytes,
    params,
  };
}

/**
 * CNN training: the inference builder folds batchnorm into the convs; training cannot (the batch
 * statistics change every step), so every conv is followed by one batchnorm(+ReLU) kernel that reads
 * the conv output twice (statistics, then normalisation) and writes it once: 3 x output bytes, 7 FLOPs
 * per element (layernorm's count, see ir/builders.ts).
 */
function cnnStage(a: CnnArch, plan: ParallelPlan, dtype: Dtype): StageWork {
  const fwd: Op[] = [];
  for (const o of buildOps(a, { kind: "inference", batch: plan.micro_batch }, dtype)) {
    fwd.push(o);
    if (o.kind === "conv2d" && o.gemm) {
      const out = o.gemm.m * o.gemm.n;
      fwd.push({ name: `${o.name}.batchnorm`, kind: "norm", flops: 7 * out, bytes: 3 * out * bytesPerElement(dtype), param_elems: 0, count: o.count });
    }
  }
  const backward: Op[] = [];
  for (const f of fwd) for (const g of backwardOps(f)) backward.push({ ...g, count: f.count });
  return {
    forward: fwd,
    forward_dtype: fwd.map(() => dtype),
    backward,
    backward_dtype: backward.map(() => dtype),
    tp_collectives: [],
    p2p_bytes: 0,
    params: countParams(a),
  };
}

/**
 * The work of every pipeline stage chunk (index = chunk id, pp * virtual_stages of them; chunk c sits
 * on device c mod pp). Chunk 0 holds the embedding, the last chunk the LM head.
 */
export function stageWork(arch: ModelArch, plan: ParallelPlan, dtype: Dtype): StageWork[] {
  if (arch.kind === "cnn") return [cnnStage(arch, plan, dtype)];
  const chunks = plan.pp * plan.virtual_stages;
  const layers = arch.n_layers / chunks;
  return Array.from({ length: chunks }, (_, c) => transformerStage(arch, plan, dtype, layers, c === 0, c === chunks - 1));
}

export interface TrainingMemory {
  weights_bytes: number;
  gradients_bytes: number;
  optimizer_bytes: number;
  activations_bytes: number;
  total_bytes: number;
  capacity_bytes: number;
  fits: boolean;
  /** Micro-batches whose activations are held at once on the first stage. */
  in_flight_microbatches: number;
}

/** Memory of the most loaded device (the first pipeline stage) for a training plan. */
export function trainingMemory(arch: ModelArch, plan: ParallelPlan, capacity_bytes: number, params_per_device: number): TrainingMemory {
  const dp = plan.dp;
  const weights_bytes = (2 * params_per_device) / (plan.zero >= 3 ? dp : 1);
  const gradients_bytes = (2 * params_per_device) / (plan.zero >= 2 ? dp : 1);
  const optimizer_bytes = (12 * params_per_device) / (plan.zero >= 1 ? dp : 1);
  const m = plan.global_batch / (dp * plan.micro_batch);
  let inflight = plan.schedule === "gpipe" ? m : Math.min(m, plan.pp);
  if (plan.virtual_stages > 1) inflight = Math.min(m, plan.pp) * (1 + (plan.pp - 1) / (plan.pp * plan.virtual_stages));
  let perLayer: number;
  let layersPerDevice: number;
  if (arch.kind === "cnn") {
    // Activations of a CNN: the sum of every op's output (kept for backward), 2 bytes per element.
    const ops = buildOps(arch, { kind: "inference", batch: plan.micro_batch }, "bf16");
    perLayer = ops.reduce((acc, o) => acc + (o.bytes - (o.weight_bytes ?? 0)) * o.count, 0) / 2;
    layersPerDevice = 1;
  } else {
    const s = plan.seq_len!;
    const b = plan.micro_batch;
    const h = arch.d_model;
    const a = arch.n_heads;
    const t = plan.tp;
    const attnTerm = (5 * a * s) / h;
    if (plan.recompute === "full") perLayer = 2 * s * b * h;
    else {
      // The attention scores (the 5as/h term) are stored only by unfused attention; ZZZ's attention is
      // fused (FlashAttention-like, ir/builders.ts), which keeps no s x s tensor, as selective recomputation.
      const core = plan.recompute === "selective" || plan.fused_attention !== false ? 0 : attnTerm;
      perLayer = plan.sequence_parallel ? (s * b * h * (34 + core)) / t : s * b * h * (10 + (24 + core) / t);
    }
    layersPerDevice = arch.n_layers / plan.pp;
  }
  const activations_bytes = perLayer * layersPerDevice * inflight;
  const total_bytes = weights_bytes + gradients_bytes + optimizer_bytes + activations_bytes;
  return { weights_bytes, gradients_bytes, optimizer_bytes, activations_bytes, total_bytes, capacity_bytes, fits: total_bytes <= capacity_bytes, in_flight_microbatches: inflight };
}
