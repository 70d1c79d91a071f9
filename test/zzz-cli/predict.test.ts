/**
 * `zzz predict` through the real command line (bin/zzz): its table, --json and --csv give the
 * numbers of the ZZZ adapter for the same cell (estimate() with the whole suite, as `make evaluate`
 * runs it), the committed results/predictions.csv values for suite cells, and --breakdown adds up
 * to the prediction.
 */
import { describe, expect, it } from "vitest";
import { estimate } from "../../tools-under-test/zzz/adapter.ts";
import { csv, committed, field, fmt6, fullSuite, json, ms, ok } from "./helpers.ts";

const H100 = ["-H", "h100-sxm5-80gb"];

/** Suite cells and the flags that describe them. */
const SUITE_CELLS: [string, string[]][] = [
  ["gpt-2.prefill.s1024.b1.h100-sxm5-80gb.bf16", ["-m", "gpt-2", ...H100, "--phase", "prefill", "--seq", "1024", "--engine", "pytorch-eager"]],
  ["gpt-2.prefill.s1024.b1.cudagraph.h100-sxm5-80gb.bf16", ["-m", "gpt-2", ...H100, "--seq", "1024", "--engine", "pytorch-cudagraph"]],
  ["gpt-2.decode.c512.b1.a100-sxm4-80gb.bf16", ["-m", "gpt-2", "-H", "a100-sxm4-80gb", "--phase", "decode", "--context", "512", "--engine", "pytorch-eager"]],
  ["bert-base.infer.s128.b1.cudagraph.h200-sxm-141gb.bf16", ["-m", "bert-base", "-H", "h200-sxm-141gb", "--phase", "forward", "--seq", "128", "--engine", "pytorch-cudagraph"]],
];

describe("zzz predict: the adapter's numbers", () => {
  it.each(SUITE_CELLS)("%s: --json equals estimate() on the suite cell and results/predictions.csv", (cellId, flags) => {
    const suite = fullSuite();
    const cell = suite.cells.get(cellId)!;
    expect(cell, cellId).toBeDefined();
    const j = json(["predict", ...flags]);
    const e = estimate(cell, suite);
    expect(j.prediction.latency_s).toBe(e.latency_s);
    expect(j.prediction.flops).toBe(e.flops);
    expect(j.prediction.bytes).toBe(e.bytes);
    expect(j.prediction.bound).toBe(e.bound);
    // the evaluation's published number (6 significant digits)
    expect(fmt6(j.prediction.value)).toBe(fmt6(committed(cellId)));
  });

  it.each([
    ["decode, batch 32 (any engine)", ["-m", "llama-2-7b", ...H100, "--phase", "decode", "--batch", "32", "--context", "2048"]],
    ["prefill on 4 GPUs (tp 4)", ["-m", "llama-2-70b", ...H100, "--tp", "4", "--batch", "8", "--seq", "1024"]],
    ["prefill on 2 x 2 GPUs (tp 2, pp 2), fp8", ["-m", "llama-2-70b", ...H100, "--tp", "2", "--pp", "2", "--batch", "4", "--seq", "2048", "--dtype", "fp8"]],
  ])("%s: the cell --json prints, estimated with the whole suite, gives the same number", (_, flags) => {
    const j = json(["predict", ...flags]);
    const e = estimate(j.cell, fullSuite());
    expect(j.prediction.latency_s).toBe(e.latency_s);
    expect(j.prediction.detail).toBe(e.detail);
    expect(j.tokens_per_s).toBeCloseTo((j.cell.workload.batch * (j.cell.workload.seq_len ?? 1)) / e.latency_s, 6);
  });

  it("the table and the CSV show the --json numbers", () => {
    const flags = ["predict", "-m", "llama-2-7b", ...H100, "--phase", "decode", "--batch", "32", "--context", "2048"];
    const j = json(flags);
    const t = ok(flags);
    expect(field(t, "latency")).toBe(ms(j.prediction.latency_s));
    expect(field(t, "bound")).toBe(j.prediction.bound);
    expect(field(t, "workload")).toBe("decode step, batch 32, context 2048, bf16");
    const [row, ...more] = csv(flags);
    expect(more).toEqual([]);
    expect(row!.latency_s).toBe(fmt6(j.prediction.latency_s));
    expect(row!.tokens_per_s).toBe(fmt6(j.tokens_per_s));
    expect(row!.flops).toBe(fmt6(j.prediction.flops));
    expect(row).toMatchObject({ model: "llama-2-7b", hardware: "h100-sxm5-80gb", phase: "decode-step", batch: "32", context_len: "2048", tp: "1", gpus: "1" });
  });

  it("train-step gives zzz train's step time", () => {
    const plan = ["-m", "gpt-3-175b", "-H", "a100-sxm4-80gb", "--tp", "8", "--pp", "8", "--global-batch", "64", "--micro-batch", "1", "--recompute", "full", "--sp", "false", "--virtual-stages", "3", "--engine", "megatron-lm", "--dtype", "fp16"];
    const p = json(["predict", "--phase", "train-step", ...plan]);
    const t = json(["train", ...plan]);
    expect(p.prediction.latency_s).toBe(t.step_s);
    expect(fmt6(p.prediction.latency_s)).toBe(fmt6(committed("megatron-seqsel.gpt-3-175b.full-recompute.a100-sxm4-80gb.x64")));
  });
});

describe("zzz predict --breakdown", () => {
  const cases: [string, string[]][] = [
    ["per operator, one device, fused graph", ["-m", "llama-2-7b", ...H100, "--phase", "decode", "--batch", "32", "--context", "2048"]],
    ["per operator, eager (host-exposed launches)", ["-m", "gpt-2", ...H100, "--seq", "1024", "--engine", "pytorch-eager"]],
    ["per operator, a CNN forward", ["-m", "resnet-50", ...H100, "--phase", "forward", "--batch", "64"]],
    ["per part, tp 4", ["-m", "llama-2-70b", ...H100, "--tp", "4", "--batch", "8", "--seq", "1024"]],
    ["per part, a training step", ["--phase", "train-step", "-m", "gpt-3-175b", "-H", "a100-sxm4-80gb", "--tp", "8", "--pp", "8", "--global-batch", "64", "--micro-batch", "1", "--recompute", "full", "--engine", "megatron-lm", "--dtype", "fp16"]],
  ];
  it.each(cases)("%s: the parts add up to the latency (json, csv, table)", (_, flags) => {
    const j = json(["predict", ...flags, "--breakdown"]);
    const rows = j.breakdown as { part: string; time_s: number; share: number }[];
    expect(rows.length).toBeGreaterThan(2);
    const total = rows.reduce((a, b) => a + b.time_s, 0);
    expect(Math.abs(total / j.prediction.latency_s - 1)).toBeLessThan(1e-9);
    expect(rows.reduce((a, b) => a + b.share, 0)).toBeCloseTo(1, 9);
    for (const r of rows) expect(r.time_s).toBeGreaterThanOrEqual(0);
    // the CSV is the breakdown, row for row
    const c = csv(["predict", ...flags, "--breakdown"]);
    expect(c.map((r) => r.part)).toEqual(rows.map((r) => r.part));
    expect(c.map((r) => r.time_s)).toEqual(rows.map((r) => fmt6(r.time_s)));
    // the table ends with the total, which is the latency
    const t = ok(["predict", ...flags, "--breakdown"]);
    const last = t.trimEnd().split("\n").at(-1)!;
    expect(last.startsWith("total")).toBe(true);
    expect(last).toContain(ms(total));
    expect(field(t, "latency")).toBe(ms(j.prediction.latency_s));
  });

  it("per-operator rows are the engine graph's kernels: counts are layers x kernels", () => {
    const j = json(["predict", "-m", "llama-2-7b", ...H100, "--phase", "decode", "--batch", "32", "--context", "2048", "--breakdown"]);
    const attn = j.breakdown.find((r: { part: string }) => r.part === "layer.attention");
    expect(attn.count).toBe(32); // llama-2-7b: 32 layers
    expect(attn.bound).toBe("memory"); // decode attention reads the KV cache
  });
});
