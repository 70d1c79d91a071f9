/**
 * GenZ adapter: support decisions, the translation of one cell from suite values, parsing of every
 * recorded output (and that it gives the committed prediction), and ok / failed / not-run rows through
 * the shared runner with a fake python. GenZ itself is never run here.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import type { Cell } from "../../pipeline/lib/schema.ts";
import { availability, genzAdapter, inputJson, metadata, parseRaw, predict, supports } from "../../tools-under-test/genz/adapter.ts";

const RAW = "results/raw/genz";
const ID = "llama-2-7b.decode.c2048.b1.cudagraph.h100-sxm5-80gb.bf16";
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

describe("support", () => {
  it("runs decoder prefill/decode steps; says cannot express / no input generated for the rest", () => {
    expect(supports(cell(ID), suite)).toEqual({ ok: true });
    const byKind = (k: string) => [...suite.cells.values()].find((c) => c.workload.kind === k)!;
    expect(supports(byKind("gemm"), suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^no input generated: /) });
    expect(supports(byKind("conv2d"), suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^cannot express: /) });
    expect(supports(byKind("training"), suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^cannot express: /) });
    for (const c of suite.cells.values()) {
      const s = supports(c, suite);
      if (!s.ok) expect(s.reason, c.id).toMatch(/^(cannot express|no input generated): /);
    }
  });
});

describe("translation from suite values", () => {
  it("Llama-2-7B decode on H100: model shape from suite/models, peaks from suite/hardware in GenZ's units", () => {
    const spec = inputJson(cell(ID), suite) as any;
    expect(spec.model).toMatchObject({ hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 32, num_ffi: 2, intermediate_size: 11008, num_decoder_layers: 32, vocab_size: 32000 });
    const hw = suite.hardware.get("h100-sxm5-80gb")!;
    expect(spec.system.Flops).toBeCloseTo(hw.peak_flops_per_s.bf16!.value / 1e12, 6);
    expect(spec.system.Memory_BW * 2 ** 30).toBeCloseTo(hw.mem_bandwidth_bytes_per_s.value, 0);
    expect(spec).toMatchObject({ phase: "decode", batch: 1, tokens: 2048, tp: 1, bits: "bf16" });
  });
});

describe("recorded outputs", () => {
  it("every recorded output re-parses to the committed prediction", () => {
    const rows = parseCsv(readFileSync("results/predictions.csv", "utf8"), { columns: true }) as Record<string, string>[];
    const ok = rows.filter((r) => r.tool === "genz" && r.status === "ok");
    expect(ok.length).toBeGreaterThanOrEqual(20);
    for (const r of ok) {
      const raw = readFileSync(join(RAW, `${r.cell_id}.txt`), "utf8");
      const p = predict(raw, cell(r.cell_id!));
      expect(p.unit).toBe("s");
      expect(p.value / Number(r.predicted), r.cell_id).toBeCloseTo(1, 4);
    }
    const failed = rows.filter((r) => r.tool === "genz" && r.status === "failed");
    for (const r of failed) expect(() => parseRaw(readFileSync(join(RAW, `${r.cell_id}.txt`), "utf8"))).toThrow(/GenZ rejected the cell: All params would not fit/);
  });
  it("rejects output without a positive latency", () => {
    expect(() => parseRaw("# x: y\nnot json\n")).toThrow(/no result JSON/);
    expect(() => parseRaw('{"latency_ms": 0}\n')).toThrow(/positive/);
  });
});

describe("availability and the runner with a fake GenZ", () => {
  it("unset: re-parse; set to a directory without GenZ: configured", () => {
    expect(availability({})).toMatchObject({ available: false, reason: "GENZ_DIR is not set" });
    expect(availability({ GENZ_DIR: "/nonexistent" })).toMatchObject({ available: false, configured: true });
    expect(metadata.runner.env).toContain("GENZ_DIR");
  });
  const small = (): Suite => {
    const other = [...suite.cells.values()].find((c) => c.workload.kind === "gemm")!;
    return { ...suite, cells: new Map([ID, other.id].map((id) => [id, suite.cells.get(id)!])) };
  };
  const fake = (body: string) => {
    const dir = mkdtempSync(join(tmpdir(), "genz-fake-"));
    mkdirSync(join(dir, "GenZ", "LLM_inference"), { recursive: true });
    mkdirSync(join(dir, "Systems"));
    writeFileSync(join(dir, "GenZ", "LLM_inference", "llm_prefill.py"), "");
    writeFileSync(join(dir, "Systems", "system_configs.py"), "");
    const py = join(dir, "python");
    writeFileSync(py, `#!/bin/sh\n${body}\n`);
    chmodSync(py, 0o755);
    return { GENZ_DIR: dir, GENZ_PYTHON: py };
  };
  const run = async (env: Record<string, string>) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv("DOCKER_TOOLS", "");
    vi.stubEnv("NO_CACHE", "1");
    const root = mkdtempSync(join(tmpdir(), "genz-run-"));
    const rawDir = join(root, "raw");
    const rows = await runTool(genzAdapter, small(), { rawDir, journalDir: join(root, "journal"), workDir: join(root, "tools") });
    const recorded = existsSync(join(rawDir, "genz")) ? readdirSync(join(rawDir, "genz")).filter((f) => f.endsWith(".txt")) : [];
    return { rows, row: rows.find((r) => r.cell_id === ID)!, recorded };
  };
  it("ok: a fake printing GenZ's JSON; not-run: the operator cell", async () => {
    const r = await run(fake(`echo '{"latency_ms": 2.5, "summary": {}, "ops": []}'`));
    expect(r.row).toMatchObject({ status: "ok", predicted: 0.0025 });
    expect(r.recorded).toEqual([`${ID}.txt`]);
    expect(r.rows.find((x) => x.cell_id !== ID)).toMatchObject({ status: "not-run", reason: expect.stringMatching(/^no input generated: /) });
  });
  it("failed: unparseable output, and a crash", async () => {
    const bad = await run(fake("echo garbage"));
    expect(bad.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/no result JSON/) });
    const crash = await run(fake("echo 'ModuleNotFoundError: IPython' >&2; exit 1"));
    expect(crash.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/exited with code 1/) });
    expect(crash.recorded).toEqual([]);
  });
});
