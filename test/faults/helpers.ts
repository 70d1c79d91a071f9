/**
 * Helpers of the fault matrix (issue 20): throw-away copies of the repository's inputs and results,
 * a byte-level snapshot of results/, fake tool binaries, and evaluate run in-process (main()) or
 * as a separate process (for signals).
 */
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { vi } from "vitest";
import { main } from "../../pipeline/evaluate.ts";

export const REPO = resolve(".");
const TSX_LOADER = `file://${join(REPO, "node_modules/tsx/dist/loader.mjs")}`;

/**
 * A throw-away root for evaluate and the checks: results/ copied; suite (without the measurement
 * script), taxonomy, tools-under-test, bib and paper as symbolic links into the repository. A test
 * that changes an input calls edit() (or materialize()), which turns the path into a real copy
 * first, so the repository itself is never touched.
 */
export function fixture(prefix = "fault-"): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(REPO, "results"), join(root, "results"), { recursive: true });
  for (const d of ["taxonomy", "tools-under-test", "bib", "paper"]) symlinkSync(join(REPO, d), join(root, d));
  mkdirSync(join(root, "suite"));
  for (const e of readdirSync(join(REPO, "suite"))) if (e !== "measure") symlinkSync(join(REPO, "suite", e), join(root, "suite", e));
  return root;
}

/** Makes `rel` (a file or directory) a real copy inside the fixture, splitting linked directories above it. */
export function materialize(root: string, rel: string): string {
  const parts = rel.split("/");
  let cur = root;
  let src = REPO;
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i]!);
    src = join(src, parts[i]!);
    if (!lstatSync(cur).isSymbolicLink()) continue;
    rmSync(cur);
    if (i === parts.length - 1 || !statSync(src).isDirectory()) {
      cpSync(src, cur, { recursive: true });
      break;
    }
    mkdirSync(cur);
    for (const e of readdirSync(src)) symlinkSync(join(src, e), join(cur, e));
  }
  const real = realpathSync(join(root, rel));
  if (!real.startsWith(realpathSync(root) + "/")) throw new Error(`${rel} is not inside the fixture`);
  return join(root, rel);
}

/** Replaces `from` by `to` in a fixture file (made a real copy first). */
export function edit(root: string, file: string, from: string | RegExp, to: string): void {
  const p = materialize(root, file);
  const text = readFileSync(p, "utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`fixture edit did not apply to ${file}`);
  writeFileSync(p, next);
}

/** Every file under results/ with its sha256 and mode (and every directory): equal snapshots mean byte-identical trees. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out[`${r}/`] = (statSync(p).mode & 0o777).toString(8);
        walk(p, r);
      } else out[r] = `${createHash("sha256").update(readFileSync(p)).digest("hex")} ${(statSync(p).mode & 0o777).toString(8)}`;
    }
  };
  walk(join(root, "results"), "");
  return out;
}

/** Runs evaluate's command line in-process on `root`; env entries are stubbed for the call. */
export async function evaluateCli(root: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; err: string }> {
  // JOBS=1: the fault matrix asserts serial semantics (which cell hangs, three consecutive timeouts,
  // one running process group); JOBS > 1 is tested in test/backbone/scale.test.ts.
  for (const [k, v] of Object.entries({ DOCKER_TOOLS: "", RERUN: "", ACCEPT_FAILURES: "", ALLOW_OTHER_BUILD: "", JOBS: "1", ...env })) vi.stubEnv(k, v);
  let err = "";
  const code = await main(args, { root, quiet: true, err: (s) => (err += s) });
  vi.unstubAllEnvs();
  // eslint-disable-next-line no-control-regex
  return { code, err: err.replace(/\x1b\[[0-9;]*m/g, "") };
}

/** evaluate as its own process (node with the tsx loader, one process: signals reach it directly). */
export function evaluateProcess(root: string, args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> } {
  const child = spawn(process.execPath, ["--import", TSX_LOADER, join(REPO, "pipeline/evaluate.ts"), ...args], {
    cwd: root,
    env: { ...process.env, DOCKER_TOOLS: "", RERUN: "", FORCE_COLOR: "0", JOBS: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d) => (err += String(d)));
  child.stdout!.on("data", () => {});
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }>((res) => child.on("close", (code, signal) => res({ code, signal, err })));
  return { child, done };
}

export async function waitFor(cond: () => boolean, timeout_ms = 20_000, what = "condition"): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeout_ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A fake AstraSim binary (a shell script in its own temp dir). GOOD prints one valid 'finished' line
 * per NPU of the network config it is given, like the real binary.
 */
export function fakeAstra(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fault-astra-"));
  const bin = join(dir, "AstraSim_Analytical_Congestion_Unaware");
  writeFileSync(bin, `#!/bin/sh\n${body}\n`);
  chmodSync(bin, 0o755);
  return bin;
}
export const GOOD = [
  'for a in "$@"; do case "$a" in --network-configuration=*) net="${a#*=}";; esac; done',
  'n=$(sed -n "s/^npus_count: \\[ *\\([0-9]*\\) *\\]/\\1/p" "$net")',
  'i=0; while [ "$i" -lt "$n" ]; do echo "[workload] [info] sys[$i] finished, $((1000 + i)) cycles, exposed communication $((1000 + i)) cycles."; i=$((i + 1)); done',
].join("\n");

/**
 * The committed inputs and results without the MLPerf training-step cells (whose 512-NPU GPT-3 trace
 * takes minutes to generate) and without ASTRA-sim's collective size sweep (no ground truth), with
 * results/ regenerated for that suite: live ASTRA-sim runs over the remaining 64 collective cells
 * (Vidur's NCCL measurements) take seconds. Built once per test file.
 */
export async function reducedFixture(): Promise<string> {
  const root = fixture("fault-base-");
  rmSync(materialize(root, "suite/cells/published-mlperf-tr40-step.yaml"));
  rmSync(materialize(root, "suite/cells/astra-sim-collectives.yaml")); // a size sweep without ground truth
  rmSync(materialize(root, "suite/ground-truth/published/mlperf-tr40/step-time"), { recursive: true });
  for (const f of readdirSync(join(root, "results/raw/astra-sim"))) if (/^(mlperf-tr40-step|coll)\./.test(f)) rmSync(join(root, "results/raw/astra-sim", f));
  const r = await evaluateCli(root, ["--fresh"]);
  if (r.code !== 0) throw new Error(`reduced fixture: evaluate failed (${r.code}): ${r.err}`);
  rmSync(join(root, ".work"), { recursive: true, force: true });
  return root;
}

/** A copy of a fixture (its links stay links). */
export function copyOf(root: string): string {
  const dst = mkdtempSync(join(tmpdir(), "fault-"));
  cpSync(root, dst, { recursive: true, verbatimSymlinks: true });
  return dst;
}

export function lines(s: string): string[] {
  return s.split("\n").filter((l) => l.trim() !== "");
}

export { existsSync, readFileSync, writeFileSync, join };
