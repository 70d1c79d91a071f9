/**
 * The Docker runner against a real engine (issue 21). Runs under `make test-infra`, which starts
 * dockerd (--iptables=false --bridge=none) and imports a debootstrapped base image
 * (.ci/infra/docker-up.sh); plain `make test` skips it with the reason. Nothing is pulled from a
 * registry: the tool images are the base image plus stand-in scripts (test/infra/standin.ts).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { runProcess, ToolRunError, type Invocation } from "../../pipeline/lib/exec.ts";
import { preflightDocker } from "../../pipeline/lib/exec.ts";
import { ToolMetadata } from "../../pipeline/lib/schema.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import { loadSuite } from "../../pipeline/lib/suite.ts";
import { fmt, readCsv } from "../../pipeline/lib/io.ts";
import { timeloopAdapter } from "../../tools-under-test/timeloop/adapter.ts";
import { PROBE, replayMapper, RAW_TIMELOOP, script } from "./standin.ts";

const enabled = process.env.INFRA_TESTS === "1";
const title = enabled ? "the Docker runner against a real dockerd" : "the Docker runner against a real dockerd [skipped: no Docker engine here; `make test-infra` starts one]";
const BASE = process.env.INFRA_BASE_IMAGE ?? "artifact-base:bookworm";
const PROBE_IMAGE = "artifact-probe:test";
const STANDIN_IMAGE = "artifact-timeloop-standin:test";
const env = () => ({ PATH: process.env.PATH ?? "", DOCKER_HOST: process.env.DOCKER_HOST ?? "" });
const docker = (args: string[]) => execa("docker", args, { env: env(), extendEnv: false });

const probeMeta = ToolMetadata.parse({
  name: "probe",
  display_name: "Probe",
  version: "1",
  license: "MIT",
  methodology: "stand-in that reports what the launched program sees",
  runner: { kind: "docker", env: [], docker: { image: PROBE_IMAGE, provenance: "base image + test/infra/standin.ts", programs: { probe: "/usr/local/bin/probe" } }, limits: { mem_mb: 256, pids: 64 } },
});

/** A tool image: the base image with files copied in (docker create + cp + commit; no registry, no builder). */
async function image(tag: string, files: [string, string][]): Promise<void> {
  const name = `build-${tag.replace(/[^a-z0-9]/g, "-")}-${process.pid}`;
  await docker(["rm", "-f", name]).catch(() => undefined);
  await docker(["create", "--name", name, BASE, "/bin/true"]);
  for (const [src, dst] of files) await docker(["cp", src, `${name}:${dst}`]);
  await docker(["commit", name, tag]);
  await docker(["rm", name]);
}

function openDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755); // the container's user (nobody) must be able to reach inputs
  return d;
}

if (!enabled) console.warn(`test/infra/docker.test.ts: skipped (no Docker engine here); \`make test-infra\` starts the daemons and runs it (CI does)`);

describe.skipIf(!enabled)(title, () => {
  beforeAll(async () => {
    expect(process.env.DOCKER_HOST, "INFRA_TESTS=1 needs DOCKER_HOST (source $INFRA_DIR/docker/env.sh)").toBeTruthy();
    await preflightDocker({ ...env(), DOCKER_TOOLS: "probe" });
    const d = openDir("probe-img-");
    await image(PROBE_IMAGE, [[script(d, "probe", PROBE), "/usr/local/bin/probe"]]);
    await image(STANDIN_IMAGE, [
      [replayMapper("/replay"), "/usr/local/bin/timeloop-mapper"],
      [RAW_TIMELOOP, "/replay"],
    ]);
  }, 180_000);

  afterAll(async () => {
    if (enabled) await docker(["rmi", "-f", PROBE_IMAGE, STANDIN_IMAGE]).catch(() => undefined);
  });

  function probeInv(args: string[], dirs: { in: string; out: string }, timeout_s = 60): Invocation {
    return { program: "probe", args, cwd: dirs.out, readOnly: [dirs.in], writable: [dirs.out], timeout_s };
  }

  it("runs the runner's command line: no network but lo, non-root, inputs read-only, outputs written, memory and pids limits", async () => {
    const root = openDir("probe-run-");
    const dirs = { in: join(root, "in"), out: join(root, "out") };
    mkdirSync(dirs.in, { mode: 0o755 });
    mkdirSync(dirs.out, { mode: 0o755 });
    writeFileSync(join(dirs.in, "input.txt"), "original\n");
    const out = await runProcess(probeMeta, probeInv([dirs.in, dirs.out], dirs), { ...env(), DOCKER_TOOLS: "probe" });
    console.log(`docker runner, probe output:\n${out.stdout}`);
    const lines = out.stdout.trim().split("\n");
    expect(lines).toContain("net: lo ");
    expect(lines).toContain("ro-write: denied");
    expect(lines).toContain("input: original");
    expect(lines).toContain("out-write: ok");
    expect(lines.find((l) => l.startsWith("uid="))).not.toBe("uid=0");
    expect(lines).toContain(`memory-limit: ${256 * 1024 * 1024}`);
    expect(lines).toContain("pids-limit: 64");
    expect(readFileSync(join(dirs.in, "input.txt"), "utf8")).toBe("original\n");
    expect(readFileSync(join(dirs.out, "result.txt"), "utf8")).toBe("result\n");
  }, 120_000);

  it("kills a hung tool whose PID 1 child ignores SIGTERM at its limit and leaves no container behind", async () => {
    const root = openDir("probe-hang-");
    const dirs = { in: join(root, "in"), out: join(root, "out") };
    mkdirSync(dirs.in, { mode: 0o755 });
    mkdirSync(dirs.out, { mode: 0o755 });
    const t0 = performance.now();
    const err = await runProcess(probeMeta, probeInv(["hang"], dirs, 3), { ...env(), DOCKER_TOOLS: "probe" }).catch((e: unknown) => e);
    const took = (performance.now() - t0) / 1000;
    console.log(`docker runner, hung tool: ${(err as Error).message} (returned after ${took.toFixed(1)} s)`);
    expect(err).toBeInstanceOf(ToolRunError);
    expect((err as Error).message).toBe("timed out after 3 s");
    expect(took).toBeGreaterThanOrEqual(3);
    expect(took).toBeLessThan(25);
    const left = await docker(["ps", "-aq", "--filter", "name=evaluate-probe"]);
    expect(left.stdout.trim()).toBe("");
  }, 120_000);

  it("runs the Timeloop adapter in a container (recorded-fixture stand-in image) with the rows of the committed results", async () => {
    vi.stubEnv("DOCKER_TOOLS", "timeloop");
    vi.stubEnv("TIMELOOP_DOCKER_IMAGE", STANDIN_IMAGE);
    vi.stubEnv("DOCKER_HOST", process.env.DOCKER_HOST ?? "");
    try {
      const root = openDir("timeloop-docker-");
      const ids = ["eyeriss.alexnet-conv1.n4.eyeriss-65nm", "eyeriss.vgg16-conv1-1.n3.eyeriss-65nm"];
      const suite = loadSuite(".", { groundTruth: false });
      for (const id of [...suite.cells.keys()]) if (!ids.includes(id)) suite.cells.delete(id);
      const rows = await runTool(timeloopAdapter, suite, { rawDir: join(root, "raw"), journalDir: join(root, "j"), workDir: join(root, "w"), rerun: true });
      const committed = new Map(readCsv("results/predictions.csv").filter((r) => r.tool === "timeloop").map((r) => [r.cell_id, r]));
      for (const r of rows) {
        console.log(`docker runner, timeloop stand-in: ${r.cell_id} ${r.status} ${r.predicted} ${r.unit} ${r.reason}`);
        expect(r.status).toBe("ok");
        expect(fmt(r.predicted)).toBe(committed.get(r.cell_id)!.predicted);
        expect(existsSync(join(root, "raw", "timeloop", `${r.cell_id}.txt`))).toBe(true);
      }
      expect(rows.map((r) => r.cell_id).sort()).toEqual(ids);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 180_000);

  it("stops before any work when the daemon is not reachable, with one line naming it", async () => {
    const p = preflightDocker({ PATH: process.env.PATH ?? "", DOCKER_TOOLS: "timeloop", DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    await expect(p).rejects.toThrow(/^DOCKER_TOOLS=timeloop: the Docker daemon is not reachable at DOCKER_HOST=unix:\/\/\/nonexistent\/docker.sock .*start dockerd or unset DOCKER_TOOLS$/);
  }, 60_000);
});
