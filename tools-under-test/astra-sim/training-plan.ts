/**
 * Training-step cells for ASTRA-sim: what each cell's step is made of (parallel layout, micro-batches,
 * per-block compute times, communication sizes, network) and where every number comes from.
 *
 * Division of labour (stated in the cells, the README and the results):
 *  - ASTRA-sim simulates the communication (TP/DP all-reduces, PP send/recv over the analytical
 *    network) and the scheduling (1F1B order, dependencies, one compute and one communication stream
 *    per NPU, overlap of gradient all-reduces with the remaining backward compute);
 *  - the compute time of every block is ZZZ v1's per-operator estimate (zzz/: op builders and
 *    predictOp with DEFAULT_PARAMS), not simulated by ASTRA-sim. Backward = 2 x forward (an
 *    ASSUMPTION: the usual FLOP ratio of a backward pass, applied to ZZZ's forward latency).
 *
 * Not modelled (all cells): optimizer step, data loading, activation recomputation, the embedding-group
 * all-reduce of tied embeddings between the first and the last stage, loss-parallel small collectives,
 * kernel-level overlap of TP communication with GEMMs, CUDA graphs, and anything in a run that is not
 * a training step (evaluation, start-up).
 */
import {
  attentionPrefillOp,
  buildOps,
  elementwiseOp,
  embeddingOp,
  linearOp,
  normOp,
  predictOp,
  softmaxOp,
  DEFAULT_PARAMS,
  type DeviceSpec,
  type Dtype,
  type Op,
  type TransformerArch,
  type CnnArch,
} from "../../zzz/index.ts";
import { deviceSpec } from "../zzz/adapter.ts";
import type { Cell, Hardware, Model } from "../../pipeline/lib/schema.ts";
import type { Block, StepSpec } from "./training-et.ts";

/** A network link as ASTRA-sim's analytical backend takes it. */
export interface LinkConfig {
  /** Bytes per second per NPU in one direction. */
  bandwidth_bytes_per_s: number;
  latency_ns: number;
  basis: string;
}

/** NVLink/NVSwitch inside a DGX H100: ASTRA-sim's validated HGX-H100 config (400 "GB/s" = 400 x 2^30 B/s, 936.25 ns). */
export const NVLINK_H100: LinkConfig = {
  bandwidth_bytes_per_s: 400 * 2 ** 30,
  latency_ns: 936.25,
  basis: "ASTRA-sim examples/network/analytical/HGX-H100-validated.yml (astra-sim@4f387bcd)",
};

/**
 * InfiniBand between DGX H100 nodes of NVIDIA's Eos systems: 8 ConnectX-7 NDR 400 Gb/s compute NICs per
 * node of 8 GPUs, i.e. 400e9 / 8 = 50e9 B/s per GPU per direction. Source: mlcommons/training_results_v4.0
 * @6fe954378efe NVIDIA/systems/eos_n64_ngc24.04_nemo.json and eos_n8_ngc24.04_mxnet.json, field
 * host_networking ("Compute: 8x ConnectX-7 IB NDR 400Gb/s"; copies under
 * suite/ground-truth/published/mlperf-tr40/data/NVIDIA/systems/). The latency is an ASSUMPTION (no
 * source read): the NVLink value, 936.25 ns; README reports the effect of 5 us instead.
 */
export const IB_NDR_EOS: LinkConfig = {
  bandwidth_bytes_per_s: 400e9 / 8,
  latency_ns: 936.25,
  basis:
    "8x ConnectX-7 IB NDR 400Gb/s per 8-GPU node (MLPerf Training v4.0 NVIDIA/systems/eos_n64_ngc24.04_nemo.json, eos_n8_ngc24.04_mxnet.json host_networking) = 50e9 B/s per GPU; latency assumed = NVLink config value",
};

export interface TrainingPlan {
  cell_id: string;
  /** Samples per micro-batch (per pipeline). */
  micro_batch: number;
  micro_batch_source: string;
  /** Gradient bytes per parameter in the DP all-reduce (ASSUMPTION: 2, 16-bit gradients). */
  grad_bytes_per_param: number;
  /** Bytes per activation element sent between stages and in TP all-reduces (2: bf16/fp16). */
  act_bytes: number;
  /** dtype of the non-GEMM operators (the GEMMs use the cell's precision). */
  other_dtype: Dtype;
  /** Model chunks per pipeline device (interleaved 1F1B); absent: 1 (non-interleaved 1F1B). */
  virtual_stages?: number;
  virtual_stages_source?: string;
  /** What this cell's step leaves out or simplifies beyond the common list above. */
  simplifications: string;
}

/** Cells of suite/cells/published-mlperf-tr40-step.yaml that have a plan. */
export const TRAINING_PLANS: Record<string, TrainingPlan> = {
  "mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512": {
    cell_id: "mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512",
    micro_batch: 2,
    micro_batch_source:
      "MICRO_BATCH_SIZE=2, mlcommons/training_results_v4.0@6fe954378efe NVIDIA/benchmarks/gpt3/implementations/nemo/config_DGXH100_64x8x128x4x8_mbs2.sh:23",
    grad_bytes_per_param: 2,
    act_bytes: 2,
    other_dtype: "bf16",
    virtual_stages: 4,
    virtual_stages_source:
      "INTERLEAVED_PIPELINE=4, mlcommons/training_results_v4.0@6fe954378efe NVIDIA/benchmarks/gpt3/implementations/nemo/config_DGXH100_64x8x128x4x8_mbs2.sh:38 (NeMo's virtual pipeline size: 4 chunks of 3 layers per GPU)",
    simplifications:
      "interleaved 1F1B with 4 model chunks of 3 layers per GPU, in Megatron-LM's order; TP all-reduces are not overlapped with GEMMs (the submission sets TP_COMM_OVERLAP=True, :25) and no sequence parallelism; the distributed optimizer's gradient reduce-scatter + parameter all-gather is modelled as one DP all-reduce per block after the last micro-batch's backward; GEMMs at fp8 peak (Transformer Engine FP8), other operators in bf16",
  },
  "mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x8": {
    cell_id: "mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x8",
    micro_batch: 400,
    micro_batch_source:
      "BATCHSIZE=400 per GPU, mlcommons/training_results_v4.0@6fe954378efe NVIDIA/benchmarks/resnet/implementations/eos_ngc24.04_mxnet/config_DGXH100.sh:5 (= global_batch_size 3200 / 8 GPUs)",
    grad_bytes_per_param: 2,
    act_bytes: 2,
    other_dtype: "fp16",
    simplifications:
      "ZZZ's ResNet-50 operator list is its inference graph (batch norm folded into the convolutions), so batch-norm statistics and their backward are not in the compute times; one DP all-reduce per operator's gradients (no bucketing)",
  },
  "mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x64": {
    cell_id: "mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x64",
    micro_batch: 50,
    micro_batch_source:
      "BATCHSIZE=50 per GPU, mlcommons/training_results_v4.0@6fe954378efe NVIDIA/benchmarks/resnet/implementations/eos_n8_ngc24.04_mxnet/config_DGXH100_multi_8x8x50.sh:5 (= global_batch_size 3200 / 64 GPUs)",
    grad_bytes_per_param: 2,
    act_bytes: 2,
    other_dtype: "fp16",
    simplifications:
      "ZZZ's ResNet-50 operator list is its inference graph (batch norm folded into the convolutions); one DP all-reduce per operator's gradients (no bucketing), as one flat ring over the 64 GPUs at the inter-node rate",
  },
};

/** Latency of one copy of an op (ZZZ v1), us; GEMM-like ops at the cell's precision, others at `other`. */
function opUs(op: Op, dev: DeviceSpec, gemmDtype: Dtype, other: Dtype): number {
  const tensor = op.kind === "gemm" || op.kind === "bgemm" || op.kind === "conv2d";
  return predictOp(op, dev, tensor ? gemmDtype : other, DEFAULT_PARAMS).latency_s * 1e6;
}

function block(name: string, ops: Op[], dev: DeviceSpec, gemmDtype: Dtype, other: Dtype, comm: { fwd: number; bwd: number }, gradBytesPerParam: number): Block {
  const fwd = ops.reduce((s, o) => s + opUs(o, dev, gemmDtype, other) * o.count, 0);
  const params = ops.reduce((s, o) => s + o.param_elems * o.count, 0);
  return { name, fwd_us: fwd, bwd_us: 2 * fwd, fwd_tp_ar_bytes: comm.fwd, bwd_tp_ar_bytes: comm.bwd, grad_bytes: params * gradBytesPerParam };
}

/**
 * The blocks of one transformer layer under Megatron tensor parallelism (tp shards of heads and of
 * d_ff): attention half and MLP half, each followed by an all-reduce of T x d activations in the
 * forward pass and one in the backward pass (Megatron's g and f operators, no sequence parallelism).
 */
function transformerLayerBlocks(a: TransformerArch, layer: number, T: number, mb: number, seq: number, tp: number, dev: DeviceSpec, g: Dtype, o: Dtype, plan: TrainingPlan): Block[] {
  const hd = a.d_model / a.n_heads;
  const h = a.n_heads / tp;
  const kv = a.n_kv_heads / tp;
  if (!Number.isInteger(h) || !Number.isInteger(kv) || a.d_ff % tp !== 0) throw new Error(`heads/d_ff of the model do not split over tp = ${tp}`);
  const ar = { fwd: T * a.d_model * plan.act_bytes, bwd: T * a.d_model * plan.act_bytes };
  const attn: Op[] = [
    normOp(a.norm, T, a.d_model, o, "norm1"),
    linearOp("qkv", T, a.d_model, (h + 2 * kv) * hd, a.bias, g),
    ...(a.position === "rope" ? [elementwiseOp("rope", T * (h + kv) * hd, o, "rope")] : []),
    attentionPrefillOp({ batch: mb, seq_len: seq, n_heads: h, n_kv_heads: kv, head_dim: hd, causal: a.kind === "decoder" }, o, "attention"),
    linearOp("out-proj", T, h * hd, a.d_model, a.bias, g),
    elementwiseOp("add", T * a.d_model, o, "residual1"),
  ];
  const ff = a.d_ff / tp;
  const mlp: Op[] =
    a.mlp === "swiglu"
      ? [normOp(a.norm, T, a.d_model, o, "norm2"), linearOp("gate-up", T, a.d_model, 2 * ff, a.bias, g), elementwiseOp("silu-mul", T * ff, o, "silu-mul"), linearOp("down", T, ff, a.d_model, a.bias, g), elementwiseOp("add", T * a.d_model, o, "residual2")]
      : [normOp(a.norm, T, a.d_model, o, "norm2"), linearOp("up", T, a.d_model, ff, a.bias, g), elementwiseOp("gelu", T * ff, o, "gelu"), linearOp("down", T, ff, a.d_model, a.bias, g), elementwiseOp("add", T * a.d_model, o, "residual2")];
  return [block(`layer${layer}_attn`, attn, dev, g, o, ar, plan.grad_bytes_per_param), block(`layer${layer}_mlp`, mlp, dev, g, o, ar, plan.grad_bytes_per_param)];
}

export interface BuiltStep {
  spec: StepSpec;
  /** Network link of each parallel axis that is a network dimension. */
  links: Partial<Record<"tp" | "dp" | "pp", LinkConfig>>;
  /** ZZZ's forward compute of one micro-batch summed over the blocks of each (virtual) stage, us (for the notes and tests). */
  stage_fwd_us: number[];
}

/** Link of each parallel axis: inside a node when the axis's group fits in one node, else the inter-node link. */
function axisLinks(cell: Cell, hw: Hardware): Partial<Record<"tp" | "dp" | "pp", LinkConfig>> {
  if (hw.id !== "h100-sxm5-80gb") throw new Error(`no training network config for ${hw.id} (only h100-sxm5-80gb)`);
  const { tp, dp, pp } = cell.parallelism;
  const perNode = hw.node.devices_per_node;
  const links: Partial<Record<"tp" | "dp" | "pp", LinkConfig>> = {};
  // NPU id = t + tp (d + dp p): a TP group is tp consecutive ids, a DP group spans tp*dp ids.
  if (tp > 1) links.tp = tp <= perNode ? NVLINK_H100 : IB_NDR_EOS;
  if (dp > 1) links.dp = tp * dp <= perNode ? NVLINK_H100 : IB_NDR_EOS;
  if (pp > 1) links.pp = tp * dp * pp <= perNode ? NVLINK_H100 : IB_NDR_EOS;
  return links;
}

export function buildStep(cell: Cell, model: Model, hw: Hardware): BuiltStep {
  const plan = TRAINING_PLANS[cell.id];
  if (!plan) throw new Error(`no training plan for cell ${cell.id}`);
  const w = cell.workload;
  if (w.kind !== "training" || w.scope !== "iteration") throw new Error(`${cell.id}: expected a training iteration cell`);
  const { tp, pp, dp } = cell.parallelism;
  const dev = deviceSpec(hw);
  const g = cell.precision;
  const o = plan.other_dtype;
  if (w.global_batch % (dp * plan.micro_batch) !== 0) throw new Error(`${cell.id}: global batch ${w.global_batch} is not a multiple of dp x micro-batch = ${dp * plan.micro_batch}`);
  const microbatches = w.global_batch / (dp * plan.micro_batch);
  const a = model.arch;
  let stages: Block[][];
  let pp_bytes = 0;
  if (a.kind === "cnn") {
    if (tp !== 1 || pp !== 1) throw new Error(`${cell.id}: a CNN step is data parallel only`);
    const ops = buildOps(a as CnnArch, { kind: "inference", batch: plan.micro_batch }, g);
    const blocks: Block[] = [];
    for (const op of ops)
      for (let i = 0; i < op.count; i++)
        blocks.push(block(op.count > 1 ? `${op.name}.${i + 1}` : op.name, [{ ...op, count: 1 }], dev, g, o, { fwd: 0, bwd: 0 }, plan.grad_bytes_per_param));
    stages = [blocks];
  } else {
    if (w.seq_len === undefined) throw new Error(`${cell.id}: a transformer step needs seq_len`);
    const t = a as TransformerArch;
    if (t.n_layers % pp !== 0) throw new Error(`${cell.id}: ${t.n_layers} layers do not split over pp = ${pp}`);
    const seq = w.seq_len;
    const T = plan.micro_batch * seq;
    // Virtual stages (model chunks): stage c x pp + p is chunk c of device p, n_layers / (pp v) layers each.
    const v = plan.virtual_stages ?? 1;
    const nStages = pp * v;
    if (t.n_layers % nStages !== 0) throw new Error(`${cell.id}: ${t.n_layers} layers do not split over ${nStages} (virtual) stages`);
    const perStage = t.n_layers / nStages;
    const tokAr = T * t.d_model * plan.act_bytes;
    stages = [];
    for (let p = 0; p < nStages; p++) {
      const blocks: Block[] = [];
      if (p === 0) {
        // Vocabulary-parallel embedding (table split over tp): an all-reduce of its output (forward).
        const emb: Op[] = [embeddingOp(T, t.d_model, t.vocab_size / tp, o, "embed.tokens")];
        if (t.position === "learned") emb.push(embeddingOp(T, t.d_model, t.max_seq_len, o, "embed.positions"), elementwiseOp("add", T * t.d_model, o, "embed.add"));
        blocks.push(block("embedding", emb, dev, g, o, { fwd: tokAr, bwd: 0 }, plan.grad_bytes_per_param));
      }
      for (let l = p * perStage; l < (p + 1) * perStage; l++) blocks.push(...transformerLayerBlocks(t, l, T, plan.micro_batch, seq, tp, dev, g, o, plan));
      if (p === nStages - 1) {
        // Final norm, vocabulary-parallel LM head over every token, softmax cross-entropy on the shard;
        // the backward all-reduces the head's input gradient (T x d).
        const head: Op[] = [
          normOp(t.norm, T, t.d_model, o, "final.norm"),
          linearOp("lm-head", T, t.d_model, Math.ceil(t.vocab_size / tp), false, g, 1, !t.tied_embeddings),
          softmaxOp(T, Math.ceil(t.vocab_size / tp), o, "cross-entropy"),
        ];
        blocks.push(block("head", head, dev, g, o, { fwd: 0, bwd: tokAr }, plan.grad_bytes_per_param));
      }
      stages.push(blocks);
    }
    pp_bytes = T * t.d_model * plan.act_bytes;
  }
  // Overlap the DP all-reduces with the backward only when there is no other communication (see StepSpec.dp_overlap).
  const spec: StepSpec = { tp, pp, dp, microbatches, stages, pp_bytes, dp_overlap: tp === 1 && pp === 1, virtual_stages: plan.virtual_stages ?? 1 };
  return {
    spec,
    links: axisLinks(cell, hw),
    stage_fwd_us: stages.map((bs) => bs.reduce((s, b) => s + b.fwd_us, 0)),
  };
}
