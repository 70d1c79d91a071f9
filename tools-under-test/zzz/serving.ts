/**
 * ZZZ on serving cells: the service layer (zzz/service) driven by per-iteration costs from the
 * engine and device layers. Pure apart from what the adapter passes in.
 *
 * Iteration cost of a batch (prefill chunks + decoding sequences), on the cell's device in the
 * serving engine's graph (the `fused` engine: fused QKV, fused attention, fused norms; CUDA graphs,
 * so no host gaps, timing "graph"):
 *   the GEMMs, norms and element-wise kernels of every layer over all T tokens of the batch
 *   (the builder's prefill graph at T tokens, its attention and LM head removed),
 * + per prefill chunk (t tokens after c cached ones) a causal FlashAttention kernel per layer whose
 *   work is t*c + t(t+1)/2 attended pairs and whose traffic adds the c cached tokens' K and V,
 * + one decode-attention kernel per layer over the decoding sequences at their mean context,
 * + the LM head on one row per sequence that emits a token (prefill chunks and decodes).
 * No per-iteration CPU overhead is charged (Vidur's default, skip_cpu_overhead_modeling; the
 * suite's Vidur cells are compared with it under identical inputs).
 *
 * Scheduler settings are Vidur's defaults for the cell's engine (vllm: max_tokens_in_batch 4096;
 * sarathi-serve: chunk_size 512; orca), batch_size_cap 128, block_size 16, watermark 0.01; the
 * KV blocks are the device memory left after the weights.
 */
import {
  attentionDecodeOp,
  attentionPrefillOp,
  bytesPerElement,
  countParams,
  engineGraph,
  kernelTimes,
  linearOp,
  runTimeline,
  generate,
  simulate,
  summarize,
  type BatchComposition,
  type DeviceSpec,
  type Dtype,
  type Op,
  type SchedulerConfig,
  type StepCost,
  type TransformerArch,
  type V2Options,
} from "../../zzz/index.ts";
import type { Cell } from "../../pipeline/lib/schema.ts";

export const SERVING_METRICS = new Set(["ttft_p50", "ttft_p99", "tpot_p50", "tpot_p99", "throughput"]);

/** Vidur's scheduler defaults (vidur/config/config.py at 7d47513): the settings both tools get. */
export function schedulerFor(cellEngine: string, kvBlocks: number): SchedulerConfig {
  const base = { max_num_seqs: 128, block_size: 16, kv_blocks: kvBlocks, watermark: 0.01, preemption: "recompute" as const };
  if (cellEngine === "sarathi-serve") return { ...base, kind: "sarathi", max_num_batched_tokens: 512 };
  if (cellEngine === "orca") return { ...base, kind: "orca", max_num_batched_tokens: 4096 };
  return { ...base, kind: "vllm", max_num_batched_tokens: 4096 };
}

export function kvBlocks(a: TransformerArch, dev: DeviceSpec, dt: Dtype, blockSize = 16): number {
  const kvPerToken = 2 * a.n_layers * a.n_kv_heads * (a.d_model / a.n_heads) * bytesPerElement(dt);
  const free = dev.mem_capacity_bytes - countParams(a) * bytesPerElement(dt);
  return Math.max(0, Math.floor(free / (kvPerToken * blockSize)));
}

/** The iteration cost model (see the file comment). */
export function zzzStepCost(a: TransformerArch, dev: DeviceSpec, dt: Dtype, o: V2Options): StepCost {
  const hd = a.d_model / a.n_heads;
  const baseCache = new Map<number, Op[]>();
  const base = (tokens: number): Op[] => {
    let ops = baseCache.get(tokens);
    if (!ops) {
      // profiled mode: the eager kernel graph, whose ops carry the profile roles (Vidur's operator
      // names); otherwise the serving engine's fused graph
      const g = engineGraph(a, { kind: "prefill", batch: 1, seq_len: tokens }, dt, o.profiles?.length ? "pytorch-cudagraph" : "fused", true);
      ops = g.ops.filter((op) => op.kind !== "attention-prefill" && op.kind !== "attention-decode" && op.kind !== "softmax" && op.kind !== "bgemm" && op.name !== "lm-head");
      baseCache.set(tokens, ops);
    }
    return ops;
  };
  const shape = { n_heads: a.n_heads, n_kv_heads: a.n_kv_heads, head_dim: hd };
  // the profiled method answers ops of this model's shape from the target's Vidur-format profiles
  const key = { n_embd: a.d_model, n_head: a.n_heads, n_kv_head: a.n_kv_heads, n_expanded_embd: a.d_ff };
  const kvTokenBytes = 2 * a.n_kv_heads * hd * bytesPerElement(dt);
  return (b: BatchComposition) => {
    const T = b.prefill.reduce((s, p) => s + p.tokens, 0) + b.decode_count;
    const ops: Op[] = [...base(T)];
    for (const p of b.prefill) {
      const op = attentionPrefillOp({ batch: 1, seq_len: p.tokens, causal: true, ...shape }, dt);
      const pairs = p.tokens * p.context + (p.tokens * (p.tokens + 1)) / 2;
      const basePairs = (p.tokens * (p.tokens + 1)) / 2;
      ops.push({
        ...op,
        flops: (op.flops * pairs) / basePairs,
        bytes: op.bytes + p.context * kvTokenBytes,
        count: a.n_layers,
        role: "attn_prefill",
        attn: { batch: 1, q_len: p.tokens, kv_len: p.context + p.tokens, causal: true, ...shape },
      });
    }
    if (b.decode_count > 0) {
      const ctx = Math.max(1, Math.round(b.decode_context_sum / b.decode_count));
      ops.push({
        ...attentionDecodeOp({ batch: b.decode_count, context_len: ctx, ...shape }, dt),
        count: a.n_layers,
        role: "attn_decode",
        attn: { batch: b.decode_count, q_len: 1, kv_len: ctx, causal: false, ...shape },
      });
    }
    const rows = b.prefill.length + b.decode_count;
    ops.push(linearOp("lm-head", rows, a.d_model, a.vocab_size, false, dt, 1, !a.tied_embeddings));
    const ks = kernelTimes(ops, dev, dt, o, key);
    return runTimeline(ks.map((k) => ({ device_s: k.device_s, count: k.op.count })), 0, 0, "graph", 0).latency_s;
  };
}

export interface ServingPrediction {
  value: number;
  unit: string;
  detail: string;
}

/** A serving cell's requests: num_requests of input_len/output_len, at t = 0 or Poisson at qps (seed 42, as Vidur's default seed). */
export function requestsOf(cell: Cell) {
  const w = cell.workload;
  if (w.kind !== "serving" || w.num_requests === undefined || w.input_len === undefined || w.output_len === undefined)
    throw new Error(`cell ${cell.id}: a serving cell needs num_requests, input_len and output_len`);
  return generate({
    n_requests: w.num_requests,
    arrival: w.qps === undefined ? { kind: "burst" } : { kind: "poisson", rate_per_s: w.qps },
    prompt: { kind: "fixed", tokens: w.input_len },
    output: { kind: "fixed", tokens: w.output_len },
    seed: 42,
  });
}

export function predictServing(cell: Cell, a: TransformerArch, dev: DeviceSpec, o: V2Options): ServingPrediction {
  const dt = cell.precision;
  const blocks = kvBlocks(a, dev, dt);
  if (blocks <= 0) throw new Error(`cell ${cell.id}: the weights do not leave room for a KV cache on ${dev.name}`);
  const sched = schedulerFor(cell.engine, blocks);
  const r = simulate(requestsOf(cell), { replicas: [{ scheduler: sched, cost: zzzStepCost(a, dev, dt, o) }] });
  if (r.rejected.length) throw new Error(`cell ${cell.id}: ${r.rejected.length} request(s) rejected: ${r.rejected[0]!.reason}`);
  const m = summarize(r);
  const detail = `${sched.kind} (max ${sched.max_num_batched_tokens} tokens, ${sched.max_num_seqs} seqs, ${blocks} KV blocks of 16), ${r.iterations} iterations`;
  switch (cell.metric) {
    case "ttft_p50":
      return { value: m.ttft_s.p50, unit: "s", detail };
    case "ttft_p99":
      return { value: m.ttft_s.p99, unit: "s", detail };
    case "tpot_p50":
      return { value: m.tpot_s.p50, unit: "s", detail };
    case "tpot_p99":
      return { value: m.tpot_s.p99, unit: "s", detail };
    case "throughput":
      return { value: m.output_tokens_per_s, unit: "tokens/s", detail };
    default:
      throw new Error(`cell ${cell.id}: serving metric ${cell.metric} is not predicted (known: ${[...SERVING_METRICS].join(", ")})`);
  }
}
