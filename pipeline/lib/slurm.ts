/**
 * The Slurm executor (make evaluate EXECUTOR=slurm): a tool's uncached live cells go to Slurm as
 * one job array (`sbatch --array=0-(n-1)`), and each cell's outputs come back through a shared
 * directory (SLURM_SHARED_DIR, default .work/slurm; on a multi-node cluster it and the scratch
 * directories must be on a file system every node mounts).
 *
 * - Batching: the runner wraps each cell in cell(); when every cell in flight is waiting in run(),
 *   the waiting commands are submitted as one array (an adapter that launches twice per cell gets a
 *   second array for its second launch).
 * - Requests: --time from the tool's recorded wall times (twice the longest recorded cell of the
 *   array plus a minute, never above the launch's own limit, in whole minutes, at least 1) and
 *   --mem from metadata.runner.limits.mem_mb. Slurm limits are whole minutes, and Slurm kills a job
 *   past --time only 60-90 s later, so every task also runs the tool under `timeout` with the
 *   launch's own limit in seconds.
 * - Results: each task writes <i>.out, <i>.err and <i>.rc; a task that ends without an exit status
 *   (cancelled, killed at --time, node failure) fails its cell with the state Slurm reports.
 * - Interrupts: SIGINT/SIGTERM scancel every job in flight; cancel() does the same.
 */
import { execa } from "execa";
import { execFileSync } from "node:child_process";
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import type { ToolMetadata } from "./schema.ts";
import { limitsOf, onKillAllTools, onPath, PreflightError, type Command, type CommandResult, type Executor } from "./exec.ts";

export interface SlurmOptions {
  /** Directory every node can read and write: task scripts and outputs go here. */
  sharedDir: string;
  env?: NodeJS.ProcessEnv;
  /** How often to look at the job (ms). */
  pollMs?: number;
  /** Extra sbatch arguments (e.g. ["--partition", "debug"]). */
  sbatchArgs?: string[];
  /** Called with each submitted array (job id, tool, number of tasks, requests). */
  onSubmit?(info: SubmitInfo): void;
}

export interface SubmitInfo {
  jobId: string;
  tool: string;
  tasks: number;
  time_min: number;
  mem_mb: number;
  dir: string;
}

interface Pending {
  cmd: Command;
  meta: ToolMetadata;
  cellId?: string;
  resolve(r: CommandResult): void;
}

/** A string as one single-quoted shell word. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The bash script of one array task: cwd, environment and the program under `timeout`. */
export function taskScript(cmd: Command): string {
  const lines = ["#!/bin/bash"];
  if (cmd.cwd) lines.push(`cd ${shq(cmd.cwd)} || exit 97`);
  const envWords = Object.entries(cmd.env)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => shq(`${k}=${v}`));
  const prog = [cmd.file, ...cmd.args].map(shq).join(" ");
  const limit = `timeout -k 5 ${Math.max(1, Math.ceil(cmd.timeout_s))}`;
  const run = cmd.extendEnv ? `${envWords.length ? `env ${envWords.join(" ")} ` : ""}${limit} ${prog}` : `env -i ${envWords.join(" ")} ${limit} ${prog}`;
  if (cmd.container) {
    // timeout stops the docker client, not the container: remove it when the limit hit.
    lines.push(run, "rc=$?", `if [ "$rc" -ge 124 ]; then env -i ${envWords.join(" ")} docker rm -f ${shq(cmd.container)} >/dev/null 2>&1; fi`, 'exit "$rc"');
  } else lines.push(`exec ${run}`);
  return lines.join("\n") + "\n";
}

/** `scontrol -o show job <id>` lines -> task index -> (state, reason). */
export function parseTaskStates(text: string): Map<number, { state: string; reason: string }> {
  const m = new Map<number, { state: string; reason: string }>();
  for (const line of text.split("\n")) {
    // A started task has its own record (ArrayTaskId=3); tasks not yet started share one
    // (ArrayTaskId=4-7, or a list such as 2,4-7, with an optional %limit).
    const task = /\bArrayTaskId=([\d,\-]+)/.exec(line);
    const state = /\bJobState=(\S+)/.exec(line);
    if (!task || !state) continue;
    const reason = /\bReason=(\S+)/.exec(line)?.[1] ?? "";
    for (const part of task[1]!.split(",")) {
      const [a, b] = part.split("-").map(Number);
      if (a === undefined || !Number.isInteger(a)) continue;
      for (let i = a; i <= (b !== undefined && Number.isInteger(b) ? b : a); i++) m.set(i, { state: state[1]!, reason: reason === "None" ? "" : reason });
    }
  }
  return m;
}

/** --time in whole minutes: twice the longest recorded wall + 60 s, capped by the launch limit. */
export function timeRequestMin(recordedWalls: (number | undefined)[], limit_s: number): number {
  const known = recordedWalls.filter((w): w is number => w !== undefined);
  const want_s = known.length === recordedWalls.length && known.length > 0 ? Math.min(limit_s, 2 * Math.max(...known) + 60) : limit_s;
  return Math.max(1, Math.ceil(want_s / 60));
}

export class SlurmExecutor implements Executor {
  readonly name = "slurm";
  /** Slurm schedules: the runner starts every cell at once. */
  readonly concurrency = Number.POSITIVE_INFINITY;
  private pending: Pending[] = [];
  private active = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private jobs = new Set<string>();
  private cancelled: string | undefined;
  private walls = new Map<string, number>();
  private cellStore = new AsyncLocalStorage<string>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly sharedDir: string;
  private onSignal = (sig: NodeJS.Signals) => {
    this.cancelSync(`interrupted by ${sig}`);
    this.removeSignalHandlers();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };

  constructor(private readonly opts: SlurmOptions) {
    this.env = opts.env ?? process.env;
    this.sharedDir = resolve(opts.sharedDir);
  }

  /** The recorded wall times of the tool's cells (from results/raw/<tool>/wall_s.csv), for --time. */
  setRecordedWalls(walls: Map<string, { wall_s: number }>): void {
    this.walls = new Map([...walls].map(([k, v]) => [k, v.wall_s]));
  }

  /** Wraps one cell's work: its launches are batched with those of the other cells in flight. */
  async cell<R>(cellId: string, fn: () => Promise<R>): Promise<R> {
    this.active++;
    try {
      return await this.cellStore.run(cellId, fn);
    } finally {
      this.active--;
      this.maybeFlush();
    }
  }

  run(cmd: Command, meta: ToolMetadata): Promise<CommandResult> {
    if (this.cancelled) return Promise.resolve({ stdout: "", stderr: "", timedOut: false, lost: `not submitted: ${this.cancelled}` });
    return new Promise((resolveRun) => {
      this.pending.push({ cmd, meta, cellId: this.cellStore.getStore(), resolve: resolveRun });
      this.maybeFlush();
    });
  }

  private maybeFlush(): void {
    if (this.flushTimer || this.pending.length === 0 || this.pending.length < this.active) return;
    // Let cells that are between two awaits reach run() first; re-check, then submit.
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (this.pending.length > 0 && this.pending.length >= this.active) {
        const batch = this.pending;
        this.pending = [];
        for (const [, group] of groupByTool(batch)) void this.submit(group);
      }
    }, 30);
  }

  private async submit(batch: Pending[]): Promise<void> {
    const meta = batch[0]!.meta;
    const dir = join(this.sharedDir, `${meta.name}-${Date.now()}-${randomBytes(3).toString("hex")}`);
    mkdirSync(dir, { recursive: true });
    batch.forEach((p, i) => {
      const f = join(dir, `task-${i}.sh`);
      writeFileSync(f, taskScript(p.cmd));
      chmodSync(f, 0o755);
    });
    const arrayScript = join(dir, "array.sh");
    writeFileSync(
      arrayScript,
      [
        "#!/bin/bash",
        `d=${shq(dir)}`,
        "i=$SLURM_ARRAY_TASK_ID",
        'bash "$d/task-$i.sh" > "$d/$i.out" 2> "$d/$i.err"',
        'echo $? > "$d/$i.rc.tmp" && mv "$d/$i.rc.tmp" "$d/$i.rc"',
        "",
      ].join("\n"),
    );
    chmodSync(arrayScript, 0o755);
    const limit_s = Math.max(...batch.map((p) => p.cmd.timeout_s));
    const time_min = timeRequestMin(
      batch.map((p) => (p.cellId === undefined ? undefined : this.walls.get(p.cellId))),
      limit_s,
    );
    const mem_mb = limitsOf(meta).mem_mb;
    const args = [
      "--parsable",
      `--array=0-${batch.length - 1}`,
      `--job-name=evaluate-${meta.name}`,
      `--time=${time_min}`,
      `--mem=${mem_mb}M`,
      "--cpus-per-task=1",
      `--chdir=${dir}`,
      "--output=/dev/null",
      `--error=${join(dir, "slurm-%a.log")}`,
      ...(this.opts.sbatchArgs ?? []),
      arrayScript,
    ];
    const sb = await execa("sbatch", args, { env: this.env, reject: false, timeout: 60_000 });
    const jobId = String(sb.stdout ?? "").trim().split(";")[0] ?? "";
    if (sb.exitCode !== 0 || !/^\d+$/.test(jobId)) {
      const why = `sbatch failed: ${String(sb.stderr || sb.stdout || sb.shortMessage).trim().split("\n").pop()}`.slice(0, 300);
      for (const p of batch) p.resolve({ stdout: "", stderr: "", timedOut: false, lost: why });
      return;
    }
    this.jobs.add(jobId);
    this.installSignalHandlers();
    // make evaluate's own SIGINT/SIGTERM handler calls killAllTools(): cancel the arrays there too.
    this.unhook ??= onKillAllTools(() => {
      const n = this.jobs.size;
      this.cancelSync("interrupted");
      return n;
    });
    this.opts.onSubmit?.({ jobId, tool: meta.name, tasks: batch.length, time_min, mem_mb, dir });
    try {
      await this.waitFor(jobId, dir, batch.length);
    } finally {
      this.jobs.delete(jobId);
      if (this.jobs.size === 0) {
        this.removeSignalHandlers();
        this.unhook?.();
        this.unhook = undefined;
      }
    }
    let states: Map<number, { state: string; reason: string }> | undefined;
    batch.forEach((p, i) => {
      const rcFile = join(dir, `${i}.rc`);
      const stdout = readIf(join(dir, `${i}.out`));
      const stderr = readIf(join(dir, `${i}.err`));
      const rc = existsSync(rcFile) ? Number(readFileSync(rcFile, "utf8").trim()) : undefined;
      // A task scancel stopped may still write its status (128 + SIGTERM): it was cancelled.
      if (rc !== undefined && !(this.cancelled && rc > 128)) {
        // 124: `timeout` stopped the tool at its limit (137: it had to SIGKILL it after -k).
        if (rc === 124 || rc === 137) p.resolve({ stdout, stderr, exitCode: rc, timedOut: true });
        else if (rc === 97) p.resolve({ stdout, stderr, exitCode: rc, timedOut: false, lost: `slurm task ${jobId}_${i}: cannot enter ${p.cmd.cwd}` });
        else if (rc === 126 || rc === 127) p.resolve({ stdout, stderr, exitCode: rc, timedOut: false, spawnError: (stderr.trim().split("\n").pop() ?? `exit ${rc}`).slice(0, 200) });
        else p.resolve({ stdout, stderr, exitCode: rc, timedOut: false });
        return;
      }
      states ??= this.taskStates(jobId);
      const st = states.get(i);
      const state = st ? `${st.state}${st.reason ? ` (${st.reason})` : ""}` : "unknown";
      const why = this.cancelled
        ? `cancelled: ${this.cancelled} (slurm job ${jobId}_${i}, state ${state})`
        : st?.state === "TIMEOUT"
          ? `slurm killed task ${jobId}_${i} at its --time of ${time_min} min`
          : `slurm task ${jobId}_${i} ended without an exit status, state ${state}`;
      p.resolve({ stdout, stderr, timedOut: false, lost: why });
    });
  }

  private async waitFor(jobId: string, dir: string, n: number): Promise<void> {
    const poll = this.opts.pollMs ?? 500;
    for (;;) {
      let all = true;
      for (let i = 0; i < n && all; i++) if (!existsSync(join(dir, `${i}.rc`))) all = false;
      if (all) return;
      const q = await execa("squeue", ["-h", "-r", "-j", jobId, "-o", "%i %T"], { env: this.env, reject: false, timeout: 30_000 });
      // A finished job drops out of squeue (or squeue no longer knows the id).
      if (q.exitCode !== 0 || !String(q.stdout).trim()) {
        // The last rc files may still be landing: one more look after a short pause.
        await sleep(Math.min(poll, 200));
        return;
      }
      await sleep(poll);
    }
  }

  private taskStates(jobId: string): Map<number, { state: string; reason: string }> {
    try {
      return parseTaskStates(execFileSync("scontrol", ["-o", "show", "job", jobId], { env: this.env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 30_000 }));
    } catch {
      return new Map();
    }
  }

  /** The job ids in flight. */
  jobIds(): string[] {
    return [...this.jobs];
  }

  /** scancel every job in flight; their unfinished cells fail as cancelled. */
  async cancel(reason = "cancelled"): Promise<void> {
    this.cancelled ??= reason;
    if (this.jobs.size) await execa("scancel", [...this.jobs], { env: this.env, reject: false, timeout: 30_000 });
  }

  private cancelSync(reason: string): void {
    this.cancelled ??= reason;
    if (this.jobs.size)
      try {
        execFileSync("scancel", [...this.jobs], { env: this.env, stdio: "ignore", timeout: 30_000 });
      } catch {
        // the jobs may already be gone
      }
  }

  private unhook: (() => void) | undefined;
  private installed = false;
  private installSignalHandlers(): void {
    if (this.installed) return;
    this.installed = true;
    process.on("SIGINT", this.onSignal);
    process.on("SIGTERM", this.onSignal);
  }
  private removeSignalHandlers(): void {
    if (!this.installed) return;
    this.installed = false;
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
  }
}

function groupByTool(batch: Pending[]): Map<string, Pending[]> {
  const m = new Map<string, Pending[]>();
  for (const p of batch) m.set(p.meta.name, [...(m.get(p.meta.name) ?? []), p]);
  return m;
}

function readIf(p: string): string {
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Before any work: are Slurm's commands here and is its controller up? Throws PreflightError with a
 * one-line message naming what is missing.
 */
export async function preflightSlurm(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  for (const p of ["sbatch", "squeue", "scontrol", "scancel"])
    if (!onPath(p, env)) throw new PreflightError(`EXECUTOR=slurm: ${p} is not on PATH (apt-get install slurm-client, or use EXECUTOR=local)`);
  const r = await execa("scontrol", ["ping"], { env, reject: false, timeout: 30_000 });
  const out = String(r.stdout ?? "") + String(r.stderr ?? "");
  if (r.exitCode !== 0 || !/\bUP\b/.test(out))
    throw new PreflightError(`EXECUTOR=slurm: the Slurm controller is not reachable (scontrol ping: ${out.trim().split("\n")[0] || r.shortMessage || "no answer"})${env.SLURM_CONF ? ` with SLURM_CONF=${env.SLURM_CONF}` : ""}`);
}
