#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * `make measure`: run suite/measure/measure.py on this machine and file the result as a measured set,
 *   suite/ground-truth/measured/<hardware>/<date>/
 *     measurements.csv, provenance.json, vidur/{mlp,attention}.csv, log.txt   (from the script)
 *     ground-truth.csv   (GROUND_TRUTH_COLUMNS, source_kind=measured; one row per measured cell)
 *     README.md          (generated: what ran, where, what was skipped)
 * and (re)generate suite/cells/measured-<hardware>.yaml (the cells the set measures that no other cell
 * file defines) and, on a CPU host, suite/hardware/<cpu-id>.yaml (cores used; ceilings measured by the
 * script). `make evaluate` reads the committed sets and never measures.
 *
 *   tsx pipeline/measure.ts [-- <measure.py arguments>]    measure here with /usr/bin/python3
 *                                                          (default arguments: DEFAULT_ARGS below)
 *   tsx pipeline/measure.ts --import <dir> [--note <text>] file a set measured elsewhere, e.g. the $OUT of
 *                                                          a lent GPU host (measure.py --out <dir>)
 *   tsx pipeline/measure.ts --remap                        regenerate ground-truth.csv, README.md and the
 *                                                          measured-*.yaml cells of every committed set
 * Environment: MEASURE_PYTHON overrides the interpreter (default /usr/bin/python3, the one that sees the
 * distribution's python3-torch).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { parse as parseCsv } from "csv-parse/sync";
import { GROUND_TRUTH_COLUMNS, type Cell } from "./lib/schema.ts";
import { writeCsvAtomic, writeFileAtomic } from "./lib/io.ts";
import {
  MEASUREMENT_COLUMNS,
  MeasurementRow,
  Provenance,
  cpuHardware,
  deviceOf,
  hardwareIdFor,
  mapMeasuredSet,
  scriptRef,
  versionsOf,
  type KeyWorkload,
  type ModelShape,
} from "./lib/measured.ts";
import { protos } from "./gen-cells.ts";
import { V2_FILES, parseV2, type V2Files } from "./lib/measured-v2.ts";

export const MEASURED_DIR = "suite/ground-truth/measured";
/** Files of measure.py's --out directory that a set keeps (others, e.g. *.tmp, are not filed). */
export const SET_FILES = [
  "measurements.csv",
  "provenance.json",
  "vidur/mlp.csv",
  "vidur/attention.csv",
  "log.txt",
  "env.txt",
  "nvidia-smi.txt",
  ...V2_FILES.map((f) => f.file),
] as const;

/**
 * Default measure.py arguments of `make measure`: stop before about 5 minutes; measure the groups whose
 * rows are suite cells first, then the scaled-down Llama (a CPU-only model) and the Vidur profiles
 * (slow on 2 cores), so that a budget stop loses the least.
 */
export const DEFAULT_ARGS = ["--budget-s", "280", "--groups", "ceiling,gemm,attention,pointwise,gpt2,bert,resnet,llama,vidur"];
/**
 * Default measure_v2.py arguments (the default script of `make measure`; MEASURE_SCRIPT=v1 runs v1 with
 * DEFAULT_ARGS): sections in measure_v2.py's order of value (calibration, serving, evaluation, Vidur,
 * energy), stopping before 10 minutes on the 2-core host.
 */
export const DEFAULT_ARGS_V2 = ["--budget-s", "600"];

export interface LoadedSet {
  dir: string;
  provenance: Provenance;
  rows: MeasurementRow[];
  /** measure_v2.py's extra files (variance, calibration, energy, serving); absent for v1 sets. */
  v2?: V2Files;
}

/** Read and validate a set directory; every problem is collected and thrown together. */
export function loadSet(dir: string): LoadedSet {
  const problems: string[] = [];
  const provPath = path.join(dir, "provenance.json");
  const csvPath = path.join(dir, "measurements.csv");
  let provenance: Provenance | undefined;
  if (!existsSync(provPath)) problems.push(`${provPath}: missing (measure.py writes it next to measurements.csv)`);
  else {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(provPath, "utf8"));
    } catch (e) {
      problems.push(`${provPath}: not JSON: ${(e as Error).message}`);
    }
    if (raw !== undefined) {
      const r = Provenance.safeParse(raw);
      if (r.success) provenance = r.data;
      else for (const i of r.error.issues) problems.push(`${provPath}: ${i.path.join(".") || "(file)"}: ${i.message}`);
    }
  }
  const rows: MeasurementRow[] = [];
  if (!existsSync(csvPath)) problems.push(`${csvPath}: missing`);
  else {
    const records = parseCsv(readFileSync(csvPath, "utf8"), { skip_empty_lines: true, relax_column_count: true }) as string[][];
    const header = records[0] ?? [];
    if (header.join(",") !== MEASUREMENT_COLUMNS.join(","))
      problems.push(`${csvPath}:1: header is '${header.join(",")}'; expected '${MEASUREMENT_COLUMNS.join(",")}' (re-run measure.py)`);
    else
      records.slice(1).forEach((rec, i) => {
        const obj: Record<string, string> = {};
        header.forEach((h, j) => (obj[h] = rec[j] ?? ""));
        const r = MeasurementRow.safeParse(obj);
        if (r.success) rows.push(r.data);
        else for (const is of r.error.issues) problems.push(`${csvPath}:${i + 2}: ${is.path.join(".") || "(row)"}: ${is.message}`);
      });
  }
  let v2: V2Files | undefined;
  if (provenance?.schema === "measure-provenance/2") {
    const r = parseV2(dir, (f) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), "utf8") : undefined), {
      measuredKeys: new Set(rows.map((x) => `${x.workload_key}\u0000${x.engine}`)),
    });
    problems.push(...r.problems);
    v2 = r.files;
  }
  if (problems.length || !provenance) throw new Error(`measured set ${dir} has ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  return { dir, provenance, rows, ...(v2 ? { v2 } : {}) };
}

function readYamlFile(p: string): unknown {
  return parseYaml(readFileSync(p, "utf8"));
}

/** Suite models' attention shapes, read from suite/models/*.yaml. */
export function loadModelShapes(root: string): Map<string, ModelShape> {
  const out = new Map<string, ModelShape>();
  const dir = path.join(root, "suite/models");
  for (const f of existsSync(dir) ? readdirSync(dir).sort() : []) {
    if (!f.endsWith(".yaml")) continue;
    const m = readYamlFile(path.join(dir, f)) as { id?: string; arch?: { n_heads?: number; n_kv_heads?: number; d_model?: number } };
    if (!m?.id) continue;
    const a = m.arch ?? {};
    out.set(m.id, { n_heads: a.n_heads ?? 0, n_kv_heads: a.n_kv_heads ?? 0, d_model: a.d_model ?? 0 });
  }
  return out;
}

/** Ids of every cell in suite/cells/*.yaml except the files named in `except`. */
export function loadCellIds(root: string, except: ReadonlySet<string>): Set<string> {
  const ids = new Set<string>();
  const dir = path.join(root, "suite/cells");
  for (const f of existsSync(dir) ? readdirSync(dir).sort() : []) {
    if (!/\.ya?ml$/.test(f) || except.has(f)) continue;
    const doc = readYamlFile(path.join(dir, f)) as { cells?: { id?: string }[] };
    for (const c of doc?.cells ?? []) if (typeof c?.id === "string") ids.add(c.id);
  }
  return ids;
}

export function knownWorkloads(): Map<string, KeyWorkload> {
  return new Map(protos().map((p) => [p.key, { level: p.level, workload: p.workload } as KeyWorkload]));
}

function setDirsOf(root: string, hardware: string): string[] {
  const base = path.join(root, MEASURED_DIR, hardware);
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(base, e.name, "provenance.json")))
    .map((e) => path.join(base, e.name))
    .sort();
}

function v2Lines(set: LoadedSet): string[] {
  const v = set.v2!;
  const cvs = v.variance.map((r) => r.cv).sort((a, b) => a - b);
  const med = cvs.length ? cvs[Math.floor((cvs.length - 1) / 2)]! : NaN;
  const p = set.provenance as Record<string, unknown>;
  return [
    `- variance: ${v.variance.length} timed points in ${String(p.trials ?? "?")} independent trials each; median trial-median CV ${med.toFixed(3)}, max ${cvs.length ? cvs[cvs.length - 1]!.toFixed(3) : "n/a"} (variance.csv)`,
    `- calibration (role calibration, keys cal.*, never suite cells): ${v.calibration.length} rows (calibration.csv); ${String(p.calibration_points_dropped_as_evaluation_shapes ?? 0)} sweep points dropped because they equal an evaluation shape`,
    `- serving: ${v.servingRuns.length} runs, ${v.servingRequests.length} requests, server ${String(p.serving_server ?? "?")} (serving/runs.csv, serving/requests.csv)`,
    `- energy: ${v.energy.length} rows${v.energy.length ? ` (${[...new Set(v.energy.map((e) => e.method))].join(", ")})` : " (no energy counter on this device; see Skipped)"} (energy.csv)`,
  ];
}

function readme(set: LoadedSet, hardware: string, rel: string, nGt: number, unmapped: { workload_key: string; engine: string; reason: string }[], note?: string): string {
  const p = set.provenance;
  const engines = [...new Set(set.rows.map((r) => r.engine))].sort();
  const lines = [
    `# Measured set: ${hardware}, ${p.date_utc.slice(0, 10)}`,
    "",
    "GENERATED by pipeline/measure.ts from provenance.json and measurements.csv (re-run `tsx pipeline/measure.ts --remap`).",
    "",
    `- device: ${deviceOf(p)}`,
    `- versions: ${versionsOf(p)}`,
    `- script: ${scriptRef(p)} (argv: \`${p.argv.join(" ")}\`), scale ${p.scale}, precision ${p.precision}`,
    `- timer: ${p.timer}; warm-up, then the median of >= ${p.min_reps} repetitions over rotating inputs`,
    `- engines: ${engines.join(", ")}${engines.includes("pytorch-cudagraph") ? " (the second times each point inside a CUDA graph, so host launch gaps are excluded)" : ""}`,
    `- attention: ${p.sdpa_available ? "F.scaled_dot_product_attention" : "explicit (matmul, masked softmax, matmul; torch has no scaled_dot_product_attention)"}`,
    `- measured: ${set.rows.length} rows in ${p.wall_s} s${p.stopped_early ? `; STOPPED EARLY: ${p.stopped_early}` : ""}`,
    `- ground truth: ${nGt} rows in ground-truth.csv`,
    ...(set.v2 ? v2Lines(set) : []),
    "",
    "## Skipped by the script",
    "",
    ...(p.skipped.length ? p.skipped.map((s) => `- \`${s.workload_key}\`: ${s.reason}`) : ["- nothing"]),
    "",
    "## Rows that are no suite cell",
    "",
    ...(unmapped.length ? unmapped.map((u) => `- \`${u.workload_key}\` (${u.engine}): ${u.reason}`) : ["- none"]),
    "",
    "## Files",
    "",
    "- `measurements.csv`: one row per measured point and engine (columns: MEASUREMENT_COLUMNS of pipeline/lib/measured.ts)",
    "- `provenance.json`: device, driver, CUDA, torch, python, threads, clocks, load, script sha256, argv",
    "- `vidur/mlp.csv`, `vidur/attention.csv`: Vidur-format profiles (times in ms) of the Llama-2-7B layer shapes on this device",
    "- `ground-truth.csv`: the rows above mapped onto suite cells",
    "- `log.txt`: the script's output; `env.txt`, `nvidia-smi.txt` where the host had them; `NOTES.md`: the notes below",
    "",
  ];
  if (note) lines.push("## Notes", "", note.trim(), "");
  void rel;
  return lines.join("\n");
}

/**
 * Regenerate everything derived from the committed sets of one hardware id: each set's
 * ground-truth.csv and README.md, suite/cells/measured-<hardware>.yaml, and (CPU) the hardware file.
 */
export function remapHardware(root: string, hardware: string, notes: Map<string, string> = new Map()): { gt: number; cells: number; unmapped: number } {
  const cellFile = `measured-${hardware}.yaml`;
  const existing = loadCellIds(root, new Set([cellFile]));
  const models = loadModelShapes(root);
  const known = knownWorkloads();
  const cells = new Map<string, Cell>();
  let gtCount = 0;
  let unmappedCount = 0;
  let cpuHardwareWritten = false;
  for (const dir of setDirsOf(root, hardware)) {
    const set = loadSet(dir);
    const rel = path.relative(root, dir);
    const res = mapMeasuredSet({
      rows: set.rows,
      provenance: set.provenance,
      hardware,
      setFile: `${rel}/measurements.csv`,
      existingCells: existing,
      models,
      known,
    });
    for (const c of res.cells) cells.set(c.id, c);
    writeCsvAtomic(path.join(dir, "ground-truth.csv"), GROUND_TRUTH_COLUMNS, res.groundTruth as unknown as Record<string, unknown>[]);
    const notePath = path.join(dir, "NOTES.md");
    const note = notes.get(dir) ?? (existsSync(notePath) ? readFileSync(notePath, "utf8") : undefined);
    if (notes.has(dir)) writeFileAtomic(notePath, notes.get(dir)! + "\n");
    writeFileAtomic(path.join(dir, "README.md"), readme(set, hardware, rel, res.groundTruth.length, res.unmapped, note));
    gtCount += res.groundTruth.length;
    unmappedCount += res.unmapped.length;
    // The CPU hardware file is derived from the OLDEST set only: its ceilings are what the suite's
    // CPU cells were defined against; later sets (e.g. measure_v2.py's) add ground truth and
    // calibration rows without moving the hardware description under earlier results.
    if (set.provenance.device_type === "cpu" && !cpuHardwareWritten) {
      cpuHardwareWritten = true;
      const hw = cpuHardware(set.provenance, set.rows, rel);
      if ("error" in hw) throw new Error(`${rel}: ${hw.error}`);
      writeFileAtomic(
        path.join(root, "suite/hardware", `${hardware}.yaml`),
        `# GENERATED by pipeline/measure.ts from the measured set ${rel}: the ceilings are MEASURED by\n# suite/measure/measure.py on this host (achieved rates, not vendor peaks). Re-measure with \`make measure\`.\n` +
          stringifyYaml(hw, { lineWidth: 0 }),
      );
    }
  }
  const cellPath = path.join(root, "suite/cells", cellFile);
  if (cells.size) {
    const sorted = [...cells.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    writeFileAtomic(
      cellPath,
      `# GENERATED by pipeline/measure.ts: the cells the measured sets of ${hardware} measure that no other\n# cell file defines (suite/ground-truth/measured/${hardware}/). Do not edit; re-run \`tsx pipeline/measure.ts --remap\`.\n` +
        stringifyYaml({ cells: sorted }, { lineWidth: 0, aliasDuplicateObjects: false }),
    );
  } else if (existsSync(cellPath)) rmSync(cellPath);
  return { gt: gtCount, cells: cells.size, unmapped: unmappedCount };
}

/** Copy a measure.py output directory into the measured tree; returns the hardware id and set dir. */
export function fileSet(root: string, src: string, note?: string): { hardware: string; dir: string } {
  const set = loadSet(src);
  const hw = hardwareIdFor(set.provenance);
  if ("error" in hw) throw new Error(hw.error);
  if (set.provenance.scale === "tiny" || set.provenance.scale === "smoke")
    throw new Error(`${src}: a --${set.provenance.scale} run is a smoke test, not a measured set`);
  const dest = path.join(root, MEASURED_DIR, hw.id, set.provenance.date_utc.slice(0, 10));
  if (path.resolve(dest) !== path.resolve(src)) {
    for (const f of [...SET_FILES, "ground-truth.csv", "README.md", "NOTES.md"]) rmSync(path.join(dest, f), { force: true });
    for (const f of SET_FILES) {
      const from = path.join(src, f);
      if (!existsSync(from)) continue;
      mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
      copyFileSync(from, path.join(dest, f));
    }
  }
  const r = remapHardware(root, hw.id, note ? new Map([[dest, note]]) : new Map());
  console.log(`filed ${path.relative(root, dest)}: ${set.rows.length} measured rows -> ${r.gt} ground-truth rows, ${r.cells} generated cells (suite/cells/measured-${hw.id}.yaml), ${r.unmapped} rows that are no cell`);
  return { hardware: hw.id, dir: dest };
}

async function measureHere(root: string, extra: string[]): Promise<string> {
  const py = process.env.MEASURE_PYTHON ?? "/usr/bin/python3";
  const probe = await execa(py, ["-c", "import torch; print(torch.__version__)"], { reject: false });
  if (probe.exitCode !== 0)
    throw new Error(`${py} cannot import torch (${probe.stderr.split("\n").pop()}); install the distribution's python3-torch (apt-get install python3-torch python3-torchvision) or set MEASURE_PYTHON`);
  const out = path.join(root, ".work", "measure", new Date().toISOString().replace(/[:.]/g, "-"));
  mkdirSync(out, { recursive: true });
  const v1 = process.env.MEASURE_SCRIPT === "v1";
  const args = v1
    ? ["suite/measure/measure.py", "--out", out, ...(extra.length ? extra : DEFAULT_ARGS)]
    : ["suite/measure/measure_v2.py", "--out", out, ...(extra.length ? extra : DEFAULT_ARGS_V2)];
  console.log(`$ ${py} ${args.join(" ")}`);
  const proc = execa(py, args, { cwd: root, all: true, reject: false });
  const chunks: string[] = [];
  proc.all?.on("data", (d: Buffer) => {
    process.stdout.write(d);
    chunks.push(d.toString());
  });
  const res = await proc;
  writeFileSync(path.join(out, "log.txt"), chunks.join(""));
  if (res.exitCode !== 0) throw new Error(`${args[0]} exited with ${res.exitCode}; see ${out}/log.txt`);
  return out;
}

export const USAGE = [
  "usage: tsx pipeline/measure.ts [-- <measure script arguments>]   measure here (default: " + DEFAULT_ARGS_V2.join(" ") + ")",
  "       tsx pipeline/measure.ts --import <dir> [--note <text>]   file a set measured elsewhere",
  "       tsx pipeline/measure.ts --remap                          regenerate the committed sets' derived files",
  "       tsx pipeline/measure.ts --help                           this text",
].join("\n");

/** The options before `--` that measure.ts does not know (values of --import and --note excluded). */
export function unknownOptions(own: string[]): string[] {
  const known = new Set(["--remap", "--import", "--note", "--help", "-h"]);
  const out: string[] = [];
  for (let i = 0; i < own.length; i++) {
    if (own[i] === "--import" || own[i] === "--note") i++;
    else if (!known.has(own[i]!)) out.push(own[i]!);
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const root = process.cwd();
  const dd = argv.indexOf("--");
  const own = dd >= 0 ? argv.slice(0, dd) : argv;
  const extra = dd >= 0 ? argv.slice(dd + 1) : [];
  const opt = (name: string) => {
    const i = own.indexOf(name);
    return i >= 0 ? own[i + 1] : undefined;
  };
  if (own.includes("--help") || own.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const unknown = unknownOptions(own);
  if (unknown.length) {
    console.error(`measure.ts: unknown option ${unknown.join(", ")} (arguments for the script go after --)\n\n${USAGE}`);
    process.exit(2);
  }
  if (own.includes("--remap")) {
    const base = path.join(root, MEASURED_DIR);
    const hws = existsSync(base) ? readdirSync(base, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort() : [];
    for (const hw of hws) {
      const r = remapHardware(root, hw);
      console.log(`${hw}: ${r.gt} ground-truth rows, ${r.cells} generated cells, ${r.unmapped} rows that are no cell`);
    }
    return;
  }
  const imp = opt("--import");
  const src = imp ?? (await measureHere(root, extra));
  fileSet(root, src, opt("--note"));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
