/**
 * ASTRA-sim adapter: the Chakra ET writer, input files, support decisions and parsing of the
 * recorded raw outputs (results/raw/astra-sim/, the fixtures). Nothing here runs the simulator.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, isAbsolute } from "node:path";
import { parse as parseYaml } from "yaml";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { Cell } from "../../pipeline/lib/schema.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import { collectiveEt, sendRecvEt, encodeEt, CollectiveCommType, NodeType } from "../../tools-under-test/astra-sim/chakra-et.ts";
import {
  astraSimAdapter,
  availability,
  supports,
  writeInputs,
  parseFinishNs,
  networkConfig,
  NO_TRACE_REASON,
  SYSTEM_H100,
} from "../../tools-under-test/astra-sim/adapter.ts";

const RAW = "results/raw/astra-sim";
const FIXTURES = "tools-under-test/astra-sim/fixtures";
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
const ctxOf = (workDir = mkdtempSync(join(tmpdir(), "astra-"))) => ({ suite, workDir });

describe("Chakra ET writer", () => {
  it("writes byte-identical files to ASTRA-sim's own microbenchmark generator (all_reduce 8npus_1MB)", () => {
    for (const rank of [0, 3]) {
      const upstream = readFileSync(join(FIXTURES, `all_reduce.${rank}.et`));
      expect(collectiveEt(rank, CollectiveCommType.ALL_REDUCE, 1024 * 1024, "all_reduce_8npus_1MB").equals(upstream)).toBe(true);
    }
    // a different size or rank gives different bytes (the comparison is not vacuous)
    expect(collectiveEt(0, CollectiveCommType.ALL_REDUCE, 2048, "all_reduce_8npus_1MB").equals(readFileSync(join(FIXTURES, "all_reduce.0.et")))).toBe(false);
  });

  it("encodes varints and proto3 defaults like protobuf", () => {
    // GlobalMetadata{version:"0.0.4"} = 0a 05 '0.0.4', prefixed by its length 7
    const metaOnly = encodeEt([]);
    expect([...metaOnly]).toEqual([7, 0x0a, 5, ...Buffer.from("0.0.4")]);
    // 64 MiB = 2^26 -> varint 80 80 80 20
    const et = collectiveEt(0, CollectiveCommType.ALL_REDUCE, 2 ** 26, "x");
    expect(et.includes(Buffer.from([0x48, 0x80, 0x80, 0x80, 0x20]))).toBe(true);
    // node id 0 is omitted, id 5 is written as field 1 (08 05)
    expect(collectiveEt(5, 0, 1, "x").includes(Buffer.from([0x08, 0x05]))).toBe(true);
    // send on the source rank, recv on the destination
    expect(sendRecvEt(0, 0, 1, 2048, "p").includes(Buffer.from([0x18, NodeType.COMM_SEND_NODE]))).toBe(true);
    expect(sendRecvEt(1, 0, 1, 2048, "p").includes(Buffer.from([0x18, NodeType.COMM_RECV_NODE]))).toBe(true);
  });
});

describe("supports()", () => {
  it("runs single-node collectives on H100 and A100", () => {
    for (const id of [
      "vidur.all-reduce.b1048576.x8.h100-sxm5-80gb",
      "vidur.all-reduce.b2048.x2.a100-sxm4-80gb",
      "vidur.send-recv.b67108864.x2.h100-sxm5-80gb",
    ])
      expect(supports(cell(id), suite)).toEqual({ ok: true });
  });

  it("declines everything else with a reason", () => {
    const nonCollective = [...suite.cells.values()].find((c) => c.workload.kind === "gemm")!;
    expect(supports(nonCollective, suite)).toEqual({ ok: false, reason: NO_TRACE_REASON });
    const base = cell("vidur.all-reduce.b1048576.x8.h100-sxm5-80gb");
    const variant = (patch: Record<string, unknown>) => Cell.parse({ ...base, id: "t", ...patch });
    const w = base.workload as Extract<Cell["workload"], { kind: "collective" }>;
    const multiNode = variant({ workload: { ...w, n_devices: 16 }, n_devices: 16, parallelism: { tp: 16, pp: 1, dp: 1 } });
    expect(supports(multiNode, suite)).toMatchObject({ ok: false, reason: expect.stringContaining("multi-node") });
    const h200 = variant({ hardware: "h200-sxm-141gb" });
    expect(supports(h200, suite)).toMatchObject({ ok: false, reason: expect.stringContaining("no ASTRA-sim network config") });
    const bw = variant({ metric: "bus_bandwidth", unit: "GB/s" });
    expect(supports(bw, suite).ok).toBe(false);
  });
});

describe("prepare(): input files", () => {
  it("writes the A100 Switch config, the H100-validated system config and one ET per NPU", () => {
    const c = cell("vidur.all-reduce.b4194304.x4.a100-sxm4-80gb");
    const dir = join(mkdtempSync(join(tmpdir(), "astra-")), c.id);
    const p = writeInputs(c, suite, dir);
    const net = parseYaml(readFileSync(join(dir, "network.yml"), "utf8"));
    // 300e9 B/s per direction, expressed in ASTRA-sim's 2^30-byte "GB/s"
    expect(net).toEqual({ topology: ["Switch"], npus_count: [4], bandwidth: [300e9 / 2 ** 30], latency: [936.25] });
    expect(net.bandwidth[0]).toBeCloseTo(279.397, 3);
    const sys = JSON.parse(readFileSync(join(dir, "system.json"), "utf8"));
    expect(sys).toEqual({ ...SYSTEM_H100, "local-mem-bw": 2039 });
    expect(JSON.parse(readFileSync(join(dir, "remote_memory.json"), "utf8"))).toEqual({ "memory-type": "NO_MEMORY_EXPANSION" });
    expect(readdirSync(join(dir, "et")).sort()).toEqual(["all_reduce.0.et", "all_reduce.1.et", "all_reduce.2.et", "all_reduce.3.et"]);
    expect(readFileSync(join(dir, "et", "all_reduce.2.et")).equals(collectiveEt(2, CollectiveCommType.ALL_REDUCE, 4194304, "all_reduce_4npus_4194304B"))).toBe(true);
    expect(p.args).toContain(`--workload-configuration=${join(dir, "et", "all_reduce")}`);
    expect(p.args.every((a) => isAbsolute(a.split("=")[1]!))).toBe(true);
  });

  it("uses ASTRA-sim's HGX-H100-validated values for H100", () => {
    const c = cell("vidur.all-reduce.b2048.x8.h100-sxm5-80gb");
    const dir = join(mkdtempSync(join(tmpdir(), "astra-")), c.id);
    writeInputs(c, suite, dir);
    expect(parseYaml(readFileSync(join(dir, "network.yml"), "utf8"))).toEqual({ topology: ["Switch"], npus_count: [8], bandwidth: [400], latency: [936.25] });
    expect(JSON.parse(readFileSync(join(dir, "system.json"), "utf8"))["local-mem-bw"]).toBe(3350);
    expect(networkConfig(suite.hardware.get("h200-sxm-141gb")!)).toBeUndefined();
  });
});

describe("parse()", () => {
  it("reads the recorded output: 22604 cycles = 22.604 us (hand-checked)", () => {
    const id = "vidur.all-reduce.b2048.x4.a100-sxm4-80gb";
    const raw = readFileSync(join(RAW, `${id}.txt`), "utf8");
    expect(raw).toContain("sys[3] finished, 22604 cycles");
    const p = astraSimAdapter.parse(raw, cell(id), ctxOf());
    expect(p.unit).toBe("s");
    expect(p.value).toBeCloseTo(22.604e-6, 12);
  });

  it("parses every recorded output to a positive time, one line per rank", () => {
    const files = readdirSync(RAW).filter((f) => f.endsWith(".txt"));
    expect(files.length).toBe(40);
    for (const f of files) {
      const c = cell(f.replace(/\.txt$/, ""));
      const v = astraSimAdapter.parse(readFileSync(join(RAW, f), "utf8"), c, ctxOf()).value;
      expect(v).toBeGreaterThan(1e-6);
      expect(v).toBeLessThan(1e-2);
    }
  });

  it("takes the max over ranks and rejects output with a rank missing", () => {
    const raw = "[info] sys[0] finished, 100 cycles, exposed communication 100 cycles.\n[info] sys[1] finished, 250 cycles, exposed communication 250 cycles.\n";
    expect(parseFinishNs(raw, 2)).toBe(250);
    expect(() => parseFinishNs(raw, 3)).toThrow(/rank\(s\) 2 of 3/);
    expect(() => parseFinishNs("Segmentation fault", 2)).toThrow(/rank\(s\) 0, 1/);
  });
});

describe("without the simulator", () => {
  it("is unavailable with a reason", () => {
    expect(availability({})).toEqual({ available: false, reason: "ASTRASIM_BIN is not set" });
    expect(availability({ ASTRASIM_BIN: "/nonexistent/AstraSim" }).available).toBe(false);
  });

  it("the runner re-parses the recorded outputs into predictions", async () => {
    vi.stubEnv("ASTRASIM_BIN", "");
    const root = mkdtempSync(join(tmpdir(), "astra-run-"));
    const rows = await runTool(astraSimAdapter, suite, { rawDir: "results/raw", journalDir: join(root, "journal"), workDir: join(root, "tools") });
    const ok = rows.filter((r) => r.status === "ok");
    expect(ok.length).toBe(40);
    expect(ok.every((r) => r.reason === "re-parsed recorded output")).toBe(true);
    const r = rows.find((x) => x.cell_id === "vidur.all-reduce.b2048.x4.a100-sxm4-80gb")!;
    expect(r.predicted).toBeCloseTo(0.022604, 9); // ms, the cell's unit
    const nonCollective = rows.filter((x) => suite.cells.get(x.cell_id)!.workload.kind !== "collective");
    expect(nonCollective.length).toBeGreaterThan(0);
    expect(nonCollective.every((x) => x.status === "not-run" && x.reason === NO_TRACE_REASON)).toBe(true);
  });
});
