/**
 * The Slurm executor against a real single-node Slurm (issue 21). Runs under `make test-infra`,
 * which starts munged, slurmctld and slurmd on localhost (.ci/infra/slurm-up.sh); plain `make test`
 * skips it with the reason. The tool is the real Timeloop adapter with a stand-in mapper that replays
 * the recorded stats (test/infra/standin.ts), so every cell is prepared, submitted with sbatch,
 * collected from the shared directory and parsed.
 */
import { describe, expect, it, vi } from "vitest";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { readWalls, runTool } from "../../pipeline/lib/runner.ts";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { preflightSlurm, SlurmExecutor, timeRequestMin, type SubmitInfo } from "../../pipeline/lib/slurm.ts";
import { PreflightError } from "../../pipeline/lib/exec.ts";
import type { PredictionRow } from "../../pipeline/lib/schema.ts";
import { timeloopAdapter } from "../../tools-under-test/timeloop/adapter.ts";
import { replayMapper } from "./standin.ts";

const enabled = process.env.INFRA_TESTS === "1";
const slow = process.env.INFRA_SLOW !== "0";
const title = enabled ? "the Slurm executor against a real slurmd" : "the Slurm executor against a real slurmd [skipped: no Slurm here; `make test-infra` starts one]";

/** The 8 AlexNet + VGG-16 Eyeriss cells (an 8-task array). */
function eightCells(): Suite {
  const suite = loadSuite(".", { groundTruth: false });
  const keep = [...suite.cells.keys()].filter((id) => /^eyeriss\.(alexnet|vgg16)-/.test(id)).sort().slice(0, 8);
  for (const id of [...suite.cells.keys()]) if (!keep.includes(id)) suite.cells.delete(id);
  return suite;
}

function dirs(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, rawDir: join(root, "raw"), journalDir: join(root, "j"), workDir: join(root, "w") };
}

const strip = (rows: PredictionRow[]) => rows.map(({ wall_s: _w, ...r }) => r);

async function squeueEmpty(jobId: string): Promise<boolean> {
  const q = await execa("squeue", ["-h", "-r", "-j", jobId], { reject: false });
  return q.exitCode !== 0 || !String(q.stdout).trim();
}

if (!enabled) console.warn(`test/infra/slurm.test.ts: skipped (no Slurm here); \`make test-infra\` starts the daemons and runs it (CI does)`);

describe.skipIf(!enabled)(title, () => {
  it("passes the preflight, and names an unreachable controller in one line", async () => {
    expect(process.env.SLURM_CONF, "INFRA_TESTS=1 needs SLURM_CONF (source $INFRA_DIR/slurm/env.sh)").toBeTruthy();
    await preflightSlurm(process.env);
    const bad = join(mkdtempSync(join(tmpdir(), "slurm-bad-")), "slurm.conf");
    writeFileSync(bad, readFileSync(process.env.SLURM_CONF!, "utf8").replace(/^SlurmctldPort=\d+/m, "SlurmctldPort=6899"));
    const t0 = performance.now();
    const err = await preflightSlurm({ ...process.env, SLURM_CONF: bad }).catch((e: unknown) => e);
    console.log(`slurm preflight, unreachable controller (${((performance.now() - t0) / 1000).toFixed(1)} s): ${(err as Error).message}`);
    expect(err).toBeInstanceOf(PreflightError);
    expect((err as Error).message).toMatch(/^EXECUTOR=slurm: the Slurm controller is not reachable \(scontrol ping: .*\) with SLURM_CONF=/);
    expect((err as Error).message).not.toContain("\n");
    await expect(preflightSlurm({ PATH: "/nonexistent" })).rejects.toThrow(/^EXECUTOR=slurm: sbatch is not on PATH/);
  }, 120_000);

  it("runs 8 cells as one job array with the rows of the local executor", async () => {
    vi.stubEnv("TIMELOOP_MAPPER_BIN", replayMapper());
    vi.stubEnv("DOCKER_TOOLS", "");
    try {
      const suite = eightCells();
      expect(suite.cells.size).toBe(8);
      const local = dirs("slurm-local-");
      const t0 = performance.now();
      const localRows = await runTool(timeloopAdapter, suite, { ...local, rerun: true, jobs: 2 });
      const localS = (performance.now() - t0) / 1000;
      const submitted: SubmitInfo[] = [];
      const slurm = dirs("slurm-array-");
      // The recorded wall times of the live Timeloop run set the array's --time.
      mkdirSync(join(slurm.rawDir, "timeloop"), { recursive: true });
      copyFileSync("results/raw/timeloop/wall_s.csv", join(slurm.rawDir, "timeloop", "wall_s.csv"));
      const recorded = readWalls("results/raw", "timeloop");
      const expectMin = timeRequestMin([...suite.cells.keys()].map((id) => recorded.get(id)?.wall_s), 600);
      const ex = new SlurmExecutor({ sharedDir: join(slurm.root, "shared"), pollMs: 200, onSubmit: (s) => submitted.push(s) });
      const t1 = performance.now();
      const slurmRows = await runTool(timeloopAdapter, suite, { ...slurm, rerun: true, executor: ex });
      const slurmS = (performance.now() - t1) / 1000;
      console.log(`slurm executor: 8 cells, one array (job ${submitted[0]?.jobId}, --time=${submitted[0]?.time_min} min, --mem=${submitted[0]?.mem_mb} MB): ${slurmS.toFixed(1)} s (local executor, JOBS=2: ${localS.toFixed(1)} s)`);
      expect(submitted).toHaveLength(1);
      expect(submitted[0]!.tasks).toBe(8);
      expect(submitted[0]!.time_min).toBe(expectMin);
      expect(expectMin).toBeLessThan(10); // from the recorded walls, not the 600 s launch limit
      expect(slurmRows.every((r) => r.status === "ok")).toBe(true);
      expect(strip(slurmRows)).toEqual(strip(localRows));
      // the raw outputs recorded through Slurm are the ones the local run recorded
      for (const r of slurmRows) expect(readFileSync(join(slurm.rawDir, "timeloop", `${r.cell_id}.txt`), "utf8")).toBe(readFileSync(join(local.rawDir, "timeloop", `${r.cell_id}.txt`), "utf8"));
      expect(await squeueEmpty(submitted[0]!.jobId)).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 180_000);

  it("reports a failing and a timed-out array task as failed cells with the local executor's reasons", async () => {
    const conv1 = "eyeriss.alexnet-conv1.n4.eyeriss-65nm";
    const conv2 = "eyeriss.alexnet-conv2.n4.eyeriss-65nm";
    const special = `[ "$id" = ${conv1} ] && { echo 'ERROR: boom in mapper' >&2; exit 3; }\n[ "$id" = ${conv2} ] && { trap '' TERM; sleep 60; }`;
    vi.stubEnv("TIMELOOP_MAPPER_BIN", replayMapper(undefined, special));
    vi.stubEnv("TIMELOOP_TIMEOUT_S", "3");
    vi.stubEnv("DOCKER_TOOLS", "");
    try {
      const suite = eightCells();
      const local = dirs("slurm-fail-local-");
      const localRows = await runTool(timeloopAdapter, suite, { ...local, rerun: true, jobs: 8 });
      const s = dirs("slurm-fail-");
      const t0 = performance.now();
      const rows = await runTool(timeloopAdapter, suite, { ...s, rerun: true, executor: new SlurmExecutor({ sharedDir: join(s.root, "shared"), pollMs: 200 }) });
      console.log(`slurm executor, failing + hung task: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const by = new Map(rows.map((r) => [r.cell_id, r]));
      expect(by.get(conv1)).toMatchObject({ status: "failed", reason: "exited with code 3: ERROR: boom in mapper" });
      expect(by.get(conv2)).toMatchObject({ status: "failed", reason: "timed out after 3 s" });
      expect(rows.filter((r) => r.status === "ok")).toHaveLength(6);
      expect(strip(rows)).toEqual(strip(localRows));
    } finally {
      vi.unstubAllEnvs();
    }
  }, 180_000);

  it("cancels its job array (scancel) and fails the unfinished cells as cancelled", async () => {
    vi.stubEnv("TIMELOOP_MAPPER_BIN", replayMapper(undefined, "sleep 300"));
    vi.stubEnv("DOCKER_TOOLS", "");
    try {
      const s = dirs("slurm-cancel-");
      let ex!: SlurmExecutor;
      let job = "";
      const t0 = performance.now();
      ex = new SlurmExecutor({
        sharedDir: join(s.root, "shared"),
        pollMs: 200,
        onSubmit: (info) => {
          job = info.jobId;
          setTimeout(() => void ex.cancel("test interrupt"), 1500);
        },
      });
      const rows = await runTool(timeloopAdapter, eightCells(), { ...s, rerun: true, executor: ex });
      const took = (performance.now() - t0) / 1000;
      console.log(`slurm executor, scancel after 1.5 s: all 8 cells failed after ${took.toFixed(1)} s; reason: ${rows[0]!.reason}`);
      expect(job).toMatch(/^\d+$/);
      for (const r of rows) if (!/^cancelled: test interrupt \(slurm job \d+_\d+, state CANCELLED/.test(r.reason)) console.log(`unexpected: ${r.cell_id}: ${r.reason}`);
      expect(rows.every((r) => r.status === "failed" && /^cancelled: test interrupt \(slurm job \d+_\d+, state CANCELLED/.test(r.reason))).toBe(true);
      expect(took).toBeLessThan(60);
      expect(await squeueEmpty(job)).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 180_000);

  it.skipIf(!slow)("fails a task Slurm kills at its --time (whole minutes, from the recorded wall times) with the reason", async () => {
    vi.stubEnv("TIMELOOP_MAPPER_BIN", replayMapper(undefined, "sleep 600"));
    vi.stubEnv("TIMELOOP_TIMEOUT_S", "400"); // the task's own limit is later than Slurm's
    vi.stubEnv("DOCKER_TOOLS", "");
    try {
      const s = dirs("slurm-time-");
      const suite = eightCells();
      const id = [...suite.cells.keys()][0]!;
      for (const other of [...suite.cells.keys()]) if (other !== id) suite.cells.delete(other);
      // A recorded wall of 0 s asks for --time=1 (2 x 0 s + 60 s).
      mkdirSync(join(s.rawDir, "timeloop"), { recursive: true });
      writeFileSync(join(s.rawDir, "timeloop", "wall_s.csv"), `cell_id,wall_s,input_lines\n${id},0,137\n`);
      const submitted: SubmitInfo[] = [];
      const t0 = performance.now();
      const rows = await runTool(timeloopAdapter, suite, { ...s, rerun: true, executor: new SlurmExecutor({ sharedDir: join(s.root, "shared"), pollMs: 1000, onSubmit: (x) => submitted.push(x) }) });
      const took = (performance.now() - t0) / 1000;
      console.log(`slurm executor, task past --time=${submitted[0]?.time_min} min: failed after ${took.toFixed(0)} s: ${rows[0]!.reason}`);
      expect(submitted[0]!.time_min).toBe(1);
      expect(rows[0]).toMatchObject({ status: "failed", reason: `slurm killed task ${submitted[0]!.jobId}_0 at its --time of 1 min` });
      expect(took).toBeGreaterThan(55);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 300_000);
});

