/**
 * ZZZ's intermediate representation: models, scenarios and the operator graph. ZZZ is a pure library: no file, network or process I/O.
 * The pipeline turns validated suite data (pipeline/lib/schema.ts) into these types; they are
 * structurally compatible with the schema's inferred types.
 */

export type Dtype = "fp32" | "tf32" | "bf16" | "fp16" | "fp8" | "int8" | "int16";

export interface TransformerArch {
  kind: "decoder" | "encoder";
  n_layers: number;
  d_model: number;
  n_heads: number;
  n_kv_heads: number;
  d_ff: number;
  vocab_size: number;
  max_seq_len: number;
  mlp: "gelu" | "swiglu";
  norm: "layernorm" | "rmsnorm";
  position: "learned" | "rope";
  tied_embeddings: boolean;
  type_vocab_size: number;
  pooler: boolean;
  bias: boolean;
}

export interface CnnArch {
  kind: "cnn";
  network: "resnet50";
  image_size: number;
  num_classes: number;
}

export type ModelArch = TransformerArch | CnnArch;

/** What to build an operator list for. */
export type Scenario =
  | { kind: "inference"; batch: number; seq_len?: number } // full forward (CNN, encoder)
  | { kind: "prefill"; batch: number; seq_len: number } // decoder prompt processing
  | { kind: "decode-step"; batch: number; context_len: number }; // one new token per sequence, KV cache of context_len

export type OpKind =
  | "gemm"
  | "bgemm"
  | "conv2d"
  | "attention-prefill"
  | "attention-decode"
  | "norm"
  | "softmax"
  | "elementwise"
  | "embedding"
  | "pool";

/** One operator (kernel) with exact work and minimum traffic. */
export interface Op {
  name: string;
  kind: OpKind;
  /** Floating-point operations (a multiply-add counts 2). */
  flops: number;
  /** Minimum DRAM bytes: each input read once, each output written once. */
  bytes: number;
  /** Weight parameters this op owns (for parameter counts and memory), elements. */
  param_elems: number;
  /** GEMM-like shape when the op runs on tensor cores: C[m,n] += A[m,k] B[k,n], `batch` times. */
  gemm?: { m: number; n: number; k: number; batch: number };
  /** How many identical copies of this op run (e.g. per layer); flops/bytes are for ONE copy. */
  count: number;
  /**
   * Bytes of weights this op reads, already included in `bytes` (0 or absent for ops without
   * weights). Differs from param_elems * element size for a tied LM head (reads a table it does not
   * own) and for a conv with folded batchnorm. Used to separate activations from weights.
   */
  weight_bytes?: number;
  /** Bytes of KV cache this op reads, already included in `bytes` (decode attention only). */
  kv_bytes?: number;
}

/** Element-wise operators ZZZ knows (the suite's list plus `tanh`, used by BERT's pooler). */
export type ElementwiseKind = "gelu" | "silu" | "silu-mul" | "add" | "rope" | "relu" | "tanh";

/**
 * One operator-level workload, as the suite's operator cells describe it (pipeline/lib/schema.ts
 * `Workload`, minus `collective` and `from_model`). `predictSingleOp` accepts it directly.
 */
export type OperatorSpec =
  | { kind: "gemm"; m: number; n: number; k: number; batch?: number }
  | { kind: "attention-prefill"; batch: number; seq_len: number; n_heads: number; n_kv_heads: number; head_dim: number; causal: boolean }
  | { kind: "attention-decode"; batch: number; context_len: number; n_heads: number; n_kv_heads: number; head_dim: number }
  | { kind: "norm"; norm: "layernorm" | "rmsnorm"; rows: number; cols: number }
  | { kind: "softmax"; rows: number; cols: number }
  | { kind: "elementwise"; op: ElementwiseKind; elements: number }
  | { kind: "embedding"; tokens: number; d_model: number; vocab_size: number };

/** Options of the model builders. */
export interface BuildOptions {
  /**
   * true (default): attention is one fused FlashAttention-like kernel.
   * false: prefill attention is QK^T bgemm, softmax, PV bgemm with the score matrix in DRAM.
   */
  fused_attention?: boolean;
}
