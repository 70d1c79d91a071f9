/**
 * Transactional publish of results/: stage, validate, swap.
 *
 *  - openStage(root) mirrors results/ into a staging directory (.work/publish/stage-<pid>/) with
 *    hard links (a copy where links are not possible); a run writes every output there, never into
 *    results/. Every write into the stage replaces a file by rename (io.ts writeFileAtomic), so a
 *    linked file of results/ is never modified in place.
 *  - validateStage() checks the staged outputs (schemas, row counts per tool against the suite, no
 *    tool missing) before anything is published.
 *  - publishStage() swaps the staged tree into results/ with two renames (results -> previous,
 *    stage -> results), after writing a marker; recoverPublish() finishes or undoes a swap that a
 *    crash interrupted between the two renames. An interrupted run (Ctrl-C, SIGKILL, an exception)
 *    never reaches the swap, so results/ stays exactly as it was.
 *  - preflight() finds a read-only or full results/ before any work.
 *
 * Everything here is synchronous: a signal handler (which runs on the event loop) can never run
 * in the middle of a swap.
 */
import { accessSync, constants, copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, statfsSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { writeFileAtomic } from "./io.ts";

export const PUBLISH_DIR = ".work/publish";
const MARKER = "swap.json";
/** Free space wanted beyond the size of the staged copy. */
export const FREE_MARGIN_BYTES = 64 * 1024 * 1024;

export interface Stage {
  root: string;
  /** The live results directory (root/results). */
  results: string;
  /** The staged copy of results/ the run writes into. */
  dir: string;
  /** dir/raw */
  raw: string;
  published: boolean;
}

const open = new Set<Stage>();

function treeBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += treeBytes(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

function dirsOf(dir: string): string[] {
  const out = [dir];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...dirsOf(join(dir, e.name)));
  return out;
}

/** Why a directory cannot be written, or undefined. Root ignores permission bits, so they are checked too. */
function notWritable(dir: string): string | undefined {
  const mode = statSync(dir).mode;
  if ((mode & 0o222) === 0) return `is read-only (mode ${(mode & 0o777).toString(8)})`;
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return "is not writable by this user";
  }
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, "");
    rmSync(probe, { force: true });
  } catch (e) {
    return `cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  return undefined;
}

export interface PreflightOptions {
  /** Free bytes on the file system (tests); default: statfs. */
  freeBytes?: number;
}

/**
 * One-line problems that would make publishing fail, found before any work: results/ (or a
 * directory in it, or the repository root that holds it) read-only, or too little free space for
 * the staged copy.
 */
export function preflight(root: string, opts: PreflightOptions = {}): string[] {
  const problems: string[] = [];
  const results = join(root, "results");
  const rel = (p: string) => relative(root, p) || ".";
  if (existsSync(results)) {
    for (const d of dirsOf(results)) {
      const why = notWritable(d);
      if (why) {
        problems.push(`${rel(d)}/ ${why}: evaluate publishes by replacing results/; make it writable (chmod -R u+w results) or run in a writable copy`);
        break;
      }
    }
  }
  const rootWhy = notWritable(root);
  if (rootWhy) problems.push(`the repository root ${rootWhy}: evaluate needs it for .work/ and to swap results/ in`);
  if (problems.length === 0) {
    const need = treeBytes(results) + FREE_MARGIN_BYTES;
    let free = opts.freeBytes;
    if (free === undefined) {
      try {
        const s = statfsSync(root);
        free = Number(s.bavail) * Number(s.bsize);
      } catch {
        free = undefined;
      }
    }
    if (free !== undefined && free < need)
      problems.push(`not enough free space for the staged results: ${(free / 2 ** 20).toFixed(0)} MiB free, ${(need / 2 ** 20).toFixed(0)} MiB needed; free some space`);
  }
  return problems;
}

/**
 * Finishes or undoes a swap interrupted between its two renames (a crash, power loss). Returns a
 * sentence saying what it did, or undefined when there was nothing to do.
 */
export function recoverPublish(root: string): string | undefined {
  const dir = join(root, PUBLISH_DIR);
  const marker = join(dir, MARKER);
  const results = join(root, "results");
  if (!existsSync(marker)) return undefined;
  const m = JSON.parse(readFileSync(marker, "utf8")) as { previous: string; stage: string };
  let said: string;
  if (!existsSync(results) && existsSync(m.stage)) {
    renameSync(m.stage, results); // the staged tree was complete and validated: finish the swap
    said = "finished an interrupted publish of results/";
  } else if (!existsSync(results) && existsSync(m.previous)) {
    renameSync(m.previous, results);
    said = "restored results/ from an interrupted publish";
  } else said = "removed the leftovers of an earlier publish";
  rmSync(m.previous, { recursive: true, force: true });
  rmSync(marker, { force: true });
  return said;
}

/** A staged copy of results/ (an empty one when results/ does not exist yet). */
export function openStage(root: string): Stage {
  const results = join(root, "results");
  const base = join(root, PUBLISH_DIR);
  mkdirSync(base, { recursive: true });
  // Stale stages of runs that were killed (their pid is gone) are removed.
  for (const e of readdirSync(base)) {
    const m = /^stage-(\d+)$/.exec(e);
    if (m && !alive(Number(m[1]))) rmSync(join(base, e), { recursive: true, force: true });
  }
  const dir = join(base, `stage-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  if (existsSync(results)) linkTree(results, dir);
  else mkdirSync(dir, { recursive: true });
  const stage: Stage = { root, results, dir, raw: join(dir, "raw"), published: false };
  open.add(stage);
  return stage;
}

/** Mirrors a tree with hard links (copies when linking fails, e.g. across file systems). */
function linkTree(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const a = join(src, e.name);
    const b = join(dst, e.name);
    if (e.isDirectory()) linkTree(a, b);
    else if (e.isFile()) {
      try {
        linkSync(a, b);
      } catch {
        copyFileSync(a, b);
      }
    }
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Path of a results/ file (e.g. "results/summary.csv" or "summary.csv") inside the stage. */
export function staged(stage: Stage, rel: string): string {
  return join(stage.dir, rel.replace(/^results\//, ""));
}

/**
 * Keeps the recorded raw outputs a live run replaces: results/raw/<tool>/<cell>.txt whose content
 * changed (and the tool's wall_s.csv and build.json) are copied to
 * results/raw/<tool>/.previous/ in the stage, replacing what an earlier run left there.
 */
export function keepPrevious(stage: Stage, tool: string, liveCells: string[], extra: string[] = ["wall_s.csv", "build.json"]): number {
  const oldDir = join(stage.results, "raw", tool);
  const newDir = join(stage.raw, tool);
  const prev = join(newDir, ".previous");
  const replaced: string[] = [];
  for (const id of liveCells) {
    const old = join(oldDir, `${id}.txt`);
    const now = join(newDir, `${id}.txt`);
    if (existsSync(old) && (!existsSync(now) || readFileSync(old, "utf8") !== readFileSync(now, "utf8"))) replaced.push(`${id}.txt`);
  }
  if (replaced.length === 0) return 0;
  rmSync(prev, { recursive: true, force: true });
  for (const f of [...replaced, ...extra]) {
    const old = join(oldDir, f);
    if (existsSync(old)) writeFileAtomic(join(prev, f), readFileSync(old, "utf8"));
  }
  return replaced.length;
}

/** Swaps the stage into results/. Synchronous; the window between the two renames is recoverable. */
export function publishStage(stage: Stage): void {
  const base = join(stage.root, PUBLISH_DIR);
  const previous = join(base, `previous-${process.pid}`);
  rmSync(previous, { recursive: true, force: true });
  writeFileAtomic(join(base, MARKER), JSON.stringify({ previous, stage: stage.dir }) + "\n");
  mkdirSync(dirname(stage.results), { recursive: true });
  if (existsSync(stage.results)) renameSync(stage.results, previous);
  renameSync(stage.dir, stage.results);
  stage.published = true;
  open.delete(stage);
  rmSync(join(base, MARKER), { force: true });
  rmSync(previous, { recursive: true, force: true });
}

/** Removes a stage that will not be published (results/ is left as it was). */
export function discardStage(stage: Stage): void {
  if (stage.published) return;
  rmSync(stage.dir, { recursive: true, force: true });
  open.delete(stage);
}

/** Discards every open stage (signal handlers). */
export function discardAllStages(): void {
  for (const s of [...open]) discardStage(s);
}
