import { describe, expect, it } from "vitest";
import {
  attentionDecodeOp,
  attentionPrefillOp,
  buildOps,
  bytesPerElement,
  countParams,
  elementwiseOp,
  embeddingOp,
  gemmOp,
  normOp,
  softmaxOp,
  totalFlops,
  type Op,
} from "../../zzz/index.ts";
import { bertBase, gpt2, llama2_70b, llama2_7b, resnet50 } from "./fixtures.ts";

const byName = (ops: Op[], name: string): Op => {
  const o = ops.find((x) => x.name === name);
  if (!o) throw new Error(`no op ${name}`);
  return o;
};

describe("parameter counts", () => {
  it("ResNet-50 = 25,557,032 (torchvision)", () => {
    expect(countParams(resnet50)).toBe(25_557_032);
  });
  it("BERT-base with pooler = 109,482,240", () => {
    // embeddings 30522*768 + 512*768 + 2*768 + LN 2*768 = 23,837,184
    // layer: qkv 3*(768^2+768) + out 768^2+768 + 2 LN 2*1536 + ffn (768*3072+3072) + (3072*768+768)
    //      = 1,771,776 + 590,592 + 3,072 + 2,362,368 + 2,360,064 = 7,087,872; x12 = 85,054,464
    // pooler 768^2+768 = 590,592. Total 109,482,240.
    expect(countParams(bertBase)).toBe(109_482_240);
  });
  it("GPT-2 (124M, tied) = 124,439,808", () => {
    // wte 50257*768 = 38,597,376; wpe 1024*768 = 786,432; 12 layers * 7,087,872 = 85,054,464; ln_f 1,536
    expect(countParams(gpt2)).toBe(124_439_808);
  });
  it("Llama-2-7B = 6,738,415,616", () => {
    // 2 tables 2*32000*4096 = 262,144,000; layer 4*4096^2 + 3*4096*11008 + 2*4096 = 202,383,360, x32
    // = 6,476,267,520; final norm 4096.
    expect(countParams(llama2_7b)).toBe(6_738_415_616);
  });
  it("Llama-2-70B (GQA, 8 KV heads) = 68,976,648,192", () => {
    // 2 tables 2*32000*8192 = 524,288,000; layer: q,o 2*8192^2 + k,v 2*8192*1024 + mlp 3*8192*28672
    // + norms 2*8192 = 855,654,400, x80 = 68,452,352,000; final norm 8192.
    expect(countParams(llama2_70b)).toBe(68_976_648_192);
  });
});

describe("ResNet-50 forward at 224x224", () => {
  const ops = buildOps(resnet50, { kind: "inference", batch: 1 }, "fp32");
  it("has 53 convolutions (stem, 16 bottlenecks x 3, 4 downsamples) and one fc", () => {
    expect(ops.filter((o) => o.kind === "conv2d").reduce((s, o) => s + o.count, 0)).toBe(53);
    expect(byName(ops, "fc").gemm).toEqual({ m: 1, n: 1000, k: 2048, batch: 1 });
  });
  it("does 4.089 GMACs in convs + fc, as torchvision's 4.09 'GFLOPS'", () => {
    const macs = ops.reduce((s, o) => s + (o.gemm ? o.gemm.m * o.gemm.n * o.gemm.k * o.gemm.batch * o.count : 0), 0);
    expect(macs).toBe(4_089_184_256);
  });
  it("totals about 8.2e9 FLOPs (2 per MAC plus epilogues and pools), within 2 %", () => {
    expect(totalFlops(ops) / 8.18e9).toBeGreaterThan(0.98);
    expect(totalFlops(ops) / 8.18e9).toBeLessThan(1.02);
  });
  it("stem conv: 2*112*112*64*147 + 2 epilogue flops (bias, relu) per output", () => {
    const stem = byName(ops, "stem.conv7x7");
    expect(stem.flops).toBe(2 * 112 * 112 * 64 * 147 + 2 * 112 * 112 * 64);
    // fp32: input 3*224*224 + weights 64*147 + bias 64 + output 64*112*112, 4 B each
    expect(stem.bytes).toBe((3 * 224 * 224 + 64 * 147 + 64 + 64 * 112 * 112) * 4);
  });
  it("scales linearly with batch", () => {
    const b8 = buildOps(resnet50, { kind: "inference", batch: 8 }, "fp32");
    // every op but the weights is proportional to the batch; FLOPs exactly so
    expect(totalFlops(b8)).toBe(8 * totalFlops(ops));
  });
  it("rejects non-inference scenarios", () => {
    expect(() => buildOps(resnet50, { kind: "prefill", batch: 1, seq_len: 1 }, "fp32")).toThrow(/inference/);
  });
});

describe("single-operator builders", () => {
  it("element sizes", () => {
    expect([bytesPerElement("fp32"), bytesPerElement("tf32"), bytesPerElement("bf16"), bytesPerElement("fp16")]).toEqual([4, 4, 2, 2]);
    expect([bytesPerElement("fp8"), bytesPerElement("int8")]).toEqual([1, 1]);
  });
  it("GEMM: 2mnk flops, (mk + kn + mn) elements", () => {
    const g = gemmOp(128, 256, 64, 1, "bf16");
    expect(g.flops).toBe(2 * 128 * 256 * 64); // 4,194,304
    expect(g.bytes).toBe((128 * 64 + 64 * 256 + 128 * 256) * 2); // 114,688
    expect(g.kind).toBe("gemm");
    const bg = gemmOp(128, 256, 64, 3, "fp32");
    expect(bg.kind).toBe("bgemm");
    expect(bg.flops).toBe(3 * 4_194_304);
    expect(bg.bytes).toBe(3 * (128 * 64 + 64 * 256 + 128 * 256) * 4);
  });
  it("attention prefill: 4*b*h*d per attended pair; causal attends s(s+1)/2 pairs", () => {
    const shape = { batch: 1, seq_len: 2048, n_heads: 32, n_kv_heads: 32, head_dim: 128 };
    const full = attentionPrefillOp({ ...shape, causal: false }, "bf16");
    const causal = attentionPrefillOp({ ...shape, causal: true }, "bf16");
    expect(full.flops).toBe(68_719_476_736); // 4*32*128 * 2048^2
    expect(causal.flops).toBe(34_376_515_584); // 4*32*128 * 2048*2049/2
    // Q, O: 32*2048*128 each; K, V: 32*2048*128 each; 2 B
    expect(full.bytes).toBe(4 * 32 * 2048 * 128 * 2);
    const gqa = attentionPrefillOp({ ...shape, n_kv_heads: 8, causal: true }, "bf16");
    expect(gqa.flops).toBe(causal.flops); // GQA does not change the math
    expect(gqa.bytes).toBe((2 * 32 + 2 * 8) * 2048 * 128 * 2);
  });
  it("attention decode reads the whole KV cache", () => {
    const d = attentionDecodeOp({ batch: 1, context_len: 512, n_heads: 32, n_kv_heads: 8, head_dim: 128 }, "bf16");
    expect(d.flops).toBe(4 * 32 * 512 * 128); // 8,388,608
    expect(d.kv_bytes).toBe(2 * 8 * 512 * 128 * 2); // 2,097,152
    expect(d.bytes).toBe(2_097_152 + 2 * 32 * 128 * 2); // + Q and O
  });
  it("norm, softmax, elementwise, embedding", () => {
    expect(normOp("rmsnorm", 10, 4096, "bf16")).toMatchObject({ flops: 4 * 10 * 4096, bytes: (2 * 10 * 4096 + 4096) * 2, param_elems: 4096 });
    expect(normOp("layernorm", 10, 768, "fp32")).toMatchObject({ flops: 7 * 7680, bytes: (2 * 7680 + 2 * 768) * 4, param_elems: 1536 });
    expect(softmaxOp(8, 1000, "fp16")).toMatchObject({ flops: 5 * 8000, bytes: 2 * 8000 * 2 });
    expect(elementwiseOp("add", 1000, "bf16")).toMatchObject({ flops: 1000, bytes: 3 * 1000 * 2 });
    expect(elementwiseOp("silu-mul", 1000, "bf16")).toMatchObject({ flops: 5000, bytes: 3 * 1000 * 2 });
    expect(elementwiseOp("gelu", 1000, "fp32")).toMatchObject({ flops: 9000, bytes: 2 * 1000 * 4 });
    // 2048 tokens of a 32000 x 4096 table: read 2048 rows, write 2048 rows
    expect(embeddingOp(2048, 4096, 32000, "bf16")).toMatchObject({ flops: 0, bytes: 2 * 2048 * 4096 * 2, param_elems: 32000 * 4096 });
    // more tokens than table rows (BERT token types): at most the whole table is read
    expect(embeddingOp(100, 768, 2, "fp32").bytes).toBe((2 * 768 + 100 * 768) * 4);
  });
});

describe("transformer builders", () => {
  it("Llama-2-7B decode at batch 1: GEMM flops = 2 * (params - embedding table - norm params)", () => {
    const ops = buildOps(llama2_7b, { kind: "decode-step", batch: 1, context_len: 512 }, "bf16");
    const gemmFlops = ops.filter((o) => o.kind === "gemm").reduce((s, o) => s + o.flops * o.count, 0);
    // 6,738,415,616 - 131,072,000 - (32*2*4096 + 4096) = 6,607,077,376; x2
    expect(gemmFlops).toBe(13_214_154_752);
    expect(byName(ops, "layer.attention").kind).toBe("attention-decode");
    expect(byName(ops, "layer.attention").count).toBe(32);
  });
  it("prefill runs the LM head on the last position only, decode on each new token", () => {
    const pre = buildOps(llama2_7b, { kind: "prefill", batch: 4, seq_len: 1024 }, "bf16");
    expect(byName(pre, "lm-head").gemm).toEqual({ m: 4, n: 32000, k: 4096, batch: 1 });
    expect(byName(pre, "final.norm").flops).toBe(4 * 4 * 1024 * 4096);
    expect(byName(pre, "layer.qkv").gemm).toEqual({ m: 4096, n: 3 * 4096, k: 4096, batch: 1 });
    const dec = buildOps(llama2_7b, { kind: "decode-step", batch: 8, context_len: 100 }, "bf16");
    expect(byName(dec, "lm-head").gemm?.m).toBe(8);
  });
  it("GQA shrinks the QKV projection: Llama-2-70B qkv is 8192 -> (64 + 16) * 128", () => {
    const ops = buildOps(llama2_70b, { kind: "decode-step", batch: 1, context_len: 10 }, "bf16");
    expect(byName(ops, "layer.qkv").gemm).toEqual({ m: 1, n: 10240, k: 8192, batch: 1 });
    expect(byName(ops, "layer.rope").flops).toBe(3 * (64 + 8) * 128);
  });
  it("GPT-2: tied LM head reads the table without owning it; biases counted", () => {
    const ops = buildOps(gpt2, { kind: "prefill", batch: 1, seq_len: 1024 }, "fp16");
    const head = byName(ops, "lm-head");
    expect(head.param_elems).toBe(0);
    expect(head.weight_bytes).toBe(50257 * 768 * 2);
    // up projection: 2*1024*768*3072 + bias 1024*3072
    expect(byName(ops, "layer.up").flops).toBe(2 * 1024 * 768 * 3072 + 1024 * 3072);
    expect(ops.map((o) => o.name)).toContain("embed.positions");
    expect(ops.map((o) => o.name)).not.toContain("layer.rope");
  });
  it("BERT: non-causal attention, embedding norm, pooler, no LM head", () => {
    const ops = buildOps(bertBase, { kind: "inference", batch: 2, seq_len: 384 }, "fp16");
    expect(byName(ops, "layer.attention").flops).toBe(4 * 2 * 12 * 64 * 384 * 384);
    expect(ops.map((o) => o.name)).toEqual(expect.arrayContaining(["embed.types", "embed.norm", "pooler.dense", "pooler.tanh"]));
    expect(ops.map((o) => o.name)).not.toContain("lm-head");
    expect(() => buildOps(bertBase, { kind: "inference", batch: 1 }, "fp16")).toThrow(/seq_len/);
    expect(() => buildOps(bertBase, { kind: "decode-step", batch: 1, context_len: 8 }, "fp16")).toThrow(/decoder/);
  });
  it("a decoder given an inference scenario is built as a prefill", () => {
    const inf = buildOps(gpt2, { kind: "inference", batch: 2, seq_len: 64 }, "bf16");
    expect(inf).toEqual(buildOps(gpt2, { kind: "prefill", batch: 2, seq_len: 64 }, "bf16"));
    // causal: 4 * 2 * 12 * 64 * (64*65/2)
    expect(byName(inf, "layer.attention").flops).toBe(4 * 2 * 12 * 64 * 2080);
  });
  it("unfused attention has the same matmul flops but moves the s x s scores through DRAM", () => {
    const sc = { kind: "inference", batch: 1, seq_len: 512 } as const;
    const fused = buildOps(bertBase, sc, "fp16");
    const unfused = buildOps(bertBase, sc, "fp16", { fused_attention: false });
    const qk = byName(unfused, "layer.attention.qk");
    const pv = byName(unfused, "layer.attention.pv");
    expect(qk.flops + pv.flops).toBe(byName(fused, "layer.attention").flops);
    // QK^T: read Q, K (12*512*64 each), write S (12*512*512); fp16
    expect(qk.bytes).toBe((2 * 12 * 512 * 64 + 12 * 512 * 512) * 2);
    expect(byName(unfused, "layer.attention.softmax").flops).toBe(5 * 12 * 512 * 512);
  });
});
