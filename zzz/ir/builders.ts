/**
 * Operator builders: a model + scenario (or one operator shape) -> Op[] with exact FLOPs and
 * minimum DRAM bytes.
 *
 * Conventions (each one is a choice; they are stated here once and used everywhere):
 * - A multiply-add counts 2 FLOPs. A linear layer on T tokens, in -> out features, does
 *   2*T*in*out FLOPs, plus T*out for its bias when it has one.
 * - Minimum bytes: every input read once, every output written once, weights read once per op.
 *   Index tensors (token ids, positions) are not counted (4-8 B per token).
 * - Non-matmul FLOPs are counted per output element with fixed costs (transcendentals count 1):
 *   relu 1, add 1, tanh 1, rope 3 (x*cos + rot(x)*sin), silu 4 (neg, exp, +1, div),
 *   silu-mul 5, gelu 9 (tanh approximation: x*x*x, *0.044715, +x, *sqrt(2/pi), tanh, +1, *x, *0.5);
 *   rmsnorm 4 per element (square, accumulate, scale, *gamma), layernorm 7 (mean, subtract,
 *   square, accumulate, scale, *gamma, +beta); per-row terms (1/n, rsqrt) are omitted;
 *   softmax 5 per element (max, subtract, exp, sum, scale).
 * - Fused attention counts only its two matmuls (QK^T and PV): 4*b*h*d FLOPs per attended
 *   (query, key) pair; the in-kernel softmax and scaling are not counted. Causal attention counts
 *   the pairs a query actually attends to, s*(s+1)/2 per head (the lower triangle with its
 *   diagonal): a causal FlashAttention kernel skips the blocks above the diagonal, so it executes
 *   about half of the non-causal work.
 * - Decoders (prefill): the LM head runs on the LAST position of each sequence only, as serving
 *   engines do (the final norm still runs on every position). Decode step: the LM head runs on each
 *   sequence's one new token. A decoder given an `inference` scenario is built as a prefill.
 * - Fused QKV projection (one GEMM, d -> (h + 2*kv)*head_dim) and, for SwiGLU, fused gate+up
 *   projection (one GEMM, d -> 2*d_ff) followed by one silu-mul kernel, as serving engines fuse them.
 * - ResNet-50 (torchvision, v1.5) for inference: batchnorm is folded into the preceding conv
 *   (its scale into the weights, its shift into a per-channel bias), and the bias add, ReLU and
 *   residual add run in the conv's epilogue. Each is counted as 1 FLOP per output element in that
 *   conv, and the residual input's read is counted in its bytes. Parameter counts keep batchnorm's
 *   trained gamma and beta (2 per channel), as torchvision counts them; the weight bytes the folded
 *   conv reads are its weights plus one bias per output channel. Max pooling counts k*k-1
 *   comparisons per output; average pooling counts one FLOP per input element.
 */
import type { BuildOptions, CnnArch, Dtype, ElementwiseKind, ModelArch, Op, Scenario, TransformerArch } from "./types.ts";

/** Bytes per element of a dtype (tf32 is stored as fp32). */
export function bytesPerElement(dtype: Dtype): number {
  switch (dtype) {
    case "fp32":
    case "tf32":
      return 4;
    case "bf16":
    case "fp16":
    case "int16":
      return 2;
    case "fp8":
    case "int8":
      return 1;
  }
}

// ---------------------------------------------------------------- single-operator builders

/** C[m,n] = A[m,k] B[k,n], `batch` independent times (all three operands batched). */
export function gemmOp(m: number, n: number, k: number, batch: number, dtype: Dtype, name = "gemm"): Op {
  const b = bytesPerElement(dtype);
  return {
    name,
    kind: batch > 1 ? "bgemm" : "gemm",
    flops: 2 * m * n * k * batch,
    bytes: batch * (m * k + k * n + m * n) * b,
    param_elems: 0,
    gemm: { m, n, k, batch },
    count: 1,
  };
}

/** A linear layer on `tokens` rows: y = x W (+ bias). `owns` = false for a tied LM head. */
export function linearOp(
  name: string,
  tokens: number,
  inF: number,
  outF: number,
  bias: boolean,
  dtype: Dtype,
  count = 1,
  owns = true,
): Op {
  const b = bytesPerElement(dtype);
  const weightElems = inF * outF + (bias ? outF : 0);
  return {
    name,
    kind: "gemm",
    flops: 2 * tokens * inF * outF + (bias ? tokens * outF : 0),
    bytes: (tokens * inF + tokens * outF + weightElems) * b,
    param_elems: owns ? weightElems : 0,
    weight_bytes: weightElems * b,
    gemm: { m: tokens, n: outF, k: inF, batch: 1 },
    count,
  };
}

export interface AttentionPrefillShape {
  batch: number;
  seq_len: number;
  n_heads: number;
  n_kv_heads: number;
  head_dim: number;
  causal: boolean;
}

export interface AttentionDecodeShape {
  batch: number;
  context_len: number;
  n_heads: number;
  n_kv_heads: number;
  head_dim: number;
}

/** (query, key) pairs attended per head: s^2, or s*(s+1)/2 under a causal mask. */
function attendedPairs(seq: number, causal: boolean): number {
  return causal ? (seq * (seq + 1)) / 2 : seq * seq;
}

/**
 * Fused (FlashAttention-like) prefill attention: QK^T and PV, reading Q, K, V once and writing O
 * once. Wave quantization uses the kernel's grid: one tile per (query block, head, sequence).
 */
export function attentionPrefillOp(s: AttentionPrefillShape, dtype: Dtype, name = "attention-prefill"): Op {
  const b = bytesPerElement(dtype);
  const { batch, seq_len, n_heads, n_kv_heads, head_dim } = s;
  return {
    name,
    kind: "attention-prefill",
    flops: 4 * batch * n_heads * head_dim * attendedPairs(seq_len, s.causal),
    bytes: (2 * batch * n_heads * seq_len * head_dim + 2 * batch * n_kv_heads * seq_len * head_dim) * b,
    param_elems: 0,
    gemm: { m: seq_len, n: head_dim, k: seq_len, batch: batch * n_heads },
    count: 1,
  };
}

/**
 * Decode attention with a KV cache: each sequence's one new query attends to `context_len` cached
 * positions (the cache already holds the new token's K and V, written by the QKV projection).
 * Reads the whole cache (2*b*kv_heads*ctx*head_dim elements) plus Q, writes O. No GEMM shape: the
 * kernel is memory-bound and its grid depends on the implementation (split-KV), so no wave
 * quantization is applied.
 */
export function attentionDecodeOp(s: AttentionDecodeShape, dtype: Dtype, name = "attention-decode"): Op {
  const b = bytesPerElement(dtype);
  const { batch, context_len, n_heads, n_kv_heads, head_dim } = s;
  const kv = 2 * batch * n_kv_heads * context_len * head_dim * b;
  return {
    name,
    kind: "attention-decode",
    flops: 4 * batch * n_heads * context_len * head_dim,
    bytes: kv + 2 * batch * n_heads * head_dim * b,
    param_elems: 0,
    kv_bytes: kv,
    count: 1,
  };
}

/** FLOPs per element and parameters per column of each normalization (see the header). */
const NORM = {
  rmsnorm: { flops: 4, params: 1 },
  layernorm: { flops: 7, params: 2 },
} as const;

export function normOp(kind: "layernorm" | "rmsnorm", rows: number, cols: number, dtype: Dtype, name: string = kind): Op {
  const b = bytesPerElement(dtype);
  const params = NORM[kind].params * cols;
  return {
    name,
    kind: "norm",
    flops: NORM[kind].flops * rows * cols,
    bytes: (2 * rows * cols + params) * b,
    param_elems: params,
    weight_bytes: params * b,
    count: 1,
  };
}

export function softmaxOp(rows: number, cols: number, dtype: Dtype, name = "softmax"): Op {
  const b = bytesPerElement(dtype);
  return { name, kind: "softmax", flops: 5 * rows * cols, bytes: 2 * rows * cols * b, param_elems: 0, count: 1 };
}

/** FLOPs per output element and inputs read per output element (see the header). */
export const ELEMENTWISE: Record<ElementwiseKind, { flops: number; inputs: number }> = {
  relu: { flops: 1, inputs: 1 },
  add: { flops: 1, inputs: 2 },
  tanh: { flops: 1, inputs: 1 },
  rope: { flops: 3, inputs: 1 },
  silu: { flops: 4, inputs: 1 },
  "silu-mul": { flops: 5, inputs: 2 },
  gelu: { flops: 9, inputs: 1 },
};

/** `elements` = output elements (for add and silu-mul, each of the two inputs has as many). */
export function elementwiseOp(op: ElementwiseKind, elements: number, dtype: Dtype, name: string = op): Op {
  const b = bytesPerElement(dtype);
  const e = ELEMENTWISE[op];
  return { name, kind: "elementwise", flops: e.flops * elements, bytes: (e.inputs + 1) * elements * b, param_elems: 0, count: 1 };
}

/**
 * Embedding gather: reads `tokens` rows of a vocab x d_model table (at most `vocab` distinct rows)
 * and writes tokens x d_model. No FLOPs. The op owns the table's parameters.
 */
export function embeddingOp(tokens: number, d_model: number, vocab: number, dtype: Dtype, name = "embedding"): Op {
  const b = bytesPerElement(dtype);
  const tableRead = Math.min(tokens, vocab) * d_model * b;
  return {
    name,
    kind: "embedding",
    flops: 0,
    bytes: tableRead + tokens * d_model * b,
    param_elems: vocab * d_model,
    weight_bytes: tableRead,
    count: 1,
  };
}

function withCount(op: Op, count: number): Op {
  return { ...op, count };
}

// ---------------------------------------------------------------- transformers

function headDim(a: TransformerArch): number {
  const hd = a.d_model / a.n_heads;
  if (!Number.isInteger(hd)) throw new Error(`d_model ${a.d_model} is not a multiple of n_heads ${a.n_heads}`);
  if (a.n_heads % a.n_kv_heads !== 0) throw new Error(`n_heads ${a.n_heads} is not a multiple of n_kv_heads ${a.n_kv_heads}`);
  return hd;
}

function transformerOps(a: TransformerArch, sc: Scenario, dtype: Dtype, opts: BuildOptions): Op[] {
  const L = a.n_layers;
  const d = a.d_model;
  const h = a.n_heads;
  const kv = a.n_kv_heads;
  const hd = headDim(a);
  const decoder = a.kind === "decoder";
  const decode = sc.kind === "decode-step";
  if (decode && !decoder) throw new Error("decode-step needs a decoder model");
  const batch = sc.batch;
  let seq: number;
  if (sc.kind === "decode-step") seq = 1;
  else if (sc.seq_len !== undefined) seq = sc.seq_len;
  else throw new Error(`a transformer '${sc.kind}' scenario needs seq_len`);
  const T = batch * seq; // tokens in this pass
  const fused = opts.fused_attention ?? true;
  const ops: Op[] = [];

  // embeddings
  ops.push(embeddingOp(T, d, a.vocab_size, dtype, "embed.tokens"));
  if (a.position === "learned") {
    ops.push(embeddingOp(T, d, a.max_seq_len, dtype, "embed.positions"));
    ops.push(elementwiseOp("add", T * d, dtype, "embed.add-positions"));
  }
  if (a.type_vocab_size > 0) {
    ops.push(embeddingOp(T, d, a.type_vocab_size, dtype, "embed.types"));
    ops.push(elementwiseOp("add", T * d, dtype, "embed.add-types"));
  }
  if (!decoder) ops.push(normOp(a.norm, T, d, dtype, "embed.norm")); // BERT: LayerNorm on the embeddings

  // one block (count L)
  const norm1 = withCount(normOp(a.norm, T, d, dtype, "layer.norm1"), L);
  const norm2 = withCount(normOp(a.norm, T, d, dtype, "layer.norm2"), L);
  const attn: Op[] = [linearOp("layer.qkv", T, d, (h + 2 * kv) * hd, a.bias, dtype, L)];
  if (a.position === "rope") attn.push(withCount(elementwiseOp("rope", T * (h + kv) * hd, dtype, "layer.rope"), L));
  if (decode) {
    attn.push(
      withCount(attentionDecodeOp({ batch, context_len: sc.context_len, n_heads: h, n_kv_heads: kv, head_dim: hd }, dtype, "layer.attention"), L),
    );
  } else if (fused) {
    const shape = { batch, seq_len: seq, n_heads: h, n_kv_heads: kv, head_dim: hd, causal: decoder };
    attn.push(withCount(attentionPrefillOp(shape, dtype, "layer.attention"), L));
  } else {
    // Unfused: S = Q K^T (b*h batched [s,hd]x[hd,s]), P = softmax(S), O = P V. K and V are read once
    // per KV head (GQA shares them across the group), the s x s matrices go through DRAM.
    const b = bytesPerElement(dtype);
    const q = batch * h * seq * hd;
    const k = batch * kv * seq * hd;
    const scores = batch * h * seq * seq;
    const qk: Op = { ...gemmOp(seq, seq, hd, batch * h, dtype, "layer.attention.qk"), bytes: (q + k + scores) * b, count: L };
    const pv: Op = { ...gemmOp(seq, hd, seq, batch * h, dtype, "layer.attention.pv"), bytes: (scores + k + q) * b, count: L };
    attn.push(qk, withCount(softmaxOp(batch * h * seq, seq, dtype, "layer.attention.softmax"), L), pv);
  }
  attn.push(linearOp("layer.out-proj", T, h * hd, d, a.bias, dtype, L));
  const add1 = withCount(elementwiseOp("add", T * d, dtype, "layer.residual1"), L);
  const add2 = withCount(elementwiseOp("add", T * d, dtype, "layer.residual2"), L);
  const mlp: Op[] =
    a.mlp === "swiglu"
      ? [
          linearOp("layer.gate-up", T, d, 2 * a.d_ff, a.bias, dtype, L),
          withCount(elementwiseOp("silu-mul", T * a.d_ff, dtype, "layer.silu-mul"), L),
          linearOp("layer.down", T, a.d_ff, d, a.bias, dtype, L),
        ]
      : [
          linearOp("layer.up", T, d, a.d_ff, a.bias, dtype, L),
          withCount(elementwiseOp("gelu", T * a.d_ff, dtype, "layer.gelu"), L),
          linearOp("layer.down", T, a.d_ff, d, a.bias, dtype, L),
        ];
  if (decoder) ops.push(norm1, ...attn, add1, norm2, ...mlp, add2); // pre-LN (GPT-2, Llama)
  else ops.push(...attn, add1, norm1, ...mlp, add2, norm2); // post-LN (BERT)

  // head
  if (decoder) {
    ops.push(normOp(a.norm, T, d, dtype, "final.norm"));
    // last position of each sequence only (prefill), or each new token (decode): `batch` rows
    ops.push(linearOp("lm-head", batch, d, a.vocab_size, false, dtype, 1, !a.tied_embeddings));
  } else if (a.pooler) {
    ops.push(linearOp("pooler.dense", batch, d, d, true, dtype)); // first ([CLS]) token of each sequence
    ops.push(elementwiseOp("tanh", batch * d, dtype, "pooler.tanh"));
  }
  return ops;
}

// ---------------------------------------------------------------- ResNet-50 (torchvision)

interface Tensor {
  n: number;
  c: number;
  h: number;
  w: number;
}

function convOut(x: number, k: number, stride: number, pad: number): number {
  return Math.floor((x + 2 * pad - k) / stride) + 1;
}

/** Conv + folded batchnorm (+ ReLU) (+ residual add) as one implicit-GEMM kernel. */
function conv(
  name: string,
  x: Tensor,
  cout: number,
  k: number,
  stride: number,
  pad: number,
  epi: { relu: boolean; residual: boolean },
  dtype: Dtype,
  count = 1,
): { op: Op; y: Tensor } {
  const b = bytesPerElement(dtype);
  const y: Tensor = { n: x.n, c: cout, h: convOut(x.h, k, stride, pad), w: convOut(x.w, k, stride, pad) };
  const m = y.n * y.h * y.w;
  const kk = x.c * k * k;
  const out = m * cout;
  const weights = cout * kk + cout; // folded weights + folded bias
  const epiFlops = 1 + (epi.relu ? 1 : 0) + (epi.residual ? 1 : 0);
  const op: Op = {
    name,
    kind: "conv2d",
    flops: 2 * m * cout * kk + epiFlops * out,
    bytes: (x.n * x.c * x.h * x.w + weights + out + (epi.residual ? out : 0)) * b,
    param_elems: cout * kk + 2 * cout, // conv weight + batchnorm gamma, beta
    weight_bytes: weights * b,
    gemm: { m, n: cout, k: kk, batch: 1 },
    count,
  };
  return { op, y };
}

function resnet50Ops(a: CnnArch, sc: Scenario, dtype: Dtype): Op[] {
  if (sc.kind !== "inference") throw new Error(`a CNN supports only 'inference' scenarios, got '${sc.kind}'`);
  const b = bytesPerElement(dtype);
  const ops: Op[] = [];
  let x: Tensor = { n: sc.batch, c: 3, h: a.image_size, w: a.image_size };
  const stem = conv("stem.conv7x7", x, 64, 7, 2, 3, { relu: true, residual: false }, dtype);
  ops.push(stem.op);
  x = stem.y;
  // max pool 3x3, stride 2, padding 1
  const p: Tensor = { ...x, h: convOut(x.h, 3, 2, 1), w: convOut(x.w, 3, 2, 1) };
  const pOut = p.n * p.c * p.h * p.w;
  ops.push({ name: "stem.maxpool", kind: "pool", flops: 8 * pOut, bytes: (x.n * x.c * x.h * x.w + pOut) * b, param_elems: 0, count: 1 });
  x = p;

  const stages: Array<[planes: number, blocks: number, stride: number]> = [
    [64, 3, 1],
    [128, 4, 2],
    [256, 6, 2],
    [512, 3, 2],
  ];
  stages.forEach(([planes, blocks, stride], si) => {
    // Bottleneck v1.5: 1x1 -> 3x3 (stride here) -> 1x1 (x4), downsample 1x1 on the first block.
    // Blocks 2..n of a stage are identical, so they are one set of ops with count blocks-1.
    for (const [first, count] of [
      [true, 1],
      [false, blocks - 1],
    ] as const) {
      const s = first ? stride : 1;
      const pre = `stage${si + 1}.${first ? "block1" : `block2-${blocks}`}`;
      const c1 = conv(`${pre}.conv1x1a`, x, planes, 1, 1, 0, { relu: true, residual: false }, dtype, count);
      const c2 = conv(`${pre}.conv3x3`, c1.y, planes, 3, s, 1, { relu: true, residual: false }, dtype, count);
      const c3 = conv(`${pre}.conv1x1b`, c2.y, planes * 4, 1, 1, 0, { relu: true, residual: true }, dtype, count);
      ops.push(c1.op, c2.op);
      if (first && (s !== 1 || x.c !== planes * 4)) {
        ops.push(conv(`${pre}.downsample`, x, planes * 4, 1, s, 0, { relu: false, residual: false }, dtype).op);
      }
      ops.push(c3.op);
      x = c3.y;
    }
  });
  // global average pool, then fc
  const inElems = x.n * x.c * x.h * x.w;
  ops.push({ name: "avgpool", kind: "pool", flops: inElems, bytes: (inElems + x.n * x.c) * b, param_elems: 0, count: 1 });
  ops.push(linearOp("fc", x.n, x.c, a.num_classes, true, dtype));
  return ops;
}

// ---------------------------------------------------------------- entry points

export function buildOps(arch: ModelArch, scenario: Scenario, dtype: Dtype, opts: BuildOptions = {}): Op[] {
  const ops = arch.kind === "cnn" ? resnet50Ops(arch, scenario, dtype) : transformerOps(arch, scenario, dtype, opts);
  return ops.filter((o) => o.count > 0);
}

/** A scenario that builds every weight of `arch` (parameter counts do not depend on the shape). */
function unitScenario(arch: ModelArch): Scenario {
  return arch.kind === "decoder" ? { kind: "prefill", batch: 1, seq_len: 1 } : { kind: "inference", batch: 1, seq_len: 1 };
}

/** Exact parameter count: embedding tables, weights, biases and norm parameters. */
export function countParams(arch: ModelArch): number {
  return buildOps(arch, unitScenario(arch), "fp32").reduce((s, o) => s + o.param_elems * o.count, 0);
}

/** Total FLOPs of an op list (each op times its count). */
export function totalFlops(ops: Op[]): number {
  return ops.reduce((s, o) => s + o.flops * o.count, 0);
}

/** Total minimum bytes of an op list (each op times its count). */
export function totalBytes(ops: Op[]): number {
  return ops.reduce((s, o) => s + o.bytes * o.count, 0);
}
