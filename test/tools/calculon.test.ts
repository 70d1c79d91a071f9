/**
 * Calculon adapter: support decisions, the translation suite -> Calculon checked against Calculon's own
 * validation files (the inputs its authors wrote for the same 8 Megatron-LM points), the system file's
 * suite values, the FLOP count, parsing of every recorded output, and the failure paths through the
 * shared runner (a fake python in a temp dir). Calculon itself is never run here.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import type { Cell } from "../../pipeline/lib/schema.ts";
import {
  NOT_TRAINING_REASON,
  OPERATOR_REASON,
  TIME_TO_TRAIN_REASON,
  availability,
  calculonAdapter,
  executionJson,
  megatronIterationFlops,
  metadata,
  modelJson,
  parseRaw,
  predict,
  readTemplate,
  supports,
  systemJson,
} from "../../tools-under-test/calculon/adapter.ts";
import { MODELS, MODES, cellId } from "../../suite/ground-truth/published/megatron-seqsel/import.ts";

const DATA = "suite/ground-truth/published/megatron-seqsel/data";
const RAW = "results/raw/calculon";
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
const json = (f: string) => JSON.parse(readFileSync(f, "utf8")) as Record<string, unknown>;
const megatronIds = () => Object.keys(MODELS).flatMap((m) => Object.keys(MODES).map((mode) => ({ m, mode, id: [...suite.cells.keys()].find((k) => k.startsWith(`megatron-seqsel.${MODELS[m]}.${MODES[mode]!.part}.`))! })));

describe("support", () => {
  it("runs GPT iteration cells on A100/H100 and says why not for the rest", () => {
    for (const { id } of megatronIds()) expect(supports(cell(id), suite), id).toEqual({ ok: true });
    expect(supports(cell("mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512"), suite)).toEqual({ ok: true });
    expect(supports(cell("megatron-sc21.gpt-1t.train-iter.a100-sxm4-80gb.x3072"), suite)).toEqual({ ok: true });
    expect(supports(cell("mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x8"), suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/decoder transformers; resnet-50 is a cnn/) });
    expect(supports(cell("mlperf-tr40.gpt-3-175b.h100-sxm5-80gb.x512"), suite)).toEqual({ ok: false, reason: TIME_TO_TRAIN_REASON });
    const gemm = [...suite.cells.values()].find((c) => c.workload.kind === "gemm")!;
    expect(supports(gemm, suite)).toEqual({ ok: false, reason: OPERATOR_REASON });
    const supported = [...suite.cells.values()].filter((c) => supports(c, suite).ok);
    expect(supported).toHaveLength(10);
  });
});

describe("translation suite -> Calculon", () => {
  it("model.json equals Calculon's own model files for the 4 validation models", () => {
    for (const [file, id] of Object.entries(MODELS)) expect(modelJson(suite.models.get(id)!, 2048), id).toEqual(json(join(DATA, "models", `${file}.json`)));
  });

  it("execution.json of each of the 8 cells matches Calculon's validation file for that point, field by field", () => {
    const ids = megatronIds();
    expect(ids).toHaveLength(8);
    for (const { m, mode, id } of ids) {
      const c = cell(id);
      expect(id).toBe(cellId(m, mode, c.n_devices));
      const mine = executionJson(c, suite.hardware.get(c.hardware)!);
      const theirs = json(join(DATA, "validation/seqsel/tab5", `${m}_${mode}.json`));
      for (const k of Object.keys(theirs)) {
        // Calculon's files put unused axes (size 1) on tier 1; an axis of size 1 uses no network.
        if (k.endsWith("_par_net") && (theirs[k.replace("_net", "")] as number) === 1) continue;
        expect(mine[k], `${id}: ${k}`).toEqual(theirs[k]);
      }
      expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    }
  });

  it("places tp, dp and pp on tier 0 only when they fit in one node with the axes inside them", () => {
    const c = cell("mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512");
    const e = executionJson(c, suite.hardware.get(c.hardware)!);
    expect(e).toMatchObject({ tensor_par: 4, data_par: 16, pipeline_par: 8, tensor_par_net: 0, data_par_net: 1, pipeline_par_net: 1, microbatch_size: 2, pipeline_interleaving: 4, datatype: "float8", activation_recompute: "none" });
  });

  it("system.json takes every peak the suite has and keeps Calculon's efficiency curves", () => {
    const c = cell("mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512");
    const hw = suite.hardware.get(c.hardware)!;
    const t = readTemplate(c.hardware);
    const { system, from_suite } = systemJson(t, c, hw);
    expect(system.matrix.float8.tflops).toBeCloseTo(hw.peak_flops_per_s.fp8!.value / 1e12, 9);
    expect(system.matrix.float8.gflops_efficiency).toEqual(t.matrix.float8.gflops_efficiency);
    expect(system.mem1.GBps).toBeCloseTo(3350, 9);
    expect(system.mem1.GiB).toBeCloseTo(80e9 / 2 ** 30, 9);
    expect(system.networks[0].bandwidth).toBeCloseTo(450, 9);
    expect(system.networks[1].bandwidth).toBeCloseTo(hw.node.inter_node!.bandwidth_bytes_per_s.value / 1e9, 9); // the suite's 8 x 400 Gb/s NDR per node
    expect(system.networks[1].latency).toEqual(t.networks[1].latency); // the suite has no inter-node latency: Calculon's own
    expect(from_suite).toEqual(["matrix.float8.tflops", "mem1.GBps", "mem1.GiB", "networks[0].bandwidth", "networks[0].size", "networks[1].bandwidth"]);
    expect(t.matrix.float8.tflops).toBe(2000); // the template is not modified
  });

  it("counts an iteration's FLOPs as Megatron-LM's formula 96 B s l h^2 (1 + s/6h + V/16lh)", () => {
    const m = suite.models.get("megatron-gpt-1t")!;
    const [B, s, l, h, V] = [3072, 2048, 128, 25600, 51200];
    const paper = 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
    expect(megatronIterationFlops(m, B, s, true) / paper).toBeCloseTo(1, 12);
    expect(megatronIterationFlops(m, B, s, false)).toBeLessThan(megatronIterationFlops(m, B, s, true));
  });
});

describe("recorded outputs", () => {
  it("every supported cell has one, made from the inputs the adapter writes today, and parses", () => {
    const files = readdirSync(RAW).filter((f) => f.endsWith(".txt"));
    const supported = [...suite.cells.values()].filter((c) => supports(c, suite).ok);
    expect(files.sort()).toEqual(supported.map((c) => `${c.id}.txt`).sort());
    for (const c of supported) {
      const raw = readFileSync(join(RAW, `${c.id}.txt`), "utf8");
      const hw = suite.hardware.get(c.hardware)!;
      const { header } = (() => {
        try {
          return parseRaw(raw);
        } catch {
          return { header: Object.fromEntries(raw.split("\n").filter((l) => l.startsWith("# ")).map((l) => [l.slice(2, l.indexOf(":")), l.slice(l.indexOf(":") + 2)])) };
        }
      })();
      expect(JSON.parse(header["execution.json"]!), c.id).toEqual(executionJson(c, hw));
      expect(JSON.parse(header["system.json"]!), c.id).toEqual(systemJson(readTemplate(c.hardware), c, hw).system);
      if (c.id === "mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512") {
        expect(() => predict(raw, c, suite)).toThrow(/Calculon rejected the execution: Mem tier1 needs 188\.586 GiB/);
        continue;
      }
      const p = predict(raw, c, suite);
      expect(p.value, c.id).toBeGreaterThan(0);
    }
  });

  it("the 8 validation points reproduce Calculon's own 3.65% mean / 8.87% max within the suite's peak changes", () => {
    const errs = megatronIds().map(({ id }) => {
      const c = cell(id);
      const gt = readFileSync("suite/ground-truth/published/megatron-seqsel/ground-truth.csv", "utf8").split("\n").find((l) => l.startsWith(`${id}.tab5,`))!;
      const v = Number(gt.split(",")[2]);
      const p = predict(readFileSync(join(RAW, `${id}.txt`), "utf8"), c, suite).value;
      return Math.abs(p - v) / v;
    });
    const mean = errs.reduce((a, b) => a + b, 0) / errs.length;
    expect(mean).toBeGreaterThan(0.033);
    expect(mean).toBeLessThan(0.04);
    expect(Math.max(...errs)).toBeLessThan(0.095);
  });

  it("rejects output without stats", () => {
    expect(() => parseRaw("# calculon: x\nnot json\n")).toThrow(/no stats JSON/);
    expect(() => parseRaw('{"total_time": 0}')).toThrow(/total_time/);
  });
});

describe("availability and the runner with a fake Calculon", () => {
  it("unset: re-parse; set to a directory without Calculon: configured, so cells fail", () => {
    expect(availability({})).toMatchObject({ available: false, reason: "CALCULON_DIR is not set" });
    expect(availability({ CALCULON_DIR: "/nonexistent" })).toMatchObject({ available: false, configured: true });
    expect(metadata.runner.env).toEqual(["CALCULON_DIR", "CALCULON_PYTHON", "CALCULON_TIMEOUT_S"]);
  });

  const ID = "megatron-seqsel.megatron-gpt-22b.full-recompute.a100-sxm4-80gb.x8";
  const small = (): Suite => {
    const other = [...suite.cells.values()].find((c) => c.workload.kind === "gemm")!;
    return { ...suite, cells: new Map([ID, other.id].map((id) => [id, suite.cells.get(id)!])) };
  };
  const fake = (body: string) => {
    const dir = mkdtempSync(join(tmpdir(), "calculon-fake-"));
    mkdirSync(join(dir, "bin"));
    mkdirSync(join(dir, "calculon", "llm"), { recursive: true });
    writeFileSync(join(dir, "bin", "calculon"), "");
    writeFileSync(join(dir, "calculon", "llm", "llm.py"), "");
    const py = join(dir, "python");
    writeFileSync(py, `#!/bin/sh\n${body}\n`);
    chmodSync(py, 0o755);
    return { CALCULON_DIR: dir, CALCULON_PYTHON: py };
  };
  const run = async (env: Record<string, string>) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv("DOCKER_TOOLS", "");
    const root = mkdtempSync(join(tmpdir(), "calculon-run-"));
    const rawDir = join(root, "raw");
    const rows = await runTool(calculonAdapter, small(), { rawDir, journalDir: join(root, "journal"), workDir: join(root, "tools") });
    const recorded = existsSync(join(rawDir, "calculon")) ? readdirSync(join(rawDir, "calculon")).filter((f) => f.endsWith(".txt")) : [];
    return { row: rows.find((r) => r.cell_id === ID)!, recorded, rawDir };
  };

  it("a fake that writes stats gives an ok row and records inputs + stats", async () => {
    const r = await run(fake('for a; do last="$a"; done; echo \'{"total_time": 1.5}\' > "$last"'));
    expect(r.row).toMatchObject({ status: "ok", predicted: 1.5 });
    expect(r.recorded).toEqual([`${ID}.txt`]);
    expect(readFileSync(join(r.rawDir, "calculon", `${ID}.txt`), "utf8")).toMatch(/^# execution\.json: \{"num_procs":8,/m);
  });

  it("Calculon's own rejection (ERROR:, exit -1) is recorded and the cell fails with its message", async () => {
    const r = await run(fake('echo "ERROR: Mem tier1 needs 100 GiB but only has 74.506 GiB"; exit 255'));
    expect(r.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/rejected the execution: Mem tier1 needs 100 GiB/) });
    expect(r.recorded).toEqual([`${ID}.txt`]);
  });

  it("a crash without ERROR: fails and records nothing; so does a run that writes no stats", async () => {
    const crash = await run(fake('echo "Traceback: ModuleNotFoundError: No module named pandas" >&2; exit 1'));
    expect(crash.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/exited with code 1: .*pandas/) });
    expect(crash.recorded).toEqual([]);
    const silent = await run(fake("exit 0"));
    expect(silent.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/wrote no stats file/) });
    expect(silent.recorded).toEqual([]);
  });
});
