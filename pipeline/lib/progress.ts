/**
 * Progress of `make evaluate` on stderr. Counts are out of the cells a tool supports.
 *  - TTY: one status line rewritten in place, naming the current cell; while a tool runs live the
 *    line shows the elapsed time, updated every second (with JOBS > 1: every running cell).
 *  - not a TTY (a log file, CI): plain lines only, one when a live cell starts, one every
 *    `quietEvery_s` while it runs ("still running"), one per tool when it is done.
 */
import type { CellEvent } from "./runner.ts";
import type { PredictionRow } from "./schema.ts";

export interface ProgressOptions {
  write: (s: string) => void;
  tty: boolean;
  /** Non-TTY: seconds between "still running" lines (default 30). */
  quietEvery_s?: number;
}

export interface Progress {
  onCellStart(e: CellEvent): void;
  onCellDone(e: CellEvent & { row: PredictionRow }): void;
  toolDone(tool: string, rows: PredictionRow[]): void;
  stop(): void;
}

export function createProgress(o: ProgressOptions): Progress {
  // Live cells running now (JOBS > 1: several), each with its start time and "still running" timer.
  const running = new Map<string, { e: CellEvent; t0: number; timer?: NodeJS.Timeout }>();
  let ticker: NodeJS.Timeout | undefined;
  let lastPct = -1;
  const every = o.quietEvery_s ?? 30;
  const elapsed = (id: string) => {
    const r = running.get(id);
    return r ? (performance.now() - r.t0) / 1000 : 0;
  };
  const line = (e: CellEvent, extra: string) => `  ${e.tool}: ${e.index}/${e.total} ${e.cellId}${extra}`;
  const limitOf = (e: CellEvent) => (e.timeout_s !== undefined ? `, limit ${e.timeout_s} s` : "");
  /** TTY status line: the running cell (or, with several, each with its time). */
  const status = () => {
    const rs = [...running.values()];
    if (rs.length === 0) return;
    if (rs.length === 1) {
      const { e } = rs[0]!;
      o.write(`\r\x1b[2K${line(e, ` running ${elapsed(e.cellId).toFixed(0)} s${limitOf(e)}`)}`);
    } else {
      const first = rs[0]!.e;
      o.write(`\r\x1b[2K  ${first.tool}: running ${rs.length}: ${rs.map((r) => `${r.e.cellId} (${elapsed(r.e.cellId).toFixed(0)} s)`).join(", ")}`);
    }
  };
  const stopAll = () => {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
    for (const r of running.values()) if (r.timer) clearInterval(r.timer);
    running.clear();
  };
  return {
    onCellStart(e) {
      if (!e.live) {
        if (o.tty && running.size === 0) {
          const pct = Math.floor((e.index / Math.max(1, e.total)) * 20);
          if (pct !== lastPct) {
            lastPct = pct;
            o.write(`\r\x1b[2K${line(e, "")}`);
          }
        }
        return;
      }
      const r: { e: CellEvent; t0: number; timer?: NodeJS.Timeout } = { e, t0: performance.now() };
      running.set(e.cellId, r);
      if (o.tty) {
        status();
        if (!ticker) {
          ticker = setInterval(status, 1000);
          ticker.unref();
        }
      } else {
        o.write(`${line(e, ` started (live${limitOf(e)})`)}\n`);
        r.timer = setInterval(() => o.write(`${line(e, ` still running after ${elapsed(e.cellId).toFixed(0)} s`)}\n`), every * 1000);
        r.timer.unref();
      }
    },
    onCellDone(e) {
      const r = running.get(e.cellId);
      if (e.live && !o.tty) o.write(`${line(e, ` ${e.row.status} in ${elapsed(e.cellId).toFixed(1)} s${e.row.status === "failed" ? `: ${e.row.reason}` : ""}`)}\n`);
      if (r?.timer) clearInterval(r.timer);
      running.delete(e.cellId);
      if (running.size === 0 && ticker) {
        clearInterval(ticker);
        ticker = undefined;
      }
    },
    toolDone(tool, rows) {
      stopAll();
      lastPct = -1;
      const c = { ok: 0, failed: 0, "not-run": 0 } as Record<string, number>;
      for (const r of rows) c[r.status] = (c[r.status] ?? 0) + 1;
      const supported = rows.length - (c["not-run"] ?? 0);
      o.write(`${o.tty ? "\r\x1b[2K" : ""}  ${tool}: ${supported} supported cells done: ${c.ok} ok, ${c.failed} failed (${c["not-run"]} of ${rows.length} suite cells not run)\n`);
    },
    stop: stopAll,
  };
}
