/** Architectures and devices used by the ZZZ tests (values from the models' published configs). */
import type { CnnArch, DeviceSpec, TransformerArch } from "../../zzz/index.ts";

export const resnet50: CnnArch = { kind: "cnn", network: "resnet50", image_size: 224, num_classes: 1000 };

const common = { type_vocab_size: 0, pooler: false } as const;

export const llama2_7b: TransformerArch = {
  ...common,
  kind: "decoder",
  n_layers: 32,
  d_model: 4096,
  n_heads: 32,
  n_kv_heads: 32,
  d_ff: 11008,
  vocab_size: 32000,
  max_seq_len: 4096,
  mlp: "swiglu",
  norm: "rmsnorm",
  position: "rope",
  tied_embeddings: false,
  bias: false,
};

export const llama2_70b: TransformerArch = { ...llama2_7b, n_layers: 80, d_model: 8192, n_heads: 64, n_kv_heads: 8, d_ff: 28672 };

export const gpt2: TransformerArch = {
  ...common,
  kind: "decoder",
  n_layers: 12,
  d_model: 768,
  n_heads: 12,
  n_kv_heads: 12,
  d_ff: 3072,
  vocab_size: 50257,
  max_seq_len: 1024,
  mlp: "gelu",
  norm: "layernorm",
  position: "learned",
  tied_embeddings: true,
  bias: true,
};

export const bertBase: TransformerArch = {
  kind: "encoder",
  n_layers: 12,
  d_model: 768,
  n_heads: 12,
  n_kv_heads: 12,
  d_ff: 3072,
  vocab_size: 30522,
  max_seq_len: 512,
  mlp: "gelu",
  norm: "layernorm",
  position: "learned",
  tied_embeddings: false,
  type_vocab_size: 2,
  pooler: true,
  bias: true,
};

/** H100-like: 132 SMs, 989 TFLOP/s dense bf16, 66.9 TFLOP/s fp32 vector, 3.35 TB/s, 80 GB. */
export const h100: DeviceSpec = {
  name: "h100-like",
  compute_units: 132,
  peak_flops_per_s: { bf16: 989e12 },
  vector_flops_per_s: 66.9e12,
  mem_bandwidth_bytes_per_s: 3.35e12,
  mem_capacity_bytes: 80e9,
};

/** H200-like: the same die with 141 GB at 4.8 TB/s. */
export const h200: DeviceSpec = { ...h100, name: "h200-like", mem_bandwidth_bytes_per_s: 4.8e12, mem_capacity_bytes: 141e9 };
