/** Small file helpers shared by the pipeline: atomic writes and CSV in/out through csv-parse/csv-stringify. */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { PROVENANCE_COLUMNS } from "./schema.ts";

/** Write to a temp file beside the target, then rename: a crash never leaves a half-written file. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function readCsv(path: string): Record<string, string>[] {
  if (!existsSync(path)) return [];
  return parse(readFileSync(path, "utf8"), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

export function toCsv(columns: readonly string[], rows: Record<string, unknown>[]): string {
  return stringify(
    rows.map((r) => columns.map((c) => (r[c] === undefined || r[c] === null ? "" : String(r[c])))),
    { header: true, columns: [...columns] },
  );
}

export function writeCsvAtomic(path: string, columns: readonly string[], rows: Record<string, unknown>[]): void {
  writeFileAtomic(path, toCsv(columns, rows));
}

/** Fixed number formatting for results files: 6 significant digits, no locale. */
export function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "";
  if (x === 0) return "0";
  return Number(x.toPrecision(6)).toString();
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A CSV's rows as comparable strings, with the provenance columns (e.g. wall_s) left out. */
export function normalizeCsv(text: string): string[] {
  const ignored = new Set<string>(PROVENANCE_COLUMNS);
  const rows = parse(text, { skip_empty_lines: true, relax_column_count: true }) as string[][];
  if (rows.length === 0) return [];
  const keep = rows[0]!.map((c, i) => (ignored.has(c) ? -1 : i)).filter((i) => i >= 0);
  return rows.map((r) => JSON.stringify(keep.map((i) => r[i] ?? "")));
}
