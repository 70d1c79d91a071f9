/**
 * LLMCompass adapter: support decisions with the coverage prefixes, the translation of one cell from
 * suite values, parsing of every recorded output (and that it gives the committed prediction), and
 * ok / failed / not-run rows through the shared runner with a fake python. LLMCompass itself is
 * never run here.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { convertToCellUnit, loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import type { Cell } from "../../pipeline/lib/schema.ts";
import { availability, inputJson, llmcompassAdapter, metadata, parseRaw, predict, supports } from "../../tools-under-test/llmcompass/adapter.ts";

const RAW = "results/raw/llmcompass";
const ID = "llmcompass.softmax.r4096.c4096.a100-sxm4-80gb";
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
const find = (pred: (c: Cell) => boolean): Cell => [...suite.cells.values()].find(pred)!;

describe("support", () => {
  it("runs softmax/layernorm/gelu on the GPUs; every other cell says why with a coverage prefix", () => {
    expect(supports(cell(ID), suite)).toEqual({ ok: true });
    const rms = find((c) => c.workload.kind === "norm" && c.workload.norm === "rmsnorm");
    expect(supports(rms, suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^cannot express: LLMCompass has LayerNorm only/) });
    const llama = find((c) => c.workload.kind === "prefill" && (c.workload as { model: string }).model === "llama-2-7b");
    expect(supports(llama, suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^cannot express: LLMCompass' transformer block/) });
    const gemm = find((c) => c.workload.kind === "gemm" && c.hardware === "a100-sxm4-80gb");
    expect(supports(gemm, suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^no input generated: LLMCompass' matmul mapping search/) });
    const cpu = find((c) => c.workload.kind === "softmax" && c.hardware.startsWith("cpu-"));
    expect(supports(cpu, suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^no input generated: no LLMCompass description/) });
    for (const c of suite.cells.values()) {
      const s = supports(c, suite);
      if (!s.ok) expect(s.reason, c.id).toMatch(/^(cannot express|no input generated|excluded): /);
    }
  });
});

describe("translation from suite values", () => {
  it("A100 is LLMCompass' own device; H100 takes SMs, L2, bandwidth and the bf16 peak from suite/hardware", () => {
    expect(inputJson(cell(ID), suite)).toMatchObject({ op: "softmax", shape: { rows: 4096, cols: 4096 }, device: { builtin: "A100_80GB_fp16" } });
    const h100 = find((c) => c.workload.kind === "softmax" && c.hardware === "h100-sxm5-80gb");
    const d = (inputJson(h100, suite) as any).device;
    const hw = suite.hardware.get("h100-sxm5-80gb")!;
    expect(d.core_count).toBe(132);
    expect(d.core_count * d.systolic_arrays_per_core * 16 * 16 * d.systolic_array.mac_per_cycle * 2 * d.clock_hz).toBeCloseTo(hw.peak_flops_per_s.bf16!.value, -6);
    expect(d).toMatchObject({ mem_bandwidth_bytes_per_s: 3.35e12, l2_bytes: 50e6, mem_capacity_bytes: 80e9 });
  });
});

describe("recorded outputs", () => {
  it("every recorded output re-parses to the committed prediction", () => {
    const rows = parseCsv(readFileSync("results/predictions.csv", "utf8"), { columns: true }) as Record<string, string>[];
    const ok = rows.filter((r) => r.tool === "llmcompass" && r.status === "ok");
    expect(ok.length).toBeGreaterThanOrEqual(60);
    for (const r of ok) {
      const raw = readFileSync(join(RAW, `${r.cell_id}.txt`), "utf8");
      const p = predict(raw, cell(r.cell_id!));
      expect(p.unit).toBe("s");
      expect(convertToCellUnit(cell(r.cell_id!), p.value, p.unit)! / Number(r.predicted), r.cell_id).toBeCloseTo(1, 4);
    }
    const { out } = parseRaw(readFileSync(join(RAW, `${ID}.txt`), "utf8"));
    expect(out.latency_s).toBeCloseTo(out.simulated_s + out.overhead_s, 12);
    expect(out.overhead_s).toBe(1.2e-5); // LLMCompass' A100 softmax overhead
  });
  it("rejects output without a positive latency", () => {
    expect(() => parseRaw("# x: y\nnot json\n")).toThrow(/no result JSON/);
    expect(() => parseRaw('{"latency_s": 0}\n')).toThrow(/positive/);
  });
});

describe("availability and the runner with a fake LLMCompass", () => {
  it("unset: re-parse; set to a directory without LLMCompass: configured", () => {
    expect(availability({})).toMatchObject({ available: false, reason: "LLMCOMPASS_DIR is not set" });
    expect(availability({ LLMCOMPASS_DIR: "/nonexistent" })).toMatchObject({ available: false, configured: true });
    expect(metadata.runner.env).toContain("LLMCOMPASS_DIR");
  });
  const small = (): Suite => {
    const other = find((c) => c.workload.kind === "gemm");
    return { ...suite, cells: new Map([ID, other.id].map((id) => [id, suite.cells.get(id)!])) };
  };
  const fake = (body: string) => {
    const dir = mkdtempSync(join(tmpdir(), "llmcompass-fake-"));
    mkdirSync(join(dir, "software_model"));
    mkdirSync(join(dir, "hardware_model"));
    mkdirSync(join(dir, "systolic_array_model"));
    writeFileSync(join(dir, "software_model", "matmul.py"), "");
    writeFileSync(join(dir, "hardware_model", "device.py"), "");
    const py = join(dir, "python");
    writeFileSync(py, `#!/bin/sh\n${body}\n`);
    chmodSync(py, 0o755);
    return { LLMCOMPASS_DIR: dir, LLMCOMPASS_PYTHON: py };
  };
  const run = async (env: Record<string, string>) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv("DOCKER_TOOLS", "");
    vi.stubEnv("NO_CACHE", "1");
    const root = mkdtempSync(join(tmpdir(), "llmcompass-run-"));
    const rawDir = join(root, "raw");
    const rows = await runTool(llmcompassAdapter, small(), { rawDir, journalDir: join(root, "journal"), workDir: join(root, "tools") });
    const recorded = existsSync(join(rawDir, "llmcompass")) ? readdirSync(join(rawDir, "llmcompass")).filter((f) => f.endsWith(".txt")) : [];
    return { rows, row: rows.find((r) => r.cell_id === ID)!, recorded };
  };
  it("ok: a fake printing the driver's JSON; not-run: the GEMM cell, with its prefixed reason", async () => {
    const r = await run(fake(`echo '{"op": "softmax", "latency_s": 0.0025, "simulated_s": 0.002488, "overhead_s": 1.2e-5}'`));
    expect(r.row).toMatchObject({ status: "ok", predicted: 2.5 });
    expect(r.recorded).toEqual([`${ID}.txt`]);
    expect(r.rows.find((x) => x.cell_id !== ID)).toMatchObject({ status: "not-run", reason: expect.stringMatching(/^no input generated: /) });
  });
  it("failed: unparseable output, and a crash", async () => {
    const bad = await run(fake("echo garbage"));
    expect(bad.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/no result JSON/) });
    expect(bad.rows.find((x) => x.cell_id !== ID)).toMatchObject({ status: "not-run" });
    const crash = await run(fake("echo 'AttributeError: torch' >&2; exit 1"));
    expect(crash.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/exited with code 1/) });
    expect(crash.recorded).toEqual([]);
  });
});
