/**
 * ASTRA-sim adapter: the Chakra ET writer, input files against golden files, support decisions,
 * parsing of the recorded raw outputs (results/raw/astra-sim/), the size-ladder cell file, and the
 * runner's behaviour with this adapter when the simulator is missing, fails, hangs or prints
 * garbage (fake executables in a temp dir). The real simulator is never run here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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
  parseRun,
  commSizeBytes,
  networkConfig,
  metadata,
  NO_TRACE_REASON,
  TIME_TO_TRAIN_REASON,
  NO_PLAN_REASON,
  PROGRAM,
  SYSTEM_H100,
} from "../../tools-under-test/astra-sim/adapter.ts";
import { renderLadder, CELLS_FILE, LADDER_BYTES } from "../../tools-under-test/astra-sim/gen-cells.ts";
import { dockerArgs } from "../../pipeline/lib/exec.ts";

const RAW = "results/raw/astra-sim";
const FIXTURES = "tools-under-test/astra-sim/fixtures";
const GOLDEN = "test/tools/fixtures/astra-sim/inputs";
/** Cells whose recorded raw outputs are committed: every collective cell on H100/A100 (122) and the three training steps. */
const RECORDED_COLLECTIVES = 122;
const RECORDED_CELLS = RECORDED_COLLECTIVES + 3;
let suite: Suite;
beforeAll(() => {
  suite = loadSuite(".", { groundTruth: false });
});
afterEach(() => {
  vi.unstubAllEnvs();
});
/** Temp dirs made by these tests, removed at the end. */
const tmpDirs: string[] = [];
const mkTmp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

const cell = (id: string): Cell => {
  const c = suite.cells.get(id);
  if (!c) throw new Error(`cell ${id} is not in the suite`);
  return c;
};
const ctxOf = (workDir = mkTmp("astra-")) => ({ suite, workDir });

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
    const dir = join(mkTmp("astra-"), c.id);
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
    const dir = join(mkTmp("astra-"), c.id);
    writeInputs(c, suite, dir);
    expect(parseYaml(readFileSync(join(dir, "network.yml"), "utf8"))).toEqual({ topology: ["Switch"], npus_count: [8], bandwidth: [400], latency: [936.25] });
    expect(JSON.parse(readFileSync(join(dir, "system.json"), "utf8"))["local-mem-bw"]).toBe(3350);
    expect(networkConfig(suite.hardware.get("h200-sxm-141gb")!)).toBeUndefined();
  });
});

describe("prepare(): golden input files", () => {
  // network.yml, system.json and remote_memory.json as reviewed once by hand against upstream's
  // HGX-H100-validated configs; the ETs were written by Chakra's official protobuf classes
  // (test/tools/fixtures/astra-sim/make-golden-ets.py), not by chakra-et.ts.
  for (const id of ["coll.all-gather.b1048576.x8.h100-sxm5-80gb", "coll.reduce-scatter.b1073741824.x8.a100-sxm4-80gb", "vidur.send-recv.b2048.x2.a100-sxm4-80gb"])
    it(`${id}: every generated file equals the golden one, byte for byte`, () => {
      const dir = join(mkTmp("astra-"), id);
      const p = writeInputs(cell(id), suite, dir);
      for (const f of ["network.yml", "system.json", "remote_memory.json"]) expect(readFileSync(join(dir, f), "utf8"), f).toBe(readFileSync(join(GOLDEN, id, f), "utf8"));
      const ets = readdirSync(join(GOLDEN, id, "et")).sort();
      expect(readdirSync(join(dir, "et")).sort()).toEqual(ets);
      expect(ets.length).toBe(cell(id).n_devices);
      for (const f of ets) expect(readFileSync(join(dir, "et", f)).equals(readFileSync(join(GOLDEN, id, "et", f))), f).toBe(true);
      // lines of input counted by the runner: the three text files only (the ETs are binary)
      expect(p.textInputs.map((f) => f.slice(dir.length + 1))).toEqual(["network.yml", "system.json", "remote_memory.json"]);
    });

  it("H100 configs equal upstream's HGX-H100-validated.yml/.json and no_memory_expansion.json (parsed)", () => {
    const dir = join(mkTmp("astra-"), "x");
    writeInputs(cell("coll.all-gather.b1048576.x8.h100-sxm5-80gb"), suite, dir);
    expect(parseYaml(readFileSync(join(dir, "network.yml"), "utf8"))).toEqual(parseYaml(readFileSync(join(FIXTURES, "HGX-H100-validated.yml"), "utf8")));
    expect(JSON.parse(readFileSync(join(dir, "system.json"), "utf8"))).toEqual(JSON.parse(readFileSync(join(FIXTURES, "HGX-H100-validated.json"), "utf8")));
    expect(JSON.parse(readFileSync(join(dir, "remote_memory.json"), "utf8"))).toEqual(JSON.parse(readFileSync(join(FIXTURES, "no_memory_expansion.json"), "utf8")));
  });

  it("gives ASTRA-sim the input per NPU: all-gather bytes / n, others bytes", () => {
    expect(commSizeBytes("all-gather", 1 << 20, 8)).toBe(1 << 17);
    expect(commSizeBytes("reduce-scatter", 1 << 20, 8)).toBe(1 << 20);
    expect(commSizeBytes("all-reduce", 1 << 20, 8)).toBe(1 << 20);
    expect(() => commSizeBytes("all-gather", 1001, 8)).toThrow(/multiple of the NPU count/);
  });
});

describe("the collective size ladder (suite/cells/astra-sim-collectives.yaml)", () => {
  it("is what gen-cells.ts writes, and leaves Vidur's measured points to published-vidur.yaml", () => {
    expect(readFileSync(CELLS_FILE, "utf8")).toBe(renderLadder());
    expect(LADDER_BYTES[0]).toBe(1024);
    expect(LADDER_BYTES.at(-1)).toBe(2 ** 30);
    const ladder = [...suite.cells.values()].filter((c) => c.id.startsWith("coll."));
    // 11 sizes x 3 ops x 2 devices, less the 4 all-reduce sizes Vidur measured on 8 GPUs (x 2 devices)
    expect(ladder.length).toBe(11 * 3 * 2 - 4 * 2);
    for (const b of [1 << 20, 1 << 22, 1 << 24, 1 << 26])
      for (const hw of ["h100-sxm5-80gb", "a100-sxm4-80gb"]) {
        expect(suite.cells.has(`coll.all-reduce.b${b}.x8.${hw}`)).toBe(false);
        expect(suite.cells.has(`vidur.all-reduce.b${b}.x8.${hw}`)).toBe(true);
      }
    for (const c of ladder) expect(supports(c, suite)).toEqual({ ok: true });
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

  it("parses every recorded collective output to a positive time, one line per rank", () => {
    const files = readdirSync(RAW).filter((f) => f.endsWith(".txt"));
    expect(files.length).toBe(RECORDED_CELLS);
    const collectives = files.filter((f) => cell(f.replace(/\.txt$/, "")).workload.kind === "collective");
    expect(collectives.length).toBe(RECORDED_COLLECTIVES);
    for (const f of collectives) {
      const c = cell(f.replace(/\.txt$/, ""));
      const v = astraSimAdapter.parse(readFileSync(join(RAW, f), "utf8"), c, ctxOf()).value;
      expect(v).toBeGreaterThan(1e-6);
      expect(v).toBeLessThan(1e-2);
      // no compute nodes: all of the time is exposed communication
      const run = parseRun(readFileSync(join(RAW, f), "utf8"), c.n_devices);
      expect(run.exposed_comm_ns).toBe(run.finish_ns);
    }
  });

  it("reads a recorded 1 GiB all-gather on 8 H100s: 1120118 cycles on every rank", () => {
    const id = "coll.all-gather.b1073741824.x8.h100-sxm5-80gb";
    const run = parseRun(readFileSync(join(RAW, `${id}.txt`), "utf8"), 8);
    expect(run.ranks.map((r) => r.rank)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(run.ranks.every((r) => r.finish_cycles === 1120118 && r.exposed_comm_cycles === 1120118)).toBe(true);
    expect(astraSimAdapter.parse(readFileSync(join(RAW, `${id}.txt`), "utf8"), cell(id), ctxOf()).value).toBeCloseTo(1.120118e-3, 12);
  });

  it("takes the max over ranks and rejects output with a rank missing", () => {
    const raw = "[info] sys[0] finished, 100 cycles, exposed communication 100 cycles.\n[info] sys[1] finished, 250 cycles, exposed communication 250 cycles.\n";
    expect(parseFinishNs(raw, 2)).toBe(250);
    expect(() => parseFinishNs(raw, 3)).toThrow(/rank\(s\) 2 of 3/);
    expect(() => parseFinishNs("Segmentation fault", 2)).toThrow(/rank\(s\) 0, 1/);
    expect(() => parseFinishNs(raw, 1)).toThrow(/rank\(s\) 1, beyond the 1 NPUs/);
  });

  it("keeps exposed communication apart from the finish time (a trace with compute)", () => {
    const raw = "sys[0] finished, 1000 cycles, exposed communication 300 cycles.\nsys[1] finished, 1200 cycles, exposed communication 450 cycles.\n";
    expect(parseRun(raw, 2)).toEqual({
      ranks: [
        { rank: 0, finish_cycles: 1000, exposed_comm_cycles: 300 },
        { rank: 1, finish_cycles: 1200, exposed_comm_cycles: 450 },
      ],
      finish_ns: 1200,
      exposed_comm_ns: 450,
    });
  });
});

describe("without the simulator", () => {
  it("is unavailable with a reason; set but missing counts as configured (cells fail, no re-parse)", () => {
    expect(availability({})).toEqual({ available: false, reason: "ASTRASIM_BIN is not set" });
    expect(availability({ ASTRASIM_BIN: "/nonexistent/AstraSim" })).toMatchObject({ available: false, configured: true });
  });

  it("the runner re-parses the recorded outputs into predictions", async () => {
    vi.stubEnv("ASTRASIM_BIN", "");
    const root = mkTmp("astra-run-");
    const rows = await runTool(astraSimAdapter, suite, { rawDir: "results/raw", journalDir: join(root, "journal"), workDir: join(root, "tools") });
    const ok = rows.filter((r) => r.status === "ok");
    expect(ok.length).toBe(RECORDED_CELLS);
    expect(ok.every((r) => r.reason === "re-parsed recorded output")).toBe(true);
    const r = rows.find((x) => x.cell_id === "vidur.all-reduce.b2048.x4.a100-sxm4-80gb")!;
    expect(r.predicted).toBeCloseTo(0.022604, 9); // ms, the cell's unit
    const kind = (x: { cell_id: string }) => suite.cells.get(x.cell_id)!.workload.kind;
    const nonCollective = rows.filter((x) => kind(x) !== "collective" && kind(x) !== "training");
    expect(nonCollective.length).toBeGreaterThan(0);
    expect(nonCollective.every((x) => x.status === "not-run" && x.reason === NO_TRACE_REASON)).toBe(true);
    // training: the three step cells re-parsed, time-to-train cells declined with their reason
    const training = rows.filter((x) => kind(x) === "training");
    expect(training.filter((x) => x.status === "ok").map((x) => x.cell_id).sort()).toEqual([
      "mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512",
      "mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x64",
      "mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x8",
    ]);
    for (const x of training.filter((r) => r.status !== "ok")) {
      const w = suite.cells.get(x.cell_id)!.workload as Extract<Cell["workload"], { kind: "training" }>;
      expect(x).toMatchObject({ status: "not-run", reason: w.scope === "time-to-train" ? TIME_TO_TRAIN_REASON : NO_PLAN_REASON });
    }
  });
});

describe("the runner with a broken simulator (fake executables)", () => {
  // A few cells keep these runs fast: two collectives, a send-recv and a cell ASTRA-sim does not support.
  const IDS = [
    "vidur.all-reduce.b2048.x4.h100-sxm5-80gb",
    "vidur.all-reduce.b1048576.x8.a100-sxm4-80gb",
    "vidur.send-recv.b2048.x2.h100-sxm5-80gb",
  ] as const;
  const small = (): Suite => {
    const other = [...suite.cells.values()].find((c) => c.workload.kind === "gemm")!;
    return { ...suite, cells: new Map([...IDS, other.id].map((id) => [id, suite.cells.get(id)!])) };
  };
  /** A fake AstraSim binary: a shell script in a fresh temp dir. */
  const fake = (body: string): string => {
    const dir = mkTmp("astra-fake-");
    const bin = join(dir, "AstraSim_Analytical_Congestion_Unaware");
    writeFileSync(bin, `#!/bin/sh\n${body}\n`);
    chmodSync(bin, 0o755);
    return bin;
  };
  /** Prints one valid 'finished' line per NPU of the network config it is given, like the real binary. */
  const GOOD = [
    'for a in "$@"; do case "$a" in --network-configuration=*) net="${a#*=}";; esac; done',
    'n=$(sed -n "s/^npus_count: \\[ *\\([0-9]*\\) *\\]/\\1/p" "$net")',
    'i=0; while [ "$i" -lt "$n" ]; do echo "[workload] [info] sys[$i] finished, $((1000 + i)) cycles, exposed communication $((1000 + i)) cycles."; i=$((i + 1)); done',
  ].join("\n");
  const run = async (env: Record<string, string>) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const root = mkTmp("astra-run-");
    const rawDir = join(root, "raw");
    const rows = await runTool(astraSimAdapter, small(), { rawDir, journalDir: join(root, "journal"), workDir: join(root, "tools") });
    const by = new Map(rows.map((r) => [r.cell_id, r]));
    const recorded = existsSync(join(rawDir, "astra-sim")) ? readdirSync(join(rawDir, "astra-sim")).sort() : [];
    return { rows, by, recorded, rawDir, unsupported: rows.find((r) => !(IDS as readonly string[]).includes(r.cell_id))! };
  };
  const expectFailedAll = (r: Awaited<ReturnType<typeof run>>, reason: RegExp) => {
    for (const id of IDS) {
      expect(r.by.get(id), id).toMatchObject({ status: "failed", predicted: undefined, reason: expect.stringMatching(reason) });
    }
    // the cell ASTRA-sim does not run keeps its own row and reason
    expect(r.unsupported).toMatchObject({ status: "not-run", reason: NO_TRACE_REASON });
    // nothing is recorded for a failed run (a rerun cannot overwrite a good record with garbage)
    expect(r.recorded.filter((f) => f.endsWith(".txt"))).toEqual([]);
  };

  it("a fake that behaves gives ok rows: the max over ranks, 1 cycle = 1 ns", async () => {
    const r = await run({ ASTRASIM_BIN: fake(GOOD) });
    expect(r.by.get(IDS[0])).toMatchObject({ status: "ok", predicted: 1.003e-3 }); // 4 ranks: max 1003 ns, in ms
    expect(r.by.get(IDS[1])).toMatchObject({ status: "ok", predicted: 1.007e-3 });
    expect(r.by.get(IDS[2])).toMatchObject({ status: "ok", predicted: 1.001e-3 });
    expect(r.recorded).toEqual([...IDS.map((id) => `${id}.txt`), "wall_s.csv"].sort());
    // lines of input per cell, recorded beside wall_s: the three text files (same line count as the golden ones)
    const golden = ["network.yml", "system.json", "remote_memory.json"].map((f) => readFileSync(join(GOLDEN, "coll.all-gather.b1048576.x8.h100-sxm5-80gb", f), "utf8"));
    const lines = golden.reduce((n, t) => n + t.split("\n").length - 1, 0);
    expect(lines).toBe(4 + 21 + 3);
    const walls = readFileSync(join(r.rawDir, "astra-sim", "wall_s.csv"), "utf8").trim().split("\n").slice(1);
    expect(walls.map((l) => l.split(",")[2])).toEqual(IDS.map(() => String(lines)));
  });

  it("missing binary: every supported cell fails with the reason", async () => {
    const r = await run({ ASTRASIM_BIN: join(mkTmp("astra-none-"), "AstraSim") });
    expectFailedAll(r, /tool cannot run here: ASTRASIM_BIN=.*AstraSim is not a file/);
  });

  it("non-zero exit: failed with the exit code and the last stderr line", async () => {
    const r = await run({ ASTRASIM_BIN: fake('echo "[error] cannot open workload" >&2; exit 3') });
    expectFailedAll(r, /exited with code 3: \[error\] cannot open workload/);
  });

  it("timeout: failed, 'timed out after 1 s'", async () => {
    const r = await run({ ASTRASIM_BIN: fake("sleep 30"), ASTRASIM_TIMEOUT_S: "1" });
    expectFailedAll(r, /timed out after 1 s/);
  }, 20_000);

  it("garbage output (exit 0): failed, naming the missing rank lines", async () => {
    const r = await run({ ASTRASIM_BIN: fake('echo "Segmentation fault (core dumped)"; exit 0') });
    expectFailedAll(r, /lacks 'sys\[i\] finished, T cycles' for rank\(s\) 0, 1/);
  });

  it("one failing cell leaves the other rows intact", async () => {
    const r = await run({ ASTRASIM_BIN: fake(`case "$*" in *b1048576*) echo crash >&2; exit 139;; esac\n${GOOD}`) });
    expect(r.by.get(IDS[1])).toMatchObject({ status: "failed", reason: expect.stringMatching(/exited with code 139: crash/) });
    expect(r.by.get(IDS[0])).toMatchObject({ status: "ok", predicted: 1.003e-3 });
    expect(r.by.get(IDS[2])).toMatchObject({ status: "ok", predicted: 1.001e-3 });
    expect(r.unsupported.status).toBe("not-run");
    expect(r.recorded).toEqual([`${IDS[0]}.txt`, `${IDS[2]}.txt`, "wall_s.csv"]);
  });
});

describe("Docker launcher (arguments only; no engine here)", () => {
  it("maps the program to its path in the image, mounts inputs read-only and out/ read-write, no network", () => {
    const dir = join(mkTmp("astra-"), "c");
    const p = writeInputs(cell("vidur.all-reduce.b2048.x2.h100-sxm5-80gb"), suite, dir);
    const inv = { program: PROGRAM, args: p.args, cwd: p.runDir, readOnly: p.inputs, writable: [p.runDir], timeout_s: 300 };
    const a = dockerArgs(metadata, inv, {});
    expect(a.slice(0, 4)).toEqual(["run", "--rm", "--network", "none"]);
    const image = a.indexOf(metadata.runner.docker!.image);
    expect(image).toBeGreaterThan(0);
    expect(a[image + 1]).toBe("/app/astra-sim/build/astra_analytical/build/bin/AstraSim_Analytical_Congestion_Unaware");
    expect(a.slice(image + 2)).toEqual(p.args);
    for (const f of p.inputs) expect(a).toContain(`${f}:${f}:ro`);
    expect(a).toContain(`${p.runDir}:${p.runDir}`);
    expect(a[a.indexOf("-w") + 1]).toBe(p.runDir);
    expect(dockerArgs(metadata, inv, { ASTRA_SIM_DOCKER_IMAGE: "mine:1" })).toContain("mine:1");
    expect(metadata.runner.docker!.provenance).toContain("4f387bcd04f8949923f7934c7181fb56a3d941d0/Dockerfile");
  });
});
