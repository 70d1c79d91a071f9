#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * results/zzz-vidur-agreement.csv (after `make evaluate`): ZZZ's service layer and Vidur on the
 * suite's Vidur serving cells with identical inputs (the same request mix and arrival seed, Vidur's
 * scheduler defaults, and, in ZZZ's `profiled` mode, the same measured Vidur-format profiles).
 * Also ZZZ in `microbench` mode (no profiles). Signed differences relative to Vidur.
 *   tsx pipeline/zzz-serving.ts [--bench]     --bench: time 10k and 100k simulated requests
 */
import { readCsv, writeCsvAtomic, fmt } from "./lib/io.ts";
import { loadSuite } from "./lib/suite.ts";
import { estimate, supports, MODE_CONFIGS } from "../tools-under-test/zzz/adapter.ts";
import { generate, simulate, summarize, type BatchComposition } from "../zzz/index.ts";

if (process.argv.includes("--bench")) {
  const cost = (b: BatchComposition) => 0.004 + 1e-5 * b.prefill.reduce((s, p) => s + p.tokens, 0) + 2e-4 * b.decode_count + 2e-8 * b.decode_context_sum;
  const rows = [];
  for (const n of [10_000, 100_000]) {
    const reqs = generate({ n_requests: n, arrival: { kind: "poisson", rate_per_s: 25 }, prompt: { kind: "lognormal", median: 512, sigma: 0.6, max: 3000 }, output: { kind: "lognormal", median: 128, sigma: 0.6, max: 1000 }, seed: 1 });
    const t0 = performance.now();
    const r = simulate(reqs, { replicas: [{ scheduler: { kind: "vllm", max_num_seqs: 256, max_num_batched_tokens: 4096, block_size: 16, kv_blocks: 20_000 }, cost }] });
    summarize(r);
    rows.push({ requests: n, iterations: r.iterations, ms: Number((performance.now() - t0).toFixed(0)), target_ms: n === 10_000 ? 1000 : 10_000 });
  }
  console.table(rows);
  process.exit(0);
}

const suite = loadSuite(".");
const vidur = new Map(readCsv("results/predictions.csv").filter((r) => r.tool === "vidur" && r.status === "ok").map((r) => [r.cell_id, Number(r.predicted)]));
const out: Record<string, unknown>[] = [];
for (const c of [...suite.cells.values()].filter((c) => c.level === "serving").sort((a, b) => (a.id < b.id ? -1 : 1))) {
  const v = vidur.get(c.id);
  if (v === undefined || !supports(c, suite).ok) continue;
  const p = estimate(c, suite, MODE_CONFIGS.profiled).value;
  const m = estimate(c, suite, MODE_CONFIGS.microbench).value;
  out.push({ cell_id: c.id, metric: c.metric, unit: c.unit, vidur: fmt(v), zzz_profiled: fmt(p), zzz_microbench: fmt(m), profiled_vs_vidur_pct: fmt(((p - v) / v) * 100), microbench_vs_vidur_pct: fmt(((m - v) / v) * 100) });
}
writeCsvAtomic("results/zzz-vidur-agreement.csv", ["cell_id", "metric", "unit", "vidur", "zzz_profiled", "zzz_microbench", "profiled_vs_vidur_pct", "microbench_vs_vidur_pct"], out);
const by = new Map<string, number[]>();
for (const r of out) by.set(String(r.metric), [...(by.get(String(r.metric)) ?? []), Math.abs(Number(r.profiled_vs_vidur_pct))]);
console.table([...by].map(([metric, xs]) => ({ metric, n: xs.length, mean_abs_diff_pct: Number((xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)), within_5pct: xs.filter((x) => x <= 5).length })));
console.log(`zzz-serving: ${out.length} cells -> results/zzz-vidur-agreement.csv`);
