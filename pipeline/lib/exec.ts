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
 */
import { execa } from "execa";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { ToolMetadata } from "./schema.ts";
import { binaryFromEnv, type Availability } from "./tool.ts";

export class ToolRunError extends Error {
  override name = "ToolRunError";
  /** Set when the launch was killed by its time limit (the runner counts consecutive timeouts). */
  timedOut = false;
}

/**
 * Process groups of the tools running now. Every launch is detached into its own group (so a time
 * limit kills the tool and its children); Ctrl-C reaches only the terminal's foreground group, so
 * evaluate's signal handler calls killAllTools() to kill these groups before it exits.
 */
const active = new Set<number>();

export function activeToolGroups(): number[] {
  return [...active];
}

/** Kills every running tool's whole process group (SIGKILL). Returns how many groups were signalled. */
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

function onPath(program: string, env: NodeJS.ProcessEnv): boolean {
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

/** The docker argument array for an invocation (exported for tests). */
export function dockerArgs(meta: ToolMetadata, inv: Invocation, env: NodeJS.ProcessEnv = process.env): string[] {
  const image = dockerImage(meta, env);
  if (!image) throw new ToolRunError(`no Docker image for ${meta.name}`);
  const program = meta.runner.docker?.programs?.[inv.program] ?? inv.program;
  const args = ["run", "--rm", "--network", "none"];
  if (typeof process.getuid === "function" && typeof process.getgid === "function") args.push("--user", `${process.getuid()}:${process.getgid()}`);
  for (const p of [...inv.readOnly].sort()) args.push("-v", `${p}:${p}:ro`);
  for (const p of [...inv.writable].sort()) args.push("-v", `${p}:${p}`);
  for (const [k, v] of Object.entries(inv.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) args.push("-e", `${k}=${v}`);
  args.push("-w", inv.cwd, image, program, ...inv.args);
  return args;
}

function tail(s: string, lines = 3): string {
  return s.trim().split("\n").slice(-lines).join(" | ").slice(0, 240);
}

/** Runs one invocation with the tool's launcher; throws ToolRunError with the reason on failure. */
export async function runProcess(meta: ToolMetadata, inv: Invocation, env: NodeJS.ProcessEnv = process.env): Promise<ProcessOutput> {
  const kind = launcherFor(meta, env);
  let file: string;
  let args: string[];
  if (kind === "docker") {
    file = "docker";
    args = dockerArgs(meta, inv, env);
  } else {
    if (!inv.localBin) throw new ToolRunError(`cannot execute ${inv.program}: no local path (is its environment variable set?)`);
    file = inv.localBin;
    args = inv.args;
  }
  // The program runs in its own process group, and the time limit kills the whole group: a tool
  // that forks (a Python simulator, a shell wrapper) must not keep the pipes open after the limit.
  // For Docker, the limit kills the client; --rm and the killed client stop the container.
  const sub = execa(file, args, {
    cwd: kind === "local" ? inv.cwd : undefined,
    // Local: the tool's variables on top of this process's environment. Docker: the client only
    // needs PATH (the container gets inv.env through -e).
    env: kind === "local" ? inv.env : { PATH: env.PATH ?? "" },
    detached: true,
    reject: false,
    stripFinalNewline: false,
  });
  if (sub.pid !== undefined) active.add(sub.pid);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (sub.pid !== undefined) process.kill(-sub.pid, "SIGKILL");
    } catch {
      sub.kill("SIGKILL");
    }
  }, Math.round(inv.timeout_s * 1000));
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
  if (timedOut) {
    const e = new ToolRunError(`timed out after ${inv.timeout_s} s`);
    e.timedOut = true;
    throw e;
  }
  const stdout = String(r.stdout ?? "");
  const stderr = String(r.stderr ?? "");
  if (r.failed && r.exitCode === undefined) throw new ToolRunError(`cannot execute ${file}: ${r.originalMessage ?? r.shortMessage ?? "unknown error"}`.slice(0, 300));
  if (r.exitCode !== 0) throw new ToolRunError(`exited with code ${r.exitCode}${r.signal ? ` (${r.signal})` : ""}: ${tail(stderr || stdout) || "no output"}`);
  return { stdout, stderr };
}
