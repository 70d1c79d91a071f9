/**
 * The graph PyTorch eager actually launches for the suite's measured models: one Op per CUDA
 * kernel, in launch order. Written from the model code the measurements ran
 * (suite/measure/measure.py: Llama, GPT2, Bert classes; torchvision's ResNet-50 in eval mode), so
 * that an engine that runs kernel by kernel (eager, CUDA graphs of eager) is charged for every
 * kernel it launches. Each kernel carries the logical operator (`group`) it belongs to and, where
 * Vidur profiles that operator, its Vidur name (`role`).
 *
 * Kernel list per block (views, splits, chunks and transposes launch nothing):
 * - Llama (RMSNorm, RoPE, SwiGLU): rms_norm; qkv linear; RoPE on q and on k, each
 *   x*cos, -x[h:] (neg), cat, *sin, + (5 kernels, `apply_rope` with `rotate_half`); the two cache
 *   writes kc[...] = k, vc[...] = v; SDPA (one fused kernel); the o.transpose().reshape() copy when
 *   a sequence has more than one query (a [b,h,1,hd] tensor is already contiguous); o linear;
 *   residual add; rms_norm; gate_up linear; silu; mul; down linear; residual add.
 *   Head: embedding gather; rms_norm and lm_head on the last position only.
 * - GPT-2 (pre-LN, GELU-tanh, tied head): layer_norm; qkv addmm; two cache writes; SDPA; reshape
 *   copy (q_len > 1); proj addmm; add; layer_norm; fc addmm; gelu; fc2 addmm; add.
 *   Head: wte gather, + wpe slice (one add), layer_norm and the tied lm head on the last position.
 * - BERT (post-LN): qkv addmm; SDPA; reshape copy; o addmm; add; layer_norm; fc addmm; gelu;
 *   fc2 addmm; add; layer_norm. Head: word gather, + pos slice, + type row (two adds), layer_norm;
 *   pooler addmm on x[:, 0] and tanh.
 * - ResNet-50 (torchvision, eval): every conv is one kernel without bias, followed by its own
 *   batchnorm kernel (inference BN is not folded by eager PyTorch) and an in-place ReLU kernel; a
 *   bottleneck ends with add and ReLU; max pool; adaptive average pool; fc addmm.
 * Byte conventions are those of builders.ts (each input read once, each output written once).
 */
import { attentionDecodeOp, attentionPrefillOp, bytesPerElement, embeddingOp, linearOp, normOp } from "./builders.ts";
import type { CnnArch, Dtype, ModelArch, Op, Scenario, TransformerArch } from "./types.ts";

/** An element-wise kernel: `elements` outputs, `inputs` tensors of that size read, `flopsPer` FLOPs each. */
export function pointwiseOp(name: string, elements: number, inputs: number, flopsPer: number, dtype: Dtype): Op {
  const b = bytesPerElement(dtype);
  return { name, kind: "elementwise", flops: flopsPer * elements, bytes: (inputs + 1) * elements * b, param_elems: 0, count: 1, elements };
}

/** A copy kernel (layout change, cache write): reads and writes `elements`. */
export function copyOp(name: string, elements: number, dtype: Dtype): Op {
  return pointwiseOp(name, elements, 1, 0, dtype);
}

function tag(op: Op, group: string, count: number, role?: string, tokens?: number): Op {
  return { ...op, group, count, ...(role ? { role } : {}), ...(tokens !== undefined ? { tokens } : {}) };
}

function transformerEager(a: TransformerArch, sc: Scenario, dtype: Dtype): Op[] {
  const L = a.n_layers;
  const d = a.d_model;
  const h = a.n_heads;
  const kv = a.n_kv_heads;
  const hd = d / h;
  const decoder = a.kind === "decoder";
  const batch = sc.batch;
  const q = sc.kind === "decode-step" ? 1 : (sc.seq_len ?? 0);
  if (q <= 0) throw new Error(`a transformer '${sc.kind}' scenario needs seq_len`);
  const kvLen = sc.kind === "decode-step" ? sc.context_len : q;
  const T = batch * q;
  const ops: Op[] = [];
  const layer: Op[] = [];
  const add = (op: Op, group: string, role?: string) => layer.push(tag(op, group, L, role, T));

  // embeddings
  ops.push(tag({ ...embeddingOp(T, d, a.vocab_size, dtype, "embed.tokens"), elements: T * d }, "embed", 1, "emb", T));
  if (a.position === "learned") ops.push(tag(pointwiseOp("embed.add-positions", T * d, 2, 1, dtype), "embed", 1, undefined, T));
  if (a.type_vocab_size > 0) ops.push(tag(pointwiseOp("embed.add-types", T * d, 2, 1, dtype), "embed", 1, undefined, T));
  if (!decoder) ops.push(tag({ ...normOp(a.norm, T, d, dtype, "embed.norm"), elements: T * d }, "embed.norm", 1, undefined, T));

  const norm = (name: string, role: string) => add({ ...normOp(a.norm, T, d, dtype, name), elements: T * d }, name, role);
  const attention = () => {
    const op =
      sc.kind === "decode-step"
        ? attentionDecodeOp({ batch, context_len: kvLen, n_heads: h, n_kv_heads: kv, head_dim: hd }, dtype, "layer.attention")
        : attentionPrefillOp({ batch, seq_len: q, n_heads: h, n_kv_heads: kv, head_dim: hd, causal: decoder }, dtype, "layer.attention");
    add(op, "layer.attention", sc.kind === "decode-step" ? "attn_decode" : "attn_prefill");
  };
  const cacheWrites = () => {
    add(copyOp("layer.kv-write.k", T * kv * hd, dtype), "layer.kv-write", "attn_kv_cache_save");
    add(copyOp("layer.kv-write.v", T * kv * hd, dtype), "layer.kv-write", "attn_kv_cache_save");
  };
  const reshape = () => {
    if (q > 1) add(copyOp("layer.attn-reshape", T * h * hd, dtype), "layer.attn-reshape");
  };

  if (decoder) {
    norm("layer.norm1", "input_layernorm");
    add(linearOp("layer.qkv", T, d, (h + 2 * kv) * hd, a.bias, dtype), "layer.qkv", "attn_pre_proj");
    if (a.position === "rope") {
      for (const [t, heads] of [["q", h], ["k", kv]] as const) {
        const n = T * heads * hd;
        add(pointwiseOp(`layer.rope.${t}.mul-cos`, n, 2, 1, dtype), "layer.rope", "attn_rope");
        add(pointwiseOp(`layer.rope.${t}.neg`, n / 2, 1, 1, dtype), "layer.rope", "attn_rope");
        add(copyOp(`layer.rope.${t}.cat`, n, dtype), "layer.rope", "attn_rope");
        add(pointwiseOp(`layer.rope.${t}.mul-sin`, n, 2, 1, dtype), "layer.rope", "attn_rope");
        add(pointwiseOp(`layer.rope.${t}.add`, n, 2, 1, dtype), "layer.rope", "attn_rope");
      }
    }
    cacheWrites();
    attention();
    reshape();
    add(linearOp("layer.out-proj", T, h * hd, d, a.bias, dtype), "layer.out-proj", "attn_post_proj");
    add(pointwiseOp("layer.residual1", T * d, 2, 1, dtype), "layer.residual1", "add");
    norm("layer.norm2", "post_attention_layernorm");
    if (a.mlp === "swiglu") {
      add(linearOp("layer.gate-up", T, d, 2 * a.d_ff, a.bias, dtype), "layer.gate-up", "mlp_up_proj");
      add(pointwiseOp("layer.act.silu", T * a.d_ff, 1, 4, dtype), "layer.act", "mlp_act");
      add(pointwiseOp("layer.act.mul", T * a.d_ff, 2, 1, dtype), "layer.act", "mlp_act");
    } else {
      add(linearOp("layer.up", T, d, a.d_ff, a.bias, dtype), "layer.up", "mlp_up_proj");
      add(pointwiseOp("layer.act.gelu", T * a.d_ff, 1, 9, dtype), "layer.act", "mlp_act");
    }
    add(linearOp("layer.down", T, a.d_ff, d, a.bias, dtype), "layer.down", "mlp_down_proj");
    add(pointwiseOp("layer.residual2", T * d, 2, 1, dtype), "layer.residual2", "add");
  } else {
    add(linearOp("layer.qkv", T, d, (h + 2 * kv) * hd, a.bias, dtype), "layer.qkv", "attn_pre_proj");
    attention();
    reshape();
    add(linearOp("layer.out-proj", T, h * hd, d, a.bias, dtype), "layer.out-proj", "attn_post_proj");
    add(pointwiseOp("layer.residual1", T * d, 2, 1, dtype), "layer.residual1", "add");
    norm("layer.norm1", "input_layernorm");
    add(linearOp("layer.up", T, d, a.d_ff, a.bias, dtype), "layer.up", "mlp_up_proj");
    add(pointwiseOp("layer.act.gelu", T * a.d_ff, 1, 9, dtype), "layer.act", "mlp_act");
    add(linearOp("layer.down", T, a.d_ff, d, a.bias, dtype), "layer.down", "mlp_down_proj");
    add(pointwiseOp("layer.residual2", T * d, 2, 1, dtype), "layer.residual2", "add");
    norm("layer.norm2", "post_attention_layernorm");
  }
  ops.push(...layer);

  if (decoder) {
    ops.push(tag({ ...normOp(a.norm, batch, d, dtype, "final.norm"), elements: batch * d }, "final.norm", 1, undefined, batch));
    ops.push(tag(linearOp("lm-head", batch, d, a.vocab_size, false, dtype, 1, !a.tied_embeddings), "lm-head", 1, undefined, batch));
  } else if (a.pooler) {
    ops.push(tag(linearOp("pooler.dense", batch, d, d, true, dtype), "pooler", 1, undefined, batch));
    ops.push(tag(pointwiseOp("pooler.tanh", batch * d, 1, 1, dtype), "pooler", 1, undefined, batch));
  }
  return ops;
}

interface Tensor {
  n: number;
  c: number;
  h: number;
  w: number;
}
const numel = (t: Tensor) => t.n * t.c * t.h * t.w;
const outDim = (x: number, k: number, s: number, p: number) => Math.floor((x + 2 * p - k) / s) + 1;

function resnetEager(a: CnnArch, sc: Scenario, dtype: Dtype): Op[] {
  if (sc.kind !== "inference") throw new Error(`a CNN supports only 'inference' scenarios, got '${sc.kind}'`);
  const b = bytesPerElement(dtype);
  const ops: Op[] = [];
  // conv (no bias) -> batchnorm -> (relu): three kernels
  const convBn = (name: string, x: Tensor, cout: number, k: number, stride: number, pad: number, relu: boolean, count: number): Tensor => {
    const y: Tensor = { n: x.n, c: cout, h: outDim(x.h, k, stride, pad), w: outDim(x.w, k, stride, pad) };
    const m = y.n * y.h * y.w;
    const kk = x.c * k * k;
    ops.push({
      name: `${name}.conv`,
      kind: "conv2d",
      flops: 2 * m * cout * kk,
      bytes: (numel(x) + cout * kk + numel(y)) * b,
      param_elems: cout * kk,
      weight_bytes: cout * kk * b,
      gemm: { m, n: cout, k: kk, batch: 1 },
      count,
      group: name,
    });
    // inference batchnorm: (x - mean) * invstd * gamma + beta, 4 per-channel vectors
    ops.push({ name: `${name}.bn`, kind: "norm", flops: 2 * numel(y), bytes: (2 * numel(y) + 4 * cout) * b, param_elems: 2 * cout, weight_bytes: 4 * cout * b, count, group: name, elements: numel(y) });
    if (relu) ops.push({ ...pointwiseOp(`${name}.relu`, numel(y), 1, 1, dtype), count, group: name });
    return y;
  };
  let x: Tensor = { n: sc.batch, c: 3, h: a.image_size, w: a.image_size };
  x = convBn("stem", x, 64, 7, 2, 3, true, 1);
  const p: Tensor = { ...x, h: outDim(x.h, 3, 2, 1), w: outDim(x.w, 3, 2, 1) };
  ops.push({ name: "stem.maxpool", kind: "pool", flops: 8 * numel(p), bytes: (numel(x) + numel(p)) * b, param_elems: 0, count: 1, group: "stem.maxpool", elements: numel(p) });
  x = p;
  const stages: Array<[number, number, number]> = [
    [64, 3, 1],
    [128, 4, 2],
    [256, 6, 2],
    [512, 3, 2],
  ];
  stages.forEach(([planes, blocks, stride], si) => {
    for (const [first, count] of [
      [true, 1],
      [false, blocks - 1],
    ] as const) {
      if (count === 0) continue;
      const s = first ? stride : 1;
      const pre = `stage${si + 1}.${first ? "block1" : `block2-${blocks}`}`;
      const y1 = convBn(`${pre}.c1`, x, planes, 1, 1, 0, true, count);
      const y2 = convBn(`${pre}.c2`, y1, planes, 3, s, 1, true, count);
      const y3 = convBn(`${pre}.c3`, y2, planes * 4, 1, 1, 0, false, count);
      if (first && (s !== 1 || x.c !== planes * 4)) convBn(`${pre}.downsample`, x, planes * 4, 1, s, 0, false, 1);
      ops.push({ ...pointwiseOp(`${pre}.add`, numel(y3), 2, 1, dtype), count, group: `${pre}.out` });
      ops.push({ ...pointwiseOp(`${pre}.relu`, numel(y3), 1, 1, dtype), count, group: `${pre}.out` });
      x = y3;
    }
  });
  ops.push({ name: "avgpool", kind: "pool", flops: numel(x), bytes: (numel(x) + x.n * x.c) * b, param_elems: 0, count: 1, group: "avgpool", elements: numel(x) });
  ops.push({ ...linearOp("fc", x.n, x.c, a.num_classes, true, dtype), group: "fc" });
  return ops;
}

/** The eager PyTorch kernel graph of `arch` (see the header). */
export function buildEagerOps(arch: ModelArch, scenario: Scenario, dtype: Dtype): Op[] {
  const ops = arch.kind === "cnn" ? resnetEager(arch, scenario, dtype) : transformerEager(arch, scenario, dtype);
  return ops.filter((o) => o.count > 0);
}
