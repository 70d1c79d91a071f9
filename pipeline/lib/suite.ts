/**
 * Loads and validates the benchmark suite: suite/models/*.yaml, suite/hardware/*.yaml,
 * suite/cells/*.yaml and every ground-truth.csv under suite/ground-truth/.
 *
 * Validation collects EVERY problem (schema errors, unknown references, duplicates) and reports
 * them together; each names the file, the path to the field, and what was expected.
 */
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { join, relative, basename } from "node:path";
import { parse as parseYaml } from "yaml";
import type { ZodIssue, ZodTypeAny, output } from "zod";
import { CellFile, Hardware, Model, unitFactor, type Cell, type GroundTruthRow } from "./schema.ts";
import { loadGroundTruthFiles, checkGroundTruth } from "./ground-truth.ts";

export interface Problem {
  file: string;
  /** Path to the field, e.g. `cells[3].workload.model`, or a row reference. */
  field: string;
  message: string;
  /**
   * Set on a follow-on problem: the root problem it comes from (e.g. "suite/models/x.yaml failed
   * validation"). Follow-on problems are listed after the root ones, collapsed into one line each.
   */
  causedBy?: string;
}

export interface Suite {
  root: string;
  models: Map<string, Model>;
  hardware: Map<string, Hardware>;
  cells: Map<string, Cell>;
  /** Which file each cell came from. */
  cellFile: Map<string, string>;
  groundTruth: GroundTruthRow[];
}

export class SuiteError extends Error {
  constructor(public problems: Problem[]) {
    super(formatProblems(problems));
    this.name = "SuiteError";
  }
}

/** Root problems first, one line each; follow-on problems collapsed into one line per root cause. */
export function formatProblems(problems: Problem[]): string {
  const roots = problems.filter((p) => !p.causedBy);
  const follow = problems.filter((p) => p.causedBy);
  const lines = roots.map((p) => `  ${p.file}: ${p.field}: ${p.message}`);
  const byCause = new Map<string, Problem[]>();
  for (const p of follow) byCause.set(p.causedBy!, [...(byCause.get(p.causedBy!) ?? []), p]);
  for (const [cause, ps] of byCause) {
    const e = ps[0]!;
    lines.push(`  and ${ps.length} more caused by the problem above (${cause}), e.g. ${e.file}: ${e.field}: ${e.message}`);
  }
  const n = roots.length || follow.length;
  return `the suite has ${n} problem${n === 1 ? "" : "s"}${roots.length && follow.length ? ` (and ${follow.length} follow-on)` : ""}:\n${lines.join("\n")}`;
}

function issuePath(prefix: string, issue: ZodIssue): string {
  let s = prefix;
  for (const k of issue.path) s += typeof k === "number" ? `[${k}]` : s === "" ? String(k) : `.${k}`;
  return s === "" ? "(file)" : s;
}

function describeIssue(issue: ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.received === "undefined"
        ? `missing required field (expected ${issue.expected})`
        : `expected ${issue.expected}, got ${issue.received}`;
    case "invalid_enum_value":
      return `expected one of ${issue.options.map((o) => `'${String(o)}'`).join(", ")}, got '${String(issue.received)}'`;
    case "invalid_union_discriminator":
      return `expected one of ${issue.options.map((o) => `'${String(o)}'`).join(", ")}`;
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}: remove or rename`;
    default:
      return issue.message;
  }
}

/** Validate `data` against `schema`, pushing one Problem per zod issue. */
export function validate<S extends ZodTypeAny>(schema: S, data: unknown, file: string, prefix: string, problems: Problem[]): output<S> | undefined {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  for (const issue of r.error.issues) problems.push({ file, field: issuePath(prefix, issue), message: describeIssue(issue) });
  return undefined;
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort()
    .map((f) => join(dir, f));
}

function readYaml(path: string, rel: string, problems: Problem[]): unknown {
  try {
    return parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    problems.push({ file: rel, field: "(file)", message: `not valid YAML: ${(e as Error).message.split("\n")[0]}` });
    return undefined;
  }
}

export interface LoadOptions {
  /** Skip ground truth (used by tests of the pure cell/model checks). */
  groundTruth?: boolean;
}

/** Load the suite under `root` (the repository root). Throws SuiteError listing every problem. */
export function loadSuite(root = ".", opts: LoadOptions = {}): Suite {
  const problems: Problem[] = [];
  const rel = (p: string) => relative(root, p) || p;
  const models = new Map<string, Model>();
  const hardware = new Map<string, Hardware>();
  const cells = new Map<string, Cell>();
  const cellFile = new Map<string, string>();

  // Files that failed to load, by the id their file name gives: references to them are follow-on problems.
  const failedModels = new Map<string, string>();
  const failedHardware = new Map<string, string>();
  const failedCells = new Map<string, string>();
  const failedCellFiles: string[] = [];
  const idOf = (path: string) => basename(path).replace(/\.ya?ml$/, "");
  for (const path of yamlFiles(join(root, "suite/models"))) {
    const m = validate(Model, readYaml(path, rel(path), problems), rel(path), "", problems);
    if (!m) {
      failedModels.set(idOf(path), rel(path));
      continue;
    }
    if (basename(path).replace(/\.ya?ml$/, "") !== m.id)
      problems.push({ file: rel(path), field: "id", message: `id '${m.id}' must match the file name` });
    if (models.has(m.id)) problems.push({ file: rel(path), field: "id", message: `duplicate model id '${m.id}'` });
    models.set(m.id, m);
  }
  for (const path of yamlFiles(join(root, "suite/hardware"))) {
    const h = validate(Hardware, readYaml(path, rel(path), problems), rel(path), "", problems);
    if (!h) {
      failedHardware.set(idOf(path), rel(path));
      continue;
    }
    if (basename(path).replace(/\.ya?ml$/, "") !== h.id)
      problems.push({ file: rel(path), field: "id", message: `id '${h.id}' must match the file name` });
    if (hardware.has(h.id)) problems.push({ file: rel(path), field: "id", message: `duplicate hardware id '${h.id}'` });
    hardware.set(h.id, h);
  }
  for (const path of yamlFiles(join(root, "suite/cells"))) {
    const f = rel(path);
    const raw = readYaml(path, f, problems);
    // Validate cell by cell so one bad cell does not hide the others' problems.
    const list = (raw as { cells?: unknown })?.cells;
    if (!Array.isArray(list)) {
      validate(CellFile, raw, f, "", problems);
      failedCellFiles.push(f);
      continue;
    }
    list.forEach((c, i) => {
      const cell = validate(CellFile.shape.cells.element, c, f, `cells[${i}]`, problems);
      if (!cell) {
        const id = (c as { id?: unknown })?.id;
        if (typeof id === "string") failedCells.set(id, `${f} cells[${i}]`);
        return;
      }
      const at = `cells[${i}]`;
      if (cells.has(cell.id))
        problems.push({ file: f, field: `${at}.id`, message: `duplicate cell id '${cell.id}' (also in ${cellFile.get(cell.id)})` });
      cells.set(cell.id, cell);
      cellFile.set(cell.id, f);
    });
  }

  // Cross-references, checked once everything is loaded.
  for (const [id, cell] of cells) {
    const f = cellFile.get(id)!;
    const at = `cell '${id}'`;
    if (!hardware.has(cell.hardware))
      problems.push({
        file: f,
        field: `${at}.hardware`,
        message: `unknown hardware '${cell.hardware}'; expected one of ${[...hardware.keys()].sort().join(", ")}`,
        causedBy: failedHardware.has(cell.hardware) ? `${failedHardware.get(cell.hardware)} failed validation` : undefined,
      });
    const w = cell.workload as { model?: string; from_model?: string };
    for (const key of ["model", "from_model"] as const) {
      const m = w[key];
      if (m !== undefined && !models.has(m))
        problems.push({
          file: f,
          field: `${at}.workload.${key}`,
          message: `unknown model '${m}'; expected one of ${[...models.keys()].sort().join(", ")}`,
          causedBy: failedModels.has(m) ? `${failedModels.get(m)} failed validation` : undefined,
        });
    }
    const hw = hardware.get(cell.hardware);
    if (hw && hw.node.devices_per_node < cell.n_devices && cell.level !== "multi-gpu")
      problems.push({ file: f, field: `${at}.level`, message: `a cell over ${cell.n_devices} devices (more than one node) must have level 'multi-gpu'` });
  }

  let groundTruth: GroundTruthRow[] = [];
  if (opts.groundTruth !== false) {
    const gt = loadGroundTruthFiles(root);
    groundTruth = gt.rows;
    const cellRefs = [...cells.values()].map((c) => ({ id: c.id, metric: c.metric }));
    for (const p of gt.problems) problems.push({ file: p.file, field: p.row > 0 ? `line ${p.row}: ${p.field}` : p.field, message: p.message });
    const rowsById = new Map(gt.rows.map((r) => [`${r.file}:${r.row}`, r.cell_id]));
    for (const p of checkGroundTruth(gt.rows, cellRefs)) {
      // A row pointing at a cell that failed validation (or whose cell file did) is a follow-on.
      const cellId = p.field === "cell_id" && p.message.startsWith("points at no cell") ? rowsById.get(`${p.file}:${p.row}`) : undefined;
      const causedBy =
        cellId === undefined
          ? undefined
          : failedCells.has(cellId)
            ? `${failedCells.get(cellId)} failed validation`
            : failedCellFiles.length
              ? `${failedCellFiles.join(", ")} failed to load`
              : undefined;
      problems.push({ file: p.file, field: p.row > 0 ? `line ${p.row}: ${p.field}` : p.field, message: p.message, causedBy });
    }
  }

  if (problems.length > 0) throw new SuiteError(problems);
  return { root, models, hardware, cells, cellFile, groundTruth };
}

/** Convert a value in `unit` to the cell's unit (both must belong to the cell's metric). */
export function convertToCellUnit(cell: Cell, value: number, unit: string): number | undefined {
  const from = unitFactor(cell.metric, unit);
  const to = unitFactor(cell.metric, cell.unit);
  if (from === undefined || to === undefined) return undefined;
  return (value * from) / to;
}

export function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
