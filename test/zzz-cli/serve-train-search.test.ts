/**
 * `zzz serve`, `zzz train` and `zzz search` through the real command line: the numbers are those of
 * the ZZZ layers they wrap (the service layer's simulate/summarize, the adapter's training run and
 * estimate), in the table, --json and --csv alike; search ranks feasible configurations only.
 */
import { describe, expect, it } from "vitest";
import { calibrationFor, DEFAULT_CONFIG, deviceSpec, estimate } from "../../tools-under-test/zzz/adapter.ts";
import { kvBlocks, zzzStepCost } from "../../tools-under-test/zzz/serving.ts";
import { runTraining } from "../../tools-under-test/zzz/system-cells.ts";
import { generate, simulate, summarize, type TransformerArch } from "../../zzz/index.ts";
import { committed, csv, field, fmt6, fullSuite, json, ms, ok } from "./helpers.ts";

describe("zzz serve", () => {
  const flags = ["serve", "-m", "llama-2-7b", "-H", "h100-sxm5-80gb", "--rate", "4", "--requests", "120", "--scheduler", "sarathi", "--chunk", "1024", "--replicas", "2", "--prompt-len", "256-1024", "--output-len", "64"];

  it("gives the service layer's percentiles and throughput for the same scenario", () => {
    const j = json(flags);
    // the same scenario, built here from the layers (not through the CLI's code)
    const suite = fullSuite();
    const hw = suite.hardware.get("h100-sxm5-80gb")!;
    const arch = suite.models.get("llama-2-7b")!.arch as TransformerArch;
    const dev = deviceSpec(hw);
    const cost = zzzStepCost(arch, dev, "bf16", { engine: "fused", timing: "graph", calibration: calibrationFor(hw.id, suite, DEFAULT_CONFIG), refinements: DEFAULT_CONFIG.refinements });
    const sched = { kind: "sarathi" as const, max_num_seqs: 128, max_num_batched_tokens: 1024, block_size: 16, kv_blocks: kvBlocks(arch, dev, "bf16"), watermark: 0.01, preemption: "recompute" as const };
    const requests = generate({ n_requests: 120, arrival: { kind: "poisson", rate_per_s: 4 }, prompt: { kind: "uniform", min: 256, max: 1024 }, output: { kind: "fixed", tokens: 64 }, seed: 42 });
    const r = simulate(requests, { replicas: [0, 1].map(() => ({ scheduler: sched, cost })), router: "round-robin" });
    const m = summarize(r);
    for (const k of ["ttft_s", "tpot_s", "e2e_s"] as const) for (const q of ["p50", "p90", "p99", "mean", "max"] as const) expect(j.metrics[k][q], `${k} ${q}`).toBe(m[k][q]);
    expect(j.metrics.throughput_rps).toBe(m.throughput_rps);
    expect(j.metrics.output_tokens_per_s).toBe(m.output_tokens_per_s);
    expect(j.metrics.completed).toBe(120);
    expect(j.metrics.iterations).toBe(r.iterations);
    expect(j.config).toMatchObject({ replicas: 2, scheduler: "sarathi", max_num_batched_tokens: 1024, kv_blocks_per_replica: sched.kv_blocks });
    // ordered percentiles
    expect(j.metrics.ttft_s.p50).toBeLessThanOrEqual(j.metrics.ttft_s.p90);
    expect(j.metrics.ttft_s.p90).toBeLessThanOrEqual(j.metrics.ttft_s.p99);
  });

  it("the table and the CSV show the --json numbers", () => {
    const j = json(flags);
    const t = ok(flags);
    const row = (name: string) => t.split("\n").find((l) => l.startsWith(`${name} `))!.trim().split(/\s{2,}/).slice(1);
    for (const [name, k] of [["TTFT", "ttft_s"], ["TPOT", "tpot_s"], ["E2E", "e2e_s"]] as const)
      expect(row(name)).toEqual([j.metrics[k].p50, j.metrics[k].p90, j.metrics[k].p99, j.metrics[k].mean, j.metrics[k].max].map(ms));
    expect(field(t, "throughput")).toBe(`${j.metrics.throughput_rps.toPrecision(4)} requests/s, ${j.metrics.output_tokens_per_s.toPrecision(5)} output tokens/s`);
    const [c] = csv(flags);
    expect(c!.ttft_p99_s).toBe(fmt6(j.metrics.ttft_s.p99));
    expect(c!.tpot_p50_s).toBe(fmt6(j.metrics.tpot_s.p50));
    expect(c!.output_tokens_per_s).toBe(fmt6(j.metrics.output_tokens_per_s));
    expect(c).toMatchObject({ replicas: "2", scheduler: "sarathi", requests: "120", rate_per_s: "4" });
  });
});

describe("zzz train", () => {
  // Megatron-LM's GPT-3 175B on 64 A100s (suite cell megatron-seqsel.gpt-3-175b.full-recompute.a100-sxm4-80gb.x64)
  const cellId = "megatron-seqsel.gpt-3-175b.full-recompute.a100-sxm4-80gb.x64";
  const flags = ["train", "-m", "gpt-3-175b", "-H", "a100-sxm4-80gb", "--tp", "8", "--pp", "8", "--dp", "1", "--global-batch", "64", "--micro-batch", "1", "--recompute", "full", "--sp", "false", "--virtual-stages", "3", "--engine", "megatron-lm", "--dtype", "fp16"];

  it("step time, MFU, breakdown and memory are the system layer's for the suite cell", () => {
    const j = json(flags);
    const suite = fullSuite();
    const cell = suite.cells.get(cellId)!;
    expect(j.step_s).toBe(estimate(cell, suite).value);
    expect(fmt6(j.step_s)).toBe(fmt6(committed(cellId)));
    const run = runTraining(cell, suite);
    if (typeof run === "string") throw new Error(run);
    expect(j.mfu).toBe(run.result.mfu);
    expect(j.microbatches).toBe(run.result.microbatches);
    expect(j.memory_per_device.total_bytes).toBe(run.result.memory.total_bytes);
    expect(j.memory_per_device.fits).toBe(true);
    const b = run.result.breakdown;
    expect(j.breakdown.map((r: { time_s: number }) => r.time_s)).toEqual([b.compute_s, b.tp_exposed_s, b.bubble_s - b.p2p_exposed_s, b.p2p_exposed_s, b.dp_exposed_s, b.optimizer_s]);
    // the parts add up to the step
    const sum = j.breakdown.reduce((a: number, r: { time_s: number }) => a + r.time_s, 0);
    expect(Math.abs(sum / j.step_s - 1)).toBeLessThan(1e-9);
    expect(j.tokens_per_s).toBeCloseTo((64 * 2048) / j.step_s, 6);
  });

  it("the table and the CSV show the --json numbers", () => {
    const j = json(flags);
    const t = ok(flags);
    expect(field(t, "step time")).toBe(ms(j.step_s));
    expect(field(t, "MFU")).toBe(`${(100 * j.mfu).toFixed(1)}%`);
    expect(field(t, "memory/device")).toMatch(new RegExp(`^${(j.memory_per_device.total_bytes / 1e9).toFixed(1)} GB of 80\\.0 GB \\(fits\\)`));
    const [c] = csv(flags);
    expect(c!.step_s).toBe(fmt6(j.step_s));
    expect(c!.mfu).toBe(fmt6(j.mfu));
    expect(c!.compute_s).toBe(fmt6(j.breakdown[0].time_s));
    expect(c!.mem_total_bytes).toBe(fmt6(j.memory_per_device.total_bytes));
  });
});

describe("zzz search", () => {
  it("serve: every printed configuration meets the SLOs, is ranked by cost, and is what zzz serve predicts for it", () => {
    const base = ["-m", "llama-2-7b", "-H", "h100-sxm5-80gb", "--requests", "60", "--prompt-len", "512", "--output-len", "32"];
    const j = json(["search", "--for", "serve", ...base, "--max-gpus", "2", "--ttft-slo-ms", "1500", "--tpot-slo-ms", "40", "--objective", "cost", "--top", "3"]);
    expect(j.evaluated).toBe(2 * (3 * 2 + 4 * 2 + 1 * 2)); // replicas x (vllm 3 chunks + sarathi 4 + orca 1) x 2 seq caps
    expect(j.feasible + Object.values(j.rejected as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(j.evaluated);
    expect(j.best.length).toBe(Math.min(3, j.feasible));
    expect(j.best.length).toBeGreaterThan(0);
    for (let i = 1; i < j.best.length; i++) expect(j.best[i].gpu_s_per_mtoken).toBeGreaterThanOrEqual(j.best[i - 1].gpu_s_per_mtoken);
    const top = j.best[0];
    expect(top.ttft_p99_s).toBeLessThanOrEqual(1.5);
    expect(top.tpot_p99_s).toBeLessThanOrEqual(0.04);
    const s = json(["serve", ...base, "--replicas", String(top.replicas), "--scheduler", top.scheduler, "--max-batch-tokens", String(top.max_num_batched_tokens), "--max-seqs", String(top.max_num_seqs)]);
    expect(top.ttft_p99_s).toBe(s.metrics.ttft_s.p99);
    expect(top.tpot_p99_s).toBe(s.metrics.tpot_s.p99);
    expect(top.tokens_per_s).toBe(s.metrics.output_tokens_per_s);
    expect(top.gpu_s_per_mtoken).toBeCloseTo((top.gpus * 1e6) / s.metrics.output_tokens_per_s, 6);
  });

  it("train: plans are scored one by one (not all as the first), the best fits and is what zzz train predicts", () => {
    const args = ["search", "--for", "train", "-m", "gpt-3-175b", "-H", "a100-sxm4-80gb", "--max-gpus", "64", "--global-batch", "64", "--recompute", "full", "--engine", "megatron-lm", "--dtype", "fp16", "--top", "4"];
    const j = json(args);
    expect(j.feasible).toBeGreaterThan(1);
    for (let i = 1; i < j.best.length; i++) expect(j.best[i].tokens_per_s).toBeLessThanOrEqual(j.best[i - 1].tokens_per_s);
    // distinct plans have distinct predictions (the adapter caches per cell id: one id for all would give one number)
    expect(new Set(j.best.map((b: { step_s: number }) => b.step_s)).size).toBeGreaterThan(1);
    const top = j.best[0];
    expect(top.mem_per_device_bytes).toBeLessThanOrEqual(80e9);
    const t = json(["train", "-m", "gpt-3-175b", "-H", "a100-sxm4-80gb", "--tp", String(top.tp), "--pp", String(top.pp), "--dp", String(top.dp), "--global-batch", "64", "--micro-batch", String(top.micro_batch), "--recompute", "full", "--engine", "megatron-lm", "--dtype", "fp16"]);
    expect(top.step_s).toBe(t.step_s);
    expect(top.mem_per_device_bytes).toBe(t.memory_per_device.total_bytes);
    // the CSV lists the same ranking
    const c = csv(args);
    expect(c.map((r) => [r.rank, r.tp, r.pp, r.dp, r.micro_batch, r.step_s])).toEqual(j.best.map((b: Record<string, number>) => [b.rank, b.tp, b.pp, b.dp, b.micro_batch, b.step_s].map((x) => fmt6(x!))));
  });
});
