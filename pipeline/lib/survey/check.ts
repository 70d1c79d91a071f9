/**
 * The survey check as a function over a directory tree (the repository root, or a test fixture):
 * bib/*.bib, taxonomy/, paper/**\/*.tex in; results/taxonomy/*.csv, results/claimed-accuracy.csv,
 * results/prisma.csv out. Collects every problem before reporting; writes nothing when there are problems.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { dirname, join } from "node:path";
import { checkBibEntries, loadBibDir, type BibEntry } from "./bib.ts";
import { collectCites } from "./cites.ts";
import { compareProblems, type Problem } from "./problems.ts";
import { HARDWARE, METHODOLOGY, NEEDS, READING, type Work } from "./schema.ts";
import { loadTaxonomy } from "./taxonomy.ts";
import {
  AUDIT_COLUMNS,
  CLAIMED_COLUMNS,
  GAPS_COLUMNS,
  PRISMA_REASON_COLUMNS,
  PRISMA_SOURCE_COLUMNS,
  auditRows,
  prismaReasonRows,
  prismaSourceRows,
  MATRIX_COLUMNS,
  PRISMA_COLUMNS,
  WORKS_COLUMNS,
  claimedAccuracyRows,
  coverageMatrices,
  gapRows,
  prismaCounts,
  prismaRows,
  toCsv,
  worksRows,
  type Prisma,
} from "./outputs.ts";

/** The bib file whose every entry must be classified or listed as background. */
export const SURVEY_BIB = "bib/references.bib";

export interface SurveySummary {
  bibEntries: number;
  surveyBibEntries: number;
  withDoi: number;
  urlOnly: number;
  works: number;
  background: number;
  cites: number;
  texFiles: number;
  perMethodology: Record<string, number>;
  perHardware: Record<string, number>;
  perReading: Record<string, number>;
  perOpenSource: Record<string, number>;
  perNeeds: Record<string, number>;
  claimedGaps: number;
  prisma: Prisma | undefined;
  emptyCells: { matrix: string; row: string; col: string }[];
}

export interface SurveyResult {
  problems: Problem[];
  summary: SurveySummary;
  /** Output files (path relative to root -> content); written only when `problems` is empty and `write` is set. */
  outputs: Map<string, string>;
}

export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function countBy(works: Work[], values: readonly string[], get: (w: Work) => string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = works.filter((w) => get(w).includes(v)).length;
  return out;
}

export function runSurveyCheck(root: string, opts: { write?: boolean } = {}): SurveyResult {
  const problems: Problem[] = [];

  // Bibliography (all bib/*.bib files; keys unique across them).
  const bib = loadBibDir(join(root, "bib"), "bib");
  problems.push(...bib.problems, ...checkBibEntries(bib.entries));
  const bibByKey = new Map<string, BibEntry>();
  for (const e of bib.entries) if (!bibByKey.has(e.key)) bibByKey.set(e.key, e);
  // A bib file that does not parse defines no key: every "key not found" below is its follow-on.
  const unparsed = [...new Set(bib.problems.map((p) => p.file))];
  const keyCause = unparsed.length ? `${unparsed.join(", ")} did not parse` : undefined;

  // Taxonomy, background, search log (zod).
  const tax = loadTaxonomy(join(root, "taxonomy"), "taxonomy");
  problems.push(...tax.problems);
  const works = tax.works.map((w) => w.value);
  const background = tax.background.map((b) => b.value);

  // Every taxonomy/background key is in the bib.
  for (const { file, value } of [...tax.works, ...tax.background]) {
    if (!bibByKey.has(value.key)) {
      problems.push({ file, key: value.key, field: "key", message: `not found in any bib/*.bib file: add the entry or fix the key`, causedBy: keyCause });
    }
  }
  // Versions name bib entries and belong to one work only.
  const versionOf = new Map<string, string>();
  for (const { file, value } of tax.works) {
    for (const v of value.versions) {
      if (!bibByKey.has(v.key)) problems.push({ file, key: value.key, field: "versions", message: `version '${v.key}' is not a key of bib/*.bib`, causedBy: keyCause });
      const prev = versionOf.get(v.key);
      if (prev !== undefined) problems.push({ file, key: value.key, field: "versions", message: `version '${v.key}' is already a version of '${prev}'` });
      if (works.some((w) => w.key === v.key) || background.some((b) => b.key === v.key))
        problems.push({ file, key: value.key, field: "versions", message: `version '${v.key}' is also a record of its own: list it once (as a version, or as a work)` });
      versionOf.set(v.key, value.key);
    }
    for (const [i, c] of value.validation.claims.entries()) {
      if (c.version !== undefined && c.version !== value.key && !value.versions.some((v) => v.key === c.version))
        problems.push({ file, key: value.key, field: `validation.claims.${i}.version`, message: `'${c.version}' is neither this work's key nor one of its versions` });
    }
  }
  // Every entry of the survey bib is classified, a version of a classified work, or background.
  const classified = new Set([...works.map((w) => w.key), ...versionOf.keys(), ...background.map((b) => b.key)]);
  for (const e of bib.entries) {
    if (e.file === SURVEY_BIB && !classified.has(e.key)) {
      problems.push({ file: e.file, key: e.key, field: "classification", message: "entry is neither classified in taxonomy/works/*.yaml nor listed in taxonomy/background.yaml" });
    }
  }
  // Search-log queries name existing bib keys; every record's found_by names a source or a query.
  if (tax.searchLog) {
    const log = tax.searchLog.value;
    const ids = new Set([...log.sources.map((s) => s.id), ...log.queries.map((q) => q.id)]);
    const seenIds = new Set<string>();
    for (const q of log.queries) {
      if (seenIds.has(q.id)) problems.push({ file: tax.searchLog.file, key: q.id, field: "queries.id", message: "duplicate query id" });
      seenIds.add(q.id);
    }
    const badRef = (file: string, key: string, field: string, id: string) => {
      if (!ids.has(id)) problems.push({ file, key, field, message: `'${id}' is neither a search-log source id nor a query id` });
    };
    for (const { file, value } of [...tax.works, ...tax.background]) badRef(file, value.key, "found_by", value.found_by);
    log.excluded.forEach((e, i) => {
      badRef(tax.searchLog!.file, e.candidate, `excluded.${i}.found_by`, e.found_by);
      for (const t of e.tried) badRef(tax.searchLog!.file, e.candidate, `excluded.${i}.tried`, t);
    });
    log.snowballing.forEach((sb, i) => {
      if (!works.some((w) => w.key === sb.seed) && !background.some((b) => b.key === sb.seed))
        problems.push({ file: tax.searchLog!.file, key: sb.seed, field: `snowballing.${i}.seed`, message: "seed is not a record of the review" });
      for (const q of sb.queries) badRef(tax.searchLog!.file, sb.seed, `snowballing.${i}.queries`, q);
    });
    log.gap_searches.forEach((g, i) => badRef(tax.searchLog!.file, `${g.matrix}:${g.row}:${g.col}`, `gap_searches.${i}.query`, g.query));
    tax.searchLog.value.queries.forEach((q, i) => {
      if (q.bib_key !== undefined && !bibByKey.has(q.bib_key)) {
        problems.push({ file: tax.searchLog?.file ?? "taxonomy/search-log.yaml", key: q.id, field: `queries.${i}.bib_key`, message: `'${q.bib_key}' is not a key of bib/*.bib`, causedBy: keyCause });
      }
    });
  }

  // Every \cite in paper/**/*.tex resolves.
  const { cites, files: texFiles } = collectCites(join(root, "paper"), root);
  for (const c of cites) {
    if (!bibByKey.has(c.key)) {
      problems.push({ file: `${c.file}:${c.line}`, key: c.key, field: `\\${c.command}`, message: "cited key is not in any bib/*.bib file", causedBy: keyCause });
    }
  }

  // `evaluated: true` marks exactly the works whose tool this artifact runs (tools-under-test/*/metadata.yaml).
  const toolsDir = join(root, "tools-under-test");
  if (existsSync(toolsDir)) {
    const run = new Map<string, string>();
    for (const d of readdirSync(toolsDir).sort()) {
      const metaPath = join(toolsDir, d, "metadata.yaml");
      if (!existsSync(metaPath)) continue;
      const meta = parseYaml(readFileSync(metaPath, "utf8")) as { bib?: unknown; runner?: { kind?: unknown } };
      if (typeof meta?.bib === "string" && meta.runner?.kind !== "library") run.set(meta.bib, `tools-under-test/${d}/metadata.yaml`);
    }
    for (const { file, value } of tax.works) {
      if (value.evaluated && !run.has(value.key))
        problems.push({ file, key: value.key, field: "evaluated", message: "marked evaluated, but no tool under test (tools-under-test/*/metadata.yaml, field bib) runs it: remove 'evaluated: true'" });
      if (!value.evaluated && run.has(value.key))
        problems.push({ file, key: value.key, field: "evaluated", message: `${run.get(value.key)} runs this work's tool: add 'evaluated: true'` });
    }
  }

  // Derived tables.
  const matrices = coverageMatrices(works, bibByKey);
  const gapSearches = tax.searchLog?.value.gap_searches ?? [];
  // A gap search is consistent with the data: 'found nothing' only for a cell still empty; works it found fill the cell.
  gapSearches.forEach((g, i) => {
    const m = matrices.find((x) => x.name === g.matrix);
    const cell = m?.rows.find((r) => r.row === g.row && r.col === g.col);
    const file = tax.searchLog?.file ?? "taxonomy/search-log.yaml";
    const key = `${g.matrix}:${g.row}:${g.col}`;
    if (cell === undefined) problems.push({ file, key, field: `gap_searches.${i}`, message: "no such matrix cell (see results/taxonomy/*-x-*.csv)" });
    else if (g.found.length === 0 && cell.count !== 0) problems.push({ file, key, field: `gap_searches.${i}.found`, message: `logged as 'found nothing' but the cell now holds ${cell.count} work(s) (${cell.keys}): record what filled it` });
    else for (const k of g.found) if (!String(cell.keys).split(";").includes(k)) problems.push({ file, key, field: `gap_searches.${i}.found`, message: `'${k}' is listed as filling this cell but is not in it` });
  });
  const gaps = gapRows(matrices, gapSearches);
  let prisma: Prisma | undefined;
  if (tax.searchLog) {
    prisma = prismaCounts(tax.searchLog.value, works, background);
  }

  const outputs = new Map<string, string>();
  outputs.set("results/taxonomy/works.csv", toCsv(WORKS_COLUMNS, worksRows(works, bibByKey)));
  for (const m of matrices) outputs.set(`results/taxonomy/${m.name}.csv`, toCsv(MATRIX_COLUMNS, m.rows));
  outputs.set("results/taxonomy/gaps.csv", toCsv(GAPS_COLUMNS, gaps));
  outputs.set("results/claimed-accuracy.csv", toCsv(CLAIMED_COLUMNS, claimedAccuracyRows(works)));
  if (prisma && tax.searchLog) {
    outputs.set("results/prisma.csv", toCsv(PRISMA_COLUMNS, prismaRows(prisma)));
    outputs.set("results/taxonomy/prisma-reasons.csv", toCsv(PRISMA_REASON_COLUMNS, prismaReasonRows(tax.searchLog.value, background, works)));
    outputs.set("results/taxonomy/prisma-sources.csv", toCsv(PRISMA_SOURCE_COLUMNS, prismaSourceRows(tax.searchLog.value, works, background)));
  }
  outputs.set("results/taxonomy/audit.csv", toCsv(AUDIT_COLUMNS, auditRows(works)));

  problems.sort(compareProblems);
  if (opts.write && problems.length === 0) {
    for (const [rel, text] of [...outputs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) writeFileAtomic(join(root, rel), text);
  }

  const surveyBib = bib.entries.filter((e) => e.file === SURVEY_BIB);
  return {
    problems,
    outputs,
    summary: {
      bibEntries: bib.entries.length,
      surveyBibEntries: surveyBib.length,
      withDoi: surveyBib.filter((e) => e.fields["doi"] !== undefined).length,
      urlOnly: surveyBib.filter((e) => e.fields["doi"] === undefined && e.fields["url"] !== undefined).length,
      works: works.length,
      background: background.length,
      cites: cites.length,
      texFiles: texFiles.length,
      perMethodology: countBy(works, METHODOLOGY, (w) => w.methodology),
      perHardware: countBy(works, HARDWARE, (w) => w.hardware),
      perReading: countBy(works, READING, (w) => [w.reading.status]),
      perOpenSource: countBy(works, ["yes", "no", "unknown"], (w) => [w.artifact.open_source]),
      perNeeds: countBy(works, NEEDS, (w) => w.decision.needs),
      claimedGaps: gaps.filter((g) => String(g.status).startsWith("gap:")).length,
      prisma,
      emptyCells: gaps.map((g) => ({ matrix: String(g.matrix), row: String(g.row), col: String(g.col) })),
    },
  };
}
