/**
 * How a tool's process is launched: one place for every adapter that runs an external program.
 *
 * Two launchers:
 *  - local:  the program at a path given by an environment variable (e.g. ASTRASIM_BIN);
 *  - docker: `docker run --rm --network none` with the tool's image. Inputs are mounted read-only
 *            and outputs read-write, both at the same path as on the host, so the arguments an
 *            adapter builds are valid on both launchers.
 *
 * The Docker launcher is chosen for a tool listed in DOCKER_TOOLS (comma-separated names, e.g.
 * DOCKER_TOOLS=astra-sim,timeloop); its image is <TOOL>_DOCKER_IMAGE (upper case, '-' -> '_') or
 * metadata.runner.docker.image. Every launch has a time limit.
 *
 * Failures throw ToolRunError, whose message is the reason the runner records with status=failed:
 * "exited with code N: <last stderr lines>", "timed out after N s", "cannot execute <program>: ...".
 *
 * Where a launch runs is the executor's business (make evaluate EXECUTOR=local|slurm): a launcher
 * turns an invocation into a Command (program, arguments, environment, limit); the executor runs it
 * here (LocalExecutor) or as a Slurm array task (pipeline/lib/slurm.ts). The runner picks the
 * executor for a tool's cells with withExecutor(); adapters only call runProcess().
 *
 * Docker containers run with --init, --network none, --cap-drop ALL, no-new-privileges, a non-root
 * user (the caller's uid:gid, or DOCKER_USER, default 65534:65534, when the caller is root),
 * --memory and --pids-limit from metadata.runner.limits, and a unique --name: at the time limit the
 * container is removed with `docker rm -f` (killing the client alone leaves a container whose PID 1
 * ignores SIGTERM running), then the client's process group is killed.
 */
import { execa } from "execa";
import { AsyncLocalStorage } from "node:async_hooks";
import { chownSync, existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { delimiter, join } from "node:path";
import type { ToolMetadata } from "./schema.ts";
import { binaryFromEnv, type Availability } from "./tool.ts";

export class ToolRunError extends Error {
  override name = "ToolRunError";
  /** Set when the launch was killed by its time limit (the runner counts consecutive timeouts). */
  timedOut = false;
}

/**
 * Thrown by an adapter's parser for an output that is the tool's own, deterministic answer that the
 * cell has no value (MAESTRO's SIGFPE on a layer, Calculon's "ERROR: ... needs 100 GiB"). The runner
 * records such an output (so a re-parse gives the same failure) and fails the cell with the message;
 * any other parse error records nothing.
 */
export class ToolVerdict extends Error {
  override name = "ToolVerdict";
}

/**
 * Process groups of the tools running now. Every launch is detached into its own group (so a time
 * limit kills the tool and its children); Ctrl-C reaches only the terminal's foreground group, so
 * evaluate's signal handler calls killAllTools() to kill these groups before it exits. Executors
 * that run tools elsewhere (Slurm) register a hook that cancels their jobs (onKillAllTools).
 */
const active = new Set<number>();
const killHooks = new Set<() => number>();

export function activeToolGroups(): number[] {
  return [...active];
}

/** Registers a hook killAllTools() runs (it returns how many jobs it stopped); returns the unregister function. */
export function onKillAllTools(hook: () => number): () => void {
  killHooks.add(hook);
  return () => killHooks.delete(hook);
}

/** Kills every running tool's whole process group (SIGKILL) and runs the hooks. Returns how many groups or jobs were stopped. */
export function killAllTools(): number {
  let n = 0;
  for (const pgid of active) {
    try {
      process.kill(-pgid, "SIGKILL");
      n++;
    } catch {
      // already gone
    }
    active.delete(pgid);
  }
  for (const hook of [...killHooks]) {
    try {
      n += hook();
    } catch {
      // a hook that fails must not stop the others
    }
  }
  return n;
}

export interface Invocation {
  /** Logical program name (mapped through metadata.runner.docker.programs in a container). */
  program: string;
  /** The local executable (resolved from the tool's environment variable). */
  localBin?: string;
  args: string[];
  cwd: string;
  /** Files or directories the tool reads: mounted read-only in a container. */
  readOnly: string[];
  /** Directories the tool writes: mounted read-write in a container. */
  writable: string[];
  env?: Record<string, string>;
  timeout_s: number;
}

export interface ProcessOutput {
  stdout: string;
  stderr: string;
}

export type LauncherKind = "local" | "docker";

function envName(tool: string, suffix: string): string {
  return `${tool.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_${suffix}`;
}

/** Which launcher a tool uses here: docker when listed in DOCKER_TOOLS, else local. */
export function launcherFor(meta: ToolMetadata, env: NodeJS.ProcessEnv = process.env): LauncherKind {
  const listed = (env.DOCKER_TOOLS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return listed.includes(meta.name) || listed.includes("all") ? "docker" : "local";
}

/** The Docker image for a tool: <TOOL>_DOCKER_IMAGE, else metadata.runner.docker.image. */
export function dockerImage(meta: ToolMetadata, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[envName(meta.name, "DOCKER_IMAGE")] || meta.runner.docker?.image;
}

export function onPath(program: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, program)));
}

/**
 * Whether the tool can be launched here.
 *  - unset (no env var, not listed for Docker): not available, not configured -> the runner
 *    re-parses recorded outputs;
 *  - configured but broken (env var set to a missing file, Docker requested without docker or an
 *    image): not available, configured -> every cell fails with the reason.
 */
export function toolAvailability(meta: ToolMetadata, envVar: string, env: NodeJS.ProcessEnv = process.env): Availability {
  if (launcherFor(meta, env) === "docker") {
    const image = dockerImage(meta, env);
    if (!image) return { available: false, configured: true, reason: `DOCKER_TOOLS lists ${meta.name} but no image is set (${envName(meta.name, "DOCKER_IMAGE")} or metadata.runner.docker.image)` };
    if (!onPath("docker", env)) return { available: false, configured: true, reason: `DOCKER_TOOLS lists ${meta.name} but no docker executable is on PATH` };
    return { available: true };
  }
  const a = binaryFromEnv(envVar, env);
  if (!a.available && env[envVar]) return { ...a, configured: true };
  return a;
}

export const DEFAULT_MEM_MB = 8192;
export const DEFAULT_PIDS = 4096;

/** Memory and process limits of one launch of this tool. */
export function limitsOf(meta: ToolMetadata): { mem_mb: number; pids: number } {
  return { mem_mb: meta.runner.limits?.mem_mb ?? DEFAULT_MEM_MB, pids: meta.runner.limits?.pids ?? DEFAULT_PIDS };
}

/** The user a container runs as: the caller's uid:gid, or DOCKER_USER (default nobody) for root. */
export function dockerUser(env: NodeJS.ProcessEnv = process.env): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  const gid = typeof process.getgid === "function" ? process.getgid() : 0;
  return uid !== 0 ? `${uid}:${gid}` : env.DOCKER_USER || "65534:65534";
}

/** A unique container name for one launch. */
export function containerName(meta: ToolMetadata): string {
  return `evaluate-${meta.name}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** The docker argument array for an invocation (exported for tests). */
export function dockerArgs(meta: ToolMetadata, inv: Invocation, env: NodeJS.ProcessEnv = process.env, name = containerName(meta)): string[] {
  const image = dockerImage(meta, env);
  if (!image) throw new ToolRunError(`no Docker image for ${meta.name}`);
  const program = meta.runner.docker?.programs?.[inv.program] ?? inv.program;
  const lim = limitsOf(meta);
  const args = ["run", "--rm", "--network", "none", "--init", "--name", name, "--cap-drop", "ALL", "--security-opt", "no-new-privileges"];
  args.push("--user", dockerUser(env), "--memory", `${lim.mem_mb}m`, "--memory-swap", `${lim.mem_mb}m`, "--pids-limit", String(lim.pids));
  for (const p of [...inv.readOnly].sort()) args.push("-v", `${p}:${p}:ro`);
  for (const p of [...inv.writable].sort()) args.push("-v", `${p}:${p}`);
  for (const [k, v] of Object.entries(inv.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) args.push("-e", `${k}=${v}`);
  args.push("-w", inv.cwd, image, program, ...inv.args);
  return args;
}

function tail(s: string, lines = 3): string {
  return s.trim().split("\n").slice(-lines).join(" | ").slice(0, 240);
}

/** One process to start: what a launcher makes of an invocation, and what an executor runs. */
export interface Command {
  file: string;
  args: string[];
  /** Working directory (local launcher; a container gets -w). */
  cwd?: string;
  /** Variables for the process; with extendEnv they go on top of this process's environment. */
  env: Record<string, string>;
  extendEnv: boolean;
  timeout_s: number;
  /** Docker launcher: the container's name, removed with `docker rm -f` at the time limit. */
  container?: string;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode?: number;
  signal?: string;
  timedOut: boolean;
  /** The program could not be started (with why). */
  spawnError?: string;
  /** The executor lost the task (Slurm: cancelled, killed at its --time, node failure), with why. */
  lost?: string;
}

export interface Executor {
  readonly name: string;
  run(cmd: Command, meta: ToolMetadata): Promise<CommandResult>;
  /** How many cells the runner may start at once (absent: JOBS). */
  readonly concurrency?: number;
  /** Wraps one cell's launches (Slurm batches the launches of the cells in flight). */
  cell?<R>(cellId: string, fn: () => Promise<R>): Promise<R>;
  /** The tool's recorded wall time per cell (Slurm's --time request). */
  setRecordedWalls?(walls: Map<string, { wall_s: number }>): void;
}

/** The launcher's command for an invocation (docker client or the local program). */
export function commandFor(meta: ToolMetadata, inv: Invocation, env: NodeJS.ProcessEnv = process.env): Command {
  if (launcherFor(meta, env) === "docker") {
    const name = containerName(meta);
    // The client only needs PATH and where the daemon is (the container gets inv.env through -e).
    const clientEnv: Record<string, string> = { PATH: env.PATH ?? "" };
    for (const k of ["DOCKER_HOST", "DOCKER_CONFIG", "HOME"]) if (env[k]) clientEnv[k] = env[k]!;
    return { file: "docker", args: dockerArgs(meta, inv, env, name), env: clientEnv, extendEnv: false, timeout_s: inv.timeout_s, container: name };
  }
  if (!inv.localBin) throw new ToolRunError(`cannot execute ${inv.program}: no local path (is its environment variable set?)`);
  return { file: inv.localBin, args: inv.args, cwd: inv.cwd, env: inv.env ?? {}, extendEnv: true, timeout_s: inv.timeout_s };
}

/** Runs commands here, each in its own process group, killed as a group at its time limit. */
export class LocalExecutor implements Executor {
  readonly name = "local";

  async run(cmd: Command): Promise<CommandResult> {
    // The program runs in its own process group, and the time limit kills the whole group: a tool
    // that forks (a Python simulator, a shell wrapper) must not keep the pipes open after the limit.
    const sub = execa(cmd.file, cmd.args, {
      cwd: cmd.cwd,
      env: cmd.env,
      extendEnv: cmd.extendEnv,
      detached: true,
      reject: false,
      stripFinalNewline: false,
    });
    if (sub.pid !== undefined) active.add(sub.pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      const killGroup = () => {
        try {
          if (sub.pid !== undefined) process.kill(-sub.pid, "SIGKILL");
        } catch {
          sub.kill("SIGKILL");
        }
      };
      if (cmd.container)
        // Remove the container first (the client alone does not stop it), then the client.
        void execa("docker", ["rm", "-f", cmd.container], { env: cmd.env, extendEnv: false, reject: false, timeout: 30_000 }).finally(killGroup);
      else killGroup();
    }, Math.round(cmd.timeout_s * 1000));
    const r = await sub.finally(() => {
      clearTimeout(timer);
      if (sub.pid !== undefined) {
        // The tool's own children may outlive it (a wrapper that exits first): kill what is left of
        // the group, then forget it.
        try {
          process.kill(-sub.pid, "SIGKILL");
        } catch {
          // the group is gone
        }
        active.delete(sub.pid);
      }
    });
    const spawnError = r.failed && r.exitCode === undefined && !timedOut ? String(r.originalMessage ?? r.shortMessage ?? "unknown error") : undefined;
    return { stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? ""), exitCode: r.exitCode, signal: r.signal ?? undefined, timedOut, spawnError };
  }
}

export const localExecutor = new LocalExecutor();
const executorStore = new AsyncLocalStorage<Executor>();

/** Runs fn with every runProcess() call inside it (and in what it awaits) going to `executor`. */
export function withExecutor<R>(executor: Executor, fn: () => Promise<R>): Promise<R> {
  return executorStore.run(executor, fn);
}

/** The executor runProcess() uses here. */
export function currentExecutor(): Executor {
  return executorStore.getStore() ?? localExecutor;
}

/** The reason a finished command failed, or undefined when it succeeded (shared by every executor). */
export function failureOf(cmd: Command, r: CommandResult): string | undefined {
  if (r.lost) return r.lost;
  if (r.timedOut) return `timed out after ${cmd.timeout_s} s`;
  if (r.spawnError !== undefined) return `cannot execute ${cmd.file}: ${r.spawnError}`.slice(0, 300);
  if (r.exitCode !== 0) return `exited with code ${r.exitCode}${r.signal ? ` (${r.signal})` : ""}: ${tail(r.stderr || r.stdout) || "no output"}`;
  return undefined;
}

/** Runs one invocation with the tool's launcher and the current executor; throws ToolRunError on failure. */
export async function runProcess(meta: ToolMetadata, inv: Invocation, env: NodeJS.ProcessEnv = process.env): Promise<ProcessOutput> {
  const cmd = commandFor(meta, inv, env);
  if (cmd.container && typeof process.getuid === "function" && process.getuid() === 0) {
    // Root on the host, a non-root user in the container: let that user write its output directories.
    const [uid, gid] = dockerUser(env).split(":").map(Number);
    for (const d of inv.writable) if (existsSync(d)) chownSync(d, uid!, gid ?? uid!);
  }
  const r = await currentExecutor().run(cmd, meta);
  const why = failureOf(cmd, r);
  if (why !== undefined) {
    const e = new ToolRunError(why);
    e.timedOut = r.timedOut;
    throw e;
  }
  return { stdout: r.stdout, stderr: r.stderr };
}

export class PreflightError extends Error {
  override name = "PreflightError";
}

/**
 * Before any work: is the Docker daemon reachable when DOCKER_TOOLS is set? Throws PreflightError
 * with a one-line message naming what is missing.
 */
export async function preflightDocker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!(env.DOCKER_TOOLS ?? "").trim()) return;
  if (!onPath("docker", env)) throw new PreflightError(`DOCKER_TOOLS=${env.DOCKER_TOOLS}: no docker executable on PATH (apt-get install docker.io)`);
  const r = await execa("docker", ["version", "--format", "{{.Server.Version}}"], { env, reject: false, timeout: 20_000 });
  if (r.exitCode !== 0 || !String(r.stdout).trim())
    throw new PreflightError(`DOCKER_TOOLS=${env.DOCKER_TOOLS}: the Docker daemon is not reachable${env.DOCKER_HOST ? ` at DOCKER_HOST=${env.DOCKER_HOST}` : ""} (${tail(String(r.stderr || r.stdout), 1) || "no answer"}); start dockerd or unset DOCKER_TOOLS`);
}
