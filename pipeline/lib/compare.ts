/**
 * `make compare`: regenerated results/ against the committed reference outputs, row by row and
 * column by column (results are written sorted, so rows align by position). A value matches
 * exactly, or, for a row of a tool that was rerun live (RERUN=<tools>), within that tool's stated
 * relative tolerance. Provenance columns (wall_s, ...) are not compared. Pure; pipeline/compare.ts
 * does the I/O.
 */
import { parse } from "csv-parse/sync";
import { PROVENANCE_COLUMNS } from "./schema.ts";

/**
 * Relative tolerance of a LIVE rerun per tool (re-parsed recorded outputs are always compared
 * exactly). Every tool here is deterministic for a fixed input (ZZZ is pure; ASTRA-sim's
 * analytical back-end, Vidur with its fixed seeds, Timeloop's mapper with its fixed search
 * settings), so the default 1e-6 only absorbs float formatting; a tool that is not deterministic
 * must state its own tolerance here with the reason.
 */
export const LIVE_TOLERANCE: Readonly<Record<string, number>> = {};
export const DEFAULT_LIVE_TOLERANCE = 1e-6;

export interface FileComparison {
  file: string;
  rows_committed: number;
  rows_now: number;
  values: number;
  exact: number;
  within_tolerance: number;
  differ: number;
  tolerance: string;
  examples: string[];
}

export function compareCsvText(file: string, committed: string, now: string, live: ReadonlySet<string> = new Set()): FileComparison {
  const a = parse(committed, { skip_empty_lines: true, relax_column_count: true }) as string[][];
  const b = parse(now, { skip_empty_lines: true, relax_column_count: true }) as string[][];
  const res: FileComparison = { file, rows_committed: Math.max(0, a.length - 1), rows_now: Math.max(0, b.length - 1), values: 0, exact: 0, within_tolerance: 0, differ: 0, tolerance: "exact", examples: [] };
  const ha = a[0] ?? [];
  const hb = b[0] ?? [];
  if (ha.join(",") !== hb.join(",")) {
    res.differ = 1;
    res.examples.push(`header: committed '${ha.join(",")}', now '${hb.join(",")}'`);
    return res;
  }
  const ignored = new Set<string>(PROVENANCE_COLUMNS);
  const cols = ha.map((c, i) => ({ c, i })).filter(({ c }) => !ignored.has(c));
  const toolCol = ha.indexOf("tool");
  const tols = new Set<string>();
  for (let r = 1; r < Math.max(a.length, b.length); r++) {
    const ra = a[r];
    const rb = b[r];
    if (!ra || !rb) {
      res.differ++;
      if (res.examples.length < 5) res.examples.push(`row ${r + 1}: ${ra ? "missing now" : "not in the committed file"}`);
      continue;
    }
    const tool = toolCol >= 0 ? rb[toolCol] ?? "" : "";
    const tol = live.has(tool) ? (LIVE_TOLERANCE[tool] ?? DEFAULT_LIVE_TOLERANCE) : 0;
    if (tol > 0) tols.add(`${tool} ${tol}`);
    for (const { c, i } of cols) {
      res.values++;
      const x = ra[i] ?? "";
      const y = rb[i] ?? "";
      if (x === y) {
        res.exact++;
        continue;
      }
      const nx = Number(x);
      const ny = Number(y);
      const rel = x !== "" && y !== "" && Number.isFinite(nx) && Number.isFinite(ny) ? Math.abs(nx - ny) / Math.max(Math.abs(nx), Math.abs(ny), 1e-300) : Infinity;
      if (rel <= tol) res.within_tolerance++;
      else {
        res.differ++;
        if (res.examples.length < 5) res.examples.push(`row ${r + 1} ${c}: committed '${x}', now '${y}'${tol > 0 ? ` (tolerance ${tol} for ${tool})` : ""}`);
      }
    }
  }
  if (tols.size) res.tolerance = `exact; live: ${[...tols].sort().join(", ")}`;
  return res;
}
