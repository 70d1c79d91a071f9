/**
 * Ground-truth files: find, parse and validate every `suite/ground-truth/**\/ground-truth.csv`,
 * and cross-check the rows against the suite's cells.
 *
 * Every problem names the file (relative to the root), the CSV line the row sits on (the header is
 * line 1), the field, and what to do about it. Nothing stops at the first problem.
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { GROUND_TRUTH_COLUMNS, GroundTruthRow, METRIC_UNITS, unitFactor, type Metric } from "./schema.ts";

export interface GroundTruthProblem {
  /** Path relative to the root given to the loader (or as given to the checker). */
  file: string;
  /** Line of the CSV file the row sits on (header = 1); 0 for a problem of the whole file. */
  row: number;
  field: string;
  message: string;
}

export type LoadedGroundTruthRow = GroundTruthRow & { file: string; row: number };

export function formatProblem(p: GroundTruthProblem): string {
  const where = p.row > 0 ? `${p.file}:${p.row}` : p.file;
  return `${where}: ${p.field}: ${p.message}`;
}

/** Every `ground-truth.csv` under `<root>/suite/ground-truth`, sorted. */
export function findGroundTruthFiles(root: string): string[] {
  const base = path.join(root, "suite", "ground-truth");
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name === "ground-truth.csv") out.push(p);
    }
  };
  walk(base);
  return out.sort();
}

/** Parse and validate one ground-truth CSV text; `file` is only used in the problems. */
export function parseGroundTruthCsv(text: string, file: string): { rows: LoadedGroundTruthRow[]; problems: GroundTruthProblem[] } {
  const rows: LoadedGroundTruthRow[] = [];
  const problems: GroundTruthProblem[] = [];
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    problems.push({ file, row: 0, field: "(csv)", message: `not a readable CSV file: ${(e as Error).message}` });
    return { rows, problems };
  }
  const header = records[0]?.record;
  const expected = GROUND_TRUTH_COLUMNS.join(",");
  if (!header) {
    problems.push({ file, row: 0, field: "(header)", message: `empty file; expected the header '${expected}'` });
    return { rows, problems };
  }
  if (header.join(",") !== expected) {
    problems.push({ file, row: 1, field: "(header)", message: `header is '${header.join(",")}'; expected exactly '${expected}'` });
    return { rows, problems };
  }
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    if (record.length !== header.length) {
      problems.push({ file, row: line, field: "(row)", message: `has ${record.length} fields; expected ${header.length} (${expected})` });
      continue;
    }
    const obj: Record<string, string> = {};
    header.forEach((h, i) => (obj[h] = record[i] ?? ""));
    const r = GroundTruthRow.safeParse(obj);
    if (!r.success) {
      for (const issue of r.error.issues) {
        const field = issue.path.join(".") || "(row)";
        let message = issue.message;
        if (field === "unit") message = `unknown unit '${obj.unit}'; ${message}`;
        problems.push({ file, row: line, field, message });
      }
      continue;
    }
    rows.push({ ...r.data, file, row: line });
  }
  return { rows, problems };
}

/** Find, parse and validate every ground-truth file under `root`. */
export function loadGroundTruthFiles(root: string): { rows: LoadedGroundTruthRow[]; problems: GroundTruthProblem[] } {
  const rows: LoadedGroundTruthRow[] = [];
  const problems: GroundTruthProblem[] = [];
  for (const abs of findGroundTruthFiles(root)) {
    const rel = path.relative(root, abs);
    const r = parseGroundTruthCsv(fs.readFileSync(abs, "utf8"), rel);
    rows.push(...r.rows);
    problems.push(...r.problems);
  }
  return { rows, problems };
}

/** What a cell contributes to the checks: its id, and its metric where known. */
export type CellRef = string | { id: string; metric: Metric };

/**
 * Cross-checks: a row pointing at no cell, a duplicate gt_id, two rows for the same cell from the
 * same source, a unit that is not a unit of the cell's metric, and (when `bibKeys` is given) a bib key
 * that is in no bib file.
 */
export function checkGroundTruth(
  rows: readonly LoadedGroundTruthRow[],
  cells: Iterable<CellRef>,
  opts: { bibKeys?: ReadonlySet<string> } = {},
): GroundTruthProblem[] {
  const problems: GroundTruthProblem[] = [];
  const metricOf = new Map<string, Metric | undefined>();
  for (const c of cells) {
    if (typeof c === "string") metricOf.set(c, undefined);
    else metricOf.set(c.id, c.metric);
  }
  const byGtId = new Map<string, LoadedGroundTruthRow>();
  const bySource = new Map<string, LoadedGroundTruthRow>();
  for (const r of rows) {
    if (!metricOf.has(r.cell_id)) {
      problems.push({ file: r.file, row: r.row, field: "cell_id", message: `points at no cell: '${r.cell_id}' is not the id of any cell in suite/cells/*.yaml; fix the id or add the cell` });
    } else {
      const metric = metricOf.get(r.cell_id);
      if (metric !== undefined && unitFactor(metric, r.unit) === undefined) {
        problems.push({
          file: r.file,
          row: r.row,
          field: "unit",
          message: `unit '${r.unit}' is not a unit of the cell's metric '${metric}'; use one of ${Object.keys(METRIC_UNITS[metric]).join(", ")}`,
        });
      }
    }
    const prev = byGtId.get(r.gt_id);
    if (prev) {
      problems.push({ file: r.file, row: r.row, field: "gt_id", message: `duplicate gt_id '${r.gt_id}' (first at ${prev.file}:${prev.row}); give each row its own id` });
    } else byGtId.set(r.gt_id, r);
    const sourceKey = [r.cell_id, r.source_kind, r.bib ?? "", r.place ?? "", r.script ?? "", r.device ?? "", r.date ?? ""].join("\u0000");
    const prevSource = bySource.get(sourceKey);
    if (prevSource) {
      problems.push({
        file: r.file,
        row: r.row,
        field: "cell_id",
        message: `duplicate row: cell '${r.cell_id}' already has a value from the same source at ${prevSource.file}:${prevSource.row}; keep one`,
      });
    } else bySource.set(sourceKey, r);
    if (opts.bibKeys && r.bib !== undefined && !opts.bibKeys.has(r.bib)) {
      problems.push({ file: r.file, row: r.row, field: "bib", message: `bib key '${r.bib}' is in no bib/*.bib file; add the entry or fix the key` });
    }
  }
  return problems;
}
