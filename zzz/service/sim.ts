/**
 * A discrete-event serving simulator: replicas behind a global router, each running an
 * iteration-level scheduler (static batching, Orca, vLLM continuous batching with paged KV and
 * preemption, Sarathi-style chunked prefill), with every iteration's duration given by a StepCost
 * from the lower layers. Pure and deterministic: the same requests and config give the same result.
 *
 * Event loop: the next event is the earliest of (next arrival, a replica finishing its iteration).
 * Arrivals are routed when they arrive. A replica that is idle starts its next iteration at once;
 * the scheduler decides its batch from the replica's state at that instant.
 */
import type { Request } from "./workload.ts";

/** One iteration's work, as the cost model sees it. */
export interface BatchComposition {
  /** Prefill chunks: tokens computed in this iteration and tokens already in the KV cache before them. */
  prefill: { tokens: number; context: number }[];
  /** Decoding sequences: one token each; count, and the sum and max of their KV lengths (tokens attended). */
  decode_count: number;
  decode_context_sum: number;
  decode_context_max: number;
}
/** Seconds for one iteration of this composition (engine CPU overheads included). */
export type StepCost = (b: BatchComposition) => number;

export type SchedulerKind = "static" | "orca" | "vllm" | "sarathi";

export interface SchedulerConfig {
  kind: SchedulerKind;
  /** Most sequences in one batch (vLLM max_num_seqs). */
  max_num_seqs: number;
  /** Most tokens in one iteration (vLLM max_num_batched_tokens); Sarathi: the chunk size. */
  max_num_batched_tokens: number;
  /** KV cache: tokens per block and blocks on the replica. Orca and static reserve prompt + output up front. */
  block_size: number;
  kv_blocks: number;
  /** Fraction of blocks kept free when admitting new prefills (vLLM's watermark, default 0.01). */
  watermark?: number;
  /** What vLLM does when a running sequence needs a block and none is free. */
  preemption?: "recompute" | "swap";
  /** Seconds to swap one block out or in (swap preemption); the system layer's host link gives it. */
  swap_s_per_block?: number;
}

export interface ReplicaConfig {
  scheduler: SchedulerConfig;
  cost: StepCost;
}

export interface SimConfig {
  replicas: ReplicaConfig[];
  router?: "round-robin" | "least-outstanding";
  /** Closed loop: requests are released per client; request i belongs to client i % clients. */
  closed_loop?: { clients: number; think_s: number };
  /** Record the KV utilisation after every iteration (for plots); otherwise only mean and max. */
  trace_kv?: boolean;
}

export interface RequestResult {
  id: number;
  replica: number;
  arrival_s: number;
  scheduled_s: number;
  first_token_s: number;
  finish_s: number;
  prompt_tokens: number;
  output_tokens: number;
  preemptions: number;
  /** Times between consecutive output tokens (ITL), seconds; output_tokens - 1 values. */
  itl_s: number[];
}

export interface SimResult {
  requests: RequestResult[];
  rejected: { id: number; reason: string }[];
  iterations: number;
  preemptions: number;
  makespan_s: number;
  kv_util_mean: number;
  kv_util_max: number;
  kv_trace?: { t_s: number; replica: number; util: number }[];
  cost_calls: number;
  cost_memo_hits: number;
}

interface Seq {
  req: Request;
  replica: number;
  /** Prompt tokens whose KV is computed (recompute preemption resets it to 0). */
  prefilled: number;
  /** Output tokens produced (the first comes with the end of the prefill). */
  generated: number;
  blocks: number;
  state: "waiting" | "running" | "swapped" | "done";
  scheduled_s: number;
  first_token_s: number;
  last_token_s: number;
  itl: number[];
  preemptions: number;
  /** Tokens to prefill on (re)admission: the prompt, plus generated tokens after a recompute preemption. */
  target: number;
}

interface Replica {
  cfg: ReplicaConfig;
  waiting: Seq[]; // FCFS order; preempted sequences go back to the front
  running: Seq[];
  swapped: Seq[];
  free_blocks: number;
  busy_until: number;
  /** Static batching: the current batch must drain before the next one is formed. */
  static_batch: Seq[];
}

const blocksFor = (tokens: number, bs: number) => Math.ceil(tokens / bs);

/**
 * Tokens in a decoding sequence's KV cache after its next step: the prompt and every output token
 * but the one this step produces (the step feeds the last generated token in). After a recompute
 * preemption `target` = prompt + (generated - 1) tokens were prefilled again, so the same count holds.
 */
const kvAfterStep = (q: Seq) => q.req.prompt_tokens + q.generated;

interface Planned {
  prefill: { seq: Seq; tokens: number }[];
  decode: Seq[];
  swap_s: number;
}

/** vLLM's admission check: blocks for the new prefill, keeping the watermark free. */
function canAllocate(r: Replica, need: number): boolean {
  const s = r.cfg.scheduler;
  const wm = Math.floor((s.watermark ?? 0.01) * s.kv_blocks);
  return r.free_blocks - need >= wm;
}

function plan(r: Replica, counters: { preemptions: number }): Planned {
  const s = r.cfg.scheduler;
  const out: Planned = { prefill: [], decode: [], swap_s: 0 };
  switch (s.kind) {
    case "static": {
      if (r.static_batch.length === 0) {
        // form the next batch: up to max_num_seqs waiting requests, KV reserved for prompt + output
        let tokens = 0;
        while (r.waiting.length && r.static_batch.length < s.max_num_seqs) {
          const q = r.waiting[0]!;
          const need = blocksFor(q.req.prompt_tokens + q.req.output_tokens, s.block_size);
          if (need > r.free_blocks || (r.static_batch.length && tokens + q.req.prompt_tokens > s.max_num_batched_tokens)) break;
          r.waiting.shift();
          r.free_blocks -= need;
          q.blocks = need;
          q.state = "running";
          tokens += q.req.prompt_tokens;
          r.static_batch.push(q);
          r.running.push(q);
        }
        for (const q of r.static_batch) out.prefill.push({ seq: q, tokens: q.target - q.prefilled });
        return out;
      }
      out.decode = r.running.filter((q) => q.prefilled >= q.target);
      return out;
    }
    case "orca": {
      // iteration-level: every running sequence decodes; new requests join with their whole prompt
      out.decode = r.running.filter((q) => q.prefilled >= q.target);
      let tokens = out.decode.length;
      while (r.waiting.length && r.running.length < s.max_num_seqs) {
        const q = r.waiting[0]!;
        const need = blocksFor(q.req.prompt_tokens + q.req.output_tokens, s.block_size);
        if (need > r.free_blocks || tokens + q.target > s.max_num_batched_tokens) break;
        r.waiting.shift();
        r.free_blocks -= need;
        q.blocks = need;
        q.state = "running";
        r.running.push(q);
        tokens += q.target;
        out.prefill.push({ seq: q, tokens: q.target });
      }
      return out;
    }
    case "vllm": {
      // swapped-in first (when nothing waits to be preempted), then new prefills (prefill-only
      // batch), else one decode step for every running sequence, preempting the newest on a KV shortage.
      if (r.swapped.length && r.waiting.length === 0) {
        const q = r.swapped[0]!;
        if (canAllocate(r, q.blocks)) {
          r.swapped.shift();
          r.free_blocks -= q.blocks;
          q.state = "running";
          r.running.push(q);
          out.swap_s += q.blocks * (s.swap_s_per_block ?? 0);
        }
      }
      if (r.swapped.length === 0) {
        let tokens = 0;
        while (r.waiting.length && r.running.length + out.prefill.length < s.max_num_seqs) {
          const q = r.waiting[0]!;
          const need = blocksFor(q.target, s.block_size);
          if (q.prefilled >= q.target) {
            // KV transferred from a prefill replica: allocate it and decode from the next step
            if (!canAllocate(r, need)) break;
            r.waiting.shift();
            r.free_blocks -= need;
            q.blocks = need;
            q.state = "running";
            r.running.push(q);
            continue;
          }
          if (tokens + q.target > s.max_num_batched_tokens || !canAllocate(r, need)) break;
          r.waiting.shift();
          r.free_blocks -= need;
          q.blocks = need;
          q.state = "running";
          tokens += q.target;
          out.prefill.push({ seq: q, tokens: q.target });
        }
        if (out.prefill.length) {
          for (const p of out.prefill) r.running.push(p.seq);
          return out;
        }
      }
      // decode: each sequence's next token needs a slot
      const decoding = r.running.slice();
      for (let i = 0; i < decoding.length; i++) {
        const q = decoding[i]!;
        const len = kvAfterStep(q);
        const need = blocksFor(len, s.block_size) - q.blocks;
        while (need > 0 && r.free_blocks < need) {
          // preempt the most recently admitted running sequence (vLLM's policy: last in, first out)
          const victim = decoding.pop()!;
          preempt(r, victim, counters, out);
          if (victim === q) break;
        }
        if (q.state !== "running") break;
        if (need > 0) {
          r.free_blocks -= need;
          q.blocks += need;
        }
      }
      out.decode = decoding.filter((q) => q.state === "running");
      return out;
    }
    case "sarathi": {
      // decodes first, then prefill chunks (of running partial prefills, then new requests) up to the token budget
      let budget = s.max_num_batched_tokens;
      const decoding = r.running.filter((q) => q.prefilled >= q.target);
      for (const q of decoding) {
        const need = blocksFor(kvAfterStep(q), s.block_size) - q.blocks;
        if (need > 0) {
          if (r.free_blocks < need) {
            preempt(r, q, counters, out);
            continue;
          }
          r.free_blocks -= need;
          q.blocks += need;
        }
        out.decode.push(q);
        budget -= 1;
      }
      for (const q of r.running) {
        if (budget <= 0) break;
        if (q.state !== "running" || q.prefilled >= q.target) continue;
        const t = Math.min(budget, q.target - q.prefilled);
        const need = blocksFor(q.prefilled + t, s.block_size) - q.blocks;
        if (need > r.free_blocks) continue;
        r.free_blocks -= Math.max(0, need);
        q.blocks += Math.max(0, need);
        out.prefill.push({ seq: q, tokens: t });
        budget -= t;
      }
      while (budget > 0 && r.waiting.length && r.running.length < s.max_num_seqs) {
        const q = r.waiting[0]!;
        const t = Math.min(budget, q.target);
        const need = blocksFor(t, s.block_size);
        if (!canAllocate(r, need)) break;
        r.waiting.shift();
        r.free_blocks -= need;
        q.blocks = need;
        q.state = "running";
        r.running.push(q);
        out.prefill.push({ seq: q, tokens: t });
        budget -= t;
      }
      return out;
    }
  }
}

function preempt(r: Replica, q: Seq, counters: { preemptions: number }, out: Planned): void {
  const s = r.cfg.scheduler;
  r.running = r.running.filter((x) => x !== q);
  counters.preemptions++;
  q.preemptions++;
  if ((s.preemption ?? "recompute") === "swap") {
    q.state = "swapped";
    r.free_blocks += q.blocks;
    out.swap_s += q.blocks * (s.swap_s_per_block ?? 0);
    r.swapped.push(q);
    return;
  }
  // recompute: drop the KV; on readmission the prompt and the tokens generated so far are prefilled again
  r.free_blocks += q.blocks;
  q.blocks = 0;
  q.prefilled = 0;
  q.target = q.req.prompt_tokens + Math.max(0, q.generated - 1);
  q.state = "waiting";
  r.waiting.unshift(q);
}

function composition(p: Planned): BatchComposition {
  let sum = 0;
  let max = 0;
  const prefill = p.prefill.map((x) => ({ tokens: x.tokens, context: x.seq.prefilled }));
  for (const q of p.decode) {
    const ctx = kvAfterStep(q);
    sum += ctx;
    if (ctx > max) max = ctx;
  }
  return { prefill, decode_count: p.decode.length, decode_context_sum: sum, decode_context_max: max };
}

function compKey(b: BatchComposition): string {
  let k = `${b.decode_count}:${b.decode_context_sum}:${b.decode_context_max}`;
  for (const p of b.prefill) k += `|${p.tokens},${p.context}`;
  return k;
}

export function simulate(requests: readonly Request[], cfg: SimConfig): SimResult {
  if (cfg.replicas.length === 0) throw new Error("simulate: at least one replica is needed");
  const reps: Replica[] = cfg.replicas.map((c) => {
    const s = c.scheduler;
    for (const [k, v] of [["max_num_seqs", s.max_num_seqs], ["max_num_batched_tokens", s.max_num_batched_tokens], ["block_size", s.block_size], ["kv_blocks", s.kv_blocks]] as const)
      if (!(Number.isInteger(v) && v > 0)) throw new Error(`simulate: scheduler ${k} must be a positive integer, got ${v}`);
    return { cfg: c, waiting: [], running: [], swapped: [], free_blocks: s.kv_blocks, busy_until: 0, static_batch: [] };
  });
  const rejected: { id: number; reason: string }[] = [];
  const results: RequestResult[] = [];
  const memos = reps.map(() => new Map<string, number>());
  const counters = { preemptions: 0 };
  let iterations = 0;
  let costCalls = 0;
  let memoHits = 0;
  let kvSum = 0;
  let kvMax = 0;
  const kvTrace: { t_s: number; replica: number; util: number }[] | undefined = cfg.trace_kv ? [] : undefined;

  // arrivals: a min-ordered list (closed loop adds arrivals as requests finish)
  const closed = cfg.closed_loop;
  let pending: Request[];
  const byClient: Request[][] = [];
  if (closed) {
    if (!(closed.clients >= 1)) throw new Error("simulate: closed_loop.clients must be >= 1");
    for (let c = 0; c < closed.clients; c++) byClient.push([]);
    requests.forEach((q, i) => byClient[i % closed.clients]!.push(q));
    pending = byClient.map((l) => l.shift()).filter((q): q is Request => !!q).map((q) => ({ ...q, arrival_s: 0 }));
  } else pending = requests.slice().sort((a, b) => a.arrival_s - b.arrival_s || a.id - b.id);
  let pi = 0;
  const insertPending = (q: Request) => {
    // keep pending[pi..] sorted by arrival
    let j = pending.length;
    pending.push(q);
    while (j > pi && (pending[j - 1]!.arrival_s > q.arrival_s || (pending[j - 1]!.arrival_s === q.arrival_s && pending[j - 1]!.id > q.id))) {
      pending[j] = pending[j - 1]!;
      j--;
    }
    pending[j] = q;
  };
  let rr = 0;
  const route = (q: Request): number => {
    if (reps.length === 1) return 0;
    if ((cfg.router ?? "round-robin") === "round-robin") return rr++ % reps.length;
    let best = 0;
    let bestLoad = Infinity;
    reps.forEach((r, i) => {
      const load = r.waiting.length + r.running.length + r.swapped.length;
      if (load < bestLoad) {
        bestLoad = load;
        best = i;
      }
    });
    void q;
    return best;
  };
  const admit = (q: Request) => {
    const i = route(q);
    const r = reps[i]!;
    const s = r.cfg.scheduler;
    const reserve = q.prompt_tokens + q.output_tokens; // a sequence's KV at its last step
    if (blocksFor(reserve, s.block_size) > s.kv_blocks) {
      rejected.push({ id: q.id, reason: `needs ${blocksFor(reserve, s.block_size)} KV blocks (prompt ${q.prompt_tokens} + output ${q.output_tokens} tokens at ${s.block_size} per block); replica ${i} has ${s.kv_blocks}` });
      return;
    }
    if (s.kind !== "sarathi" && s.kind !== "static" && q.prompt_tokens > s.max_num_batched_tokens) {
      rejected.push({ id: q.id, reason: `prompt of ${q.prompt_tokens} tokens exceeds max_num_batched_tokens ${s.max_num_batched_tokens} (no chunked prefill in ${s.kind})` });
      return;
    }
    if (q.kv_ready && s.kind !== "vllm") {
      rejected.push({ id: q.id, reason: `a request with its KV ready (disaggregated decode) needs a vllm decode replica, not ${s.kind}` });
      return;
    }
    const k = q.kv_ready;
    r.waiting.push({ req: q, replica: i, prefilled: k ? q.prompt_tokens : 0, generated: k ? 1 : 0, blocks: 0, state: "waiting", scheduled_s: k ? q.arrival_s : NaN, first_token_s: k ? k.first_token_s : NaN, last_token_s: k ? k.first_token_s : NaN, itl: [], preemptions: 0, target: q.prompt_tokens });
  };

  let now = 0;
  let guard = 0;
  const total = requests.length;
  while (results.length + rejected.length < total) {
    if (++guard > 50_000_000) throw new Error("simulate: no progress after 5e7 events (a scheduler bug)");
    // start iterations on idle replicas that have work
    let started = false;
    for (let i = 0; i < reps.length; i++) {
      const r = reps[i]!;
      if (r.busy_until > now || (r.waiting.length === 0 && r.running.length === 0 && r.swapped.length === 0)) continue;
      const p = plan(r, counters);
      if (p.prefill.length === 0 && p.decode.length === 0) continue;
      const b = composition(p);
      const key = compKey(b);
      let dt = memos[i]!.get(key);
      if (dt === undefined) {
        dt = r.cfg.cost(b);
        costCalls++;
        if (!(dt > 0) || !Number.isFinite(dt)) throw new Error(`simulate: step cost must be a positive time, got ${dt} for ${key}`);
        memos[i]!.set(key, dt);
      } else memoHits++;
      const end = now + dt + p.swap_s;
      iterations++;
      started = true;
      // apply the iteration's effects at its end time (they are visible to the next plan)
      for (const x of p.prefill) {
        const q = x.seq;
        if (Number.isNaN(q.scheduled_s)) q.scheduled_s = now;
        q.prefilled += x.tokens;
        if (q.prefilled >= q.target) {
          if (q.generated === 0) {
            q.generated = 1;
            q.first_token_s = end;
            q.last_token_s = end;
          }
        }
      }
      for (const q of p.decode) {
        q.generated++;
        q.itl.push(end - q.last_token_s);
        q.last_token_s = end;
      }
      const finished = r.running.filter((q) => q.generated >= q.req.output_tokens && q.prefilled >= q.target);
      for (const q of finished) {
        q.state = "done";
        r.free_blocks += q.blocks;
        q.blocks = 0;
        results.push({ id: q.req.id, replica: i, arrival_s: q.req.arrival_s, scheduled_s: q.scheduled_s, first_token_s: q.first_token_s, finish_s: end, prompt_tokens: q.req.prompt_tokens, output_tokens: q.req.output_tokens, preemptions: q.preemptions, itl_s: q.itl });
        if (closed) {
          const next = byClient[q.req.id % closed.clients]?.shift();
          if (next) insertPending({ ...next, arrival_s: end + closed.think_s });
        }
      }
      if (finished.length) {
        const done = new Set(finished);
        r.running = r.running.filter((q) => !done.has(q));
        r.static_batch = r.static_batch.filter((q) => !done.has(q));
      }
      const used = 1 - r.free_blocks / r.cfg.scheduler.kv_blocks;
      kvSum += used;
      if (used > kvMax) kvMax = used;
      kvTrace?.push({ t_s: end, replica: i, util: used });
      r.busy_until = end;
    }
    // next event: an arrival or a replica becoming free
    let next = Infinity;
    if (pi < pending.length) next = pending[pi]!.arrival_s;
    for (const r of reps) if (r.busy_until > now && r.busy_until < next) next = r.busy_until;
    if (next === Infinity) {
      if (started) continue;
      const stuck = reps.flatMap((r) => [...r.waiting, ...r.running, ...r.swapped]);
      for (const q of stuck) rejected.push({ id: q.req.id, reason: "could not be scheduled: the KV cache cannot hold it next to the sequences it waits for" });
      break;
    }
    if (next < now) next = now;
    now = next;
    while (pi < pending.length && pending[pi]!.arrival_s <= now) admit(pending[pi++]!);
  }
  results.sort((a, b) => a.id - b.id);
  let lastFinish = -Infinity;
  let firstArrival = Infinity;
  for (const r of results) {
    if (r.finish_s > lastFinish) lastFinish = r.finish_s;
    if (r.arrival_s < firstArrival) firstArrival = r.arrival_s;
  }
  const makespan = results.length ? lastFinish - firstArrival : 0;
  return {
    requests: results,
    rejected: rejected.sort((a, b) => a.id - b.id),
    iterations,
    preemptions: counters.preemptions,
    makespan_s: makespan,
    kv_util_mean: iterations ? kvSum / iterations : 0,
    kv_util_max: kvMax,
    ...(kvTrace ? { kv_trace: kvTrace } : {}),
    cost_calls: costCalls,
    cost_memo_hits: memoHits,
  };
}

export interface DisaggConfig {
  prefill: ReplicaConfig[];
  decode: ReplicaConfig[];
  router?: SimConfig["router"];
  /** Seconds to move one request's prompt KV from its prefill replica to a decode replica (system layer). */
  kv_transfer_s: (q: Request) => number;
}

/**
 * Disaggregated prefill/decode (DistServe, Splitwise): prefill replicas run every prompt and emit the
 * first token; the KV then moves to a decode replica (kv_transfer_s) that generates the rest.
 * Two passes of the same simulator: the prefill pass sees each request with one output token; the
 * decode pass sees it arriving at first token + transfer with its KV ready.
 */
export function simulateDisaggregated(requests: readonly Request[], cfg: DisaggConfig): SimResult {
  const pre = simulate(requests.map((q) => ({ ...q, output_tokens: 1 })), { replicas: cfg.prefill, ...(cfg.router ? { router: cfg.router } : {}) });
  const first = new Map(pre.requests.map((r) => [r.id, r]));
  const byId = new Map(requests.map((q) => [q.id, q]));
  const onlyOne: RequestResult[] = [];
  const decodeReqs: Request[] = [];
  for (const r of pre.requests) {
    const q = byId.get(r.id)!;
    if (q.output_tokens <= 1) onlyOne.push({ ...r, output_tokens: q.output_tokens });
    else decodeReqs.push({ ...q, arrival_s: r.first_token_s + cfg.kv_transfer_s(q), kv_ready: { first_token_s: r.first_token_s } });
  }
  const dec = simulate(decodeReqs, { replicas: cfg.decode, ...(cfg.router ? { router: cfg.router } : {}) });
  const requestsOut: RequestResult[] = [
    ...onlyOne,
    ...dec.requests.map((d) => {
      const p = first.get(d.id)!;
      return { ...d, replica: p.replica, arrival_s: byId.get(d.id)!.arrival_s, scheduled_s: p.scheduled_s, first_token_s: p.first_token_s, preemptions: p.preemptions + d.preemptions };
    }),
  ].sort((a, b) => a.id - b.id);
  let lastFinish = -Infinity;
  let firstArrival = Infinity;
  for (const r of requestsOut) {
    if (r.finish_s > lastFinish) lastFinish = r.finish_s;
    if (r.arrival_s < firstArrival) firstArrival = r.arrival_s;
  }
  const it = pre.iterations + dec.iterations;
  return {
    requests: requestsOut,
    rejected: [...pre.rejected, ...dec.rejected].sort((a, b) => a.id - b.id),
    iterations: it,
    preemptions: pre.preemptions + dec.preemptions,
    makespan_s: requestsOut.length ? lastFinish - firstArrival : 0,
    kv_util_mean: it ? (pre.kv_util_mean * pre.iterations + dec.kv_util_mean * dec.iterations) / it : 0,
    kv_util_max: Math.max(pre.kv_util_max, dec.kv_util_max),
    cost_calls: pre.cost_calls + dec.cost_calls,
    cost_memo_hits: pre.cost_memo_hits + dec.cost_memo_hits,
  };
}
