/**
 * Vidur adapter: support decisions, the simulation arguments of one cell, and parsing of the
 * recorded raw outputs (results/raw/vidur/, Vidur's batch_metrics.csv per cell, the fixtures).
 * Nothing here runs Vidur.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import type { Cell } from "../../pipeline/lib/schema.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import {
  vidurAdapter,
  availability,
  supports,
  prepareCell,
  parseBatchMetrics,
  selectBatch,
  NOT_INDEPENDENT_REASON,
  LFS_REASON,
} from "../../tools-under-test/vidur/adapter.ts";

const RAW = "results/raw/vidur";
let suite: Suite;
beforeAll(() => {
  suite = loadSuite(".", { groundTruth: false });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const cell = (id: string): Cell => {
  const c = suite.cells.get(id);
  if (!c) throw new Error(`cell ${id} is not in the suite`);
  return c;
};
const raw = (id: string) => readFileSync(join(RAW, `${id}.txt`), "utf8");
const ctx = () => ({ suite, workDir: mkdtempSync(join(tmpdir(), "vidur-")) });

const DECODE = "llama-2-7b.decode.c512.b8.cudagraph.h200-sxm-141gb.bf16";
const PREFILL = "llama-2-7b.prefill.s512.b1.h200-sxm-141gb.bf16";

describe("supports", () => {
  it("runs single-device Llama-2-7B prefill and decode-step cells on GPUs with a measured profile set", () => {
    for (const id of [DECODE, PREFILL, "llama-2-7b.decode.c2048.b64.h200-sxm-141gb.bf16", "llama-2-7b.prefill.s128.b1.h100-sxm5-80gb.bf16"])
      expect(supports(cell(id))).toEqual({ ok: true });
  });

  it("does not run cells whose ground truth is Vidur's own profiling data", () => {
    const own = [...suite.cells.values()].filter((c) => c.id.startsWith("vidur."));
    expect(own.length).toBeGreaterThan(0);
    for (const c of own) expect(supports(c)).toEqual({ ok: false, reason: NOT_INDEPENDENT_REASON });
  });

  it("gives the reason for A100 (LFS profiles), operator cells, other models and serving cells", () => {
    expect(supports(cell("llama-2-7b.decode.c512.b8.a100-sxm4-80gb.bf16"))).toEqual({ ok: false, reason: LFS_REASON("a100-sxm4-80gb") });
    const op = supports(cell("attn-decode.llama-2-7b.b1.c2048.h200-sxm-141gb.bf16"));
    expect(op.ok).toBe(false);
    expect(!op.ok && op.reason).toMatch(/workload kind 'attention-decode'/);
    const gpt = [...suite.cells.values()].find((c) => c.workload.kind === "decode-step" && c.workload.model === "gpt-2");
    expect(gpt && supports(gpt)).toEqual({ ok: false, reason: "Vidur has no model config for gpt-2" });
    const serving = [...suite.cells.values()].find((c) => c.workload.kind === "serving")!;
    const s = supports(serving);
    expect(!s.ok && s.reason).toMatch(/serving cells are not run/);
  });
});

describe("prepare", () => {
  it("maps a decode-step cell to B requests of C prompt tokens and 2 output tokens on the cell's profiles", () => {
    const c = ctx();
    const p = prepareCell(cell(DECODE), c.workDir);
    const arg = (flag: string) => p.args[p.args.indexOf(flag) + 1];
    expect(p.args.slice(0, 2)).toEqual(["-m", "vidur.main"]);
    expect(arg("--synthetic_request_generator_config_num_requests")).toBe("8");
    expect(arg("--fixed_request_length_generator_config_prefill_tokens")).toBe("512");
    expect(arg("--fixed_request_length_generator_config_decode_tokens")).toBe("2");
    expect(arg("--fixed_request_length_generator_config_max_tokens")).toBe("514");
    expect(arg("--interval_generator_config_type")).toBe("static");
    expect(arg("--replica_scheduler_config_type")).toBe("vllm");
    expect(arg("--replica_config_device")).toBe("h100");
    expect(arg("--replica_config_memory_margin_fraction")).toBe("0");
    const mlp = arg("--random_forrest_execution_time_predictor_config_compute_input_file")!;
    expect(mlp).toMatch(/suite\/ground-truth\/measured\/h200-sxm-141gb\/2026-11-26\/vidur\/mlp\.csv$/);
    expect(existsSync(mlp)).toBe(true);
    expect(p.args).toContain("--metrics_config_keep_individual_batch_metrics");
    expect(p.header.some((l) => /attention\.csv sha256 [0-9a-f]{64}$/.test(l))).toBe(true);
    // a prefill cell: one request, S prompt tokens, one output token
    const q = prepareCell(cell(PREFILL), c.workDir);
    expect(q.args[q.args.indexOf("--fixed_request_length_generator_config_prefill_tokens") + 1]).toBe("512");
    expect(q.args[q.args.indexOf("--fixed_request_length_generator_config_decode_tokens") + 1]).toBe("1");
    expect(q.args[q.args.indexOf("--synthetic_request_generator_config_num_requests") + 1]).toBe("1");
  });
});

describe("parse", () => {
  it("reads the decode batch of all B requests (hand-checked: batch 1 of the b8 c512 run, 0.005423266983158426 s)", () => {
    const rows = parseBatchMetrics(raw(DECODE));
    expect(rows.map((r) => [r.size, r.num_prefill_tokens, r.num_decode_tokens])).toEqual([
      [8, 4096, 0],
      [8, 0, 8],
    ]);
    expect(vidurAdapter.parse(raw(DECODE), cell(DECODE), ctx())).toEqual({ value: 0.005423266983158426, unit: "s" });
  });

  it("reads the single prefill batch of a prefill cell", () => {
    const p = vidurAdapter.parse(raw(PREFILL), cell(PREFILL), ctx());
    expect(p.unit).toBe("s");
    expect(p.value).toBe(parseBatchMetrics(raw(PREFILL))[0]!.execution_time_s);
    expect(parseBatchMetrics(raw(PREFILL))).toHaveLength(1);
  });

  it("refuses output that does not contain exactly the cell's batch, or lacks columns", () => {
    expect(() => selectBatch(parseBatchMetrics(raw(DECODE)), cell("llama-2-7b.decode.c512.b32.h200-sxm-141gb.bf16"))).toThrow(/exactly one Vidur batch/);
    expect(() => parseBatchMetrics("Batch Id,batch_size\n0,1\n")).toThrow(/lacks column/);
  });

  it("every recorded output parses for its cell", () => {
    const files = readdirSync(RAW).filter((f) => f.endsWith(".txt"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const c = cell(f.slice(0, -4));
      expect(supports(c).ok).toBe(true);
      expect(vidurAdapter.parse(raw(c.id), c, ctx()).value).toBeGreaterThan(0);
    }
  });
});

describe("availability and the runner", () => {
  it("needs VIDUR_DIR with vidur/main.py and a Python", () => {
    expect(availability({}).available).toBe(false);
    const d = mkdtempSync(join(tmpdir(), "vidur-dir-"));
    expect(availability({ VIDUR_DIR: d }).reason).toMatch(/no vidur\/main\.py/);
    mkdirSync(join(d, "vidur"));
    writeFileSync(join(d, "vidur", "main.py"), "");
    expect(availability({ VIDUR_DIR: d, VIDUR_PYTHON: join(d, "nope") }).reason).toMatch(/is not a file/);
    expect(availability({ VIDUR_DIR: d, VIDUR_PYTHON: process.execPath }).available).toBe(true);
  });

  it("the runner re-parses the recorded outputs into predictions when Vidur is absent", async () => {
    vi.stubEnv("VIDUR_DIR", "");
    const root = mkdtempSync(join(tmpdir(), "vidur-run-"));
    const rows = await runTool(vidurAdapter, suite, { rawDir: "results/raw", journalDir: join(root, "journal"), workDir: join(root, "tools") });
    const ok = rows.filter((r) => r.status === "ok");
    expect(ok.length).toBe(readdirSync(RAW).filter((f) => f.endsWith(".txt")).length);
    expect(ok.every((r) => r.reason === "re-parsed recorded output")).toBe(true);
    expect(rows.find((r) => r.cell_id === DECODE)!.predicted).toBe(0.005423266983158426);
  });
});
