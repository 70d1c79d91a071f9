/** zzz/service: hand-computed schedules (static batch, vLLM step by step, preemption, chunked prefill), metrics and determinism. */
import { describe, expect, it } from "vitest";
import { fromTrace, generate, simulate, simulateDisaggregated, summarize, type BatchComposition, type Request, type SchedulerConfig } from "../../zzz/index.ts";

const req = (id: number, arrival_s: number, prompt_tokens: number, output_tokens: number): Request => ({ id, arrival_s, prompt_tokens, output_tokens });
const sched = (kind: SchedulerConfig["kind"], over: Partial<SchedulerConfig> = {}): SchedulerConfig => ({ kind, max_num_seqs: 8, max_num_batched_tokens: 4096, block_size: 16, kv_blocks: 1000, watermark: 0, ...over });
/** prefill 10 ms per token (+1 ms per iteration when it has prefills), decode 2 ms + 0.1 ms per sequence. */
const cost = (b: BatchComposition) => {
  const pt = b.prefill.reduce((s, p) => s + p.tokens, 0);
  return (pt ? 0.01 * pt + 0.001 : 0) + (b.decode_count ? 0.002 + 0.0001 * b.decode_count : 0);
};
const close = (x: number, y: number) => expect(x).toBeCloseTo(y, 9);

describe("static batching", () => {
  it("prefills a full batch, decodes it to the end, then forms the next batch", () => {
    const r = simulate([req(0, 0, 4, 3), req(1, 0, 4, 3), req(2, 0, 4, 3)], { replicas: [{ scheduler: sched("static", { max_num_seqs: 2 }), cost }] });
    const [a, b, c] = r.requests;
    close(a!.first_token_s, 0.081); // 8 prompt tokens: 0.08 + 0.001
    close(b!.first_token_s, 0.081);
    close(a!.finish_s, 0.081 + 2 * 0.0022); // two decode steps of 2 sequences
    close(c!.scheduled_s, 0.0854);
    close(c!.first_token_s, 0.0854 + 0.041);
    close(c!.finish_s, 0.1264 + 2 * 0.0021);
    expect(r.iterations).toBe(6);
    const m = summarize(r);
    close(m.tpot_s.p50, 0.0022);
    close(m.queue_s.max, 0.0854);
  });
});

describe("vLLM continuous batching", () => {
  it("runs a tiny trace step by step: prefill-only batches first, then all running sequences decode together", () => {
    const flat = (b: BatchComposition) => (b.prefill.reduce((s, p) => s + p.tokens, 0) * 0.01) + (b.decode_count ? 0.005 : 0);
    const log: string[] = [];
    const logged = (b: BatchComposition) => {
      log.push(`${b.prefill.map((p) => `P${p.tokens}@${p.context}`).join("+")}${b.decode_count ? `D${b.decode_count}/${b.decode_context_sum}` : ""}`);
      return flat(b);
    };
    const r = simulate([req(0, 0, 4, 3), req(1, 0.042, 2, 2)], { replicas: [{ scheduler: sched("vllm"), cost: logged }] });
    expect(log).toEqual(["P4@0", "D1/5", "P2@0", "D2/9"]);
    const [a, b] = r.requests;
    close(a!.first_token_s, 0.04);
    close(b!.first_token_s, 0.065); // B's prefill waits for A's decode step ending at 0.045
    close(a!.finish_s, 0.07);
    close(b!.finish_s, 0.07);
    expect(a!.itl_s.map((x) => Number(x.toFixed(9)))).toEqual([0.005, 0.025]);
  });

  it("preempts the newest sequence by recompute when the KV cache runs out, and finishes both", () => {
    const flat = (b: BatchComposition) => (b.prefill.reduce((s, p) => s + p.tokens, 0) * 0.01) + (b.decode_count ? 0.005 : 0);
    const r = simulate([req(0, 0, 2, 4), req(1, 0, 2, 4)], { replicas: [{ scheduler: sched("vllm", { block_size: 2, kv_blocks: 4 }), cost: flat }] });
    expect(r.preemptions).toBe(1);
    const [a, b] = r.requests;
    expect(a!.preemptions).toBe(0);
    expect(b!.preemptions).toBe(1);
    close(a!.finish_s, 0.055);
    close(b!.first_token_s, 0.04); // its first token is not re-emitted
    close(b!.finish_s, 0.055 + 0.04 + 0.005); // re-prefill of prompt + 2 tokens kept (4 tokens), then one decode
    expect(r.kv_util_max).toBe(1);
  });

  it("swap preemption charges the swap time and keeps the KV", () => {
    const flat = (b: BatchComposition) => (b.prefill.reduce((s, p) => s + p.tokens, 0) * 0.01) + (b.decode_count ? 0.005 : 0);
    const r = simulate([req(0, 0, 2, 4), req(1, 0, 2, 4)], { replicas: [{ scheduler: sched("vllm", { block_size: 2, kv_blocks: 4, preemption: "swap", swap_s_per_block: 0.001 }), cost: flat }] });
    expect(r.preemptions).toBe(1);
    const b = r.requests[1]!;
    // swap out 2 blocks (0.002 s) in A's last step, swap in at the next iteration (0.002 s), then one decode of B
    close(b.finish_s, 0.05 + 0.005 + 0.002 + 0.005 + 0.002);
  });
});

describe("Sarathi chunked prefill", () => {
  it("composes each iteration from decodes first, then prefill chunks up to the token budget", () => {
    const log: BatchComposition[] = [];
    const r = simulate([req(0, 0, 6, 2), req(1, 0, 3, 2)], { replicas: [{ scheduler: sched("sarathi", { max_num_batched_tokens: 4 }), cost: (b) => (log.push(b), cost(b)) }] });
    expect(log).toEqual([
      { prefill: [{ tokens: 4, context: 0 }], decode_count: 0, decode_context_sum: 0, decode_context_max: 0 },
      { prefill: [{ tokens: 2, context: 4 }, { tokens: 2, context: 0 }], decode_count: 0, decode_context_sum: 0, decode_context_max: 0 },
      { prefill: [{ tokens: 1, context: 2 }], decode_count: 1, decode_context_sum: 7, decode_context_max: 7 },
      { prefill: [], decode_count: 1, decode_context_sum: 4, decode_context_max: 4 },
    ]);
    expect(r.requests.map((q) => q.output_tokens)).toEqual([2, 2]);
  });
});

describe("Orca, replicas and routers", () => {
  it("Orca mixes new prefills with running decodes in one iteration", () => {
    const log: string[] = [];
    simulate([req(0, 0, 4, 3), req(1, 0.05, 2, 2)], { replicas: [{ scheduler: sched("orca"), cost: (b) => (log.push(`${b.prefill.length}P${b.decode_count}D`), cost(b)) }] });
    expect(log.slice(0, 3)).toEqual(["1P0D", "0P1D", "0P1D"]);
    const log2: string[] = [];
    simulate([req(0, 0, 4, 4), req(1, 0.042, 2, 2)], { replicas: [{ scheduler: sched("orca"), cost: (b) => (log2.push(`${b.prefill.length}P${b.decode_count}D`), cost(b)) }] });
    expect(log2).toContain("1P1D");
  });
  it("round-robin alternates replicas; least-outstanding sends work to the idle one", () => {
    const reqs = [0, 1, 2, 3].map((i) => req(i, 0, 4, 2));
    const rr = simulate(reqs, { replicas: [{ scheduler: sched("vllm"), cost }, { scheduler: sched("vllm"), cost }] });
    expect(rr.requests.map((q) => q.replica)).toEqual([0, 1, 0, 1]);
    const lor = simulate([req(0, 0, 400, 50), req(1, 0.001, 4, 2), req(2, 0.05, 4, 2)], { router: "least-outstanding", replicas: [{ scheduler: sched("vllm"), cost }, { scheduler: sched("vllm"), cost }] });
    expect(lor.requests.map((q) => q.replica)).toEqual([0, 1, 1]);
  });
  it("closed loop: each client sends its next request think_s after the previous finished", () => {
    const r = simulate([req(0, 0, 4, 1), req(1, 0, 4, 1)], { closed_loop: { clients: 1, think_s: 0.5 }, replicas: [{ scheduler: sched("vllm"), cost }] });
    close(r.requests[1]!.arrival_s, r.requests[0]!.finish_s + 0.5);
  });
});

describe("metrics, workloads, determinism and bad input", () => {
  it("percentiles interpolate linearly; throughput is over the makespan", () => {
    const r = simulate([req(0, 0, 4, 2), req(1, 1, 4, 2)], { replicas: [{ scheduler: sched("vllm"), cost }] });
    const m = summarize(r, { ttft_s: 0.05 });
    close(m.ttft_s.p50, 0.041);
    close(m.throughput_rps, 2 / (1 + 0.041 + 0.0021));
    close(m.goodput_rps!, m.throughput_rps);
  });
  it("the same seed gives the same requests and the same run; another seed does not", () => {
    const spec = { n_requests: 200, arrival: { kind: "poisson" as const, rate_per_s: 20 }, prompt: { kind: "lognormal" as const, median: 256, sigma: 0.5, max: 2000 }, output: { kind: "uniform" as const, min: 8, max: 64 }, seed: 7 };
    const a = generate(spec);
    expect(generate(spec)).toEqual(a);
    expect(generate({ ...spec, seed: 8 })).not.toEqual(a);
    const mean = a[a.length - 1]!.arrival_s / a.length;
    expect(mean).toBeGreaterThan(0.035);
    expect(mean).toBeLessThan(0.065);
    const cfg = { replicas: [{ scheduler: sched("vllm", { kv_blocks: 400 }), cost }] };
    expect(simulate(a, cfg)).toEqual(simulate(a, cfg));
    const g = generate({ ...spec, arrival: { kind: "gamma", rate_per_s: 20, cv: 3 } });
    expect(g.every((q, i) => i === 0 || q.arrival_s >= g[i - 1]!.arrival_s)).toBe(true);
  });
  it("rejects a request larger than the KV capacity with the reason, and a bad trace with every row", () => {
    const r = simulate([req(0, 0, 4, 2), req(1, 0, 5000, 10)], { replicas: [{ scheduler: sched("vllm", { kv_blocks: 100 }), cost }] });
    expect(r.requests.map((q) => q.id)).toEqual([0]);
    expect(r.rejected).toEqual([{ id: 1, reason: "needs 314 KV blocks (prompt 5000 + output 10 tokens at 16 per block); replica 0 has 100" }]);
    expect(() => fromTrace([{ arrival_s: -1, prompt_tokens: 3, output_tokens: 2 }, { arrival_s: 0, prompt_tokens: 0, output_tokens: 2 }], "t.csv")).toThrow(
      /2 problem\(s\)[\s\S]*t\.csv:2: arrival_s[\s\S]*t\.csv:3: prompt_tokens/,
    );
  });
});

describe("disaggregated prefill/decode", () => {
  it("prefills on one replica, moves the KV, decodes on another; the first gap includes the transfer", () => {
    const flat = (b: BatchComposition) => (b.prefill.reduce((s, p) => s + p.tokens, 0) * 0.01) + (b.decode_count ? 0.005 : 0);
    const r = simulateDisaggregated([req(0, 0, 4, 3)], { prefill: [{ scheduler: sched("vllm"), cost: flat }], decode: [{ scheduler: sched("vllm"), cost: flat }], kv_transfer_s: () => 0.003 });
    const q = r.requests[0]!;
    close(q.first_token_s, 0.04);
    close(q.finish_s, 0.04 + 0.003 + 2 * 0.005);
    expect(q.itl_s.map((x) => Number(x.toFixed(9)))).toEqual([0.008, 0.005]);
  });
});
