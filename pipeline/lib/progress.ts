/**
 * Progress of `make evaluate` on stderr. Counts are out of the cells a tool supports.
 *  - TTY: one status line rewritten in place, naming the current cell; while a tool runs live the
 *    line shows the elapsed time, updated every second.
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
  let timer: NodeJS.Timeout | undefined;
  let current: { e: CellEvent; t0: number } | undefined;
  let lastPct = -1;
  const every = o.quietEvery_s ?? 30;
  const clear = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const elapsed = () => (current ? (performance.now() - current.t0) / 1000 : 0);
  const line = (e: CellEvent, extra: string) => `  ${e.tool}: ${e.index}/${e.total} ${e.cellId}${extra}`;
  return {
    onCellStart(e) {
      clear();
      current = { e, t0: performance.now() };
      if (!e.live) {
        if (o.tty) {
          const pct = Math.floor((e.index / Math.max(1, e.total)) * 20);
          if (pct !== lastPct) {
            lastPct = pct;
            o.write(`\r\x1b[2K${line(e, "")}`);
          }
        }
        return;
      }
      const limit = e.timeout_s !== undefined ? `, limit ${e.timeout_s} s` : "";
      if (o.tty) {
        o.write(`\r\x1b[2K${line(e, ` running${limit}`)}`);
        timer = setInterval(() => o.write(`\r\x1b[2K${line(e, ` running ${elapsed().toFixed(0)} s${limit}`)}`), 1000);
      } else {
        o.write(`${line(e, ` started (live${limit})`)}\n`);
        timer = setInterval(() => o.write(`${line(e, ` still running after ${elapsed().toFixed(0)} s`)}\n`), every * 1000);
      }
      timer.unref();
    },
    onCellDone(e) {
      clear();
      if (e.live && !o.tty) o.write(`${line(e, ` ${e.row.status} in ${elapsed().toFixed(1)} s${e.row.status === "failed" ? `: ${e.row.reason}` : ""}`)}\n`);
      current = undefined;
    },
    toolDone(tool, rows) {
      clear();
      lastPct = -1;
      const c = { ok: 0, failed: 0, "not-run": 0 } as Record<string, number>;
      for (const r of rows) c[r.status] = (c[r.status] ?? 0) + 1;
      const supported = rows.length - (c["not-run"] ?? 0);
      o.write(`${o.tty ? "\r\x1b[2K" : ""}  ${tool}: ${supported} supported cells done: ${c.ok} ok, ${c.failed} failed (${c["not-run"]} of ${rows.length} suite cells not run)\n`);
    },
    stop: clear,
  };
}
