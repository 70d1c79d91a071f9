/**
 * Scale-out without daemons (issue 21): the worker pool, the content-addressed cell cache, the
 * runner's parallel and cached paths, the Slurm executor's pure parts, and make evaluate's
 * one-line stops. The tests against real dockerd and slurmd are in test/infra (make test-infra).
 */
import { describe, expect, it } from "vitest";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { NamedLocks, parseJobs, runPool } from "../../pipeline/lib/pool.ts";
import { canonicalJson, CellCache, cellKey, importClosure, runtimeImports, toolKeyBase } from "../../pipeline/lib/cache.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import { loadSuite } from "../../pipeline/lib/suite.ts";
import { parseTaskStates, shq, taskScript, timeRequestMin } from "../../pipeline/lib/slurm.ts";
import type { ToolAdapter } from "../../pipeline/lib/tool.ts";
import type { Cell, PredictionRow, ToolMetadata } from "../../pipeline/lib/schema.ts";
import { tempSuite, goodCell } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("worker pool (pipeline/lib/pool.ts)", () => {
  it("keeps input order, never runs more than `jobs` at once, and reports running items", async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const out = await runPool(
      [50, 10, 40, 0, 30, 20],
      3,
      async (ms, i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await sleep(ms);
        inFlight--;
        return `${i}:${ms}`;
      },
      { onStart: (_x, _i, running) => seen.push(running.size) },
    );
    expect(out).toEqual(["0:50", "1:10", "2:40", "3:0", "4:30", "5:20"]);
    expect(most).toBe(3);
    expect(Math.max(...seen)).toBe(3);
  });

  it("runs tasks naming the same resource one after another", async () => {
    const locks = new NamedLocks();
    const log: string[] = [];
    const task = (name: string | undefined, id: string) =>
      locks.lock(name, async () => {
        log.push(`start ${id}`);
        await sleep(20);
        log.push(`end ${id}`);
      });
    await Promise.all([task("cache", "a"), task("cache", "b"), task(undefined, "c")]);
    expect(log.indexOf("end a")).toBeLessThan(log.indexOf("start b"));
    expect(log.indexOf("start c")).toBeLessThan(log.indexOf("end a"));
  });

  it("reads JOBS as a positive integer and rejects anything else with the variable's name", () => {
    expect(parseJobs("4")).toBe(4);
    expect(parseJobs(undefined)).toBeUndefined();
    expect(() => parseJobs("0")).toThrow(/^JOBS=0: expected a positive integer/);
    expect(() => parseJobs("two")).toThrow(/^JOBS=two/);
  });
});

/** A temporary repository root with tools-under-test/<tool>/adapter.ts importing lib.ts (and a type-only import). */
function fakeRepo(tools: string[]): string {
  const root = mkdtempSync(join(tmpdir(), "repo-"));
  for (const t of tools) {
    mkdirSync(join(root, "tools-under-test", t), { recursive: true });
    writeFileSync(join(root, "tools-under-test", t, "adapter.ts"), `import { f } from "./lib.ts";\nimport type { T } from "../../engine/types.ts";\nexport const a = f;\n`);
    writeFileSync(join(root, "tools-under-test", t, "lib.ts"), `export const f = 1;\n`);
    writeFileSync(join(root, "tools-under-test", t, "README.md"), "docs only\n");
  }
  mkdirSync(join(root, "engine"), { recursive: true });
  writeFileSync(join(root, "engine", "types.ts"), "export type T = number;\n");
  return root;
}

const meta = (name: string): ToolMetadata => ({ name, display_name: name, version: "1", license: "MIT", methodology: "test", runner: { kind: "local", env: ["FAKE_BIN"] } });

describe("content-addressed cell cache (pipeline/lib/cache.ts)", () => {
  const suite = loadSuite(tempSuite([goodCell, { ...goodCell, id: "other" }]), { groundTruth: false });
  const cell = suite.cells.get(goodCell.id)!;
  const roots = { root: "/r", work: "/w" };

  it("follows run-time imports only and sorts keys: the same inputs in any order give the same key", () => {
    expect(runtimeImports(`import type { A } from "./a.ts";\nimport { b } from "./b.ts";\nexport { c } from "./c.ts";\nimport x from "yaml";`)).toEqual(["./b.ts", "./c.ts"]);
    const repo = fakeRepo(["fake"]);
    expect(importClosure(join(repo, "tools-under-test/fake/adapter.ts")).map((f) => f.slice(repo.length + 1))).toEqual(["tools-under-test/fake/adapter.ts", "tools-under-test/fake/lib.ts"]);
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: [2, { y: 2, z: 1 }] }, b: 1 }));
    const base = toolKeyBase(meta("fake"), {}, repo);
    const reordered = Object.fromEntries(Object.entries(cell).reverse()) as Cell;
    expect(cellKey(base, reordered, suite, [], roots)).toBe(cellKey(base, cell, suite, [], roots));
  });

  it("changes exactly when the cell, its hardware, the tool's binary, its source or its input files change", () => {
    const repo = fakeRepo(["fake", "other"]);
    const dir = mkdtempSync(join(tmpdir(), "inputs-"));
    const input = join(dir, "arch.yaml");
    writeFileSync(input, `pe: 168\nout: ${dir}/x\n`);
    const bin = join(dir, "sim");
    writeFileSync(bin, "v1");
    const k = (env: NodeJS.ProcessEnv = { FAKE_BIN: bin }, c: Cell = cell, tool = "fake", s = suite, inputs = [input]) => cellKey(toolKeyBase(meta(tool), env, repo), c, s, inputs, { root: repo, work: dir });
    const k0 = k();
    const other0 = k(undefined, undefined, "other");
    expect(k()).toBe(k0);
    expect(k(undefined, { ...cell, precision: "fp16" })).not.toBe(k0);
    const s2 = loadSuite(tempSuite([goodCell]), { groundTruth: false });
    expect(k(undefined, undefined, undefined, s2)).toBe(k0); // same hardware and model content elsewhere
    const hw = s2.hardware.get(cell.hardware)!;
    s2.hardware.set(cell.hardware, { ...hw, name: `${hw.name} (edited)` });
    expect(k(undefined, undefined, undefined, s2)).not.toBe(k0);
    writeFileSync(bin, "v2");
    const kBin = k();
    expect(kBin).not.toBe(k0);
    const otherBin = k(undefined, undefined, "other");
    expect(otherBin).not.toBe(other0); // both tools name FAKE_BIN
    // an edited adapter module invalidates its tool's cells, not the other tool's
    writeFileSync(join(repo, "tools-under-test/fake/lib.ts"), "export const f = 2;\n");
    expect(k()).not.toBe(kBin);
    expect(k(undefined, undefined, "other")).toBe(otherBin);
    // documentation is not a source; a type-only import is not a run-time dependency
    const kSrc = k();
    writeFileSync(join(repo, "tools-under-test/fake/README.md"), "more docs\n");
    writeFileSync(join(repo, "engine/types.ts"), "export type T = string;\n");
    expect(k()).toBe(kSrc);
    writeFileSync(input, `pe: 169\nout: ${dir}/x\n`);
    expect(k()).not.toBe(kSrc);
  });

  it("does not depend on where the checkout and scratch directory are", () => {
    const repo = fakeRepo(["fake"]);
    const key = (work: string) => {
      mkdirSync(work, { recursive: true });
      writeFileSync(join(work, "in.yaml"), `file: ${work}/problem.yaml\n`);
      return cellKey(toolKeyBase(meta("fake"), {}, repo), cell, suite, [join(work, "in.yaml")], { root: repo, work });
    };
    expect(key(mkdtempSync(join(tmpdir(), "w1-")))).toBe(key(mkdtempSync(join(tmpdir(), "w2-"))));
  });
});

/** A fake external tool with a live invoke() that counts its calls and sleeps a cell-dependent time. */
function liveTool(calls: string[], inFlight = { now: 0, most: 0 }): ToolAdapter<Cell> {
  return {
    metadata: meta("fake"),
    recordRaw: true,
    availability: async () => ({ available: true }),
    supports: (c) => (c.id.startsWith("n-") ? { ok: false, reason: "unsupported here" } : { ok: true }),
    prepare: async (c) => c,
    invoke: async (c) => {
      calls.push(c.id);
      inFlight.now++;
      inFlight.most = Math.max(inFlight.most, inFlight.now);
      await sleep(5 + (c.id.length % 7) * 5);
      inFlight.now--;
      if (c.id.startsWith("f-")) throw new Error("simulator crashed");
      return `latency_ms=${c.id.length}\n`;
    },
    parse: (raw) => ({ value: Number(/latency_ms=([\d.]+)/.exec(raw)![1]), unit: "ms" }),
  };
}

const manyCells = Array.from({ length: 12 }, (_, i) => ({ ...goodCell, id: `${i % 5 === 0 ? "f-" : i % 4 === 0 ? "n-" : "c-"}${"x".repeat(i)}${i}`, unit: "ms" }));
const strip = (rows: PredictionRow[]) => rows.map(({ wall_s: _w, ...r }) => r);

describe("the runner's pool and cache", () => {
  function setup() {
    const root = tempSuite(manyCells);
    const suite = loadSuite(root, { groundTruth: false });
    const dirs = (n: string) => ({ rawDir: join(root, n, "raw"), journalDir: join(root, n, "j"), workDir: join(root, n, "w") });
    return { root, suite, dirs };
  }

  it("JOBS=4 gives exactly the rows and raw outputs of a serial run, with 4 cells in flight", async () => {
    const { suite, dirs } = setup();
    const serialCalls: string[] = [];
    const serial = await runTool(liveTool(serialCalls), suite, { ...dirs("s"), jobs: 1 });
    const flight = { now: 0, most: 0 };
    const running: number[] = [];
    const parallel = await runTool(liveTool([], flight), suite, { ...dirs("p"), jobs: 4, onRunning: (_t, r) => running.push(r.length) });
    expect(strip(parallel)).toEqual(strip(serial));
    expect(parallel.map((r) => r.status)).toContain("failed");
    expect(parallel.map((r) => r.status)).toContain("not-run");
    expect(flight.most).toBe(4);
    expect(Math.max(...running)).toBe(4);
    for (const r of serial.filter((x) => x.status === "ok"))
      expect(readFileSync(join(dirs("p").rawDir, "fake", `${r.cell_id}.txt`), "utf8")).toBe(readFileSync(join(dirs("s").rawDir, "fake", `${r.cell_id}.txt`), "utf8"));
  });

  it("reuses cached outputs on a rerun (no live call, same rows), and misses only after a source change", async () => {
    const { suite, dirs } = setup();
    const repo = fakeRepo(["fake"]);
    const cache = new CellCache(mkdtempSync(join(tmpdir(), "cache-")));
    const first: string[] = [];
    const a = await runTool(liveTool(first), suite, { ...dirs("a"), rerun: true, cache, repoRoot: repo, jobs: 3 });
    const okCells = a.filter((r) => r.status === "ok").map((r) => r.cell_id);
    expect(okCells.length).toBeGreaterThan(3);
    const second: string[] = [];
    const b = await runTool(liveTool(second), suite, { ...dirs("b"), rerun: true, cache, repoRoot: repo, jobs: 3 });
    // failures are not cached: only the failing cells ran again
    expect(second.sort()).toEqual(a.filter((r) => r.status === "failed").map((r) => r.cell_id).sort());
    expect(strip(b)).toEqual(strip(a));
    // a cached cell reports the wall time of the live run that produced its output
    for (const r of a.filter((x) => x.status === "ok")) expect(b.find((x) => x.cell_id === r.cell_id)!.wall_s).toBe(r.wall_s);
    writeFileSync(join(repo, "tools-under-test/fake/lib.ts"), "export const f = 3;\n");
    const third: string[] = [];
    await runTool(liveTool(third), suite, { ...dirs("c"), rerun: true, cache, repoRoot: repo, jobs: 3 });
    expect(third.length).toBe(first.length);
  });

  it("does not resume from a journal written before a source change (stale rows)", async () => {
    const { suite, dirs } = setup();
    const repo = fakeRepo(["fake"]);
    const d = dirs("j");
    const first: string[] = [];
    await runTool(liveTool(first), suite, { ...d, repoRoot: repo });
    const failing = first.filter((id) => id.startsWith("f-")).sort();
    const again: string[] = [];
    await runTool(liveTool(again), suite, { ...d, repoRoot: repo, rerun: false, rawDir: join(d.rawDir, "none") });
    expect(again.sort()).toEqual(failing); // unchanged: resumed from the journal (failed cells are retried)
    writeFileSync(join(repo, "tools-under-test/fake/adapter.ts"), `import { f } from "./lib.ts";\nexport const a = f + 1;\n`);
    const after: string[] = [];
    await runTool(liveTool(after), suite, { ...d, repoRoot: repo, rawDir: join(d.rawDir, "none-3") });
    expect(after.sort()).toEqual([...first].sort()); // the adapter changed: every cell runs again
  });
});

describe("Slurm executor, pure parts (pipeline/lib/slurm.ts)", () => {
  it("writes a task script that passes every argument and variable unchanged, under timeout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "task-"));
    const script = taskScript({ file: "/bin/sh", args: ["-c", 'printf "[%s]" "$@"; printf "{%s}" "$V"', "sh", "a b", "it's", "$HOME", ""], cwd: dir, env: { V: "x 'y' $z" }, extendEnv: true, timeout_s: 7.5 });
    expect(script).toContain("timeout -k 5 8 ");
    writeFileSync(join(dir, "t.sh"), script);
    const r = await execa("bash", [join(dir, "t.sh")]);
    expect(r.stdout).toBe("[a b][it's][$HOME][]{x 'y' $z}");
    expect(shq("it's")).toBe(`'it'\\''s'`);
  });

  it("asks for twice the longest recorded wall plus a minute, in whole minutes, within the launch limit", () => {
    expect(timeRequestMin([10, 100], 600)).toBe(5); // 260 s
    expect(timeRequestMin([0], 600)).toBe(1);
    expect(timeRequestMin([1000], 600)).toBe(10);
    expect(timeRequestMin([10, undefined], 600)).toBe(10); // a cell without a record: the limit
  });

  it("reads per-task states from scontrol, pending ranges included", () => {
    const text = [
      "JobId=12 ArrayJobId=10 ArrayTaskId=2 JobName=x JobState=TIMEOUT Reason=TimeLimit Dependency=(null)",
      "JobId=10 ArrayJobId=10 ArrayTaskId=4-6,8 JobName=x JobState=CANCELLED Reason=None Dependency=(null)",
    ].join("\n");
    const m = parseTaskStates(text);
    expect(m.get(2)).toEqual({ state: "TIMEOUT", reason: "TimeLimit" });
    expect([...m.keys()].sort()).toEqual([2, 4, 5, 6, 8]);
    expect(m.get(8)).toEqual({ state: "CANCELLED", reason: "" });
  });
});

describe("make evaluate stops before any work when the executor or Docker is missing", () => {
  const predictions = "results/predictions.csv";
  async function evaluate(env: Record<string, string>, args: string[] = []) {
    const before = statSync(predictions).mtimeMs;
    const r = await execa("node_modules/.bin/tsx", ["pipeline/evaluate.ts", ...args], { reject: false, env: { ...process.env, ...env } });
    expect(statSync(predictions).mtimeMs).toBe(before);
    return r;
  }

  it("EXECUTOR=slurm without sbatch: one line naming it, exit 1, results/ unchanged", async () => {
    const bin = mkdtempSync(join(tmpdir(), "path-"));
    cpSync(process.execPath, join(bin, "node"));
    const r = await evaluate({ PATH: bin }, ["--executor", "slurm"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toMatch(/^evaluate: stopped before any work: EXECUTOR=slurm: sbatch is not on PATH \(apt-get install slurm-client, or use EXECUTOR=local\); results\/ unchanged$/);
  }, 60_000);

  it("DOCKER_TOOLS with no reachable daemon: one line naming it, exit 1", async () => {
    const r = await evaluate({ DOCKER_TOOLS: "timeloop", DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^evaluate: stopped before any work: DOCKER_TOOLS=timeloop: (no docker executable on PATH|the Docker daemon is not reachable at DOCKER_HOST=unix:\/\/\/nonexistent\/docker.sock)/);
  }, 60_000);

  it("a bad JOBS or EXECUTOR: one line, exit 1", async () => {
    expect((await evaluate({ JOBS: "0" })).stderr.trim()).toBe("evaluate: stopped before any work: JOBS=0: expected a positive integer (the number of cells run at once); results/ unchanged");
    expect((await evaluate({}, ["--executor", "kubernetes"])).stderr.trim()).toBe("evaluate: stopped before any work: EXECUTOR=kubernetes: expected local or slurm; results/ unchanged");
  }, 60_000);
});
