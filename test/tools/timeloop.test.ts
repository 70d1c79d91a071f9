/**
 * Timeloop adapter: support decisions, the input files written from suite/hardware (golden files),
 * parsing of real stats files in three formats (this build's v3.0.3 outputs and two upstream files),
 * failure paths through the shared runner (fake timeloop-mapper scripts), and the re-parse of the
 * recorded outputs. Nothing here runs Timeloop.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, isAbsolute, resolve } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { Cell, DataflowArch, Hardware } from "../../pipeline/lib/schema.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import { dockerArgs } from "../../pipeline/lib/exec.ts";
import { parseGroundTruthCsv } from "../../pipeline/lib/ground-truth.ts";
import { toCsv } from "../../pipeline/lib/io.ts";
import { GROUND_TRUTH_COLUMNS } from "../../pipeline/lib/schema.ts";
import {
  CPU_REASON,
  GPU_REASON,
  MAPPERS,
  STATS_FILE,
  archYamlOf,
  availability,
  convOutput,
  libraryPath,
  metadata,
  parseCycles,
  parseStats,
  problemOf,
  supports,
  timeloopAdapter,
  writeInputs,
} from "../../tools-under-test/timeloop/adapter.ts";
import { build as buildEyeriss, macs } from "../../suite/ground-truth/published/eyeriss-jssc2017/import.ts";

const FIXTURES = "tools-under-test/timeloop/fixtures";
const RAW = "results/raw/timeloop";
let suite: Suite;
beforeAll(() => {
  suite = loadSuite(".", { groundTruth: false });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const cellsOn = (hw: string) => [...suite.cells.values()].filter((c) => c.hardware === hw);
const hwOf = (id: string): Hardware => suite.hardware.get(id)!;

describe("metadata and availability", () => {
  it("names the commit built, the env var, and the official image with its program paths", () => {
    expect(metadata.name).toBe("timeloop");
    expect(metadata.commit).toBe("6b41058f88bf6c70e04927f5907f20b8203e0498");
    expect(metadata.runner.env).toEqual(["TIMELOOP_MAPPER_BIN"]);
    expect(metadata.runner.docker?.image).toBe("timeloopaccelergy/accelergy-timeloop-infrastructure:latest-amd64");
    expect(metadata.runner.docker?.programs["timeloop-mapper"]).toBe("/usr/local/bin/timeloop-mapper");
    expect(metadata.notes).not.toMatch(/proposed-suite/);
  });

  it("unset: not available and not configured (re-parse); set to a missing file: configured, so cells fail", () => {
    expect(availability({})).toMatchObject({ available: false, reason: "TIMELOOP_MAPPER_BIN is not set" });
    expect(availability({}).configured).toBeFalsy();
    const a = availability({ TIMELOOP_MAPPER_BIN: "/nonexistent/timeloop-mapper" });
    expect(a).toMatchObject({ available: false, configured: true });
    expect(a.reason).toMatch(/is not a file/);
  });

  it("the local runner puts the build's lib/ on LD_LIBRARY_PATH", () => {
    expect(libraryPath("/opt/timeloop/bin/timeloop-mapper", {})).toBe("/opt/timeloop/lib");
    expect(libraryPath("/opt/timeloop/bin/timeloop-mapper", { LD_LIBRARY_PATH: "/x" })).toBe("/opt/timeloop/lib:/x");
  });

  it("the Docker runner maps the program into the image and mounts inputs read-only, the output dir read-write", () => {
    const args = dockerArgs(
      metadata,
      { program: "timeloop-mapper", args: ["/w/c/arch.yaml", "-o", "/w/c"], cwd: "/w/c", readOnly: ["/w/c/arch.yaml"], writable: ["/w/c"], timeout_s: 5 },
      { DOCKER_TOOLS: "timeloop" },
    );
    expect(args).toContain("timeloopaccelergy/accelergy-timeloop-infrastructure:latest-amd64");
    expect(args).toContain("/usr/local/bin/timeloop-mapper");
    expect(args.join(" ")).toMatch(/-v \/w\/c\/arch\.yaml:\/w\/c\/arch\.yaml:ro/);
    expect(args.join(" ")).toMatch(/-v \/w\/c:\/w\/c( |$)/);
    expect(args.slice(args.indexOf("--network"), args.indexOf("--network") + 2)).toEqual(["--network", "none"]);
  });
});

describe("suite: hardware with a dataflow architecture, and the cells Timeloop runs", () => {
  it("two accelerators carry a dataflow block: Eyeriss (row-stationary) and the 16 x 16 weight-stationary array", () => {
    const withDf = [...suite.hardware.values()].filter((h) => h.dataflow).map((h) => [h.id, h.dataflow!.dataflow]);
    expect(withDf.sort()).toEqual([
      ["eyeriss-65nm", "row-stationary"],
      ["ws-systolic-16x16", "weight-stationary"],
    ]);
    const ey = hwOf("eyeriss-65nm").dataflow!;
    expect(ey.compute).toMatchObject({ instances: 168, mesh_x: 14 });
    expect(ey.levels.map((l) => [l.name, l.entries])).toEqual([
      ["PsumRegFile", 24],
      ["WeightRegFile", 224],
      ["InputRegFile", 12],
      ["DummyBuffer", 0],
      ["GlobalBuffer", (100 * 1024 * 8) / 16], // 100 kB of 16-bit words
      ["DRAM", undefined],
    ]);
    // 64-b bus at the 60 MHz link clock, in 16-bit words per 200 MHz core cycle
    expect(ey.levels.at(-1)!.shared_bandwidth_words_per_cycle).toBeCloseTo((64 * 60e6) / 200e6 / 16, 12);
    const ws = hwOf("ws-systolic-16x16");
    expect(ws.compute_units.value).toBe(ws.dataflow!.compute.instances);
    expect(ws.peak_flops_per_s.int8!.value).toBe(2 * 256 * ws.boost_clock_hz!.value);
    expect(ws.mem_bandwidth_bytes_per_s.value).toBe(ws.dataflow!.levels.at(-1)!.shared_bandwidth_words_per_cycle! * 2 * ws.boost_clock_hz!.value);
  });

  it("the dataflow schema reports every problem: unknown constraint target, missing entries, no DRAM last", () => {
    const bad = DataflowArch.safeParse({
      dataflow: "weight-stationary",
      compute: { name: "mac", instances: 4, word_bits: 16, source: { url: "https://example.org" } },
      levels: [{ name: "rf", class: "regfile", instances: 4, word_bits: 16, source: { url: "https://example.org" } }],
      constraints: [{ type: "temporal", target: "nope", factors: "R1" }],
      constraints_source: { url: "https://example.org" },
    });
    expect(bad.success).toBe(false);
    const msgs = bad.error!.issues.map((i) => i.message).join("\n");
    expect(msgs).toMatch(/needs 'entries'/);
    expect(msgs).toMatch(/last level must be the backing store/);
    expect(msgs).toMatch(/unknown level 'nope'/);
  });

  it("runs exactly the cells on those two accelerators: 18 Eyeriss cells with silicon ground truth, 20 ResNet-50 agreement cells", () => {
    const ok = [...suite.cells.values()].filter((c) => supports(c, suite).ok).map((c) => c.id);
    expect(ok.length).toBe(38);
    expect(ok.filter((id) => id.startsWith("eyeriss.")).length).toBe(18);
    expect(ok.filter((id) => id.startsWith("timeloop.resnet50-")).length).toBe(20);
    // the same ResNet-50 layers on both architectures
    const layers = (hw: string) => ok.filter((id) => id.endsWith(`.${hw}`) && id.startsWith("timeloop.")).map((id) => id.split(".")[1]).sort();
    expect(layers("ws-systolic-16x16")).toEqual(layers("eyeriss-65nm"));
    expect(cellsOn("ws-systolic-16x16").every((c) => supports(c, suite).ok)).toBe(true);
  });

  it("gives the GPU reason on GPU cells and the CPU reason on CPU cells", () => {
    const gpu = [...suite.cells.values()].find((c) => c.workload.kind === "gemm" && hwOf(c.hardware).kind === "gpu")!;
    expect(supports(gpu, suite)).toEqual({ ok: false, reason: GPU_REASON });
    const cpu = [...suite.cells.values()].find((c) => hwOf(c.hardware).kind === "cpu")!;
    expect(supports(cpu, suite)).toEqual({ ok: false, reason: CPU_REASON });
    const c = cellsOn("eyeriss-65nm")[0]!;
    expect(supports(Cell.parse({ ...c, metric: "throughput", unit: "samples/s" }), suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/metric throughput/) });
    expect(supports(Cell.parse({ ...c, workload: { kind: "softmax", rows: 2, cols: 2 } }), suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/'softmax' is not mapped/) });
  });
});

describe("prepare: problem, arch and mapper YAML", () => {
  it("maps a GEMM to cnn-layer (P = m, C = k, K = n, N = batch) and a grouped conv to one group", () => {
    const g = Cell.parse({ id: "g", level: "operator", workload: { kind: "gemm", m: 7, n: 11, k: 13, batch: 2 }, hardware: "eyeriss-65nm", precision: "int16", metric: "latency", unit: "us" });
    expect(problemOf(g)).toEqual({ problem: { shape: "cnn-layer", R: 1, S: 1, P: 7, Q: 1, C: 13, K: 11, N: 2, Wstride: 1, Hstride: 1, Wdilation: 1, Hdilation: 1 } });
    const conv2 = suite.cells.get("eyeriss.alexnet-conv2.n4.eyeriss-65nm")!;
    expect(problemOf(conv2)).toMatchObject({ problem: { R: 5, S: 5, P: 27, Q: 27, C: 48, K: 128, N: 4 } });
    expect(convOutput(suite.cells.get("eyeriss.alexnet-conv1.n4.eyeriss-65nm")!.workload as never)).toEqual({ out_h: 55, out_w: 55 });
  });

  it("writes the golden arch/problem/mapper YAML for one layer on each architecture, and passes them with -o <dir>", () => {
    for (const id of ["eyeriss.alexnet-conv2.n4.eyeriss-65nm", "timeloop.resnet50-s2-conv3x3.n1.ws-systolic-16x16"]) {
      const c = suite.cells.get(id)!;
      const p = writeInputs(c, hwOf(c.hardware), join(mkdtempSync(join(tmpdir(), "timeloop-")), "cell"));
      expect(isAbsolute(p.dir)).toBe(true);
      expect(p.args).toEqual([join(p.dir, "arch.yaml"), join(p.dir, "problem.yaml"), join(p.dir, "mapper.yaml"), "-o", p.dir]);
      expect(timeloopAdapter.inputFiles!(p)).toEqual(p.inputs);
      for (const f of ["arch.yaml", "problem.yaml", "mapper.yaml"]) expect(readFileSync(join(p.dir, f), "utf8")).toBe(readFileSync(join(FIXTURES, "golden", id, f), "utf8"));
    }
  });

  it("the Eyeriss arch is upstream's eyeriss-256 row-stationary spec resized (same keys, constraints unchanged)", () => {
    const { arch, mapspace } = archYamlOf(hwOf("eyeriss-65nm").dataflow!);
    expect(arch.arithmetic).toEqual({ name: "MACs", instances: 168, meshX: 14, "word-bits": 16 });
    const gb = (arch.storage as Record<string, unknown>[]).find((s) => s.name === "GlobalBuffer");
    expect(gb).toEqual({ name: "GlobalBuffer", entries: 51200, instances: 1, meshX: 1, "word-bits": 16, "block-size": 4, read_bandwidth: 16, write_bandwidth: 16 });
    // upstream configs/mapper/eyeriss-256.yaml (v3.0.3): 5 datatype + 8 loop constraints
    expect(mapspace.constraints.filter((c) => c.type === "datatype").length).toBe(5);
    expect(mapspace.constraints.find((c) => c.type === "spatial" && c.target === "GlobalBuffer")).toEqual({ type: "spatial", target: "GlobalBuffer", split: 7, permutation: "NCPRS QK", factors: "N1 C1 P1 R1 S1" });
    expect(MAPPERS["row-stationary"]).toMatchObject({ algorithm: "linear-pruned", "victory-condition": 10000 });
  });
});

describe("parseStats: three formats", () => {
  it("v3.0.3 (this build): utilization as a fraction, fJ/Compute; energy = computes x per-compute total", () => {
    const s = parseStats(readFileSync(join(RAW, "eyeriss.alexnet-conv1.n4.eyeriss-65nm.txt"), "utf8"));
    expect(s).toMatchObject({ cycles: 3484800, utilization: 0.72, energy_uj: 2859.53, energy_from_per_compute: false, computes: 421660800 });
    expect(s.energy_per_compute_pj).toBeCloseTo(6.78159, 9);
    expect((s.computes * s.energy_per_compute_pj) / 1e6).toBeCloseTo(s.energy_uj, 0);
    const g = parseStats(readFileSync(join(FIXTURES, "sample-gemm", "timeloop-mapper.stats.txt"), "utf8"));
    expect(g).toMatchObject({ cycles: 1434, utilization: 0.13, energy_uj: 2.51, computes: 196608 });
  });

  it("old format (2020 exercises): MACCs = N and pJ/MACC", () => {
    const s = parseStats(readFileSync(join(FIXTURES, "upstream", "old-format.timeloop-mapper.stats.txt"), "utf8"));
    expect(s).toMatchObject({ cycles: 2196150, utilization: 0.19, energy_uj: 674.62, energy_from_per_compute: false, computes: 105415200, energy_per_compute_pj: 6.4 });
    expect((s.computes * s.energy_per_compute_pj) / 1e6 / s.energy_uj).toBeCloseTo(1, 3);
  });

  it("new format (2024 exercises): utilization in percent, pJ/Compute, and 'Energy: 0.00 uJ' computed from per-compute energy", () => {
    const s = parseStats(readFileSync(join(FIXTURES, "upstream", "new-format.timeloop-model.stats.txt"), "utf8"));
    expect(s).toMatchObject({ cycles: 48, utilization: 1, computes: 48, energy_per_compute_pj: 2.41, energy_from_per_compute: true });
    expect(s.energy_uj).toBeCloseTo((48 * 2.41) / 1e6, 15);
  });

  it("takes 'Cycles: N' from the summary, not the per-level 'Cycles : N' lines, and rejects garbage with the reason", () => {
    const raw = readFileSync(join(FIXTURES, "sample-gemm", "timeloop-mapper.stats.txt"), "utf8");
    const head = raw.slice(0, raw.lastIndexOf("Summary Stats"));
    expect(head).toMatch(/Cycles\s+: \d+/);
    expect(() => parseStats(head)).toThrow(/lack a 'Summary Stats' block/);
    expect(() => parseStats("Summary Stats\n-------------\nEnergy: 1.00 uJ\n")).toThrow(/'Cycles: N'/);
    expect(() => parseStats("Summary Stats\nUtilization: 150.00%\nCycles: 10\nEnergy: 1.00 uJ\nComputes = 1\npJ/Compute\n    Total = 1.00\n")).toThrow(/outside 0\.\.100%/);
    expect(() => parseStats("Summary Stats\nUtilization: 0.5\nCycles: 10\nEnergy: 1.00 uJ\nComputes = 1\n")).toThrow(/per-compute energy table/);
    expect(() => parseStats("Summary Stats\nUtilization: 0.5\nCycles: 0\n")).toThrow(/0 cycles/);
    expect(parseCycles(raw)).toBe(1434);
  });
});

// ---------------------------------------------------------------- failure paths (fake binaries)

/** A two-cell suite: AlexNet CONV1 (K = 96) and CONV3 (K = 384) on Eyeriss. */
function twoCellSuite(): Suite {
  const ids = ["eyeriss.alexnet-conv1.n4.eyeriss-65nm", "eyeriss.alexnet-conv3.n4.eyeriss-65nm"];
  return { ...suite, cells: new Map(ids.map((id) => [id, suite.cells.get(id)!])) };
}

/** A fake timeloop-mapper: for the CONV1 problem (K: 96) it writes a real stats file; otherwise `other`. */
function fakeMapper(other: string): string {
  const dir = mkdtempSync(join(tmpdir(), "timeloop-fake-"));
  const good = resolve(RAW, "eyeriss.alexnet-conv1.n4.eyeriss-65nm.txt");
  const bin = join(dir, "timeloop-mapper");
  writeFileSync(bin, `#!/bin/sh\n# args: arch problem mapper -o dir\nif grep -q 'K: 96' "$2"; then cp '${good}' "$5/${STATS_FILE}"; exit 0; fi\n${other}\n`);
  chmodSync(bin, 0o755);
  return bin;
}

async function runWith(bin: string, extraEnv: Record<string, string> = {}) {
  vi.stubEnv("TIMELOOP_MAPPER_BIN", bin);
  vi.stubEnv("DOCKER_TOOLS", "");
  for (const [k, v] of Object.entries(extraEnv)) vi.stubEnv(k, v);
  const root = mkdtempSync(join(tmpdir(), "timeloop-run-"));
  const rows = await runTool(timeloopAdapter, twoCellSuite(), { rawDir: join(root, "raw"), journalDir: join(root, "j"), workDir: join(root, "w") });
  const by = new Map(rows.map((r) => [r.cell_id, r]));
  return { root, conv1: by.get("eyeriss.alexnet-conv1.n4.eyeriss-65nm")!, conv3: by.get("eyeriss.alexnet-conv3.n4.eyeriss-65nm")! };
}

describe("failure paths through the runner (other rows intact)", () => {
  it("non-zero exit: failed with the exit code and stderr; the other cell is ok and recorded", async () => {
    const { root, conv1, conv3 } = await runWith(fakeMapper("echo 'ERROR: boom in mapper' >&2; exit 3"));
    expect(conv3).toMatchObject({ status: "failed", predicted: undefined });
    expect(conv3.reason).toMatch(/exited with code 3: ERROR: boom in mapper/);
    expect(conv1).toMatchObject({ status: "ok" });
    expect(conv1.predicted).toBeCloseTo(17.424, 9); // 3484800 cycles / 200 MHz, in ms
    expect(existsSync(join(root, "raw", "timeloop", "eyeriss.alexnet-conv1.n4.eyeriss-65nm.txt"))).toBe(true);
    expect(existsSync(join(root, "raw", "timeloop", "eyeriss.alexnet-conv3.n4.eyeriss-65nm.txt"))).toBe(false);
    // the runner counted the generated input lines of the live cell
    const walls = readFileSync(join(root, "raw", "timeloop", "wall_s.csv"), "utf8");
    expect(walls).toMatch(/eyeriss\.alexnet-conv1\.n4\.eyeriss-65nm,[0-9.]+,\d+/);
  });

  it("garbage stats: failed with the parser's reason", async () => {
    const { conv1, conv3 } = await runWith(fakeMapper(`echo 'this is not a stats file' > "$5/${STATS_FILE}"; exit 0`));
    expect(conv3.status).toBe("failed");
    expect(conv3.reason).toMatch(/lack a 'Summary Stats' block/);
    expect(conv1.status).toBe("ok");
  });

  it("no stats written (no valid mapping): failed with the mapper's own statement", async () => {
    const { conv1, conv3 } = await runWith(fakeMapper("echo '[  0] STATEMENT: 100000 invalid mappings (0 fanout, 100000 capacity) found since the last valid mapping, terminating search.'; exit 0"));
    expect(conv3.status).toBe("failed");
    expect(conv3.reason).toMatch(/wrote no timeloop-mapper\.stats\.txt \(\[  0\] STATEMENT: 100000 invalid mappings/);
    expect(conv1.status).toBe("ok");
  });

  it("time limit per layer: failed with 'timed out after N s'", async () => {
    const { conv1, conv3 } = await runWith(fakeMapper("sleep 30"), { TIMELOOP_TIMEOUT_S: "1" });
    expect(conv3).toMatchObject({ status: "failed", reason: "timed out after 1 s" });
    expect(conv1.status).toBe("ok");
  }, 20_000);

  it("TIMELOOP_MAPPER_BIN set to a missing file: every supported cell fails with the reason (no silent re-parse)", async () => {
    const { conv1, conv3 } = await runWith("/nonexistent/timeloop-mapper");
    for (const r of [conv1, conv3]) {
      expect(r.status).toBe("failed");
      expect(r.reason).toMatch(/TIMELOOP_MAPPER_BIN=\/nonexistent\/timeloop-mapper is not a file/);
    }
  });
});

// ---------------------------------------------------------------- recorded outputs and ground truth

describe("recorded outputs (results/raw/timeloop) and the Eyeriss ground truth", () => {
  it("every supported cell has a recorded output that parses, and nothing else is recorded", () => {
    const ok = [...suite.cells.values()].filter((c) => supports(c, suite).ok).map((c) => `${c.id}.txt`).sort();
    const files = readdirSync(RAW).filter((f) => f.endsWith(".txt")).sort();
    expect(files).toEqual(ok);
    for (const f of files) {
      const s = parseStats(readFileSync(join(RAW, f), "utf8"));
      expect(s.cycles).toBeGreaterThan(0);
      expect(s.utilization).toBeGreaterThan(0);
    }
  });

  it("re-parses the recorded outputs: cycles x groups / clock, never faster than the PE array's peak", () => {
    const ctx = { suite, workDir: tmpdir() };
    for (const c of [...suite.cells.values()].filter((x) => supports(x, suite).ok)) {
      const hw = hwOf(c.hardware);
      const raw = readFileSync(join(RAW, `${c.id}.txt`), "utf8");
      const p = timeloopAdapter.parse(raw, c, ctx);
      expect(p.unit).toBe("s");
      const w = c.workload as Extract<Cell["workload"], { kind: "conv2d" }>;
      const { out_h, out_w } = convOutput(w);
      const m = w.n * w.k * (w.c / w.groups) * w.r * w.s * out_h * out_w;
      const ideal = m / hw.dataflow!.compute.instances / hw.boost_clock_hz!.value;
      expect(p.value).toBeGreaterThanOrEqual(ideal * (1 - 1e-9));
      expect(p.value).toBeCloseTo((parseCycles(raw) * w.groups) / hw.boost_clock_hz!.value, 15);
    }
  });

  it("the recorded Eyeriss predictions: cycles per group as recorded, and the errors against the chip", () => {
    const ctx = { suite, workDir: tmpdir() };
    const gt = parseGroundTruthCsv(readFileSync("suite/ground-truth/published/eyeriss-jssc2017/ground-truth.csv", "utf8"), "gt.csv").rows;
    const got = gt.map((g) => {
      const c = suite.cells.get(g.cell_id)!;
      const raw = readFileSync(join(RAW, `${c.id}.txt`), "utf8");
      const ms = timeloopAdapter.parse(raw, c, ctx).value * 1e3;
      return { id: c.id, cycles: parseCycles(raw), ape: (Math.abs(ms - g.value) / g.value) * 100 };
    });
    expect(Object.fromEntries(got.map((g) => [g.id.replace(/^eyeriss\.|\.n\d\.eyeriss-65nm$/g, ""), g.cycles]))).toEqual(EYERISS_CYCLES);
    const mape = (xs: typeof got) => xs.reduce((a, g) => a + g.ape, 0) / xs.length;
    expect(mape(got.filter((g) => g.id.includes("alexnet")))).toBeCloseTo(7.35, 2);
    expect(mape(got.filter((g) => g.id.includes("vgg16")))).toBeCloseTo(40.25, 2);
    expect(Math.max(...got.map((g) => g.ape))).toBeCloseTo(79.63, 2); // VGG-16 CONV2-2
  });

  it("ground truth and cells are what import.ts derives from the committed table data (Tables V and VI)", () => {
    const { cells, gt, checks } = buildEyeriss();
    const file = readFileSync("suite/ground-truth/published/eyeriss-jssc2017/ground-truth.csv", "utf8");
    expect(file).toBe(toCsv(GROUND_TRUTH_COLUMNS, gt));
    const parsed = parseGroundTruthCsv(file, "gt.csv");
    expect(parsed.problems).toEqual([]);
    expect(parsed.rows.length).toBe(18);
    const yaml = parseYaml(readFileSync("suite/cells/published-eyeriss-jssc2017.yaml", "utf8")) as { cells: unknown[] };
    expect(yaml.cells).toEqual(cells);
    expect(stringifyYaml(cells)).toContain("vgg16-conv5-3");
    // AlexNet CONV1..5 as in Table V, read twice (two independent reproductions agree)
    const v = (id: string) => parsed.rows.find((r) => r.cell_id === id)!.value;
    expect([1, 2, 3, 4, 5].map((i) => v(`eyeriss.alexnet-conv${i}.n4.eyeriss-65nm`))).toEqual([16.5, 39.2, 21.8, 16.0, 10.0]);
    // the paper's text: CONV1-2 and CONV4-2 have the same MACs, the former takes nearly four times longer
    const c12 = suite.cells.get("eyeriss.vgg16-conv1-2.n3.eyeriss-65nm")!.workload as never;
    const c42 = suite.cells.get("eyeriss.vgg16-conv4-2.n3.eyeriss-65nm")!.workload as never;
    expect(macs(3, { ...(c12 as object), hw: 224 } as never)).toBe(macs(3, { ...(c42 as object), hw: 28 } as never));
    const ratio = v("eyeriss.vgg16-conv1-2.n3.eyeriss-65nm") / v("eyeriss.vgg16-conv4-2.n3.eyeriss-65nm");
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(4);
    // totals: 0.7 frames/s (VGG-16, 3 frames) and 34.7 frames/s (AlexNet, 4 frames)
    expect(checks.join("\n")).toMatch(/= 0\.7 frames\/s for 3 frames/);
    expect(checks.join("\n")).toMatch(/= 34\.7 frames\/s for 4 frames/);
  });

  it("import.ts refuses a table whose processing latency exceeds its total latency, or whose column does not sum to its total", () => {
    const src = "suite/ground-truth/published/eyeriss-jssc2017/data";
    const dir = mkdtempSync(join(tmpdir(), "eyeriss-"));
    copyFileSync(join(src, "fodlam-eyeriss-alexnet.csv"), join(dir, "fodlam-eyeriss-alexnet.csv"));
    const vgg = readFileSync(join(src, "fodlam-eyeriss-vgg16.csv"), "utf8");
    // fodlam's first cleaned version (2a034503) had CONV2-2 = 1110.3 ms, above its total latency 894.3 ms
    writeFileSync(join(dir, "fodlam-eyeriss-vgg16.csv"), vgg.replace("CONV2-2,231,894.3,810.8", "CONV2-2,231,894.3,1110.3"));
    expect(() => buildEyeriss(dir)).toThrow(/CONV2-2: processing latency 1110.3 ms exceeds total latency 894.3 ms/);
    writeFileSync(join(dir, "fodlam-eyeriss-vgg16.csv"), vgg.replace("CONV2-2,231,894.3,810.8", "CONV2-2,231,894.3,800.8"));
    expect(() => buildEyeriss(dir)).toThrow(/processing latencies sum to 3745.3 ms, the table's total is 3755.2 ms/);
    writeFileSync(join(dir, "fodlam-eyeriss-vgg16.csv"), vgg);
    expect(buildEyeriss(dir).gt.length).toBe(18);
  });
});

/** Cycles per group in results/raw/timeloop/eyeriss.<layer>.n<N>.eyeriss-65nm.txt (Summary Stats), read by hand. */
const EYERISS_CYCLES: Record<string, number> = {
  "alexnet-conv1": 3484800,
  "alexnet-conv2": 3732480,
  "alexnet-conv3": 3833856,
  "alexnet-conv4": 1437696,
  "alexnet-conv5": 958464,
  "vgg16-conv1-1": 8412670,
  "vgg16-conv1-2": 52633601,
  "vgg16-conv2-1": 17469440,
  "vgg16-conv2-2": 33030144,
  "vgg16-conv3-1": 16515072,
  "vgg16-conv3-2": 33030144,
  "vgg16-conv3-3": 33030144,
  "vgg16-conv4-1": 16515072,
  "vgg16-conv4-2": 33030144,
  "vgg16-conv4-3": 33030144,
  "vgg16-conv5-1": 8257536,
  "vgg16-conv5-2": 8257536,
  "vgg16-conv5-3": 8257536,
};
