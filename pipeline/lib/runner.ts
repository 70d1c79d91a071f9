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
 *   and the tool's fingerprint, so an interrupted run resumes without redoing finished cells. The
 *   journal keeps a live cell's raw output with its row (the raw output itself is only staged, see
 *   rawOutDir); failed cells are not journaled, so a resumed run retries them.
 * - Live raw outputs are recorded only once the parser accepts them, and into `rawOutDir` (the
 *   staging directory of pipeline/lib/publish.ts during `make evaluate`), never over results/.
 * - Each live cell has a time limit derived from the recorded wall time (cellTimeout); after
 *   MAX_CONSECUTIVE_TIMEOUTS cells in a row time out, the tool's remaining live cells fail at once
 *   instead of each waiting for its limit.
 * - Scale-out (issue 21): live cells run in a pool of `jobs` (make evaluate JOBS=N) through the
 *   chosen executor (local, or Slurm: slurm.ts); rows come back in cell order, identical to a
 *   serial run. A live run's raw output is stored in the content-addressed cell cache (cache.ts)
 *   and reused, instead of a new run, whenever the cell, the tool's identity, its source and its
 *   input files are unchanged. The journal's fingerprint includes the same source and binary
 *   identity, so a code change between an interrupted run and its resume does not reuse stale rows.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { localExecutor, ToolRunError, ToolVerdict, withExecutor, type Executor } from "./exec.ts";
import { join, resolve } from "node:path";
import { createHash } from "node:crypto";
import type { Cell, PredictionRow } from "./schema.ts";
import { PredictionRow as PredictionRowSchema } from "./schema.ts";
import type { ToolAdapter, ToolContext } from "./tool.ts";
import { convertToCellUnit, type Suite } from "./suite.ts";
import { writeFileAtomic, compareStrings, readCsv, writeCsvAtomic, fmt } from "./io.ts";
import { baseFingerprint, cellKey, REPO_ROOT, toolKeyBase, type CellCache } from "./cache.ts";
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
  rawDir: string; // results/raw: where recorded outputs are read
  /** Where live raw outputs and wall_s.csv are written (default: rawDir). */
  rawOutDir?: string;
  journalDir: string; // .work/evaluate
  workDir: string; // .work/tools
  /** Run every supported cell live, even those with a recorded output (RERUN=<tool>). */
  rerun?: boolean;
  /** Extra fingerprint input (e.g. the identity of the build that runs live). */
  fingerprintExtra?: string;
  /** Cells run at once (default 1; make evaluate passes JOBS, default the number of cores). */
  jobs?: number;
  /** Where launches run (default: here). */
  executor?: Executor;
  /** The content-addressed cell cache (absent: no cache). */
  cache?: CellCache;
  /** Repository whose tools-under-test/<tool>/ holds the adapter (for the cache key; tests). */
  repoRoot?: string;
  /** Called when a live run starts, with every cell of the tool running live now. */
  onRunning?: (tool: string, running: string[]) => void;
  onProgress?: (tool: string, done: number, total: number, row: PredictionRow) => void;
  /** Called when a cell starts (live: the tool is launched); index counts supported cells only. */
  onCellStart?: (e: CellEvent) => void;
  onCellDone?: (e: CellEvent & { row: PredictionRow }) => void;
}

export interface CellEvent {
  tool: string;
  cellId: string;
  /** 1-based position among the cells the tool supports. */
  index: number;
  /** Number of cells the tool supports (not the whole suite). */
  total: number;
  live: boolean;
  timeout_s?: number;
}

/** Default limits of a live cell: MIN_TIMEOUT_S, or TIMEOUT_FACTOR x the recorded wall time. */
export const MIN_TIMEOUT_S = 60;
export const TIMEOUT_FACTOR = 10;
export const MAX_CONSECUTIVE_TIMEOUTS = 3;

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The time limit of one live cell, s: TIMEOUT_FACTOR x the cell's recorded wall time, else x the
 * tool's recorded median, never under MIN_TIMEOUT_S; undefined when nothing is recorded (the
 * adapter's own default applies).
 */
export function cellTimeout(walls: Map<string, RunStats>, cellId: string): number | undefined {
  const own = walls.get(cellId)?.wall_s;
  const base = own ?? median([...walls.values()].map((w) => w.wall_s));
  if (base === undefined) return undefined;
  return Math.max(MIN_TIMEOUT_S, Math.ceil(TIMEOUT_FACTOR * base));
}

/** A fingerprint of everything a tool's predictions depend on: suite cells + tool metadata (+ source/identity). */
export function fingerprint(adapter: ToolAdapter, cells: Cell[], extra = ""): string {
  const h = createHash("sha256");
  h.update(JSON.stringify(adapter.metadata));
  for (const c of cells) h.update(JSON.stringify(c));
  h.update(extra);
  return h.digest("hex").slice(0, 16);
}

// Cached raw outputs are stored with the machine's paths replaced, so that another checkout can reuse them.
const ROOT_MARK = "@@REPO_ROOT@@";
const WORK_MARK = "@@WORK_DIR@@";
const hidePaths = (s: string, root: string, work: string) => s.split(work).join(WORK_MARK).split(root).join(ROOT_MARK);
const showPaths = (s: string, root: string, work: string) => s.split(WORK_MARK).join(work).split(ROOT_MARK).join(root);

function rawPath(rawDir: string, tool: string, cellId: string): string {
  return join(rawDir, tool, `${cellId}.txt`);
}

interface JournalEntry {
  row: PredictionRow;
  /** A live cell's raw output and run statistics (re-staged on resume). */
  raw?: string;
  stats?: RunStats;
}

function readJournal(path: string, fp: string): Map<string, JournalEntry> {
  const done = new Map<string, JournalEntry>();
  if (!existsSync(path)) return done;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { fp: string; row: unknown; raw?: unknown; stats?: RunStats };
      if (entry.fp !== fp) continue;
      const r = PredictionRowSchema.safeParse(entry.row);
      if (!r.success || r.data.status === "failed") continue;
      done.set(r.data.cell_id, { row: r.data, raw: typeof entry.raw === "string" ? entry.raw : undefined, stats: entry.stats });
    } catch {
      // A torn last line from an interrupted run: ignore it, the cell is redone.
    }
  }
  return done;
}

export interface ToolRun {
  rows: PredictionRow[];
  /** Cells whose raw output was produced live in this run (or a resumed one). */
  live: string[];
}

export async function runTool(adapter: ToolAdapter, suite: Suite, opts: RunOptions): Promise<PredictionRow[]> {
  return (await runToolDetailed(adapter, suite, opts)).rows;
}

export async function runToolDetailed(adapter: ToolAdapter, suite: Suite, opts: RunOptions): Promise<ToolRun> {
  const meta = adapter.metadata;
  const ctx: ToolContext = { suite, workDir: join(opts.workDir, meta.name) };
  const cells = [...suite.cells.values()].sort((a, b) => compareStrings(a.id, b.id));
  const keyBase = toolKeyBase(meta, process.env, opts.repoRoot ?? REPO_ROOT);
  const fp = fingerprint(adapter, cells, baseFingerprint(keyBase)) + (opts.rerun ? "-rerun" : "") + (opts.fingerprintExtra ? `-${opts.fingerprintExtra}` : "");
  const rawOut = opts.rawOutDir ?? opts.rawDir;
  mkdirSync(opts.journalDir, { recursive: true });
  const journal = join(opts.journalDir, `${meta.name}.jsonl`);
  const done = readJournal(journal, fp);
  const avail = await adapter.availability(ctx);
  const recordedWalls = adapter.recordRaw ? readWalls(opts.rawDir, meta.name) : new Map<string, RunStats>();
  const walls = new Map(recordedWalls);
  const live = new Set<string>();
  const executor: Executor = opts.executor ?? localExecutor;
  executor.setRecordedWalls?.(recordedWalls);
  const roots = { root: resolve(opts.repoRoot ?? REPO_ROOT), work: resolve(opts.workDir) };
  const locks = new NamedLocks();
  const running = new Set<string>();
  let consecutiveTimeouts = 0;
  // Counts are out of the cells the tool supports (decided up front; supports() is pure).
  const support = new Map(cells.map((c) => {
    try {
      return [c.id, adapter.supports(c, ctx)] as const;
    } catch (e) {
      return [c.id, { ok: false as const, reason: `supports() failed: ${(e as Error).message}` }] as const;
    }
  }));
  const total = [...support.values()].filter((s) => s.ok).length;
  const indexOf = new Map<string, number>();
  let n = 0;
  for (const c of cells) if (support.get(c.id)!.ok) indexOf.set(c.id, ++n);

  const base = { tool: meta.name, tool_version: meta.version };
  let finished = 0;
  const runCell = async (cell: Cell): Promise<PredictionRow> => {
    const sup = support.get(cell.id)!;
    const index = indexOf.get(cell.id) ?? 0;
    const prior = done.get(cell.id);
    if (prior) {
      if (prior.raw !== undefined && adapter.recordRaw) {
        writeFileAtomic(rawPath(rawOut, meta.name, cell.id), prior.raw);
        if (prior.stats) walls.set(cell.id, prior.stats);
        live.add(cell.id);
      }
      return prior.row;
    }
    const started = performance.now();
    let row: PredictionRow;
    let journalRaw: string | undefined;
    let journalStats: RunStats | undefined;
    const finish = (r: Omit<PredictionRow, "wall_s" | "tool" | "tool_version" | "cell_id" | "metric" | "unit">): PredictionRow => ({
      ...base,
      cell_id: cell.id,
      metric: cell.metric,
      unit: cell.unit,
      ...r,
      wall_s: (performance.now() - started) / 1000,
    });
    const recorded = rawPath(opts.rawDir, meta.name, cell.id);
    const haveRecord = adapter.recordRaw && existsSync(recorded);
    const goesLive = sup.ok && avail.available && (Boolean(opts.rerun) || !haveRecord);
    const derived = goesLive ? cellTimeout(recordedWalls, cell.id) : undefined;
    const timeout_s = goesLive && adapter.timeLimit ? adapter.timeLimit(derived) : derived;
    // "live" in progress events: an external tool is launched (ZZZ, a library, always computes).
    const launched = goesLive && adapter.recordRaw;
    if (sup.ok) opts.onCellStart?.({ tool: meta.name, cellId: cell.id, index, total, live: launched, timeout_s });
    try {
      if (!sup.ok) {
        row = finish({ predicted: undefined, status: "not-run", reason: sup.reason });
      } else {
        let raw: string | undefined;
        let recordedWall: number | undefined;
        let stats: RunStats | undefined;
        let store: (() => void) | undefined;
        if (!avail.available && avail.configured) throw new Error(`tool cannot run here: ${avail.reason ?? "unknown"}`);
        if (goesLive) {
          const cctx = { ...ctx, timeout_s };
          const prepared = await adapter.prepare(cell, cctx);
          const inputs = adapter.inputFiles ? adapter.inputFiles(prepared) : [];
          const inputLines = adapter.inputFiles ? countLines(inputs) : undefined;
          const key = opts.cache && adapter.recordRaw ? cellKey(keyBase, cell, suite, inputs, roots) : undefined;
          const hit = key ? opts.cache!.get(meta.name, key) : undefined;
          if (hit) {
            // The same cell, tool, source and inputs ran before: its output is this run's output,
            // with the time of the run that produced it.
            raw = showPaths(hit.raw, roots.root, roots.work);
            stats = { wall_s: hit.wall_s, input_lines: hit.input_lines ?? inputLines };
          } else {
            if (consecutiveTimeouts >= MAX_CONSECUTIVE_TIMEOUTS)
              throw new Error(`not attempted: the previous ${consecutiveTimeouts} cells of ${meta.name} timed out (see their reasons); fix the tool or raise its time limit`);
            running.add(cell.id);
            opts.onRunning?.(meta.name, [...running]);
            try {
              const invoke = () => withExecutor(executor, () => adapter.invoke(prepared, cell, cctx));
              raw = await locks.lock(adapter.exclusive?.(prepared), () => (executor.cell ? executor.cell(cell.id, invoke) : invoke()));
              consecutiveTimeouts = 0;
            } catch (e) {
              if (e instanceof ToolRunError && e.timedOut) consecutiveTimeouts++;
              else consecutiveTimeouts = 0;
              throw e;
            } finally {
              running.delete(cell.id);
            }
            stats = { wall_s: (performance.now() - started) / 1000, input_lines: inputLines };
            if (key) {
              const k = key;
              const out = raw;
              const st = stats;
              store = () => opts.cache!.put({ key: k, tool: meta.name, cell_id: cell.id, raw: hidePaths(out, roots.root, roots.work), wall_s: st.wall_s, input_lines: st.input_lines });
            }
          }
        } else if (haveRecord) {
          raw = readFileSync(recorded, "utf8");
          recordedWall = recordedWalls.get(cell.id)?.wall_s;
        }
        if (raw === undefined) {
          row = finish({ predicted: undefined, status: "not-run", reason: `tool not available here (${avail.reason ?? "unknown"}) and no recorded output` });
        } else {
          let p: ReturnType<typeof adapter.parse>;
          try {
            p = adapter.parse(raw, cell, ctx);
          } catch (e) {
            // The tool's own answer that the cell has no value is its outcome: recorded (a live run
            // only), so that the re-parse reports the same failure.
            if (e instanceof ToolVerdict && stats && adapter.recordRaw) {
              store?.();
              writeFileAtomic(rawPath(rawOut, meta.name, cell.id), raw);
              walls.set(cell.id, stats);
              live.add(cell.id);
            }
            throw e;
          }
          const v = convertToCellUnit(cell, p.value, p.unit);
          if (v === undefined) throw new Error(`tool reported unit '${p.unit}', which is not a unit of metric '${cell.metric}'`);
          if (!(v > 0) || !Number.isFinite(v)) throw new Error(`tool reported a non-positive or non-finite value (${p.value} ${p.unit})`);
          if (stats) {
            // Recorded (and cached) only now that the parser accepted it.
            store?.();
            if (adapter.recordRaw) {
              writeFileAtomic(rawPath(rawOut, meta.name, cell.id), raw);
              walls.set(cell.id, stats);
              live.add(cell.id);
              journalRaw = raw;
              journalStats = stats;
              row = { ...finish({ predicted: v, status: "ok", reason: "" }), wall_s: stats.wall_s };
            } else row = finish({ predicted: v, status: "ok", reason: "" });
          } else if (recordedWall !== undefined) row = { ...finish({ predicted: v, status: "ok", reason: "re-parsed recorded output" }), wall_s: recordedWall };
          else row = finish({ predicted: v, status: "ok", reason: "re-parsed recorded output (no recorded run time: wall_s is the re-parse time)" });
        }
      }
    } catch (e) {
      row = finish({ predicted: undefined, status: "failed", reason: ((e as Error).message ?? String(e)).split("\n")[0]!.slice(0, 300) });
    }
    if (row.status !== "failed") appendFileSync(journal, JSON.stringify({ fp, row, raw: journalRaw, stats: journalStats }) + "\n");
    if (sup.ok) opts.onCellDone?.({ tool: meta.name, cellId: cell.id, index, total, live: launched, timeout_s, row });
    return row;
  };

  const jobs = executor.concurrency ?? opts.jobs ?? 1;
  const rows = await runPool(cells, Math.max(1, Math.min(jobs, cells.length || 1)), runCell, {
    onDone: (_c, _i, row) => {
      finished++;
      opts.onProgress?.(meta.name, finished, cells.length, row);
    },
  });
  if (live.size > 0)
    writeCsvAtomic(
      join(rawOut, meta.name, WALL_FILE),
      WALL_COLUMNS,
      [...walls].sort((a, b) => compareStrings(a[0], b[0])).map(([cell_id, w]) => ({ cell_id, wall_s: fmt(w.wall_s), input_lines: w.input_lines === undefined ? "" : String(w.input_lines) })),
    );
  return { rows, live: cells.map((c) => c.id).filter((id) => live.has(id)) };
}

/** Forget a tool's journal once its rows are safely in results/. */
export function clearJournal(journalDir: string, tool: string): void {
  rmSync(join(journalDir, `${tool}.jsonl`), { force: true });
}
