/**
 * The content-addressed cell cache: a live tool run's raw output, stored under a key that is the
 * hash of everything the output depends on, so that it is reused across runs, worktrees and
 * branches, and a change to any of those inputs misses exactly the cells it affects.
 *
 * key = sha256 over (order-independent, canonical JSON):
 *   - the cell, normalized (keys sorted), and every suite model and hardware entry it names;
 *   - the tool's identity: its metadata (version, pinned commit, runner) and what actually runs:
 *     the sha256 of the file each of its environment variables names (a binary, an interpreter),
 *     the git HEAD (and the hash of any uncommitted diff) of a directory one names (a checkout),
 *     or the Docker image's ID;
 *   - the adapter's and the engine's source: the adapter module and every module it imports at run
 *     time (relative `import`s followed transitively; `import type` skipped), plus every other file
 *     of the adapter's directory (fixtures, architecture files), each by its repository path;
 *   - the inputs the cell's run reads: the content of every file the adapter's inputFiles() names
 *     (profiles, generated configs), with the repository and scratch paths written as <root> and
 *     <work>, so that the key does not depend on where the checkout lives.
 *
 * Only successful live runs are stored (a failure or a timeout may be transient). The cache lives
 * outside results/: CELL_CACHE_DIR, else $XDG_CACHE_HOME/ml-sim-survey/cells (~/.cache/...).
 * `make clean-cache` removes it; NO_CACHE=1 (or --no-cache) bypasses it.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { z } from "zod";
import type { Cell, ToolMetadata } from "./schema.ts";
import type { Suite } from "./suite.ts";
import { launcherFor, dockerImage } from "./exec.ts";
import { writeFileAtomic, compareStrings } from "./io.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The cache directory: CELL_CACHE_DIR, else $XDG_CACHE_HOME (or ~/.cache)/ml-sim-survey/cells. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CELL_CACHE_DIR) return resolve(env.CELL_CACHE_DIR);
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "ml-sim-survey", "cells");
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object" && !(v instanceof Date)) {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort(compareStrings)
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

const fileHashes = new Map<string, { mtimeMs: number; size: number; hash: string }>();

/** sha256 of a file's bytes, memoized on (path, mtime, size). */
export function fileHash(path: string): string {
  const st = statSync(path);
  const m = fileHashes.get(path);
  if (m && m.mtimeMs === st.mtimeMs && m.size === st.size) return m.hash;
  const hash = sha256(readFileSync(path));
  fileHashes.set(path, { mtimeMs: st.mtimeMs, size: st.size, hash });
  return hash;
}

// ---------------------------------------------------------------------------------------------
// Source closure

const IMPORT_RE = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?["']([^"']+)["']/gm;
const DYNAMIC_RE = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The run-time relative imports of a TypeScript module (type-only imports are left out). */
export function runtimeImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) if (!m[2] && m[3]!.startsWith(".")) out.push(m[3]!);
  for (const m of source.matchAll(DYNAMIC_RE)) if (m[1]!.startsWith(".")) out.push(m[1]!);
  return out;
}

/** Every module reachable from `entry` through run-time relative imports, entry included, sorted. */
export function importClosure(entry: string): string[] {
  const seen = new Set<string>();
  const stack = [resolve(entry)];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f) || !existsSync(f)) continue;
    seen.add(f);
    for (const spec of runtimeImports(readFileSync(f, "utf8"))) stack.push(resolve(dirname(f), spec));
  }
  return [...seen].sort(compareStrings);
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * The source files a tool's outputs depend on: the closure of tools-under-test/<tool>/adapter.ts
 * and every non-Markdown file of that directory. Paths relative to the repository, with hashes.
 */
export function sourceFiles(tool: string, repoRoot = REPO_ROOT): [string, string][] {
  const dir = join(repoRoot, "tools-under-test", tool);
  const files = new Set<string>(importClosure(join(dir, "adapter.ts")));
  for (const f of listFiles(dir)) if (!f.endsWith(".md")) files.add(resolve(f));
  return [...files]
    .map((f) => [relative(repoRoot, f), fileHash(f)] as [string, string])
    .sort((a, b) => compareStrings(a[0], b[0]));
}

// ---------------------------------------------------------------------------------------------
// Tool identity

function git(dir: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 256 << 20 });
  } catch {
    return undefined;
  }
}

/** What an environment variable's value runs: a file's hash, a checkout's commit (+ diff), or the raw value. */
function pathIdentity(value: string): string {
  if (!existsSync(value)) return `missing:${value}`;
  const st = statSync(value);
  if (st.isFile()) return `sha256:${fileHash(value)}`;
  if (st.isDirectory()) {
    const head = git(value, ["rev-parse", "HEAD"])?.trim();
    if (head) {
      const diff = git(value, ["diff", "HEAD"]) ?? "";
      return `git:${head}${diff ? `+diff:${sha256(diff)}` : ""}`;
    }
    return `dir:${value}`;
  }
  return `other:${value}`;
}

function dockerImageId(image: string, env: NodeJS.ProcessEnv): string {
  try {
    return execFileSync("docker", ["image", "inspect", "--format", "{{.Id}}", image], { encoding: "utf8", env, stdio: ["ignore", "pipe", "ignore"], timeout: 20_000 }).trim();
  } catch {
    return `unresolved:${image}`;
  }
}

/** The tool's identity: its metadata plus what actually runs here (binary hash, commit, image ID). */
export function toolIdentity(meta: ToolMetadata, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const id: Record<string, string> = { metadata: sha256(canonicalJson(meta)), launcher: launcherFor(meta, env) };
  if (id.launcher === "docker") {
    const image = dockerImage(meta, env) ?? "";
    id.image = image;
    id.image_id = dockerImageId(image, env);
  } else {
    for (const v of [...meta.runner.env].sort(compareStrings)) if (env[v]) id[v] = pathIdentity(env[v]!);
  }
  return id;
}

// ---------------------------------------------------------------------------------------------
// Keys and entries

/** Suite models and hardware a cell names (any string value of the cell equal to their id). */
function referencedEntries(cell: Cell, suite: Suite): Record<string, unknown> {
  const names = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === "string") names.add(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(cell);
  const out: Record<string, unknown> = {};
  for (const n of [...names].sort(compareStrings)) {
    if (suite.models.has(n)) out[`model:${n}`] = suite.models.get(n);
    if (suite.hardware.has(n)) out[`hardware:${n}`] = suite.hardware.get(n);
  }
  return out;
}

/** The part of a key shared by every cell of one tool in one run (computed once per tool). */
export interface ToolKeyBase {
  tool: string;
  identity: Record<string, string>;
  sources: [string, string][];
}

export function toolKeyBase(meta: ToolMetadata, env: NodeJS.ProcessEnv = process.env, repoRoot = REPO_ROOT): ToolKeyBase {
  return { tool: meta.name, identity: toolIdentity(meta, env), sources: sourceFiles(meta.name, repoRoot) };
}

/** A short hash of the tool's base key (the resume journal's fingerprint includes it). */
export function baseFingerprint(base: ToolKeyBase): string {
  return sha256(canonicalJson(base)).slice(0, 16);
}

/** Input files' contents, with the machine-specific roots replaced, keyed by their normalized path. */
function inputDigests(files: string[], roots: { root: string; work: string }): [string, string][] {
  const norm = (s: string) => s.split(roots.work).join("<work>").split(roots.root).join("<root>");
  return files
    .map((f) => {
      const abs = resolve(f);
      const text = existsSync(abs) ? norm(readFileSync(abs, "utf8")) : "<missing>";
      return [norm(abs), sha256(text)] as [string, string];
    })
    .sort((a, b) => compareStrings(a[0], b[0]));
}

export function cellKey(base: ToolKeyBase, cell: Cell, suite: Suite, inputs: string[], roots: { root: string; work: string }): string {
  return sha256(
    canonicalJson({
      v: 1,
      base,
      cell: sortKeys(cell),
      suite: referencedEntries(cell, suite),
      inputs: inputDigests(inputs, roots),
    }),
  );
}

export const CacheEntry = z
  .object({
    key: z.string().regex(/^[0-9a-f]{64}$/),
    tool: z.string(),
    cell_id: z.string(),
    raw: z.string(),
    wall_s: z.number().nonnegative(),
    input_lines: z.number().int().nonnegative().optional(),
    /** Provenance only (not part of the key). */
    stored_at: z.string(),
  })
  .strict();
export type CacheEntry = z.infer<typeof CacheEntry>;

export class CellCache {
  constructor(public readonly dir: string) {}

  private path(tool: string, key: string): string {
    return join(this.dir, tool, key.slice(0, 2), `${key}.json`);
  }

  /** The stored entry for a key, or undefined (a missing, unreadable or mismatching file is a miss). */
  get(tool: string, key: string): CacheEntry | undefined {
    const p = this.path(tool, key);
    if (!existsSync(p)) return undefined;
    try {
      const e = CacheEntry.safeParse(JSON.parse(readFileSync(p, "utf8")));
      return e.success && e.data.key === key && e.data.tool === tool ? e.data : undefined;
    } catch {
      return undefined;
    }
  }

  put(entry: Omit<CacheEntry, "stored_at">): void {
    const full: CacheEntry = { ...entry, stored_at: new Date().toISOString() };
    writeFileAtomic(this.path(entry.tool, entry.key), JSON.stringify(full) + "\n");
  }
}
