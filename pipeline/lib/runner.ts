/**
 * The one runner shared by every tool adapter.
 *
 * - A failing cell gets status=failed with its reason and never stops the others (nor other tools).
 * - A cell the tool does not support gets status=not-run with the tool's reason.
 * - A tool that is not installed here re-parses its recorded raw outputs (results/raw/<tool>/);
 *   a cell with no recorded output is not-run, with the reason. Numbers are never filled in.
 * - A tool that was asked for but cannot start (its environment variable points at a missing
 *   file, Docker requested without an engine) fails every supported cell with the reason.
 * - A tool that is installed re-parses the cells it has a recorded output for, and runs the others
 *   live; `rerun` (make evaluate RERUN=<tool>|all) runs every supported cell live.
 * - Live runs record, per cell, the wall time and the lines of input generated (adapter hook
 *   inputFiles) in results/raw/<tool>/wall_s.csv.
 * - Each finished cell is appended to a journal (.work/evaluate/<tool>.jsonl) keyed by the suite's
 *   and the tool's fingerprint (metadata, source closure, binary identity: cache.ts), so an
 *   interrupted run resumes without redoing finished cells, and a code change in between does not
 *   reuse stale rows.
 * - Scale-out (issue 21): live cells run in a pool of `jobs` (make evaluate JOBS=N) through the
 *   chosen executor (local, or Slurm: slurm.ts); a live run's raw output is stored in the
 *   content-addressed cell cache (cache.ts) and reused, instead of a new run, whenever the cell,
 *   the tool's identity, its source and its input files are unchanged.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createHash } from "node:crypto";
import type { Cell, PredictionRow } from "./schema.ts";
import { PredictionRow as PredictionRowSchema } from "./schema.ts";
import type { ToolAdapter, ToolContext } from "./tool.ts";
import { convertToCellUnit, type Suite } from "./suite.ts";
import { writeFileAtomic, compareStrings, readCsv, writeCsvAtomic, fmt } from "./io.ts";
import { baseFingerprint, cellKey, REPO_ROOT, toolKeyBase, type CellCache } from "./cache.ts";
import { localExecutor, withExecutor, type Executor } from "./exec.ts";
import { NamedLocks, runPool } from "./pool.ts";

/**
 * Wall times of the live runs that produced the recorded raw outputs, one row per cell:
 * results/raw/<tool>/wall_s.csv. Re-parsed rows report these, not the time it took to re-parse.
 */
export const WALL_FILE = "wall_s.csv";
export const WALL_COLUMNS = ["cell_id", "wall_s", "input_lines"] as const;

export interface RunStats {
  wall_s: number;
  /** Lines of input the adapter generated for the cell (empty when it does not say). */
  input_lines?: number;
}

export function readWalls(rawDir: string, tool: string): Map<string, RunStats> {
  const m = new Map<string, RunStats>();
  for (const r of readCsv(join(rawDir, tool, WALL_FILE))) {
    const v = Number(r.wall_s);
    const lines = r.input_lines === undefined || r.input_lines === "" ? undefined : Number(r.input_lines);
    if (r.cell_id && Number.isFinite(v) && v >= 0) m.set(r.cell_id, { wall_s: v, input_lines: lines !== undefined && Number.isInteger(lines) && lines >= 0 ? lines : undefined });
  }
  return m;
}

function countLines(files: string[]): number {
  let n = 0;
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    if (!text) continue;
    n += text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  }
  return n;
}

export interface RunOptions {
  rawDir: string; // results/raw
  journalDir: string; // .work/evaluate
  workDir: string; // .work/tools
  /** Run every supported cell live, even those with a recorded output (RERUN=<tool>). */
  rerun?: boolean;
  /** Cells run at once (default 1; make evaluate passes JOBS, default the number of cores). */
  jobs?: number;
  /** Where launches run (default: here). */
  executor?: Executor;
  /** The content-addressed cell cache (absent: no cache). */
  cache?: CellCache;
  /** Repository whose tools-under-test/<tool>/ holds the adapter (for the cache key; tests). */
  repoRoot?: string;
  onProgress?: (tool: string, done: number, total: number, row: PredictionRow, running: string[]) => void;
  /** Called when a live run starts (with every cell running live now). */
  onRunning?: (tool: string, running: string[]) => void;
}

/** A fingerprint of everything a tool's predictions depend on: suite cells + tool metadata (+ source/identity). */
export function fingerprint(adapter: ToolAdapter, cells: Cell[], extra = ""): string {
  const h = createHash("sha256");
  h.update(JSON.stringify(adapter.metadata));
  for (const c of cells) h.update(JSON.stringify(c));
  h.update(extra);
  return h.digest("hex").slice(0, 16);
}

// Raw outputs are stored with the machine's paths replaced, so that another checkout can reuse them.
const ROOT_MARK = "@@REPO_ROOT@@";
const WORK_MARK = "@@WORK_DIR@@";
const hidePaths = (s: string, root: string, work: string) => s.split(work).join(WORK_MARK).split(root).join(ROOT_MARK);
const showPaths = (s: string, root: string, work: string) => s.split(WORK_MARK).join(work).split(ROOT_MARK).join(root);

function rawPath(rawDir: string, tool: string, cellId: string): string {
  return join(rawDir, tool, `${cellId}.txt`);
}

function readJournal(path: string, fp: string): Map<string, PredictionRow> {
  const done = new Map<string, PredictionRow>();
  if (!existsSync(path)) return done;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { fp: string; row: unknown };
      if (entry.fp !== fp) continue;
      const r = PredictionRowSchema.safeParse(entry.row);
      if (r.success) done.set(r.data.cell_id, r.data);
    } catch {
      // A torn last line from an interrupted run: ignore it, the cell is redone.
    }
  }
  return done;
}

export async function runTool(adapter: ToolAdapter, suite: Suite, opts: RunOptions): Promise<PredictionRow[]> {
  const meta = adapter.metadata;
  const ctx: ToolContext = { suite, workDir: join(opts.workDir, meta.name) };
  const cells = [...suite.cells.values()].sort((a, b) => compareStrings(a.id, b.id));
  const base = toolKeyBase(meta, process.env, opts.repoRoot ?? REPO_ROOT);
  const fp = fingerprint(adapter, cells, baseFingerprint(base)) + (opts.rerun ? "-rerun" : "");
  mkdirSync(opts.journalDir, { recursive: true });
  const journal = join(opts.journalDir, `${meta.name}.jsonl`);
  const done = readJournal(journal, fp);
  const avail = await adapter.availability(ctx);
  const walls = adapter.recordRaw ? readWalls(opts.rawDir, meta.name) : new Map<string, RunStats>();
  const executor: Executor = opts.executor ?? localExecutor;
  executor.setRecordedWalls?.(walls);
  const roots = { root: resolve(opts.repoRoot ?? REPO_ROOT), work: resolve(opts.workDir) };
  const locks = new NamedLocks();
  const running = new Set<string>();
  let liveRuns = 0;
  let finished = 0;

  const ids = { tool: meta.name, tool_version: meta.version };
  const runCell = async (cell: Cell): Promise<PredictionRow> => {
    const prior = done.get(cell.id);
    if (prior) return prior;
    const started = performance.now();
    let row: PredictionRow;
    const finish = (r: Omit<PredictionRow, "wall_s" | "tool" | "tool_version" | "cell_id" | "metric" | "unit">): PredictionRow => ({
      ...ids,
      cell_id: cell.id,
      metric: cell.metric,
      unit: cell.unit,
      ...r,
      wall_s: (performance.now() - started) / 1000,
    });
    try {
      const support = adapter.supports(cell, ctx);
      if (!support.ok) {
        row = finish({ predicted: undefined, status: "not-run", reason: support.reason });
      } else {
        let raw: string | undefined;
        let recordedWall: number | undefined;
        let live = false;
        let store: (() => void) | undefined;
        const recorded = rawPath(opts.rawDir, meta.name, cell.id);
        const haveRecord = adapter.recordRaw && existsSync(recorded);
        if (!avail.available && avail.configured) throw new Error(`tool cannot run here: ${avail.reason ?? "unknown"}`);
        if (avail.available && (opts.rerun || !haveRecord)) {
          const prepared = await adapter.prepare(cell, ctx);
          const inputs = adapter.inputFiles ? adapter.inputFiles(prepared) : [];
          let inputLines = adapter.inputFiles ? countLines(inputs) : undefined;
          const key = opts.cache && adapter.recordRaw ? cellKey(base, cell, suite, inputs, roots) : undefined;
          const hit = key ? opts.cache!.get(meta.name, key) : undefined;
          let wall: number;
          if (hit) {
            // The same cell, tool, source and inputs ran before: its output is this run's output.
            raw = showPaths(hit.raw, roots.root, roots.work);
            wall = hit.wall_s;
            inputLines = hit.input_lines ?? inputLines;
          } else {
            running.add(cell.id);
            opts.onRunning?.(meta.name, [...running]);
            try {
              const invoke = () => withExecutor(executor, () => adapter.invoke(prepared, cell, ctx));
              raw = await locks.lock(adapter.exclusive?.(prepared), () => (executor.cell ? executor.cell(cell.id, invoke) : invoke()));
            } finally {
              running.delete(cell.id);
            }
            wall = (performance.now() - started) / 1000;
            if (key) {
              const out = raw;
            const k = key;
              store = () => opts.cache!.put({ key: k, tool: meta.name, cell_id: cell.id, raw: hidePaths(out, roots.root, roots.work), wall_s: wall, input_lines: inputLines });
            }
          }
          live = true;
          recordedWall = wall; // the run's time (a cache hit: the time of the run that produced it)
          if (adapter.recordRaw) {
            writeFileAtomic(recorded, raw);
            walls.set(cell.id, { wall_s: wall, input_lines: inputLines });
            liveRuns++;
          }
        } else if (haveRecord) {
          raw = readFileSync(recorded, "utf8");
          recordedWall = walls.get(cell.id)?.wall_s;
        }
        if (raw === undefined) {
          row = finish({ predicted: undefined, status: "not-run", reason: `tool not available here (${avail.reason ?? "unknown"}) and no recorded output` });
        } else {
          const p = adapter.parse(raw, cell, ctx);
          const v = convertToCellUnit(cell, p.value, p.unit);
          if (v === undefined) throw new Error(`tool reported unit '${p.unit}', which is not a unit of metric '${cell.metric}'`);
          if (!(v > 0) || !Number.isFinite(v)) throw new Error(`tool reported a non-positive or non-finite value (${p.value} ${p.unit})`);
          store?.(); // only outputs the parser accepts are cached
          if (live) row = { ...finish({ predicted: v, status: "ok", reason: "" }), wall_s: recordedWall ?? 0 };
          else if (recordedWall !== undefined) row = { ...finish({ predicted: v, status: "ok", reason: "re-parsed recorded output" }), wall_s: recordedWall };
          else row = finish({ predicted: v, status: "ok", reason: "re-parsed recorded output (no recorded run time: wall_s is the re-parse time)" });
        }
      }
    } catch (e) {
      row = finish({ predicted: undefined, status: "failed", reason: ((e as Error).message ?? String(e)).split("\n")[0]!.slice(0, 300) });
    }
    appendFileSync(journal, JSON.stringify({ fp, row }) + "\n");
    return row;
  };

  const jobs = executor.concurrency ?? opts.jobs ?? 1;
  const rows = await runPool(cells, Math.max(1, Math.min(jobs, cells.length || 1)), runCell, {
    onDone: (_c, _i, row) => {
      finished++;
      opts.onProgress?.(meta.name, finished, cells.length, row, [...running]);
    },
  });
  if (liveRuns > 0)
    writeCsvAtomic(
      join(opts.rawDir, meta.name, WALL_FILE),
      WALL_COLUMNS,
      [...walls].sort((a, b) => compareStrings(a[0], b[0])).map(([cell_id, w]) => ({ cell_id, wall_s: fmt(w.wall_s), input_lines: w.input_lines === undefined ? "" : String(w.input_lines) })),
    );
  return rows;
}

/** Forget a tool's journal once its rows are safely in results/. */
export function clearJournal(journalDir: string, tool: string): void {
  rmSync(join(journalDir, `${tool}.jsonl`), { force: true });
}
