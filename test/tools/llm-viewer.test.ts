/**
 * LLM-Viewer adapter: support decisions, the translation of one cell from suite values, parsing of every
 * recorded output (and that it gives the committed prediction), and ok / failed / not-run rows through
 * the shared runner with a fake python. LLM-Viewer itself is never run here.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import type { Cell } from "../../pipeline/lib/schema.ts";
import { availability, llmViewerAdapter, inputJson, metadata, modelParams, parseRaw, predict, supports } from "../../tools-under-test/llm-viewer/adapter.ts";

const RAW = "results/raw/llm-viewer";
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
  it("Llama-2-7B decode on H100: configs/Llama.py attributes from suite/models, roofline entry from suite/hardware", () => {
    expect(modelParams(suite.models.get("llama-2-7b")!)).toEqual({ hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 32, num_hidden_layers: 32, intermediate_size: 11008, vocab_size: 32000 });
    const spec = inputJson(cell(ID), suite) as any;
    const hw = suite.hardware.get("h100-sxm5-80gb")!;
    expect(spec.hardware.params.FP16).toBe(hw.peak_flops_per_s.bf16!.value);
    expect(spec.hardware.params.bandwidth).toBe(hw.mem_bandwidth_bytes_per_s.value);
    expect(spec).toMatchObject({ config_file: "configs/Llama.py", stage: "decode", batch: 1, seqlen: 2048, w_bit: 16, a_bit: 16, kv_bit: 16, use_flashattention: true });
  });
  it("GPT-2 (GELU MLP) and multi-device cells are not run, with the reason", () => {
    const g = [...suite.cells.values()].find((c) => c.id.startsWith("gpt-2.decode."))!;
    expect(supports(g, suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^no input generated: gpt-2 has a gelu MLP/) });
  });
});

describe("recorded outputs", () => {
  it("every recorded output re-parses to the committed prediction", () => {
    const rows = parseCsv(readFileSync("results/predictions.csv", "utf8"), { columns: true }) as Record<string, string>[];
    const ok = rows.filter((r) => r.tool === "llm-viewer" && r.status === "ok");
    expect(ok.length).toBeGreaterThanOrEqual(20);
    for (const r of ok) {
      const raw = readFileSync(join(RAW, `${r.cell_id}.txt`), "utf8");
      const p = predict(raw, cell(r.cell_id!));
      expect(p.unit).toBe("s");
      expect(p.value / Number(r.predicted), r.cell_id).toBeCloseTo(1, 4);
    }
    const failed = rows.filter((r) => r.tool === "llm-viewer" && r.status === "failed");
    expect(failed).toEqual([]);
  });
  it("rejects output without a positive latency", () => {
    expect(() => parseRaw("# x: y\nnot json\n")).toThrow(/no result JSON/);
    expect(() => parseRaw('{"stage": "decode", "total_results": {"decode": {"inference_time": 0}}}\n')).toThrow(/positive/);
  });
});

describe("availability and the runner with a fake LLM-Viewer", () => {
  it("unset: re-parse; set to a directory without LLM-Viewer: configured", () => {
    expect(availability({})).toMatchObject({ available: false, reason: "LLM_VIEWER_DIR is not set" });
    expect(availability({ LLM_VIEWER_DIR: "/nonexistent" })).toMatchObject({ available: false, configured: true });
    expect(metadata.runner.env).toContain("LLM_VIEWER_DIR");
  });
  const small = (): Suite => {
    const other = [...suite.cells.values()].find((c) => c.workload.kind === "gemm")!;
    return { ...suite, cells: new Map([ID, other.id].map((id) => [id, suite.cells.get(id)!])) };
  };
  const fake = (body: string) => {
    const dir = mkdtempSync(join(tmpdir(), "llm-viewer-fake-"));
    mkdirSync(join(dir, "configs"));
    writeFileSync(join(dir, "model_analyzer.py"), "");
    writeFileSync(join(dir, "configs", "Llama.py"), "");
    const py = join(dir, "python");
    writeFileSync(py, `#!/bin/sh\n${body}\n`);
    chmodSync(py, 0o755);
    return { LLM_VIEWER_DIR: dir, LLM_VIEWER_PYTHON: py };
  };
  const run = async (env: Record<string, string>) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv("DOCKER_TOOLS", "");
    vi.stubEnv("NO_CACHE", "1");
    const root = mkdtempSync(join(tmpdir(), "llm-viewer-run-"));
    const rawDir = join(root, "raw");
    const rows = await runTool(llmViewerAdapter, small(), { rawDir, journalDir: join(root, "journal"), workDir: join(root, "tools") });
    const recorded = existsSync(join(rawDir, "llm-viewer")) ? readdirSync(join(rawDir, "llm-viewer")).filter((f) => f.endsWith(".txt")) : [];
    return { rows, row: rows.find((r) => r.cell_id === ID)!, recorded };
  };
  it("ok: a fake printing LLM-Viewer's JSON; not-run: the operator cell", async () => {
    const r = await run(fake(`echo 'use config file configs/Llama.py'; echo '{"stage": "decode", "total_results": {"decode": {"inference_time": 0.0025}}, "layers": {}}'`));
    expect(r.row).toMatchObject({ status: "ok", predicted: 0.0025 });
    expect(r.recorded).toEqual([`${ID}.txt`]);
    expect(r.rows.find((x) => x.cell_id !== ID)).toMatchObject({ status: "not-run", reason: expect.stringMatching(/^no input generated: /) });
  });
  it("failed: unparseable output, and a crash", async () => {
    const bad = await run(fake("echo garbage"));
    expect(bad.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/no result JSON/) });
    const crash = await run(fake("echo 'ModuleNotFoundError: transformers' >&2; exit 1"));
    expect(crash.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/exited with code 1/) });
    expect(crash.recorded).toEqual([]);
  });
});
