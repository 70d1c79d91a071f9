/**
 * Timeloop adapter: support decisions (every suite cell is not-run, with the reason), the input
 * files written for a GEMM, and parsing of real timeloop-mapper stats (fixtures). Nothing here
 * runs Timeloop.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, isAbsolute } from "node:path";
import { parse as parseYaml } from "yaml";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { Cell, CellFile, Hardware } from "../../pipeline/lib/schema.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import { parseGroundTruthCsv } from "../../pipeline/lib/ground-truth.ts";
import {
  ARCH_SPECS,
  CPU_REASON,
  DEFAULT_MAPPER,
  EYERISS_65NM,
  GPU_REASON,
  availability,
  convOutput,
  metadata,
  parseCycles,
  problemOf,
  supports,
  timeloopAdapter,
  writeInputs,
  type ArchSpec,
} from "../../tools-under-test/timeloop/adapter.ts";

const FIXTURES = "tools-under-test/timeloop/fixtures";
const SUITE_DIR = "suite";
const RAW = "results/raw/timeloop";
let suite: Suite;
beforeAll(() => {
  suite = loadSuite(".", { groundTruth: false });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** Upstream's sample architecture (configs/mapper/sample.yaml of timeloop v3.0.3), as a spec. */
const sampleSpec = (): ArchSpec => {
  const doc = parseYaml(readFileSync(join(FIXTURES, "sample-arch.yaml"), "utf8")) as { arch: Record<string, unknown>; mapspace: Record<string, unknown> };
  return { arch: doc.arch, mapspace: doc.mapspace, clock_hz: 1e9, basis: "test: upstream configs/mapper/sample.yaml" };
};

const gemmCell = (over: Partial<{ m: number; n: number; k: number; batch: number }> = {}, hardware = "h100-sxm5-80gb"): Cell =>
  Cell.parse({
    id: "test-gemm",
    level: "operator",
    workload: { kind: "gemm", m: 48, n: 64, k: 64, batch: 1, ...over },
    hardware,
    precision: "int8",
    metric: "latency",
    unit: "us",
  });

const firstCell = (pred: (c: Cell) => boolean): Cell => {
  const c = [...suite.cells.values()].find(pred);
  if (!c) throw new Error("no such cell in the suite");
  return c;
};

describe("metadata and availability", () => {
  it("names the commit built and the env var it needs", () => {
    expect(metadata.name).toBe("timeloop");
    expect(metadata.commit).toBe("6b41058f88bf6c70e04927f5907f20b8203e0498");
    expect(metadata.runner.env).toEqual(["TIMELOOP_MAPPER_BIN"]);
  });

  it("is unavailable without TIMELOOP_MAPPER_BIN, or when it is not an executable file", () => {
    expect(availability({})).toEqual({ available: false, reason: "TIMELOOP_MAPPER_BIN is not set" });
    const dir = mkdtempSync(join(tmpdir(), "timeloop-"));
    expect(availability({ TIMELOOP_MAPPER_BIN: dir }).reason).toMatch(/is not a file/);
    const f = join(dir, "timeloop-mapper");
    writeFileSync(f, "#!/bin/sh\n");
    chmodSync(f, 0o644);
    expect(availability({ TIMELOOP_MAPPER_BIN: f }).reason).toMatch(/is not executable/);
    chmodSync(f, 0o755);
    expect(availability({ TIMELOOP_MAPPER_BIN: f })).toEqual({ available: true });
  });
});

describe("supports", () => {
  it("runs exactly the Eyeriss cells of the suite: the only architecture spec is Eyeriss", () => {
    expect([...ARCH_SPECS.keys()]).toEqual(["eyeriss-65nm"]);
    expect(suite.hardware.get("eyeriss-65nm")?.kind).toBe("accelerator");
    const cells = [...suite.cells.values()];
    const ok = cells.filter((c) => supports(c, suite).ok).map((c) => c.id).sort();
    expect(ok).toEqual([1, 2, 3, 4, 5].map((i) => `eyeriss.alexnet-conv${i}.n4.eyeriss-65nm`));
    for (const c of cells) if (c.hardware !== "eyeriss-65nm") expect(supports(c, suite).ok).toBe(false);
  });

  it("gives the GPU reason on GPU cells (GEMMs included) and the CPU reason on CPU cells", () => {
    const gpuGemm = firstCell((c) => c.workload.kind === "gemm" && suite.hardware.get(c.hardware)?.kind === "gpu");
    expect(supports(gpuGemm, suite)).toEqual({ ok: false, reason: GPU_REASON });
    const cpu = firstCell((c) => suite.hardware.get(c.hardware)?.kind === "cpu");
    expect(supports(cpu, suite)).toEqual({ ok: false, reason: CPU_REASON });
    expect(supports(gemmCell({}, "no-such-hw"), suite)).toEqual({ ok: false, reason: "unknown hardware no-such-hw" });
  });

  it("with an architecture spec for the hardware, runs single-device GEMM latency cells only", () => {
    const specs = new Map([["h100-sxm5-80gb", sampleSpec()]]);
    expect(supports(gemmCell(), suite, specs)).toEqual({ ok: true });
    // the same cell without the spec is refused
    expect(supports(gemmCell(), suite).ok).toBe(false);
    const norm = Cell.parse({ ...gemmCell(), workload: { kind: "norm", norm: "layernorm", rows: 8, cols: 8 } });
    expect(supports(norm, suite, specs)).toMatchObject({ ok: false, reason: expect.stringMatching(/workload 'norm' is not mapped/) });
    const thr = Cell.parse({ ...gemmCell(), metric: "throughput", unit: "samples/s" });
    expect(supports(thr, suite, specs)).toMatchObject({ ok: false, reason: expect.stringMatching(/metric throughput/) });
  });
});

describe("prepare (input files)", () => {
  it("maps a GEMM to Timeloop's cnn-layer problem: P = m, C = k, K = n, N = batch", () => {
    expect(problemOf(gemmCell({ m: 7, n: 11, k: 13, batch: 2 }))).toEqual({
      problem: { shape: "cnn-layer", R: 1, S: 1, P: 7, Q: 1, C: 13, K: 11, N: 2, Wstride: 1, Hstride: 1, Wdilation: 1, Hdilation: 1 },
    });
    expect(() => problemOf(Cell.parse({ ...gemmCell(), workload: { kind: "softmax", rows: 2, cols: 2 } }))).toThrow(/not mapped/);
  });

  it("writes arch.yaml, problem.yaml and mapper.yaml and passes them with -o <dir>", () => {
    const spec = sampleSpec();
    const p = writeInputs(gemmCell(), spec, join(mkdtempSync(join(tmpdir(), "timeloop-")), "cell"));
    expect(isAbsolute(p.dir)).toBe(true);
    expect(p.args).toEqual([join(p.dir, "arch.yaml"), join(p.dir, "problem.yaml"), join(p.dir, "mapper.yaml"), "-o", p.dir]);
    const arch = parseYaml(readFileSync(join(p.dir, "arch.yaml"), "utf8"));
    expect(arch).toEqual({ arch: spec.arch, mapspace: spec.mapspace });
    expect((arch.arch.arithmetic as { instances: number }).instances).toBe(1024);
    expect(parseYaml(readFileSync(join(p.dir, "problem.yaml"), "utf8"))).toEqual(problemOf(gemmCell()));
    expect(parseYaml(readFileSync(join(p.dir, "mapper.yaml"), "utf8"))).toEqual({ mapper: DEFAULT_MAPPER });
    // the inputs the recorded fixture was produced from are these files
    for (const f of ["arch.yaml", "problem.yaml", "mapper.yaml"])
      expect(readFileSync(join(p.dir, f), "utf8")).toBe(readFileSync(join(FIXTURES, "sample-gemm", f), "utf8"));
  });
});

describe("parse", () => {
  it("reads Cycles from the Summary Stats of a real timeloop-mapper run (fixture)", () => {
    const raw = readFileSync(join(FIXTURES, "sample-gemm", "timeloop-mapper.stats.txt"), "utf8");
    expect(parseCycles(raw)).toBe(SAMPLE_GEMM_CYCLES);
  });

  it("ignores per-level 'Cycles : N' lines and rejects stats without a summary", () => {
    const raw = readFileSync(join(FIXTURES, "sample-gemm", "timeloop-mapper.stats.txt"), "utf8");
    const head = raw.slice(0, raw.lastIndexOf("Summary Stats"));
    expect(head).toMatch(/Cycles\s+: \d+/);
    expect(() => parseCycles(head)).toThrow(/Summary Stats/);
    expect(() => parseCycles("Summary Stats\n-------------\nEnergy: 1.00 uJ\n")).toThrow(/Cycles: N/);
    expect(parseCycles("Summary Stats\n-------------\nUtilization: 0.19\nCycles: 2196150\nEnergy: 674.62 uJ\n")).toBe(2196150);
  });
});

describe("through the runner", () => {
  it("reports every suite cell as not-run with a reason, and needs no recorded output", async () => {
    const root = mkdtempSync(join(tmpdir(), "timeloop-run-"));
    vi.stubEnv("TIMELOOP_MAPPER_BIN", "");
    const rows = await runTool(timeloopAdapter, suite, { rawDir: join(root, "raw"), journalDir: join(root, "j"), workDir: join(root, "w") });
    expect(rows.length).toBe(suite.cells.size);
    for (const r of rows) {
      expect(r.status).toBe("not-run");
      expect(r.predicted).toBeUndefined();
      expect(r.reason).not.toBe("");
    }
    expect(rows.filter((r) => r.reason === GPU_REASON).length).toBeGreaterThan(0);
    expect(existsSync(join(root, "raw", "timeloop"))).toBe(false);
  });
});

describe("Eyeriss (suite files and recorded outputs)", () => {
  const hw = (): Hardware => Hardware.parse(parseYaml(readFileSync(join(SUITE_DIR, "hardware/eyeriss-65nm.yaml"), "utf8")));
  const rawCells = (): unknown[] => (parseYaml(readFileSync(join(SUITE_DIR, "cells/published-eyeriss-jssc2017.yaml"), "utf8")) as { cells: unknown[] }).cells;
  const cells = (): Cell[] => CellFile.parse({ cells: rawCells() }).cells;
  const withEyeriss = (): Suite => ({ ...suite, hardware: new Map([...suite.hardware, ["eyeriss-65nm", hw()]]) });

  it("the Eyeriss suite files are valid (int16 cells, accelerator hardware)", () => {
    expect(hw().kind).toBe("accelerator");
    expect(hw().compute_units.value).toBe(168);
    for (const c of rawCells()) {
      const r = Cell.safeParse(c);
      expect(r.success).toBe(true);
      expect(r.data!.precision).toBe("int16");
    }
    const gt = parseGroundTruthCsv(readFileSync(join(SUITE_DIR, "ground-truth/published/eyeriss-jssc2017/ground-truth.csv"), "utf8"), "gt.csv");
    expect(gt.problems).toEqual([]);
    expect(gt.rows.map((r) => [r.cell_id, r.value, r.unit])).toEqual(cells().map((c, i) => [c.id, [16.5, 39.2, 21.8, 16.0, 10.0][i], "ms"]));
    // Table V's total latencies (not used) would sum to the paper's 34.7 frames/s for 4 frames; the
    // processing latencies are shorter than those totals.
    expect(gt.rows.reduce((a, r) => a + r.value, 0)).toBeCloseTo(103.5, 6);
  });

  it("supports the AlexNet CONV cells on Eyeriss, and maps grouped layers one group at a time", () => {
    const s = withEyeriss();
    for (const c of cells()) expect(supports(c, s)).toEqual({ ok: true });
    const [conv1, conv2] = cells();
    expect(convOutput(conv1!.workload as never)).toEqual({ out_h: 55, out_w: 55 });
    expect(problemOf(conv2!)).toEqual({
      problem: { shape: "cnn-layer", R: 5, S: 5, P: 27, Q: 27, C: 48, K: 128, N: 4, Wstride: 1, Hstride: 1, Wdilation: 1, Hdilation: 1 },
    });
    const bad = Cell.parse({ ...conv2!, workload: { ...conv2!.workload, k: 255 } });
    expect(supports(bad, s)).toMatchObject({ ok: false, reason: expect.stringMatching(/multiples of groups/) });
    // MACs of the five layers = 4 x 665.8 M (the 666 M MACs per image of the ISSCC paper)
    const macs = cells().reduce((a, c) => {
      const w = c.workload as Extract<Cell["workload"], { kind: "conv2d" }>;
      const { out_h, out_w } = convOutput(w);
      return a + w.n * w.k * (w.c / w.groups) * w.r * w.s * out_h * out_w;
    }, 0);
    expect(macs / 4 / 1e6).toBeCloseTo(665.78, 1);
  });

  it("writes Eyeriss inputs with the chip's dimensions", () => {
    const p = writeInputs(cells()[0]!, EYERISS_65NM, join(mkdtempSync(join(tmpdir(), "timeloop-")), "c1"));
    const arch = parseYaml(readFileSync(join(p.dir, "arch.yaml"), "utf8"));
    expect(arch.arch.arithmetic).toMatchObject({ instances: 168, meshX: 14 });
    expect(arch.arch.storage.map((l: { name: string }) => l.name)).toEqual(["PsumRegFile", "WeightRegFile", "InputRegFile", "DummyBuffer", "GlobalBuffer", "DRAM"]);
    expect(parseYaml(readFileSync(join(p.dir, "problem.yaml"), "utf8")).problem).toMatchObject({ R: 11, S: 11, P: 55, Q: 55, C: 3, K: 96, N: 4, Wstride: 4 });
    expect(parseYaml(readFileSync(join(p.dir, "mapper.yaml"), "utf8")).mapper).toEqual(EYERISS_65NM.mapper);
  });

  it("re-parses the recorded timeloop-mapper outputs: cycles x groups / 200 MHz", () => {
    const ctx = { suite: withEyeriss(), workDir: tmpdir() };
    const got = cells().map((c) => {
      const raw = readFileSync(join(RAW, `${c.id}.txt`), "utf8");
      const p = timeloopAdapter.parse(raw, c, ctx);
      expect(p.unit).toBe("s");
      return [parseCycles(raw), Number((p.value * 1e3).toFixed(6))];
    });
    expect(got).toEqual(EYERISS_RECORDED);
  });
});

/** [cycles per group, predicted ms] of results/raw/timeloop/eyeriss.alexnet-conv{1..5}.n4.eyeriss-65nm.txt. */
const EYERISS_RECORDED: [number, number][] = [
  [3484800, 17.424],
  [3732480, 37.3248],
  [3833856, 19.16928],
  [1437696, 14.37696],
  [958464, 9.58464],
];

/** Cycles in the fixture, read from it by hand (Summary Stats). */
const SAMPLE_GEMM_CYCLES = 1434;
