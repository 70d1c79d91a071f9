/**
 * Runs the real `zzz` command line (bin/zzz: the esbuild bundle, rebuilt when a source is newer)
 * and parses its outputs, for test/zzz-cli/*.test.ts.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { parse } from "csv-parse/sync";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const BIN = join(ROOT, "bin/zzz");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** bin/zzz with these arguments, from `cwd` (default the repository root). */
export function zzz(args: string[], cwd = ROOT): Run {
  const r = spawnSync(BIN, args, { cwd, encoding: "utf8", env: { ...process.env, ZZZ_TIMING: "" } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** bin/zzz that must succeed; its stdout. */
export function ok(args: string[]): string {
  const r = zzz(args);
  if (r.code !== 0) throw new Error(`zzz ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export const json = <T = any>(args: string[]): T => JSON.parse(ok([...args, "--json"])) as T;
export const csv = (args: string[]): Record<string, string>[] => parse(ok([...args, "--csv"]), { columns: true }) as Record<string, string>[];

/** The table's `key  value` line's value. */
export function field(table: string, key: string): string {
  const line = table.split("\n").find((l) => l.startsWith(`${key} `));
  if (!line) throw new Error(`no '${key}' line in:\n${table}`);
  return line.slice(key.length).trim();
}

/** The table's formatting of a time (format.ts ms). */
export const ms = (s: number) => (Math.abs(s) >= 10 ? `${s.toPrecision(4)} s` : `${(s * 1e3).toPrecision(4)} ms`);

/** io.ts fmt: 6 significant digits. */
export const fmt6 = (x: number) => Number(x.toPrecision(6)).toString();

let suite: Suite | undefined;
/** The whole suite (cells and ground truth): what `make evaluate` predicts with. */
export function fullSuite(): Suite {
  return (suite ??= loadSuite(ROOT));
}

/** The committed ZZZ prediction of a suite cell (results/predictions.csv). */
let predictions: Record<string, string>[] | undefined;
export function committed(cellId: string): number {
  const rows = (predictions ??= parse(readFileSync(join(ROOT, "results/predictions.csv"), "utf8"), { columns: true }) as Record<string, string>[]);
  const r = rows.find((x) => x.tool === "zzz" && x.cell_id === cellId);
  if (!r) throw new Error(`no zzz row for ${cellId} in results/predictions.csv`);
  return Number(r.predicted);
}
