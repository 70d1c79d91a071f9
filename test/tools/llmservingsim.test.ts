/**
 * LLMServingSim adapter: it is not run in this artifact (SETUP-LOG.md), so what is tested is that it
 * declines every suite cell with the right coverage class and an honest reason, that the runner turns
 * that into not-run rows with no number (with or without LLMSERVINGSIM_DIR), and that the committed
 * results say the same. LLMServingSim itself is never run here.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import { coverageClass } from "../../pipeline/lib/coverage.ts";
import type { Cell } from "../../pipeline/lib/schema.ts";
import { TOOLS } from "../../tools-under-test/registry.ts";
import { availability, llmServingSimAdapter, metadata, supports } from "../../tools-under-test/llmservingsim/adapter.ts";

let suite: Suite;
beforeAll(() => {
  suite = loadSuite(".", { groundTruth: false });
});
afterEach(() => {
  vi.unstubAllEnvs();
});
const cell = (id: string): Cell => {
  const c = suite.cells.get(id);
  if (!c) throw new Error(`no cell ${id}`);
  return c;
};
const H100_SERVING = "static-mix.llama-2-7b.r1.in512.out16.h100-sxm5-80gb.bf16.ttft-p50";

describe("support: every cell declined, classified by what LLMServingSim could express", () => {
  it("decoder serving / prefill / decode-step cells on GPUs: no input generated (no profile), naming model and device", () => {
    const s = supports(cell(H100_SERVING), suite);
    expect(s.ok).toBe(false);
    if (s.ok) return;
    expect(s.reason).toMatch(/^no input generated: no LLMServingSim profile of llama-2-7b on h100-sxm5-80gb /);
    expect(s.reason).toContain("RTX4090 and RTXPRO6000");
    expect(s.reason).toContain("casys-kaist/chakra c464cb05");
    const mlperf70b = [...suite.cells.values()].find((c) => c.workload.kind === "serving" && (c.workload as { model: string }).model === "llama-2-70b" && c.hardware.startsWith("h200"))!;
    expect(supports(mlperf70b, suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^no input generated: no LLMServingSim profile of llama-2-70b on h200/) });
  });
  it("CPU host, encoder and CNN serving, operator, collective, conv and training cells: cannot express", () => {
    const find = (p: (c: Cell) => boolean) => [...suite.cells.values()].find(p)!;
    const cpuServing = find((c) => c.workload.kind === "serving" && c.hardware.startsWith("cpu-"));
    expect(supports(cpuServing, suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^cannot express: .*CUDA kernel latency.* is a cpu$/) });
    const bert = find((c) => c.workload.kind === "serving" && (c.workload as { model: string }).model === "bert-large");
    expect(supports(bert, suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^cannot express: .*bert-large is a encoder model$/) });
    const resnet = find((c) => c.workload.kind === "serving" && (c.workload as { model: string }).model === "resnet-50");
    expect(supports(resnet, suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^cannot express: .*resnet-50 is a cnn model$/) });
    for (const k of ["gemm", "collective", "conv2d", "training"]) {
      const c = find((x) => x.workload.kind === k);
      expect(supports(c, suite), k).toMatchObject({ ok: false, reason: expect.stringMatching(new RegExp(`^cannot express: .*workload kind '${k}'`)) });
    }
  });
  it("no cell is supported and no reason is unclassified", () => {
    const classes = new Map<string, number>();
    for (const c of suite.cells.values()) {
      const s = supports(c, suite);
      expect(s.ok, c.id).toBe(false);
      if (s.ok) continue;
      const k = coverageClass({ status: "not-run", reason: s.reason });
      expect(["cannot_express", "no_input_generated"], `${c.id}: ${s.reason}`).toContain(k);
      classes.set(k, (classes.get(k) ?? 0) + 1);
    }
    // The suite has decoder LLM cells on GPUs (Vidur's serving mixes, MLPerf Llama-2-70B and GPT-J, measured steps).
    expect(classes.get("no_input_generated") ?? 0).toBeGreaterThanOrEqual(50);
    expect(classes.get("cannot_express") ?? 0).toBeGreaterThanOrEqual(100);
  });
});

describe("metadata, registry, availability", () => {
  it("is registered, pins the fetched commit, MIT, bib key of the pinned version (2.0)", () => {
    expect(TOOLS.map((t) => t.metadata.name)).toContain("llmservingsim");
    expect(metadata).toMatchObject({ name: "llmservingsim", commit: "5daddb21a545658d5150b535712d0494584b5278", license: "MIT", bib: "cho2026llmservingsim2" });
    expect(metadata.notes).toMatch(/^Not run on any cell/);
  });
  it("never available: unset, a checkout without the ASTRA-sim binary, and even a built one", () => {
    expect(availability({})).toEqual({ available: false, reason: "LLMSERVINGSIM_DIR is not set" });
    expect(availability({ LLMSERVINGSIM_DIR: "/nonexistent" })).toMatchObject({ available: false, configured: true, reason: expect.stringMatching(/has no astra-sim\/build\/.*AnalyticalAstra/) });
    const dir = mkdtempSync(join(tmpdir(), "lss-fake-"));
    const bin = join(dir, "astra-sim", "build", "astra_analytical", "build", "AnalyticalAstra", "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "AnalyticalAstra"), "");
    expect(availability({ LLMSERVINGSIM_DIR: dir })).toMatchObject({ available: false, reason: expect.stringMatching(/no suite cell has an LLMServingSim profile/) });
  });
  it("prepare, invoke and parse refuse to produce anything", async () => {
    const ctx = { suite, workDir: tmpdir() };
    await expect(llmServingSimAdapter.prepare(cell(H100_SERVING), ctx)).rejects.toThrow(/declines every cell/);
    expect(() => llmServingSimAdapter.parse("TTFT 1.0", cell(H100_SERVING), ctx)).toThrow(/declines every cell/);
  });
});

describe("through the runner and in the committed results", () => {
  const small = (): Suite => {
    const other = [...suite.cells.values()].find((c) => c.workload.kind === "gemm")!;
    return { ...suite, cells: new Map([H100_SERVING, other.id].map((id) => [id, suite.cells.get(id)!])) };
  };
  for (const env of [{}, { LLMSERVINGSIM_DIR: "/nonexistent" }]) {
    it(`not-run rows with the adapter's reasons and no number (env ${JSON.stringify(env)})`, async () => {
      for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
      vi.stubEnv("DOCKER_TOOLS", "");
      vi.stubEnv("NO_CACHE", "1");
      const root = mkdtempSync(join(tmpdir(), "lss-run-"));
      const rows = await runTool(llmServingSimAdapter, small(), { rawDir: join(root, "raw"), journalDir: join(root, "journal"), workDir: join(root, "tools") });
      expect(rows).toHaveLength(2);
      for (const r of rows) {
        expect(r).toMatchObject({ tool: "llmservingsim", status: "not-run", predicted: undefined });
        expect(r.reason).toBe((supports(cell(r.cell_id), suite) as { reason: string }).reason);
      }
    });
  }
  it("results/predictions.csv: one not-run row per suite cell, none ok or failed", () => {
    const rows = (parseCsv(readFileSync("results/predictions.csv", "utf8"), { columns: true }) as Record<string, string>[]).filter((r) => r.tool === "llmservingsim");
    expect(rows.length).toBe(suite.cells.size);
    for (const r of rows) {
      expect(r.status, r.cell_id).toBe("not-run");
      expect(r.predicted, r.cell_id).toBe("");
      expect(r.reason).toBe((supports(cell(r.cell_id!), suite) as { reason: string }).reason);
    }
  });
});
