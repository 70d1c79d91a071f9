/**
 * Derived survey tables: works.csv, the coverage matrices with their empty cells, the claimed-accuracy
 * table and the PRISMA counts. Pure functions from validated data to rows; sorted, deterministic.
 */
import { stringify } from "csv-stringify/sync";
import { ABSTRACTION, HARDWARE, METHODOLOGY, NEEDS, OUTPUTS, READING, SPEED, WORKLOADS, type Work } from "./schema.ts";
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
  "reading_status",
  "needs",
  "speed",
  "scale",
  "frameworks",
  "repository",
  "versions",
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
        reading_status: w.reading.status,
        needs: w.decision.needs.join(";"),
        speed: w.decision.speed,
        scale: w.decision.scale,
        frameworks: w.decision.frameworks.join(";"),
        repository: w.artifact.repository ?? "",
        versions: w.versions.map((v) => v.key).join(";"),
      };
    })
    .sort((a, b) => cmp(a.key, b.key));
}

// ---------------------------------------------------------------- coverage matrices

export const MATRIX_COLUMNS = ["row", "col", "count", "keys"] as const;
export const GAPS_COLUMNS = ["matrix", "row", "col", "status", "search"] as const;

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
  needs: { name: "needs", values: NEEDS.filter((n) => n !== "not stated"), get: (w) => w.decision.needs },
};

/** The matrices written to results/taxonomy/<row>-x-<col>.csv; `gaps` says whether empty cells are research gaps. */
export const MATRICES = [
  { row: "methodology", col: "abstraction", gaps: true },
  { row: "methodology", col: "hardware", gaps: true },
  { row: "hardware", col: "workloads", gaps: true },
  // Decision-relevant: which inputs a practitioner must supply, at which level, for which workload.
  { row: "needs", col: "abstraction", gaps: true },
  { row: "needs", col: "workloads", gaps: true },
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

/**
 * Empty cells of the gap matrices. An empty cell is a claimed gap only when a targeted search for it is
 * logged (search-log gap_searches) and found nothing; otherwise it is reported as not searched.
 */
export function gapRows(matrices: Matrix[], searches: { matrix: string; row: string; col: string; query: string; found: string[] }[] = []): Row[] {
  const out: Row[] = [];
  for (const m of matrices)
    if (m.gaps)
      for (const r of m.rows)
        if (r.count === 0) {
          const s = searches.filter((g) => g.matrix === m.name && g.row === r.row && g.col === r.col && g.found.length === 0);
          out.push({
            matrix: m.name,
            row: r.row as string,
            col: r.col as string,
            status: s.length > 0 ? "gap: targeted search found nothing" : "empty in this corpus: not searched, not claimed",
            search: s.map((g) => g.query).join(";"),
          });
        }
  return out;
}

// ---------------------------------------------------------------- claimed accuracy

export const CLAIMED_COLUMNS = ["tool", "bib", "claimed_error", "metric", "validated_on", "place", "verified", "against", "n_points", "kind", "reading"] as const;

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
        rows.push({ tool: w.name, bib: c.version ?? w.key, claimed_error: c.error, metric: c.metric, validated_on: c.validated_on, place: c.place, verified: `yes (${c.source}; ${c.evidence})`, against: c.against, n_points: String(c.n_points), kind: c.kind, reading: w.reading.status });
      }
    } else if (v.status === "unverified") {
      rows.push({ tool: w.name, bib: w.key, claimed_error: "", metric: "", validated_on: v.ground_truth, place: v.note ?? "", verified: "no (second-hand only; not checked in the primary source)", reading: w.reading.status });
    } else if (v.status === "not stated" && w.evaluated) {
      rows.push({ tool: w.name, bib: w.key, claimed_error: "not stated", metric: "", validated_on: v.ground_truth, place: v.note ?? "", verified: "yes (no number in the primary text read)", reading: w.reading.status });
    } else if (v.status === "not checked" && w.evaluated) {
      rows.push({ tool: w.name, bib: w.key, claimed_error: "not checked", metric: "", validated_on: v.ground_truth, place: v.note ?? "", verified: "no (primary text not read for a number)", reading: w.reading.status });
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
  sought_for_retrieval: number;
  not_retrieved: number;
  assessed_for_eligibility: number;
  excluded_at_eligibility: number;
  included: number;
}

/**
 * PRISMA 2020 flow derived from the records themselves: every record is a classified work, a background
 * entry (excluded at eligibility: cited but not a modelling method) or an excluded candidate with its stage.
 * Nothing is typed: identification is the number of records.
 */
export function prismaCounts(log: SearchLog, works: Work[], background: Background[]): Prisma {
  const by = (stage: string) => log.excluded.filter((e) => e.stage === stage).length;
  // A version of an included work (Work.versions) is a record of the same work: identified, then removed as a duplicate.
  const versions = works.reduce((n, w) => n + w.versions.length, 0);
  const identification = works.length + background.length + log.excluded.length + versions;
  const dup = by("duplicate") + versions;
  const screened = identification - dup;
  const scr = by("screening");
  const sought = screened - scr;
  const nr = by("not retrieved");
  const assessed = sought - nr;
  const elig = by("eligibility") + background.length;
  return {
    identification,
    duplicates_removed: dup,
    screened,
    excluded_at_screening: scr,
    sought_for_retrieval: sought,
    not_retrieved: nr,
    assessed_for_eligibility: assessed,
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
    { stage: "sought for retrieval", count: p.sought_for_retrieval },
    { stage: "not retrieved", count: p.not_retrieved },
    { stage: "assessed for eligibility", count: p.assessed_for_eligibility },
    { stage: "excluded at eligibility", count: p.excluded_at_eligibility },
    { stage: "included", count: p.included },
  ];
}

export const PRISMA_REASON_COLUMNS = ["stage", "reason", "count"] as const;

/** The exclusions per stage and criterion (background entries by category). */
export function prismaReasonRows(log: SearchLog, background: Background[], works: Work[] = []): Row[] {
  const counts = new Map<string, number>();
  const inc = (stage: string, reason: string) => counts.set(`${stage}\u0000${reason}`, (counts.get(`${stage}\u0000${reason}`) ?? 0) + 1);
  for (const e of log.excluded) inc(e.stage, e.criterion ?? (e.stage === "duplicate" ? "same work as a record already in the review" : "metadata or text could not be obtained in this review"));
  for (const b of background) inc("eligibility", `cited as background: ${b.category}`);
  for (const w of works) for (const _v of w.versions) inc("duplicate", "version of an included work (listed under its versions)");
  return [...counts.entries()]
    .map(([k, count]) => {
      const [stage, reason] = k.split("\u0000") as [string, string];
      return { stage, reason, count };
    })
    .sort((a, b) => cmp(a.stage, b.stage) || cmp(a.reason, b.reason));
}

export const PRISMA_SOURCE_COLUMNS = ["found_by", "kind", "records", "included"] as const;

/** Records per identification source (search-log sources, or the query that found them). */
export function prismaSourceRows(log: SearchLog, works: Work[], background: Background[]): Row[] {
  const kindOf = new Map<string, string>(log.sources.map((s) => [s.id, s.kind]));
  for (const q of log.queries) kindOf.set(q.id, `query (${q.purpose})`);
  const recs = new Map<string, { records: number; included: number }>();
  const add = (id: string, included: boolean) => {
    const r = recs.get(id) ?? { records: 0, included: 0 };
    r.records++;
    if (included) r.included++;
    recs.set(id, r);
  };
  for (const w of works) {
    add(w.found_by, true);
    for (const _v of w.versions) add(w.found_by, false);
  }
  for (const b of background) add(b.found_by, false);
  for (const e of log.excluded) add(e.found_by, false);
  return [...recs.entries()].map(([found_by, r]) => ({ found_by, kind: kindOf.get(found_by) ?? "unknown", records: r.records, included: r.included })).sort((a, b) => cmp(a.found_by, b.found_by));
}

// ---------------------------------------------------------------- audit counts

export const AUDIT_COLUMNS = ["axis", "value", "works"] as const;

/** Counts per reading status, open-source status, validation status and decision axis (issue 23, item 6). */
export function auditRows(works: Work[]): Row[] {
  const rows: Row[] = [];
  const count = (axis: string, values: readonly string[], get: (w: Work) => string[]) => {
    for (const v of values) rows.push({ axis, value: v, works: works.filter((w) => get(w).includes(v)).length });
  };
  count("reading", READING, (w) => [w.reading.status]);
  count("open_source", ["yes", "no", "unknown"], (w) => [w.artifact.open_source]);
  count("validation", ["stated", "unverified", "not stated", "not applicable", "not checked"], (w) => [w.validation.status]);
  count("needs", NEEDS, (w) => w.decision.needs);
  count("speed", SPEED, (w) => [w.decision.speed]);
  count("outputs", OUTPUTS, (w) => w.outputs);
  count("decision basis", ["text read", "method class"], (w) => [w.decision.basis]);
  rows.push({ axis: "scale", value: "stated", works: works.filter((w) => w.decision.scale !== "not stated").length });
  rows.push({ axis: "frameworks", value: "names at least one", works: works.filter((w) => w.decision.frameworks.length > 0).length });
  rows.push({ axis: "claims", value: "rows", works: works.reduce((s, w) => s + w.validation.claims.length, 0) });
  return rows;
}
