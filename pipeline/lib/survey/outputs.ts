/**
 * Derived survey tables: works.csv, the coverage matrices with their empty cells, the claimed-accuracy
 * table and the PRISMA counts. Pure functions from validated data to rows; sorted, deterministic.
 */
import { stringify } from "csv-stringify/sync";
import { ABSTRACTION, HARDWARE, METHODOLOGY, WORKLOADS, type Work } from "./schema.ts";
import type { BibEntry } from "./bib.ts";
import type { Background, SearchLog } from "./schema.ts";

export type Row = Record<string, string | number>;

export function toCsv(columns: readonly string[], rows: Row[]): string {
  return stringify(
    rows.map((r) => columns.map((c) => (r[c] === undefined ? "" : String(r[c])))),
    { header: true, columns: [...columns], record_delimiter: "unix" },
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------- works.csv

export const WORKS_COLUMNS = [
  "key",
  "year",
  "title",
  "methodology",
  "abstraction",
  "hardware",
  "workloads",
  "outputs",
  "open_source",
  "language",
  "license",
  "claimed_error",
  "claimed_metric",
] as const;

export function worksRows(works: Work[], bib: Map<string, BibEntry>): Row[] {
  return works
    .map((w) => {
      const e = bib.get(w.key);
      return {
        key: w.key,
        year: e?.year ?? "",
        title: e?.title ?? "",
        methodology: w.methodology.join(";"),
        abstraction: w.abstraction.join(";"),
        hardware: w.hardware.join(";"),
        workloads: w.workloads.join(";"),
        outputs: w.outputs.join(";"),
        open_source: w.artifact.open_source,
        language: w.artifact.language,
        license: w.artifact.license,
        claimed_error: w.validation.claims.map((c) => c.error).join(";"),
        claimed_metric: w.validation.claims.map((c) => c.metric).join(";"),
      };
    })
    .sort((a, b) => cmp(a.key, b.key));
}

// ---------------------------------------------------------------- coverage matrices

export const MATRIX_COLUMNS = ["row", "col", "count", "keys"] as const;
export const GAPS_COLUMNS = ["matrix", "row", "col"] as const;

type AxisGetter = (w: Work, year: number | undefined) => string[];

interface Axis {
  name: string;
  values: readonly string[];
  get: AxisGetter;
}

const AXES: Record<string, Axis> = {
  methodology: { name: "methodology", values: METHODOLOGY, get: (w) => w.methodology },
  abstraction: { name: "abstraction", values: ABSTRACTION, get: (w) => w.abstraction },
  hardware: { name: "hardware", values: HARDWARE, get: (w) => w.hardware },
  workloads: { name: "workloads", values: WORKLOADS, get: (w) => w.workloads },
};

/** The matrices written to results/taxonomy/<row>-x-<col>.csv; `gaps` says whether empty cells are research gaps. */
export const MATRICES = [
  { row: "methodology", col: "abstraction", gaps: true },
  { row: "methodology", col: "hardware", gaps: true },
  { row: "hardware", col: "workloads", gaps: true },
  // A timeline, not a coverage question: an empty (year, methodology) cell is not a research gap.
  { row: "year", col: "methodology", gaps: false },
] as const;

export interface Matrix {
  name: string;
  rows: Row[];
  gaps: boolean;
}

export function coverageMatrices(works: Work[], bib: Map<string, BibEntry>): Matrix[] {
  const years = works.map((w) => bib.get(w.key)?.year).filter((y): y is number => y !== undefined);
  const yearValues: string[] = [];
  if (years.length > 0) for (let y = Math.min(...years); y <= Math.max(...years); y++) yearValues.push(String(y));
  const yearAxis: Axis = { name: "year", values: yearValues, get: (_w, y) => (y === undefined ? [] : [String(y)]) };
  const axis = (n: string): Axis => (n === "year" ? yearAxis : (AXES[n] as Axis));

  return MATRICES.map((m) => {
    const ra = axis(m.row);
    const ca = axis(m.col);
    const cells = new Map<string, string[]>();
    for (const w of works) {
      const y = bib.get(w.key)?.year;
      for (const r of ra.get(w, y)) for (const c of ca.get(w, y)) {
        const k = `${r}\u0000${c}`;
        const list = cells.get(k) ?? [];
        list.push(w.key);
        cells.set(k, list);
      }
    }
    const rows: Row[] = [];
    for (const r of ra.values)
      for (const c of ca.values) {
        const keys = [...new Set(cells.get(`${r}\u0000${c}`) ?? [])].sort(cmp);
        rows.push({ row: r, col: c, count: keys.length, keys: keys.join(";") });
      }
    return { name: `${m.row}-x-${m.col}`, rows, gaps: m.gaps };
  });
}

export function gapRows(matrices: Matrix[]): Row[] {
  const out: Row[] = [];
  for (const m of matrices) if (m.gaps) for (const r of m.rows) if (r.count === 0) out.push({ matrix: m.name, row: r.row as string, col: r.col as string });
  return out;
}

// ---------------------------------------------------------------- claimed accuracy

export const CLAIMED_COLUMNS = ["tool", "bib", "claimed_error", "metric", "validated_on", "place", "verified"] as const;

/**
 * One row per claim read in a primary source (verified = "yes (<where>)"), one row per work whose only
 * number is second-hand (verified = "no", no number), and one row per tool the project evaluates whose
 * primary text states no number (claimed_error = "not stated") or was not read for one ("not checked").
 */
export function claimedAccuracyRows(works: Work[]): Row[] {
  const rows: Row[] = [];
  for (const w of works) {
    const v = w.validation;
    if (v.status === "stated") {
      for (const c of v.claims) {
        rows.push({ tool: w.name, bib: w.key, claimed_error: c.error, metric: c.metric, validated_on: c.validated_on, place: c.place, verified: `yes (${c.source}; ${c.evidence})` });
      }
    } else if (v.status === "unverified") {
      rows.push({ tool: w.name, bib: w.key, claimed_error: "", metric: "", validated_on: v.ground_truth, place: v.note ?? "", verified: "no (second-hand only; not checked in the primary source)" });
    } else if (v.status === "not stated" && w.evaluated) {
      rows.push({ tool: w.name, bib: w.key, claimed_error: "not stated", metric: "", validated_on: v.ground_truth, place: v.note ?? "", verified: "yes (no number in the primary text read)" });
    } else if (v.status === "not checked" && w.evaluated) {
      rows.push({ tool: w.name, bib: w.key, claimed_error: "not checked", metric: "", validated_on: v.ground_truth, place: v.note ?? "", verified: "no (primary text not read for a number)" });
    }
  }
  return rows.sort((a, b) => cmp(String(a.tool), String(b.tool)) || cmp(String(a.bib), String(b.bib)) || cmp(String(a.claimed_error), String(b.claimed_error)) || cmp(String(a.validated_on), String(b.validated_on)));
}

// ---------------------------------------------------------------- PRISMA

export const PRISMA_COLUMNS = ["stage", "count"] as const;

export interface Prisma {
  identification: number;
  duplicates_removed: number;
  screened: number;
  excluded_at_screening: number;
  full_text_assessed: number;
  excluded_at_eligibility: number;
  included: number;
}

/** PRISMA flow from the search log (identification, exclusions) and the background list (eligibility exclusions). */
export function prismaCounts(log: SearchLog, background: Background[]): Prisma {
  const identification = log.identification.records.reduce((s, r) => s + r.count, 0);
  const dup = log.excluded.filter((e) => e.stage === "duplicate").length;
  const scr = log.excluded.filter((e) => e.stage === "screening").length;
  const elig = log.excluded.filter((e) => e.stage === "eligibility").length + background.length;
  const screened = identification - dup;
  const assessed = screened - scr;
  return {
    identification,
    duplicates_removed: dup,
    screened,
    excluded_at_screening: scr,
    full_text_assessed: assessed,
    excluded_at_eligibility: elig,
    included: assessed - elig,
  };
}

export function prismaRows(p: Prisma): Row[] {
  return [
    { stage: "identification", count: p.identification },
    { stage: "duplicates removed", count: p.duplicates_removed },
    { stage: "screened", count: p.screened },
    { stage: "excluded at screening", count: p.excluded_at_screening },
    { stage: "full-text assessed", count: p.full_text_assessed },
    { stage: "excluded at eligibility", count: p.excluded_at_eligibility },
    { stage: "included", count: p.included },
  ];
}
