/** An operator-level workload (a suite operator cell) as one Op. */
import { attentionDecodeOp, attentionPrefillOp, elementwiseOp, embeddingOp, gemmOp, normOp, softmaxOp } from "./builders.ts";
import type { Dtype, Op, OperatorSpec } from "./types.ts";

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
