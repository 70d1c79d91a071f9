/**
 * Serving workloads: seeded, deterministic request streams. Arrival processes (Poisson,
 * gamma-bursty, closed loop with N clients, trace replay) and prompt/output length distributions
 * (fixed, uniform, lognormal, empirical). No clock, no unseeded randomness: the same spec and seed
 * give the same requests.
 */

/** A request of a serving workload. Times in seconds from the start of the run. */
export interface Request {
  id: number;
  arrival_s: number;
  prompt_tokens: number;
  output_tokens: number;
  /** Tokens of the prompt shared with earlier requests (prefix caching); 0 when absent. */
  prefix_id?: string;
  prefix_tokens?: number;
  /**
   * Disaggregated serving: the prompt's KV arrives ready (computed by a prefill replica) and the
   * first output token was already emitted at first_token_s; the replica only decodes.
   */
  kv_ready?: { first_token_s: number };
}

/** mulberry32: a small, well-distributed 32-bit PRNG; uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box-Muller (two uniforms per draw; deterministic). */
function normal(u: () => number): number {
  const u1 = Math.max(u(), 1e-12);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape k, scale theta) by Marsaglia-Tsang (k >= 1; k < 1 via the boost u^(1/k)). */
function gamma(u: () => number, k: number, theta: number): number {
  if (k < 1) return gamma(u, k + 1, theta) * Math.pow(Math.max(u(), 1e-12), 1 / k);
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(u);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const w = u();
    if (w < 1 - 0.0331 * x ** 4 || Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * theta;
  }
}

export type LengthDist =
  | { kind: "fixed"; tokens: number }
  | { kind: "uniform"; min: number; max: number }
  /** Lognormal with the given median and sigma (of the log), clipped to [min, max]. */
  | { kind: "lognormal"; median: number; sigma: number; min?: number; max?: number }
  /** Draw uniformly from the given values (e.g. read from a file by the caller). */
  | { kind: "empirical"; values: readonly number[] };

export function drawLength(d: LengthDist, u: () => number): number {
  switch (d.kind) {
    case "fixed":
      return d.tokens;
    case "uniform":
      return d.min + Math.floor(u() * (d.max - d.min + 1));
    case "lognormal": {
      const x = Math.round(d.median * Math.exp(d.sigma * normal(u)));
      return Math.min(d.max ?? Infinity, Math.max(d.min ?? 1, x));
    }
    case "empirical":
      return d.values[Math.floor(u() * d.values.length)]!;
  }
}

export type Arrival =
  | { kind: "burst" } // every request at t = 0 (offline / static batch)
  | { kind: "poisson"; rate_per_s: number }
  /** Gamma inter-arrival times with mean 1/rate and coefficient of variation cv (cv > 1: bursty). */
  | { kind: "gamma"; rate_per_s: number; cv: number }
  /** N clients, each sends its next request think_s after its previous one finished (resolved by the simulator). */
  | { kind: "closed-loop"; clients: number; think_s: number }
  | { kind: "trace" };

export interface WorkloadSpec {
  n_requests: number;
  arrival: Arrival;
  prompt: LengthDist;
  output: LengthDist;
  seed: number;
}

/**
 * The requests of a workload. For `closed-loop` the arrivals returned are those of each client's
 * first request (t = 0); the simulator releases the rest as earlier requests finish.
 */
export function generate(spec: WorkloadSpec): Request[] {
  if (!Number.isInteger(spec.n_requests) || spec.n_requests < 0) throw new Error(`workload: n_requests must be a non-negative integer, got ${spec.n_requests}`);
  if (spec.arrival.kind === "trace") throw new Error("workload: a trace is replayed with fromTrace(), not generated");
  const ua = rng(spec.seed);
  const ul = rng(spec.seed ^ 0x9e3779b9);
  const out: Request[] = [];
  let t = 0;
  for (let i = 0; i < spec.n_requests; i++) {
    const a = spec.arrival;
    if (a.kind === "poisson") {
      if (!(a.rate_per_s > 0)) throw new Error(`workload: poisson rate_per_s must be > 0, got ${a.rate_per_s}`);
      t += -Math.log(1 - ua()) / a.rate_per_s;
    } else if (a.kind === "gamma") {
      if (!(a.rate_per_s > 0) || !(a.cv > 0)) throw new Error("workload: gamma needs rate_per_s > 0 and cv > 0");
      const k = 1 / (a.cv * a.cv);
      t += gamma(ua, k, 1 / (a.rate_per_s * k));
    }
    out.push({ id: i, arrival_s: a.kind === "poisson" || a.kind === "gamma" ? t : 0, prompt_tokens: drawLength(spec.prompt, ul), output_tokens: drawLength(spec.output, ul) });
  }
  return out;
}

/**
 * Trace replay: rows of (arrival_s, prompt_tokens, output_tokens). Every problem is collected and
 * thrown together with its row number; the trace is sorted by arrival (stable on ties).
 */
export function fromTrace(rows: readonly { arrival_s: number; prompt_tokens: number; output_tokens: number }[], source = "trace"): Request[] {
  const problems: string[] = [];
  rows.forEach((r, i) => {
    if (!Number.isFinite(r.arrival_s) || r.arrival_s < 0) problems.push(`${source}:${i + 2}: arrival_s: must be a finite time >= 0, got ${r.arrival_s}`);
    for (const k of ["prompt_tokens", "output_tokens"] as const)
      if (!Number.isInteger(r[k]) || r[k] < 1) problems.push(`${source}:${i + 2}: ${k}: must be an integer >= 1, got ${r[k]}`);
  });
  if (problems.length) throw new Error(`${problems.length} problem(s) in the trace:\n  ${problems.join("\n  ")}`);
  return rows
    .map((r, i) => ({ ...r, i }))
    .sort((a, b) => a.arrival_s - b.arrival_s || a.i - b.i)
    .map((r, id) => ({ id, arrival_s: r.arrival_s, prompt_tokens: r.prompt_tokens, output_tokens: r.output_tokens }));
}
