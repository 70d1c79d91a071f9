/**
 * SCALE-Sim v3 adapter: support decisions, the config and topology written from suite/hardware and the
 * cell, parsing of a real SCALE-Sim run (fixture) and of every recorded output, and the runner with a
 * fake interpreter. SCALE-Sim itself is never run here.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import { CPU_REASON, GPU_REASON, MAX_MACS, configOf, configText, latencyS, layerMacs, parseReports, repeatsOf, scaleSimAdapter, supports, topologyText } from "../../tools-under-test/scale-sim/adapter.ts";

const RAW = "results/raw/scale-sim";
let suite: Suite;
beforeAll(() => {
  suite = loadSuite(".", { groundTruth: false });
});
afterEach(() => {
  vi.unstubAllEnvs();
});
const cell = (id: string) => suite.cells.get(id)!;

describe("translation", () => {
  it("array, dataflow and SRAMs come from the hardware's dataflow block", () => {
    expect(configOf(suite.hardware.get("ws-systolic-16x16")!)).toEqual({ rows: 16, cols: 16, dataflow: "ws", sram_kwords: 21, dram_words_per_cycle: 4 });
    // Eyeriss: 168 PEs in rows of 14; no row-stationary dataflow in SCALE-Sim, simulated ws as its own eyeriss.cfg does.
    expect(configOf(suite.hardware.get("eyeriss-65nm")!)).toEqual({ rows: 12, cols: 14, dataflow: "ws", sram_kwords: 16, dram_words_per_cycle: 1 });
    const text = configText(cell("eyeriss.alexnet-conv1.n4.eyeriss-65nm"), configOf(suite.hardware.get("eyeriss-65nm")!));
    expect(text).toMatch(/^ArrayHeight: +12$/m);
    expect(text).toMatch(/^ArrayWidth: +14$/m);
    expect(text).toMatch(/^InterfaceBandwidth: CALC$/m);
  });

  it("one image of one group, padding folded into the input, repeated batch x groups", () => {
    const c = cell("eyeriss.alexnet-conv2.n4.eyeriss-65nm");
    expect(topologyText(c).split("\n")[1]).toBe("eyeriss.alexnet-conv2.n4.eyeriss-65nm, 31, 31, 5, 5, 48, 128, 1,");
    expect(repeatsOf(c)).toBe(8);
    expect(layerMacs(c) * repeatsOf(c)).toBe(223948800 * 4); // the whole layer: 27 x 27 x 256 x 48 x 25 per image, 4 images
  });

  it("support: dataflow hardware, conv2d latency, within the run-time budget", () => {
    expect(supports(cell("eyeriss.alexnet-conv1.n4.eyeriss-65nm"), suite)).toEqual({ ok: true });
    expect(supports(cell("eyeriss.vgg16-conv1-2.n3.eyeriss-65nm"), suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/^excluded: layer too large .*\(1850 M MACs/) });
    const gpu = [...suite.cells.values()].find((c) => c.hardware === "h100-sxm5-80gb")!;
    expect(supports(gpu, suite)).toEqual({ ok: false, reason: GPU_REASON });
    const cpu = [...suite.cells.values()].find((c) => c.hardware.startsWith("cpu-"))!;
    expect(supports(cpu, suite)).toEqual({ ok: false, reason: CPU_REASON });
    const ok = [...suite.cells.values()].filter((c) => supports(c, suite).ok);
    expect(ok).toHaveLength(26);
    for (const c of ok) expect(layerMacs(c)).toBeLessThanOrEqual(MAX_MACS);
  });
});

describe("parsing", () => {
  it("reads a real SCALE-Sim v3 run: total cycles incl. prefetch, accesses and bandwidths", () => {
    const s = parseReports(readFileSync("test/tools/fixtures/scale-sim/stem-gemm-calc.txt", "utf8"));
    expect(s.total_cycles).toBe(505106);
    expect(s.stall_cycles).toBe(0);
    expect(s.accesses["DRAM IFMAP Reads"]).toBe(7375872);
    expect(s.accesses["DRAM OFMAP Writes"]).toBe(8028175);
    expect(s.bandwidths["Avg FILTER DRAM BW"]).toBeCloseTo(9.945, 3);
  });

  it("every recorded output belongs to a supported cell, was written from today's inputs, and parses", () => {
    const files = existsSync(RAW) ? readdirSync(RAW).filter((f) => f.endsWith(".txt")) : [];
    for (const f of files) {
      const c = cell(f.replace(/\.txt$/, ""));
      expect(supports(c, suite), f).toEqual({ ok: true });
      const raw = readFileSync(join(RAW, f), "utf8");
      const hw = suite.hardware.get(c.hardware)!;
      expect(raw).toContain(`# config: ${JSON.stringify(configOf(hw))} (InterfaceBandwidth CALC)`);
      expect(raw).toContain(`# topology: ${topologyText(c).split("\n")[1]}`);
      expect(latencyS(raw, c, hw)).toBeGreaterThan(0);
    }
  });
});

describe("the runner with a fake SCALE-Sim", () => {
  const ID = "eyeriss.alexnet-conv5.n4.eyeriss-65nm";
  const small = (): Suite => ({ ...suite, cells: new Map([[ID, cell(ID)]]) });
  const fake = (body: string) => {
    const dir = mkdtempSync(join(tmpdir(), "scalesim-fake-"));
    mkdirSync(join(dir, "scalesim"));
    writeFileSync(join(dir, "scalesim", "scale.py"), "");
    const py = join(dir, "python");
    writeFileSync(py, `#!/bin/sh\n${body}\n`);
    chmodSync(py, 0o755);
    return { SCALESIM_DIR: dir, SCALESIM_PYTHON: py };
  };
  const run = async (env: Record<string, string>) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv("DOCKER_TOOLS", "");
    const root = mkdtempSync(join(tmpdir(), "scalesim-run-"));
    const rows = await runTool(scaleSimAdapter, small(), { rawDir: join(root, "raw"), journalDir: join(root, "j"), workDir: join(root, "w") });
    const dir = join(root, "raw", "scale-sim");
    return { row: rows[0]!, recorded: existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".txt")) : [] };
  };
  const fixture = readFileSync("test/tools/fixtures/scale-sim/stem-gemm-calc.txt", "utf8");
  const section = (name: string) => fixture.split(`#### ${name}\n`)[1]!.split("####")[0]!;

  it("reports under <p>/<run_name>/ give an ok row (cycles x 4 images x 2 groups / 200 MHz)", async () => {
    const d = mkdtempSync(join(tmpdir(), "scalesim-reports-"));
    for (const n of ["COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"]) writeFileSync(join(d, n), section(n));
    const r = await run(fake(`while [ $# -gt 0 ]; do [ "$1" = "-p" ] && out="$2"; shift; done; mkdir -p "$out/run"; cp ${d}/*.csv "$out/run/"; echo "Total cycles: 505106"`));
    expect(r.row.status).toBe("ok");
    expect(r.row.predicted).toBeCloseTo(((505106 * 8) / 200e6) * 1e3, 6);
    expect(r.recorded).toEqual([`${ID}.txt`]);
  });

  it("a crash fails the cell and records nothing; so does a run without reports", async () => {
    const crash = await run(fake("echo 'ModuleNotFoundError: pandas' >&2; exit 1"));
    expect(crash.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/exited with code 1/) });
    expect(crash.recorded).toEqual([]);
    const silent = await run(fake("exit 0"));
    expect(silent.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/wrote no COMPUTE_REPORT/) });
  });
});
