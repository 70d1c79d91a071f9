/**
 * Loads the inputs of figures, tables and number macros: the CSVs under results/ and the suite's
 * YAML files. Every file goes through a zod row schema; problems are collected (file, row, field,
 * message) and returned together, never thrown one by one.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { parse as parseYaml } from "yaml";
import { z, type ZodTypeAny } from "zod";
import { CellFile, GroundTruthRow, Hardware, METRIC_UNITS, PredictionRow, unitFactor, type Cell, type Metric } from "../schema.ts";
import { toolKey, toolLabel } from "./style.ts";
import { loadGroundTruthFiles } from "../ground-truth.ts";
import { AblationRow, CalibrationRow, DecisionRow, HeadToHeadRow, RuntimeRow } from "./head-to-head-paper.ts";

export interface DataProblem {
  file: string;
  field: string;
  message: string;
}

export type DataStatus = "ok" | "missing" | "empty" | "invalid";

export interface Loaded {
  file: string;
  status: DataStatus;
  rows: Record<string, unknown>[];
  problems: DataProblem[];
}

const emptyToUndef = (v: unknown) => (v === "" || v === null ? undefined : v);
/** An optional number: '' is absent, anything else must parse as a finite number. */
const optNum = z.preprocess(emptyToUndef, z.coerce.number().finite().optional());
const num = z.coerce.number().finite();
const str = z.string();
const optStr = z.preprocess((v) => (v === undefined || v === null ? "" : v), z.string());

/** measured/predicted in the metric's canonical unit (s, items/s, FLOP/s, B/s): `*_canonical`. */
function withCanonical<T extends { metric: string; unit: string; measured: number; predicted: number }>(r: T) {
  const f = r.metric in METRIC_UNITS ? unitFactor(r.metric as Metric, r.unit) : undefined;
  return { ...r, canonical_unit: r.metric in METRIC_UNITS ? Object.keys(METRIC_UNITS[r.metric as Metric])[0] : undefined, measured_canonical: f === undefined ? undefined : r.measured * f, predicted_canonical: f === undefined ? undefined : r.predicted * f };
}

export const AccuracyRow = z.object({
  tool: str,
  tool_version: optStr,
  cell_id: str,
  level: str,
  hardware: str,
  metric: str,
  unit: str,
  gt_id: str,
  gt_source_kind: str,
  gt_source: optStr,
  measured: num.positive(),
  predicted: num.positive(),
  abs_pct_error: num.nonnegative(),
}).transform(withCanonical);

export const SummaryRow = z.object({
  tool: str,
  category: str,
  n: z.coerce.number().int().nonnegative(),
  mape: optNum,
  median_ape: optNum,
  max_ape: optNum,
  spearman: optNum,
});

export const IntensityRow = z.object({
  cell_id: str,
  hardware: str,
  level: str,
  flops: optNum,
  bytes: optNum,
  intensity_flops_per_byte: optNum,
  zzz_latency_s: optNum,
  zzz_bound: optStr,
});

export const WorkRow = z.object({
  key: str.min(1),
  year: z.coerce.number().int().min(1950).max(2100),
  title: str,
  methodology: optStr,
  abstraction: optStr,
  hardware: optStr,
  workloads: optStr,
  outputs: optStr,
  open_source: optStr,
  language: optStr,
  license: optStr,
  claimed_error: optStr,
  claimed_metric: optStr,
  reading_status: optStr,
});

export const CrossRow = z.object({ row: str, col: str, count: z.coerce.number().int().nonnegative(), keys: optStr });

export const ClaimedRow = z.object({
  tool: str.min(1),
  bib: optStr,
  /** Kept as text; parseClaim() adds the numbers a figure may draw. */
  claimed_error: optStr,
  metric: optStr,
  validated_on: optStr,
  place: optStr,
  verified: optStr,
}).transform((r) => ({ ...r, ...parseClaim(r.claimed_error, r.metric) }));

/**
 * A claim is drawn only when it states an error in percent: the metric names an error (error,
 * MAPE, discrepancy), not a share of predictions within a bound, an accuracy or a reduction; and
 * the value is one number ('5%'), a range ('2.8%-11.4%') or an upper bound ('<9%').
 * Anything else stays text for the table.
 */
export function parseClaim(claimed: string, metric: string): { claimed_lo_pct?: number; claimed_hi_pct?: number; claimed_kind?: "value" | "range" | "upper bound" } {
  if (!/error|MAPE|discrepancy/i.test(metric) || /share of|within|reduction|fitness|accuracy/i.test(metric)) return {};
  const n = "(\\d+(?:\\.\\d+)?)\\s*%";
  let m = new RegExp(`^\\s*${n}\\s*$`).exec(claimed);
  if (m) return { claimed_lo_pct: Number(m[1]), claimed_hi_pct: Number(m[1]), claimed_kind: "value" };
  m = new RegExp(`^\\s*${n}\\s*[-\u2013]\\s*${n}\\s*$`).exec(claimed);
  if (m) return { claimed_lo_pct: Number(m[1]), claimed_hi_pct: Number(m[2]), claimed_kind: "range" };
  m = new RegExp(`^\\s*(?:<|under|below)\\s*${n}\\s*$`).exec(claimed);
  if (m) return { claimed_hi_pct: Number(m[1]), claimed_kind: "upper bound" };
  return {};
}

export const PrismaRow = z.object({ stage: str.min(1), count: z.coerce.number().int().nonnegative() });

/** Row schema per input path (exact path, or a pattern). */
/** A row of results/measured-vs-claimed.csv (pipeline/lib/measured-vs-claimed.ts). */
export const MeasuredVsClaimedRow = z.object({
  tool: str.min(1),
  tier: str.min(1),
  n: z.coerce.number().int().nonnegative(),
  mape_pct: optNum,
  median_ape_pct: optNum,
  geomean_ape_pct: optNum,
  worst_cell: optStr,
  worst_ape_pct: optNum,
  claim_bib: optStr,
  claimed_error: optStr,
  claimed_metric: optStr,
  claimed_validated_on: optStr,
  claim_place: optStr,
});

const CSV_SCHEMAS: { test: (p: string) => boolean; schema: ZodTypeAny }[] = [
  { test: (p) => p === "results/predictions.csv", schema: PredictionRow },
  { test: (p) => p === "results/accuracy.csv", schema: AccuracyRow },
  { test: (p) => p === "results/summary.csv", schema: SummaryRow },
  { test: (p) => p === "results/cell-intensity.csv", schema: IntensityRow },
  { test: (p) => p === "results/taxonomy/works.csv", schema: WorkRow },
  { test: (p) => /^results\/taxonomy\/[a-z]+-x-[a-z]+\.csv$/.test(p), schema: CrossRow },
  { test: (p) => p === "results/claimed-accuracy.csv", schema: ClaimedRow },
  { test: (p) => p === "results/prisma.csv", schema: PrismaRow },
  { test: (p) => p === "results/measured-vs-claimed.csv", schema: MeasuredVsClaimedRow },
  { test: (p) => p === "results/head-to-head.csv", schema: HeadToHeadRow },
  { test: (p) => p === "results/head-to-head-runtime.csv", schema: RuntimeRow },
  { test: (p) => p === "results/decision-fidelity.csv", schema: DecisionRow },
  { test: (p) => p === "results/zzz-ablation.csv", schema: AblationRow },
  { test: (p) => p === "results/zzz-calibration.csv", schema: CalibrationRow },
];

function issuesToProblems(file: string, where: string, error: z.ZodError, problems: DataProblem[]): void {
  for (const i of error.issues) problems.push({ file, field: `${where}${i.path.length ? "." + i.path.join(".") : ""}`, message: i.message });
}

/** Adds tool_key (the palette's key) and tool_label (display name) to a row that has a tool. */
function decorate(row: Record<string, unknown>): Record<string, unknown> {
  if (typeof row.tool === "string") {
    row.tool_key = toolKey(row.tool);
    row.tool_label = toolLabel(row.tool);
    // Join key of a prediction and its accuracy rows (one prediction per tool, cell and metric).
    if (typeof row.cell_id === "string" && typeof row.metric === "string") row.pred_key = `${row.tool}|${row.cell_id}|${row.metric}`;
  }
  return row;
}

export function loadCsv(root: string, file: string): Loaded {
  const path = join(root, file);
  if (!existsSync(path)) return { file, status: "missing", rows: [], problems: [] };
  const entry = CSV_SCHEMAS.find((s) => s.test(file));
  const problems: DataProblem[] = [];
  let raw: Record<string, string>[];
  try {
    raw = parseCsv(readFileSync(path, "utf8"), { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
  } catch (e) {
    return { file, status: "invalid", rows: [], problems: [{ file, field: "(file)", message: `not a CSV file: ${(e as Error).message}` }] };
  }
  const rows: Record<string, unknown>[] = [];
  raw.forEach((r, i) => {
    if (!entry) {
      rows.push(decorate({ ...r }));
      return;
    }
    const res = entry.schema.safeParse(r);
    if (res.success) rows.push(decorate({ ...(res.data as Record<string, unknown>) }));
    else issuesToProblems(file, `row ${i + 2}`, res.error, problems);
  });
  if (problems.length) return { file, status: "invalid", rows, problems };
  return { file, status: rows.length ? "ok" : "empty", rows, problems };
}

/** A hardware YAML flattened to one row: id, name, peak FLOP/s per precision, memory bandwidth. */
export function loadHardwareYaml(root: string, file: string): Loaded {
  const path = join(root, file);
  if (!existsSync(path)) return { file, status: "missing", rows: [], problems: [] };
  const res = Hardware.safeParse(parseYaml(readFileSync(path, "utf8")));
  if (!res.success) {
    const problems: DataProblem[] = [];
    issuesToProblems(file, "(file)", res.error, problems);
    return { file, status: "invalid", rows: [], problems };
  }
  const h = res.data;
  const row: Record<string, unknown> = { id: h.id, name: h.name, mem_bandwidth_bytes_per_s: h.mem_bandwidth_bytes_per_s.value };
  for (const [p, v] of Object.entries(h.peak_flops_per_s)) if (v) row[`peak_${p}_flops_per_s`] = v.value;
  return { file, status: "ok", rows: [row], problems: [] };
}

export function loadInput(root: string, file: string): Loaded {
  if (file.endsWith(".csv")) return loadCsv(root, file);
  if (file.startsWith("suite/hardware/") && file.endsWith(".yaml")) return loadHardwareYaml(root, file);
  return { file, status: "invalid", rows: [], problems: [{ file, field: "(file)", message: "no loader for this kind of file (expected results/*.csv or suite/hardware/*.yaml)" }] };
}

// ---------------------------------------------------------------- suite (for the suite table and numbers)

export interface SuiteData {
  cells: Cell[];
  hardware: Map<string, z.infer<typeof Hardware>>;
  groundTruth: z.infer<typeof GroundTruthRow>[];
  problems: DataProblem[];
}

function listFiles(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out;
}

/** Reads suite/cells, suite/hardware and every CSV under suite/ground-truth with the suite's schemas. */
export function loadSuiteData(root: string): SuiteData {
  const problems: DataProblem[] = [];
  const cells: Cell[] = [];
  for (const f of listFiles(join(root, "suite/cells"), ".yaml")) {
    const res = CellFile.safeParse(parseYaml(readFileSync(f, "utf8")));
    if (res.success) cells.push(...res.data.cells);
    else issuesToProblems(f, "(file)", res.error, problems);
  }
  const hardware = new Map<string, z.infer<typeof Hardware>>();
  for (const f of listFiles(join(root, "suite/hardware"), ".yaml")) {
    const res = Hardware.safeParse(parseYaml(readFileSync(f, "utf8")));
    if (res.success) hardware.set(res.data.id, res.data);
    else issuesToProblems(f, "(file)", res.error, problems);
  }
  // Ground truth through the suite's own loader (every ground-truth.csv under suite/ground-truth).
  const gt = loadGroundTruthFiles(root);
  const groundTruth: z.infer<typeof GroundTruthRow>[] = gt.rows;
  for (const p of gt.problems) problems.push({ file: p.file, field: p.row > 0 ? `row ${p.row}.${p.field}` : p.field, message: p.message });
  cells.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { cells, hardware, groundTruth, problems };
}
