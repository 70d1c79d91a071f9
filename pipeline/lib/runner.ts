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
 *   and the tool's fingerprint, so an interrupted run resumes without redoing finished cells.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import type { Cell, PredictionRow } from "./schema.ts";
import { PredictionRow as PredictionRowSchema } from "./schema.ts";
import type { ToolAdapter, ToolContext } from "./tool.ts";
import { convertToCellUnit, type Suite } from "./suite.ts";
import { writeFileAtomic, compareStrings, readCsv, writeCsvAtomic, fmt } from "./io.ts";

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
  onProgress?: (tool: string, done: number, total: number, row: PredictionRow) => void;
}

/** A fingerprint of everything a tool's predictions depend on: suite cells + tool metadata. */
export function fingerprint(adapter: ToolAdapter, cells: Cell[]): string {
  const h = createHash("sha256");
  h.update(JSON.stringify(adapter.metadata));
  for (const c of cells) h.update(JSON.stringify(c));
  return h.digest("hex").slice(0, 16);
}

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
  const fp = fingerprint(adapter, cells) + (opts.rerun ? "-rerun" : "");
  mkdirSync(opts.journalDir, { recursive: true });
  const journal = join(opts.journalDir, `${meta.name}.jsonl`);
  const done = readJournal(journal, fp);
  const avail = await adapter.availability(ctx);
  const rows: PredictionRow[] = [];
  const walls = adapter.recordRaw ? readWalls(opts.rawDir, meta.name) : new Map<string, RunStats>();
  let liveRuns = 0;

  const base = { tool: meta.name, tool_version: meta.version };
  let i = 0;
  for (const cell of cells) {
    i++;
    const prior = done.get(cell.id);
    if (prior) {
      rows.push(prior);
      continue;
    }
    const started = performance.now();
    let row: PredictionRow;
    const finish = (r: Omit<PredictionRow, "wall_s" | "tool" | "tool_version" | "cell_id" | "metric" | "unit">): PredictionRow => ({
      ...base,
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
        const recorded = rawPath(opts.rawDir, meta.name, cell.id);
        const haveRecord = adapter.recordRaw && existsSync(recorded);
        if (!avail.available && avail.configured) throw new Error(`tool cannot run here: ${avail.reason ?? "unknown"}`);
        if (avail.available && (opts.rerun || !haveRecord)) {
          const prepared = await adapter.prepare(cell, ctx);
          const inputLines = adapter.inputFiles ? countLines(adapter.inputFiles(prepared)) : undefined;
          raw = await adapter.invoke(prepared, cell, ctx);
          live = true;
          if (adapter.recordRaw) {
            writeFileAtomic(recorded, raw);
            walls.set(cell.id, { wall_s: (performance.now() - started) / 1000, input_lines: inputLines });
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
          if (live) row = finish({ predicted: v, status: "ok", reason: "" });
          else if (recordedWall !== undefined) row = { ...finish({ predicted: v, status: "ok", reason: "re-parsed recorded output" }), wall_s: recordedWall };
          else row = finish({ predicted: v, status: "ok", reason: "re-parsed recorded output (no recorded run time: wall_s is the re-parse time)" });
        }
      }
    } catch (e) {
      row = finish({ predicted: undefined, status: "failed", reason: ((e as Error).message ?? String(e)).split("\n")[0]!.slice(0, 300) });
    }
    rows.push(row);
    appendFileSync(journal, JSON.stringify({ fp, row }) + "\n");
    opts.onProgress?.(meta.name, i, cells.length, row);
  }
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
