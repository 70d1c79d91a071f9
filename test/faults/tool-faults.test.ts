/**
 * Fault matrix of issue 20, faults while a tool runs (3-6): a fake ASTRA-sim binary that hangs,
 * crashes, prints garbage or prints well-formed numbers. Each test asserts the exit code, the
 * message and that results/ is byte-identical afterwards (or, for the accepted outcome, that the
 * replaced raw outputs are kept in .previous/). The fixture leaves out the MLPerf training-step
 * cells (helpers.ts reducedFixture) so that a live run over ASTRA-sim's 64 remaining cells takes
 * seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { reducedFixture, copyOf, snapshot, evaluateCli, evaluateProcess, fakeAstra, GOOD, waitFor, alive, existsSync, readFileSync } from "./helpers.ts";
import { cellTimeout, readWalls, MAX_CONSECUTIVE_TIMEOUTS } from "../../pipeline/lib/runner.ts";

let base: string;
const roots: string[] = [];
const root = () => {
  const r = copyOf(base);
  roots.push(r);
  return r;
};
beforeAll(async () => {
  base = await reducedFixture();
}, 120_000);
afterAll(() => {
  for (const r of [base, ...roots]) rmSync(r, { recursive: true, force: true });
}, 60_000);

const ASTRA = ["--tools", "astra-sim", "--rerun", "astra-sim"];
const N_CELLS = 64; // ASTRA-sim's supported cells in the reduced suite
const pidsOf = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split(/\s+/).filter(Boolean).map(Number) : []);
const killGroups = (pids: number[]) => {
  for (const p of pids)
    try {
      process.kill(-p, "SIGKILL");
    } catch {
      /* gone */
    }
};

describe("fault matrix: a tool that misbehaves never leaves results/ worse", () => {
  it("3. a run killed mid-way (SIGKILL): results/ intact; the journal lets the next run resume", async () => {
    const r = root();
    const calls = join(r, "calls.log");
    const pids = join(r, "pids");
    // Cells 1-3 finish; the 4th hangs until the run is killed.
    const bin = fakeAstra(`echo x >> "${calls}"\nif [ "$(wc -l < "${calls}")" -gt 3 ] && [ -z "$NO_HANG" ]; then echo $$ >> "${pids}"; exec sleep 300; fi\n${GOOD}`);
    const before = snapshot(r);
    const run = evaluateProcess(r, [...ASTRA, "--allow-other-build"], { ASTRASIM_BIN: bin });
    await waitFor(() => pidsOf(pids).length > 0, 60_000, "the 4th cell to start");
    process.kill(run.child.pid!, "SIGKILL");
    const done = await run.done;
    killGroups(pidsOf(pids)); // SIGKILL cannot be handled: the hung tool is cleaned up here
    expect(done.signal).toBe("SIGKILL");
    expect(snapshot(r)).toEqual(before);
    const journal = readFileSync(join(r, ".work/evaluate/astra-sim.jsonl"), "utf8").trim().split("\n");
    expect(journal.filter((l) => l.includes('"status":"ok"'))).toHaveLength(3);
    // The next run resumes: the 3 journaled cells are not run again.
    rmSync(calls);
    const next = await evaluateCli(r, [...ASTRA, "--allow-other-build"], { ASTRASIM_BIN: bin, NO_HANG: "1" });
    expect(next.code).toBe(0);
    expect(readFileSync(calls, "utf8").trim().split("\n")).toHaveLength(N_CELLS - 3);
  });

  it("4. Ctrl-C during a hung tool: the tool and its child are killed, exit 130, 'interrupted; results/ unchanged'", async () => {
    const r = root();
    const pids = join(r, "pids");
    const bin = fakeAstra(`sleep 300 & echo $! >> "${pids}"; echo $$ >> "${pids}"; wait`);
    const before = snapshot(r);
    const run = evaluateProcess(r, [...ASTRA, "--allow-other-build"], { ASTRASIM_BIN: bin });
    await waitFor(() => pidsOf(pids).length >= 2, 60_000, "the tool and its child to start");
    const [child, tool] = pidsOf(pids) as [number, number];
    expect(alive(child) && alive(tool)).toBe(true);
    process.kill(run.child.pid!, "SIGINT");
    const done = await run.done;
    try {
      expect(done.code).toBe(130);
      expect(done.err).toMatch(/evaluate: interrupted \(SIGINT\); results\/ unchanged; killed 1 running tool process group/);
      await waitFor(() => !alive(child) && !alive(tool), 5_000, "no orphan");
    } finally {
      killGroups([tool]);
    }
    expect(snapshot(r)).toEqual(before);
  });

  it("5. hung cells: each has a time limit, progress names the cell, and after 3 timeouts the rest fail at once (exit 2)", async () => {
    // Default limits from the committed wall times: 10x the cell's recorded run, at least 60 s.
    const walls = readWalls("results/raw", "astra-sim");
    const gpt3 = "mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512";
    expect(cellTimeout(walls, "coll.all-reduce.b1024.x8.h100-sxm5-80gb")).toBe(60);
    expect(cellTimeout(walls, gpt3)).toBe(Math.ceil(10 * walls.get(gpt3)!.wall_s));
    expect(cellTimeout(walls, "no-such-cell")).toBe(60); // the tool's median, at least 60 s

    const r = root();
    const before = snapshot(r);
    const t0 = Date.now();
    const { code, err } = await evaluateCli(r, [...ASTRA, "--allow-other-build"], { ASTRASIM_BIN: fakeAstra("exec sleep 300"), ASTRASIM_TIMEOUT_S: "1" });
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`astra-sim: 1/${N_CELLS} \\S+ started \\(live, limit 1 s\\)`)); // counts out of the tool's cells, not the suite's
    expect(err).toMatch(new RegExp(`${N_CELLS} cells failed that had predictions before; nothing published, results/ unchanged`));
    expect(err).toMatch(new RegExp(`astra-sim: ${N_CELLS - MAX_CONSECUTIVE_TIMEOUTS} cells \\(e\\.g\\. \\S+\\): not attempted: the previous 3 cells of astra-sim timed out`));
    expect(err).toMatch(/astra-sim: 3 cells \(e\.g\. \S+\): timed out after 1 s/);
    expect(snapshot(r)).toEqual(before);
  });

  it("6. a broken or unknown tool binary: refused before running, or failures stop the publish (exit 2); an accepted other build keeps the previous raw outputs", async () => {
    const r = root();
    const before = snapshot(r);
    // (a) a binary that is not the pinned build: refused before any cell runs
    const crash = fakeAstra("echo 'fatal: cannot open workload' >&2; exit 1");
    const a = await evaluateCli(r, ASTRA, { ASTRASIM_BIN: crash });
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/refusing to run a tool build other than the pinned one/);
    expect(a.err).toMatch(/ASTRASIM_BIN=\S+ \(not in a git checkout, sha256 [0-9a-f]{12}\) is not the pinned build \(commit 4f387bcd04f8/);
    // (b) allowed, but it exits 1 on all-reduce cells and prints garbage on send/recv cells
    const broken = fakeAstra(`case "$*" in *send-recv*) echo 'Segmentation fault (core dumped)'; exit 0;; esac\necho 'fatal: cannot open workload' >&2; exit 1`);
    const b = await evaluateCli(r, [...ASTRA, "--allow-other-build"], { ASTRASIM_BIN: broken });
    expect(b.code).toBe(2);
    expect(b.err).toMatch(new RegExp(`${N_CELLS} cells failed that had predictions before; nothing published, results/ unchanged`));
    expect(b.err).toMatch(/astra-sim: 48 cells \(e\.g\. vidur\.all-reduce\.\S+\): exited with code 1: fatal: cannot open workload/);
    expect(b.err).toMatch(/astra-sim: 16 cells \(e\.g\. vidur\.send-recv\.\S+\): ASTRA-sim output lacks 'sys\[i\] finished/);
    expect(b.err).toMatch(/pass --accept-failures/);
    // (c) the variable names a missing file
    const c = await evaluateCli(r, ["--tools", "astra-sim"], { ASTRASIM_BIN: join(r, "no/AstraSim") });
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/tool cannot run here: ASTRASIM_BIN=\S+no\/AstraSim is not a file/);
    expect(snapshot(r)).toEqual(before);

    // (d) a fake that prints well-formed output, run with --allow-other-build: the documented,
    // accepted outcome. Its outputs are published, build.json says which build made them, and every
    // replaced raw output is kept in results/raw/astra-sim/.previous/.
    const good = fakeAstra(GOOD);
    const d = await evaluateCli(r, [...ASTRA, "--allow-other-build"], { ASTRASIM_BIN: good });
    expect(d.code).toBe(0);
    expect(d.err).toMatch(new RegExp(`astra-sim: ${N_CELLS} recorded raw outputs replaced; the previous ones are in results/raw/astra-sim/\\.previous/`));
    const build = JSON.parse(readFileSync(join(r, "results/raw/astra-sim/build.json"), "utf8"));
    expect(build).toMatchObject({ tool: "astra-sim", verified: false, allowed_other_build: true, live_cells: N_CELLS, paths: [{ env: "ASTRASIM_BIN", path: good }] });
    const after = snapshot(r);
    const prev = readdirSync(join(r, "results/raw/astra-sim/.previous")).filter((f) => f.endsWith(".txt"));
    expect(prev).toHaveLength(N_CELLS);
    for (const f of prev) expect(after[`raw/astra-sim/.previous/${f}`]!.split(" ")[0]).toBe(before[`raw/astra-sim/${f}`]!.split(" ")[0]);
  });
});
