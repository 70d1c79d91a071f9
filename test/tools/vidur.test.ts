/**
 * Vidur adapter: support decisions, the simulation arguments of cells against golden files, the
 * launcher of adapter-registered models, parsing of the recorded raw outputs (results/raw/vidur/:
 * batch_metrics.csv and request_metrics.csv per cell), the serving cells and their derived check,
 * and the runner's behaviour with this adapter when Vidur is missing, fails, hangs or writes
 * garbage (a fake `python` in a temp dir). Vidur itself is never run here.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { parse as parseCsv } from "csv-parse/sync";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { Cell, type Cell as CellT } from "../../pipeline/lib/schema.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import { dockerArgs } from "../../pipeline/lib/exec.ts";
import {
  vidurAdapter,
  metadata,
  availability,
  supports,
  prepareCell,
  simulationArgs,
  launcherCode,
  parseBatchMetrics,
  parseRequestMetrics,
  servingSummary,
  servingValue,
  selectBatch,
  splitSections,
  percentile,
  schedulerFor,
  NOT_INDEPENDENT_REASON,
  LFS_REASON,
  MLPERF_REASON,
  SCENARIO_REASON,
  CPU,
} from "../../tools-under-test/vidur/adapter.ts";
import { servingCells, checkRows, CELL_FILE, CHECK_FILE, CHECK_COLUMNS } from "../../tools-under-test/vidur/serving-cells.ts";

const RAW = "results/raw/vidur";
const GOLDEN = "test/tools/fixtures/vidur";
let suite: Suite;
beforeAll(() => {
  suite = loadSuite(".", { groundTruth: false });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const cell = (id: string): CellT => {
  const c = suite.cells.get(id);
  if (!c) throw new Error(`cell ${id} is not in the suite`);
  return c;
};
const raw = (id: string) => readFileSync(join(RAW, `${id}.txt`), "utf8");
const mkTmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const ctx = () => ({ suite, workDir: mkTmp("vidur-") });

const DECODE = "llama-2-7b.decode.c512.b8.cudagraph.h200-sxm-141gb.bf16";
const PREFILL = "llama-2-7b.prefill.s512.b1.h200-sxm-141gb.bf16";
const CPU_DECODE = `llama-2-7b-2layer.decode.c512.b8.${CPU}.fp32`;
const CPU_PREFILL = `llama-2-7b-2layer.prefill.s128.b1.${CPU}.fp32`;
const SERVE = "static-mix.llama-2-7b.r1.in512.out16.h100-sxm5-80gb.bf16";
const CPU_SERVE = `static-mix.llama-2-7b-2layer.r8.in512.out16.${CPU}.fp32`;
const POISSON = "poisson-mix.llama-2-7b.r64.in512.out128.qps8.h100-sxm5-80gb.bf16";
const SARATHI = "static-mix.llama-2-7b.r32.in512.out64.sarathi-serve.h200-sxm-141gb.bf16";

describe("supports", () => {
  it("runs single-device Llama prefill and decode-step cells on the devices with a measured profile set (H100, H200, CPU)", () => {
    for (const id of [DECODE, PREFILL, CPU_DECODE, CPU_PREFILL, "llama-2-7b.decode.c2048.b64.h200-sxm-141gb.bf16", `llama-2-7b-2layer.decode.c2048.b1.${CPU}.fp32`])
      expect(supports(cell(id), suite), id).toEqual({ ok: true });
  });

  it("runs the fixed-request-mix serving cells, every metric", () => {
    for (const tag of ["ttft-p50", "tpot-p50", "throughput"]) {
      expect(supports(cell(`${SERVE}.${tag}`), suite)).toEqual({ ok: true });
      expect(supports(cell(`${CPU_SERVE}.${tag}`), suite)).toEqual({ ok: true });
      expect(supports(cell(`${SARATHI}.${tag}`), suite)).toEqual({ ok: true });
    }
    for (const tag of ["ttft-p50", "ttft-p99", "tpot-p50", "tpot-p99", "throughput"]) expect(supports(cell(`${POISSON}.${tag}`), suite)).toEqual({ ok: true });
  });

  it("does not run cells whose ground truth is Vidur's own profiling data", () => {
    const own = [...suite.cells.values()].filter((c) => c.id.startsWith("vidur."));
    expect(own.length).toBeGreaterThan(0);
    for (const c of own) expect(supports(c, suite)).toEqual({ ok: false, reason: NOT_INDEPENDENT_REASON });
  });

  it("gives the reason for A100 (LFS profiles), operator cells, other models and the MLPerf serving cells", () => {
    expect(supports(cell("llama-2-7b.decode.c512.b8.a100-sxm4-80gb.bf16"), suite)).toEqual({ ok: false, reason: LFS_REASON("a100-sxm4-80gb") });
    const op = supports(cell("attn-decode.llama-2-7b.b1.c2048.h200-sxm-141gb.bf16"), suite);
    expect(!op.ok && op.reason).toMatch(/workload kind 'attention-decode'/);
    const gpt = [...suite.cells.values()].find((c) => c.workload.kind === "decode-step" && c.workload.model === "gpt-2");
    expect(gpt && supports(gpt, suite)).toEqual({ ok: false, reason: "no input generated: Vidur has no model config for gpt-2" });
    const mlperf = [...suite.cells.values()].filter((c) => c.id.startsWith("mlperf-inf41.llama-2-70b."));
    expect(mlperf.map((c) => c.workload.kind === "serving" && c.workload.scenario).sort()).toEqual(expect.arrayContaining(["offline", "server"]));
    expect(mlperf.some((c) => c.hardware === "h100-sxm5-80gb" && c.n_devices === 8)).toBe(true);
    for (const c of mlperf) expect(supports(c, suite), c.id).toEqual({ ok: false, reason: MLPERF_REASON });
    const gptj = [...suite.cells.values()].find((c) => c.workload.kind === "serving" && c.workload.model === "gpt-j-6b")!;
    expect(supports(gptj, suite)).toEqual({ ok: false, reason: "no input generated: Vidur has no model config for gpt-j-6b" });
    // A model that is not a decoder is beyond what Vidur can express, not a config we failed to write.
    const bert = [...suite.cells.values()].find((c) => c.workload.kind === "serving" && c.workload.model === "bert-large")!;
    expect(supports(bert, suite)).toEqual({ ok: false, reason: "cannot express: Vidur simulates decoder-only LLMs; bert-large is an encoder model" });
    const fixed = cell(`${SERVE}.ttft-p50`);
    expect(supports(Cell.parse({ ...fixed, workload: { ...fixed.workload, num_requests: undefined } }), suite)).toEqual({ ok: false, reason: SCENARIO_REASON });
  });
});

describe("prepare: arguments against golden files", () => {
  // Golden files hold one argument per line, with the repository as <root> and the work dir as <work>.
  const golden = (id: string): string[] => readFileSync(join(GOLDEN, "args", `${id}.txt`), "utf8").trimEnd().split("\n");
  const argsOf = (id: string) => simulationArgs(cell(id), "<work>/out/" + id, "<work>/cache", "<root>");
  /** The -c program spans lines: golden files name it <launcher> (its text is checked on its own). */
  const lines = (a: string[]) => a.map((x, i) => (a[i - 1] === "-c" ? "<launcher>" : x));

  for (const id of [DECODE, PREFILL, CPU_DECODE, `${SERVE}.tpot-p50`, `${CPU_SERVE}.throughput`, `${POISSON}.ttft-p99`, `${SARATHI}.tpot-p50`])
    it(`${id}`, () => {
      expect(lines(argsOf(id))).toEqual(golden(id));
    });

  it("maps request shapes and profile sets as documented (spot checks)", () => {
    const arg = (a: string[], flag: string) => a[a.indexOf(flag) + 1];
    const d = argsOf(DECODE);
    expect([arg(d, "--synthetic_request_generator_config_num_requests"), arg(d, "--fixed_request_length_generator_config_prefill_tokens"), arg(d, "--fixed_request_length_generator_config_decode_tokens")]).toEqual(["8", "512", "2"]);
    expect(arg(d, "--replica_config_device")).toBe("h100"); // H200 declared as an h100 SKU
    const c = argsOf(CPU_PREFILL);
    expect(c.slice(0, 2)).toEqual(["-c", launcherCode("llama-2-7b-2layer")]);
    expect(arg(c, "--replica_config_device")).toBe("a40");
    expect(arg(c, "--random_forrest_execution_time_predictor_config_compute_input_file")).toBe(`<root>/suite/ground-truth/measured/${CPU}/2026-11-26/vidur/mlp.csv`);
    const s = argsOf(`${SERVE}.ttft-p50`);
    expect([arg(s, "--synthetic_request_generator_config_num_requests"), arg(s, "--fixed_request_length_generator_config_decode_tokens"), arg(s, "--interval_generator_config_type")]).toEqual(["1", "16", "static"]);
    const q = argsOf(`${POISSON}.throughput`);
    expect([arg(q, "--interval_generator_config_type"), arg(q, "--poisson_request_interval_generator_config_qps"), arg(q, "--synthetic_request_generator_config_num_requests")]).toEqual(["poisson", "8", "64"]);
    expect(arg(argsOf(`${SARATHI}.ttft-p50`), "--replica_scheduler_config_type")).toBe("sarathi");
  });

  it("the launcher registers the 2-layer model as a subclass of Vidur's Llama-2-7B config and runs vidur.main", () => {
    expect(launcherCode("llama-2-7b-2layer")).toBe(readFileSync(join(GOLDEN, "launcher-llama-2-7b-2layer.py"), "utf8").trimEnd());
    expect(() => launcherCode("meta-llama/Llama-2-7b-hf")).toThrow(/no adapter-registered/);
  });

  it("picks the scheduler from the cell's engine (vllm by default)", () => {
    const base = cell(`${SERVE}.ttft-p50`);
    expect(schedulerFor(base)).toBe("vllm");
    expect(schedulerFor(Cell.parse({ ...base, engine: "sarathi-serve" }))).toBe("sarathi");
    expect(schedulerFor(Cell.parse({ ...base, engine: "orca" }))).toBe("orca");
    expect(schedulerFor(Cell.parse({ ...base, engine: "pytorch-eager" }))).toBe("vllm");
  });

  it("the raw-output header names the profile set with sha256 and hides machine paths", () => {
    const c = ctx();
    const p = prepareCell(cell(CPU_DECODE), c.workDir);
    expect(p.header.some((l) => l.startsWith("# profile set: project-measured Vidur-format profiles, 2-core CPU host"))).toBe(true);
    expect(p.header.filter((l) => /^# profiles: suite\/ground-truth\/measured\/cpu-.*\.csv sha256 [0-9a-f]{64}$/.test(l))).toHaveLength(2);
    const args = p.header.find((l) => l.startsWith("# args: "))!;
    expect(args).toContain("-c <launcher> --replica_config_model_name llama-2-7b-2layer");
    expect(args).toContain("--metrics_config_output_dir <output_dir>");
    expect(args).not.toContain(c.workDir);
    expect(args).not.toContain(process.cwd());
  });
});

describe("parse: recorded outputs", () => {
  it("reads the decode batch of all B requests (hand-checked: batch 1 of the b8 c512 run, 0.005423266983158426 s)", () => {
    const rows = parseBatchMetrics(raw(DECODE));
    expect(rows.map((r) => [r.size, r.num_prefill_tokens, r.num_decode_tokens])).toEqual([
      [8, 4096, 0],
      [8, 0, 8],
    ]);
    expect(vidurAdapter.parse(raw(DECODE), cell(DECODE), ctx())).toEqual({ value: 0.005423266983158426, unit: "s" });
  });

  it("reads a CPU decode step from a sectioned output (hand-checked: 0.2570523258076065 s)", () => {
    expect([...splitSections(raw(CPU_DECODE)).keys()]).toEqual(["batch_metrics.csv", "request_metrics.csv"]);
    expect(vidurAdapter.parse(raw(CPU_DECODE), cell(CPU_DECODE), ctx())).toEqual({ value: 0.2570523258076065, unit: "s" });
  });

  it("an output recorded before sections existed is all batch_metrics.csv", () => {
    const s = splitSections(raw(PREFILL));
    expect([...s.keys()]).toEqual(["batch_metrics.csv"]);
    expect(parseBatchMetrics(raw(PREFILL))).toHaveLength(1);
  });

  it("refuses output that does not contain exactly the cell's batch, or lacks columns", () => {
    expect(() => selectBatch(parseBatchMetrics(raw(DECODE)), cell("llama-2-7b.decode.c512.b32.h200-sxm-141gb.bf16"))).toThrow(/exactly one Vidur batch/);
    expect(() => parseBatchMetrics("Batch Id,batch_size\n0,1\n")).toThrow(/lacks column/);
    expect(() => parseRequestMetrics(raw(PREFILL))).toThrow(/no request_metrics\.csv section/);
  });

  it("every recorded output parses for its cell", () => {
    const files = readdirSync(RAW).filter((f) => f.endsWith(".txt"));
    expect(files.length).toBeGreaterThanOrEqual(80);
    for (const f of files) {
      const c = cell(f.slice(0, -4));
      expect(supports(c, suite).ok, c.id).toBe(true);
      expect(vidurAdapter.parse(raw(c.id), c, ctx()).value, c.id).toBeGreaterThan(0);
    }
  });
});

describe("parse: request metrics of the serving cells", () => {
  it("TTFT = prefill_e2e_time; TPOT undoes Vidur's division by all N output tokens; throughput = tokens / makespan", () => {
    const id = `${CPU_SERVE}.tpot-p50`;
    const rows = parseRequestMetrics(raw(id));
    expect(rows).toHaveLength(8);
    const r0 = rows[0]!;
    // Vidur: decode_time_execution_plus_preemption_normalized = (completed - prefill_completed) / N
    expect(r0.decode_normalized_s).toBeCloseTo((r0.e2e_s - r0.ttft_s) / 16, 12);
    expect(r0.tpot_s).toBeCloseTo((r0.e2e_s - r0.ttft_s) / 15, 12);
    const s = servingSummary(rows);
    expect(servingValue(raw(id), cell(id))).toEqual({ value: s.tpot_p50_s, unit: "s" });
    const t = `${CPU_SERVE}.throughput`;
    expect(servingValue(raw(t), cell(t)).value).toBeCloseTo((8 * 16) / Math.max(...rows.map((r) => r.e2e_s)), 9);
    const f = `${CPU_SERVE}.ttft-p50`;
    expect(servingValue(raw(f), cell(f))).toEqual({ value: rows[0]!.ttft_s, unit: "s" });
    // with all 8 prefills in one batch, TTFT is that batch's time
    expect(rows[0]!.ttft_s).toBe(parseBatchMetrics(raw(f))[0]!.execution_time_s);
  });

  it("Poisson arrivals: the makespan runs from the first arrival to the last completion (arrivals = summed inter-arrival delays)", () => {
    const id = `${POISSON}.throughput`;
    const rows = parseRequestMetrics(raw(id));
    expect(rows).toHaveLength(64);
    expect(rows.filter((r) => r.inter_arrival_s > 0).length).toBeGreaterThan(50);
    // independent recomputation from the CSV columns
    const recs = parseCsv(splitSections(raw(id)).get("request_metrics.csv")!, { columns: true }) as Record<string, string>[];
    let t = 0;
    const end = recs.map((r) => (t += r.request_inter_arrival_delay === "" ? 0 : Number(r.request_inter_arrival_delay)) + Number(r.request_e2e_time));
    expect(servingValue(raw(id), cell(id)).value).toBeCloseTo((64 * 128) / Math.max(...end), 9);
    expect(Math.max(...end)).toBeGreaterThan(Math.max(...rows.map((r) => r.e2e_s)));
    // read as a static mix, the same output is refused
    expect(() => servingSummary(rows, "static")).toThrow(/did not all arrive at t = 0/);
    const p99 = `${POISSON}.ttft-p99`;
    expect(servingValue(raw(p99), cell(p99)).value).toBe(percentile(parseRequestMetrics(raw(p99)).map((r) => r.ttft_s), 99));
  });

  it("e2e percentiles interpolate linearly (numpy's default)", () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 90)).toBeCloseTo(4.6, 12);
    expect(percentile([7], 99)).toBe(7);
  });

  it("refuses a mix that is not the cell's, or requests that did not all arrive at t = 0", () => {
    const id = `${CPU_SERVE}.tpot-p50`;
    const other = cell(`static-mix.llama-2-7b-2layer.r1.in512.out16.${CPU}.fp32.tpot-p50`);
    expect(() => servingValue(raw(id), other)).toThrow(/expected 1 requests in request_metrics\.csv, found 8/);
    const late = raw(id).replace(/,0\.0,514,512,2,256\.0,0|,0\.0,(\d+),512,16,/, (m) => m.replace(",0.0,", ",0.5,"));
    expect(late).not.toBe(raw(id));
    expect(() => servingValue(late, cell(id))).toThrow(/did not all arrive at t = 0/);
  });
});

describe("serving cells and their derived check", () => {
  it("the cell file is what serving-cells.ts generates", () => {
    const file = parseYaml(readFileSync(CELL_FILE, "utf8")) as { cells: unknown[] };
    expect(file.cells).toEqual(JSON.parse(JSON.stringify(servingCells())));
    for (const c of servingCells()) expect(Cell.safeParse(c).success, c.id).toBe(true);
  });

  it("the check file is up to date with results/predictions.csv and the measured sets; not-derivable rows are 'not comparable'", () => {
    const full = loadSuite(".");
    const preds = parseCsv(readFileSync("results/predictions.csv", "utf8"), { columns: true }) as { tool: string; cell_id: string; predicted: string; status: string }[];
    const rows = checkRows(preds, full.groundTruth);
    const file = parseCsv(readFileSync(CHECK_FILE, "utf8"), { columns: true }) as Record<string, string>[];
    expect(Object.keys(file[0]!)).toEqual([...CHECK_COLUMNS]);
    expect(file).toEqual(rows);
    const nc = rows.filter((r) => r.comparison === "not comparable");
    expect(nc.length).toBeGreaterThan(0);
    expect(nc.every((r) => r.derived === "" && r.abs_pct_error === "")).toBe(true);
    // a lone request's TTFT is derived from the measured CUDA-graph prefill of the same length
    const ttft = rows.find((r) => r.cell_id === `${SERVE}.ttft-p50`)!;
    expect(ttft.comparison).toBe("derived from measured components");
    expect(ttft.derived_from).toBe("measured.h100-sxm5-80gb.2026-11-26.llama-2-7b.prefill.s512.b1.cudagraph");
  });
});

describe("availability", () => {
  it("needs VIDUR_DIR with vidur/main.py and a Python; set but broken counts as configured", () => {
    expect(availability({})).toEqual({ available: false, reason: "VIDUR_DIR is not set" });
    const d = mkTmp("vidur-dir-");
    expect(availability({ VIDUR_DIR: d })).toMatchObject({ available: false, configured: true, reason: expect.stringMatching(/no vidur\/main\.py/) });
    mkdirSync(join(d, "vidur"));
    writeFileSync(join(d, "vidur", "main.py"), "");
    expect(availability({ VIDUR_DIR: d, VIDUR_PYTHON: join(d, "nope") })).toMatchObject({ available: false, configured: true, reason: expect.stringMatching(/is not a file/) });
    expect(availability({ VIDUR_DIR: d, VIDUR_PYTHON: process.execPath }).available).toBe(true);
  });

  it("Docker: needs an image and a docker client; the program is 'python' in the image", () => {
    expect(availability({ DOCKER_TOOLS: "vidur", PATH: mkTmp("empty-path-") })).toMatchObject({ available: false, configured: true, reason: expect.stringMatching(/no docker executable/) });
    const p = prepareCell(cell(CPU_PREFILL), mkTmp("vidur-"));
    const a = dockerArgs(metadata, { program: "python", args: p.args, cwd: p.outDir, readOnly: p.inputs, writable: [p.outDir, p.cacheDir], timeout_s: 60 }, { VIDUR_DOCKER_IMAGE: "my/vidur:1" });
    expect(a.slice(0, 4)).toEqual(["run", "--rm", "--network", "none"]);
    const i = a.indexOf("my/vidur:1");
    expect(a[i + 1]).toBe("python");
    expect(a.slice(i + 2)).toEqual(p.args);
    for (const f of p.inputs) expect(a).toContain(`${f}:${f}:ro`);
    expect(a).toContain(`${p.outDir}:${p.outDir}`);
  });
});

describe("the runner with a broken Vidur (fake python)", () => {
  const IDS = [CPU_PREFILL, CPU_DECODE, `${CPU_SERVE}.ttft-p50`];
  const small = (): Suite => {
    const other = [...suite.cells.values()].find((c) => c.workload.kind === "gemm")!;
    return { ...suite, cells: new Map([...IDS, other.id].map((id) => [id, suite.cells.get(id)!])) };
  };
  /** A fake VIDUR_DIR (with vidur/main.py) and a fake python: a shell script. */
  const fake = (body: string) => {
    const dir = mkTmp("vidur-fake-");
    mkdirSync(join(dir, "vidur"));
    writeFileSync(join(dir, "vidur", "main.py"), "");
    const py = join(dir, "python");
    writeFileSync(py, `#!/bin/sh\n${body}\n`);
    chmodSync(py, 0o755);
    return { VIDUR_DIR: dir, VIDUR_PYTHON: py };
  };
  /** Writes the recorded CSVs of the real CPU decode run under <output_dir>/<timestamp>/ (one prefill + one decode batch of 8). */
  const GOOD_FROM = (id: string) => {
    const s = splitSections(raw(id));
    const dir = mkTmp("vidur-canned-");
    writeFileSync(join(dir, "batch_metrics.csv"), s.get("batch_metrics.csv")!);
    writeFileSync(join(dir, "request_metrics.csv"), s.get("request_metrics.csv")!);
    return [
      'while [ $# -gt 0 ]; do [ "$1" = "--metrics_config_output_dir" ] && out="$2"; shift; done',
      'mkdir -p "$out/2026-01-01_00-00-00"',
      `cp ${dir}/*.csv "$out/2026-01-01_00-00-00/"`,
    ].join("\n");
  };
  const run = async (env: Record<string, string>) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv("DOCKER_TOOLS", "");
    const root = mkTmp("vidur-run-");
    const rawDir = join(root, "raw");
    const rows = await runTool(vidurAdapter, small(), { rawDir, journalDir: join(root, "journal"), workDir: join(root, "tools") });
    const by = new Map(rows.map((r) => [r.cell_id, r]));
    const recorded = existsSync(join(rawDir, "vidur")) ? readdirSync(join(rawDir, "vidur")).sort() : [];
    return { by, recorded, unsupported: rows.find((r) => !IDS.includes(r.cell_id))! };
  };
  const expectFailedAll = (r: Awaited<ReturnType<typeof run>>, reason: RegExp) => {
    for (const id of IDS) expect(r.by.get(id), id).toMatchObject({ status: "failed", predicted: undefined, reason: expect.stringMatching(reason) });
    expect(r.unsupported.status).toBe("not-run");
    expect(r.recorded.filter((f) => f.endsWith(".txt"))).toEqual([]);
  };

  it("a fake that writes Vidur's files gives ok rows and records them", async () => {
    const r = await run(fake(GOOD_FROM(CPU_DECODE)));
    expect(r.by.get(CPU_DECODE)).toMatchObject({ status: "ok", predicted: 0.2570523258076065 });
    // the same files hold no batch of the prefill cell's shape: that cell fails, naming what it found
    expect(r.by.get(CPU_PREFILL)).toMatchObject({ status: "failed", reason: expect.stringMatching(/found 0 among 2 \(sizes 8:4096p\+0d, 8:0p\+8d\)/) });
    expect(r.by.get(`${CPU_SERVE}.ttft-p50`)).toMatchObject({ status: "failed", reason: expect.stringMatching(/request 0 has 512\+2 tokens, not the cell's 512\+16/) });
    // only the output the parser accepted is recorded (a rejected one never replaces a good record)
    expect(r.recorded).toEqual([`${CPU_DECODE}.txt`, "wall_s.csv"].sort());
  });

  it("VIDUR_DIR without Vidur: every supported cell fails with the reason", async () => {
    vi.stubEnv("VIDUR_DIR", mkTmp("vidur-empty-"));
    const r = await run({});
    expectFailedAll(r, /tool cannot run here: VIDUR_DIR=.* has no vidur\/main\.py/);
  });

  it("missing python: every supported cell fails with the reason", async () => {
    const env = fake("exit 0");
    const r = await run({ ...env, VIDUR_PYTHON: join(env.VIDUR_DIR, "no-python") });
    expectFailedAll(r, /tool cannot run here: VIDUR_PYTHON=.*no-python is not a file/);
  });

  it("non-zero exit: failed with the exit code and the last stderr line", async () => {
    const r = await run(fake('echo "ModuleNotFoundError: No module named \'wandb\'" >&2; exit 1'));
    expectFailedAll(r, /exited with code 1: ModuleNotFoundError: No module named 'wandb'/);
  });

  it("timeout: failed, 'timed out after 1 s'", async () => {
    const r = await run({ ...fake("sleep 30"), VIDUR_TIMEOUT_S: "1" });
    expectFailedAll(r, /timed out after 1 s/);
  }, 20_000);

  it("exit 0 without output files: failed, naming the missing file", async () => {
    const r = await run(fake("echo done"));
    expectFailedAll(r, /Vidur wrote no batch_metrics\.csv under/);
  });

  it("garbage output (exit 0): failed with the parse error; a failing cell leaves the other rows intact", async () => {
    const body = [
      'while [ $# -gt 0 ]; do [ "$1" = "--metrics_config_output_dir" ] && out="$2"; [ "$1" = "--fixed_request_length_generator_config_prefill_tokens" ] && p="$2"; shift; done',
      'mkdir -p "$out/t"',
      'if [ "$p" = "128" ]; then printf "Segmentation fault\\ncore dumped\\n" > "$out/t/batch_metrics.csv"; echo "x" > "$out/t/request_metrics.csv"; exit 0; fi',
      GOOD_FROM(CPU_DECODE).split("\n").slice(1).join("\n"),
    ].join("\n");
    const r = await run(fake(body));
    expect(r.by.get(CPU_PREFILL)).toMatchObject({ status: "failed", reason: expect.stringMatching(/batch_metrics\.csv lacks column/) });
    expect(r.by.get(CPU_DECODE)).toMatchObject({ status: "ok", predicted: 0.2570523258076065 });
    expect(r.unsupported.status).toBe("not-run");
  });
});

describe("re-parse without Vidur", () => {
  it("the runner re-parses every recorded output into a prediction", async () => {
    vi.stubEnv("VIDUR_DIR", "");
    vi.stubEnv("DOCKER_TOOLS", "");
    const root = mkTmp("vidur-run-");
    const rows = await runTool(vidurAdapter, suite, { rawDir: "results/raw", journalDir: join(root, "journal"), workDir: join(root, "tools") });
    const ok = rows.filter((r) => r.status === "ok");
    expect(ok.length).toBe(readdirSync(RAW).filter((f) => f.endsWith(".txt")).length);
    expect(ok.every((r) => r.reason === "re-parsed recorded output")).toBe(true);
    expect(rows.find((r) => r.cell_id === DECODE)!.predicted).toBe(0.005423266983158426);
    expect(rows.find((r) => r.cell_id === CPU_DECODE)!.predicted).toBe(0.2570523258076065);
    expect(rows.filter((r) => r.status === "failed")).toEqual([]);
  });
});
