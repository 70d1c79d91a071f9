/**
 * Serving metrics of a simulated run: TTFT, TPOT, ITL, end-to-end latency and queueing delay at
 * mean, p50, p90 and p99; throughput (requests/s, output tokens/s) over the makespan; goodput under
 * an SLO. Percentiles interpolate linearly between order statistics (numpy's default "linear").
 */
import type { SimResult } from "./sim.ts";

export interface Dist {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function dist(xs: ArrayLike<number>): Dist {
  const s = Float64Array.from(xs).sort(); // typed-array sort is numeric and fast (1e6 values)
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i]!;
  const mean = s.length ? sum / s.length : NaN;
  return { n: s.length, mean, p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99), max: s.length ? s[s.length - 1]! : NaN };
}

export interface Slo {
  ttft_s?: number;
  tpot_s?: number;
  e2e_s?: number;
}

export interface ServingMetrics {
  ttft_s: Dist;
  /** Per request: (finish - first token) / (output tokens - 1), over requests with >= 2 output tokens. */
  tpot_s: Dist;
  /** Every gap between consecutive output tokens of every request. */
  itl_s: Dist;
  e2e_s: Dist;
  queue_s: Dist;
  completed: number;
  rejected: number;
  throughput_rps: number;
  output_tokens_per_s: number;
  /** Requests per second that met every bound of the SLO (when given). */
  goodput_rps?: number;
  preemptions: number;
  kv_util_mean: number;
  kv_util_max: number;
}

function allItl(q: SimResult["requests"]): Float64Array {
  let n = 0;
  for (const x of q) n += x.itl_s.length;
  const out = new Float64Array(n);
  let i = 0;
  for (const x of q) for (const v of x.itl_s) out[i++] = v;
  return out;
}

export function summarize(r: SimResult, slo?: Slo): ServingMetrics {
  const q = r.requests;
  const tpot = q.filter((x) => x.output_tokens > 1).map((x) => (x.finish_s - x.first_token_s) / (x.output_tokens - 1));
  const out = q.reduce((s, x) => s + x.output_tokens, 0);
  const m: ServingMetrics = {
    ttft_s: dist(q.map((x) => x.first_token_s - x.arrival_s)),
    tpot_s: dist(tpot),
    itl_s: dist(allItl(q)),
    e2e_s: dist(q.map((x) => x.finish_s - x.arrival_s)),
    queue_s: dist(q.map((x) => x.scheduled_s - x.arrival_s)),
    completed: q.length,
    rejected: r.rejected.length,
    throughput_rps: r.makespan_s > 0 ? q.length / r.makespan_s : NaN,
    output_tokens_per_s: r.makespan_s > 0 ? out / r.makespan_s : NaN,
    preemptions: r.preemptions,
    kv_util_mean: r.kv_util_mean,
    kv_util_max: r.kv_util_max,
  };
  if (slo) {
    const ok = q.filter((x) => {
      const tp = x.output_tokens > 1 ? (x.finish_s - x.first_token_s) / (x.output_tokens - 1) : 0;
      return (slo.ttft_s === undefined || x.first_token_s - x.arrival_s <= slo.ttft_s) && (slo.tpot_s === undefined || tp <= slo.tpot_s) && (slo.e2e_s === undefined || x.finish_s - x.arrival_s <= slo.e2e_s);
    }).length;
    m.goodput_rps = r.makespan_s > 0 ? ok / r.makespan_s : NaN;
  }
  return m;
}
