/**
 * MLPerf Inference v4.1 (datacenter, closed) results -> serving-level suite cells and published
 * ground truth. Reads only the committed excerpts in data/ (see README.md and extract.ts).
 *
 * Precision and parallelism come from NVIDIA's own config classes (closed/NVIDIA/configs/<benchmark>, as
 * recorded line by line in data/config-attributes.csv by extract.ts), resolved through their inheritance: `precision = "int8"` -> int8; `precision = "fp16"` with `use_fp8 = True`
 * -> fp8 (NVIDIA's BERT builder and TRT-LLM builders switch to FP8 on that flag); otherwise fp16.
 * tp = tensor_parallelism, pp = pipeline_parallelism (1 where the config sets none), dp = devices/(tp*pp).
 *   node_modules/.bin/tsx suite/ground-truth/published/mlperf-inf41/import.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import { readCsv, writeSource, type CellIn, type GtIn } from "../lib.ts";
import { CONFIG_ATTRIBUTES, type PyClass } from "./extract.ts";
import type { Precision } from "../../../../pipeline/lib/schema.ts";

export const SOURCE = "mlperf-inf41";
const COMMIT = "4a0c87411066bd697db46fa44cf6f04fd458f627";
const BIB = "mlcommons2024inferencev41results";
const here = path.dirname(fileURLToPath(import.meta.url));
const data = (rel: string) => path.join(here, "data", rel);

/** NVIDIA platform directory -> hardware, NVIDIA's KnownSystem, harness (Custom = NVIDIA's default harness, Custom or LWIS in the configs), power setting. */
const PLATFORMS: Record<string, { hardware: string; system: string; harness: "Custom" | "Triton"; power: "MaxP" | "MaxQ" } | { skip: string }> = {
  "DGX-H100_H100-SXM-80GBx8_TRT": { hardware: "h100-sxm5-80gb", system: "H100_SXM_80GBx8", harness: "Custom", power: "MaxP" },
  "H200-SXM-141GBx1_TRT": { hardware: "h200-sxm-141gb", system: "H200_SXM_141GBx1", harness: "Custom", power: "MaxP" },
  "H200-SXM-141GBx8_TRT": { hardware: "h200-sxm-141gb", system: "H200_SXM_141GBx8", harness: "Custom", power: "MaxP" },
  "H200-SXM-141GBx8_TRT_Triton": { hardware: "h200-sxm-141gb", system: "H200_SXM_141GBx8", harness: "Triton", power: "MaxP" },
  "H200-SXM-141GB-CTSx1_TRT": { hardware: "h200-sxm-141gb-cts", system: "H200_SXM_141GB_CTSx1", harness: "Custom", power: "MaxP" },
  "H200-SXM-141GB-CTSx8_TRT": { hardware: "h200-sxm-141gb-cts", system: "H200_SXM_141GB_CTSx8", harness: "Custom", power: "MaxP" },
  "H200-SXM-141GBx8_TRT_MaxQ": { skip: "MaxQ: GPUs run under a power cap (power_limit in the config), which the suite's hardware entries do not describe" },
  "GH200-GraceHopper-Superchip_GH200-144GB_aarch64x1_TRT": { skip: "GH200: no suite hardware entry with verified specs" },
};

/** MLPerf benchmark name -> config folder and suite model. */
function benchmarkOf(model: string): { folder: string; model: string; accuracy: "k_99" | "k_99_9"; family: string } {
  const accuracy = model.endsWith("-99.9") ? "k_99_9" : "k_99";
  if (model === "resnet") return { folder: "resnet50", model: "resnet-50", accuracy: "k_99", family: "resnet-50" };
  if (model.startsWith("bert-")) return { folder: "bert", model: "bert-large", accuracy, family: "bert-large" };
  if (model.startsWith("gptj-")) return { folder: "gptj", model: "gpt-j-6b", accuracy, family: "gpt-j-6b" };
  if (model.startsWith("llama2-70b-")) return { folder: "llama2-70b", model: "llama-2-70b", accuracy, family: "llama-2-70b" };
  throw new Error(`unknown MLPerf model ${model}`);
}

// ------------------------------------------------------------------ NVIDIA config classes

const ConfigRowSchema = z.object({
  file: z.string().regex(/^closed\/NVIDIA\/configs\/[\w-]+\/(\w+\/)?__init__\.py$/),
  commit: z.literal(COMMIT),
  line: z.string().regex(/^[1-9]\d*$/),
  class: z.string().regex(/^\w+$/),
  attribute: z.union([z.enum(["@register", "class"]), z.enum(CONFIG_ATTRIBUTES)]),
  value: z.string().min(1),
  text: z.string().min(1),
});

/**
 * The classes of NVIDIA's config files as recorded in data/config-attributes.csv (written by
 * extract.ts with parsePyConfig): per file, in line order, each class with its decorator, parent and the
 * attributes import.ts reads. Throws with every problem listed.
 */
export function readConfigClasses(csvText: string, where = "data/config-attributes.csv"): Map<string, PyClass[]> {
  const records = parse(csvText, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const problems: string[] = [];
  const byFile = new Map<string, PyClass[]>();
  let pending: { file: string; cls: string; register: NonNullable<PyClass["register"]> } | undefined;
  records.forEach((rec, i) => {
    const at = `${where} row ${i + 2}`;
    const v = ConfigRowSchema.safeParse(rec);
    if (!v.success) {
      for (const issue of v.error.issues) problems.push(`${at}: ${issue.path.join(".")}: ${issue.message} (re-run extract.ts)`);
      return;
    }
    const r = v.data;
    const line = Number(r.line);
    const classes = byFile.get(r.file) ?? [];
    byFile.set(r.file, classes);
    if (r.attribute === "@register") {
      const m = /^(\w+),(\w+),(\w+)$/.exec(r.value);
      if (!m) problems.push(`${at}: @register value '${r.value}' is not <harness>,<accuracy>,<power>`);
      else pending = { file: r.file, cls: r.class, register: { harness: m[1]!, accuracy: m[2]!, power: m[3]!, line } };
      return;
    }
    if (r.attribute === "class") {
      const register = pending && pending.file === r.file && pending.cls === r.class ? pending.register : undefined;
      if (pending && !register) problems.push(`${at}: decorator of ${pending.cls} (${pending.file}:${pending.register.line}) is not followed by its class`);
      pending = undefined;
      classes.push({ name: r.class, parent: r.value, attrs: new Map(), attrLines: new Map(), register, file: r.file, line });
      return;
    }
    const cur = classes[classes.length - 1];
    if (!cur || cur.name !== r.class) {
      problems.push(`${at}: attribute ${r.attribute} of class ${r.class} does not follow that class's row`);
      return;
    }
    cur.attrs.set(r.attribute, r.value);
    cur.attrLines.set(r.attribute, line);
  });
  if (problems.length) throw new Error(`${problems.length} problem(s) in ${where}:\n  ${problems.join("\n  ")}`);
  return byFile;
}

let configCache: Map<string, PyClass[]> | undefined;
const configClasses = () => (configCache ??= readConfigClasses(fs.readFileSync(data("config-attributes.csv"), "utf8")));

function resolve(classes: Map<string, PyClass>, cls: PyClass, key: string): { value: string; where: string } | undefined {
  for (let c: PyClass | undefined = cls; c; c = classes.get(c.parent)) {
    const v = c.attrs.get(key);
    if (v !== undefined) return { value: v, where: `class ${c.name}, ${c.file}:${c.line}` };
  }
  return undefined;
}

type Resolved = { precision: Precision; tp: number; pp: number; className: string; where: string; evidence: string };

function resolveConfig(folder: string, scenario: string, system: string, harness: string, accuracy: string, power: string): Resolved {
  const files = [`closed/NVIDIA/configs/${folder}/__init__.py`, `closed/NVIDIA/configs/${folder}/${scenario}/__init__.py`];
  const classes = new Map<string, PyClass>();
  for (const f of files) {
    const fromFile = configClasses().get(f);
    if (!fromFile) throw new Error(`data/config-attributes.csv has no rows of ${f}`);
    for (const c of fromFile) classes.set(c.name, c);
  }
  const hits = [...classes.values()].filter(
    (c) =>
      c.register &&
      (harness === "Triton" ? c.register.harness === "Triton" : ["Custom", "LWIS"].includes(c.register.harness)) &&
      c.register.accuracy === accuracy &&
      c.register.power === power &&
      resolve(classes, c, "system")?.value === `KnownSystem.${system}` &&
      c.file.includes(`/${scenario}/`),
  );
  if (hits.length !== 1)
    throw new Error(`${folder}/${scenario}: expected one config class for ${system} ${harness} ${accuracy} ${power}, found ${hits.map((h) => h.name).join(", ") || "none"}`);
  const cls = hits[0]!;
  const prec = resolve(classes, cls, "precision");
  const fp8 = resolve(classes, cls, "use_fp8");
  const tp = resolve(classes, cls, "tensor_parallelism");
  const pp = resolve(classes, cls, "pipeline_parallelism");
  const p = prec?.value.replace(/["']/g, "");
  let precision: Precision;
  if (p === "int8") {
    if (fp8?.value === "True") throw new Error(`${cls.name}: int8 with use_fp8`);
    precision = "int8";
  } else if (p === "fp16") precision = fp8?.value === "True" ? "fp8" : "fp16";
  else throw new Error(`${cls.name}: unexpected precision ${prec?.value}`);
  const evidence = [
    `precision = ${prec?.value} (${prec?.where})`,
    fp8 ? `use_fp8 = ${fp8.value} (${fp8.where})` : "use_fp8 unset",
    tp ? `tensor_parallelism = ${tp.value} (${tp.where})` : "tensor_parallelism unset",
    pp ? `pipeline_parallelism = ${pp.value} (${pp.where})` : "pipeline_parallelism unset",
  ].join("; ");
  return { precision, tp: tp ? Number(tp.value) : 1, pp: pp ? Number(pp.value) : 1, className: cls.name, where: `${cls.file}:${cls.line}`, evidence };
}

// ------------------------------------------------------------------ log summaries

/** Percentiles and rates from an mlperf_log_summary.txt. */
export function parseLogSummary(text: string): { valid: boolean; lines: Map<string, string> } {
  const lines = new Map<string, string>();
  for (const l of text.split("\n")) {
    const m = /^(.+?)\s*:\s*([-0-9.eE+]+)\s*$/.exec(l.trim());
    if (m && !lines.has(m[1]!)) lines.set(m[1]!, m[2]!);
  }
  return { valid: /Result is : VALID/.test(text), lines };
}

const LATENCY_KEYS = [
  { metric: "ttft_p50", key: "50.00 percentile first token latency (ns)", label: "ttft-p50" },
  { metric: "ttft_p99", key: "99.00 percentile first token latency (ns)", label: "ttft-p99" },
  { metric: "tpot_p50", key: "50.00 percentile time to output token (ns)", label: "tpot-p50" },
  { metric: "tpot_p99", key: "99.00 percentile time to output token (ns)", label: "tpot-p99" },
] as const;

const UNIT: Record<string, string> = { "Samples/s": "samples/s", "Queries/s": "queries/s", "Tokens/s": "tokens/s" };

// ------------------------------------------------------------------ build

export function build(): { cells: CellIn[]; rows: GtIn[]; skipped: Map<string, number> } {
  const cells: CellIn[] = [];
  const rows: GtIn[] = [];
  const skipped = new Map<string, number>();
  const skip = (reason: string) => skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  const summary = readCsv(data("summary-excerpt.csv"));
  /** (platform, family, scenario) -> first imported accuracy target, to fold the -99/-99.9 twins. */
  const seen = new Map<string, { model: string; value: string; precision: string; tp: number; pp: number; cellId: string }>();
  const ordered = [...summary].sort((a, b) => (a.Location! < b.Location! ? -1 : a.Location! > b.Location! ? 1 : 0));
  for (const r of ordered) {
    if (r.Submitter !== "NVIDIA" || r.Category !== "closed") {
      skip(
        r.Category !== "closed"
          ? "open division (modified models)"
          : "submitter other than NVIDIA: precision and parallelism would have to be resolved from that submitter's own configs; not done",
      );
      continue;
    }
    const plat = PLATFORMS[r.Platform!];
    if (!plat) throw new Error(`unknown NVIDIA platform ${r.Platform}; add it to PLATFORMS`);
    if ("skip" in plat) {
      skip(plat.skip);
      continue;
    }
    const bench = benchmarkOf(r.Model!);
    const scenario = r.Scenario!;
    const n = Number(r["a#"]);
    if (Number(r.Nodes) !== 1) throw new Error(`${r.Location}: multi-node`);
    const cfg = resolveConfig(bench.folder, scenario, plat.system, plat.harness, bench.accuracy, plat.power);
    if (n % (cfg.tp * cfg.pp) !== 0) throw new Error(`${r.Location}: ${n} devices not divisible by tp*pp=${cfg.tp * cfg.pp}`);
    const unit = UNIT[r.Performance_Units!];
    if (!unit) throw new Error(`${r.Location}: unit ${r.Performance_Units}`);
    const logRel = `${r.Location}/performance/run_1/mlperf_log_summary.txt`;
    const log = parseLogSummary(fs.readFileSync(data(logRel), "utf8"));
    if (!log.valid) throw new Error(`${logRel}: run is not VALID`);
    // cross-check the official value against the run's own log
    const perf = Number(r.Performance_Result);
    const logValues = [...log.lines.entries()].filter(([k]) => /per second/i.test(k)).map(([k, v]) => [k, Number(v)] as const);
    const match = logValues.find(([, v]) => Math.abs(v - perf) <= 0.01 * Math.max(1, Math.abs(perf)) * 1e-3 + 0.01);
    if (!match) throw new Error(`${logRel}: summary value ${perf} not found among ${JSON.stringify(logValues)}`);

    const twinKey = `${r.Platform}|${bench.family}|${scenario}`;
    const twin = seen.get(twinKey);
    if (twin && twin.value === r.Performance_Result && twin.precision === cfg.precision && twin.tp === cfg.tp && twin.pp === cfg.pp) {
      skip("same run also submitted under the other accuracy target (-99 / -99.9) with identical configuration and result: imported once");
      const c = cells.find((x) => x.id === twin.cellId)!;
      c.notes += ` Also submitted as ${r.Model} with the same result.`;
      continue;
    }
    const variant = plat.harness === "Triton" ? ".triton" : "";
    const accTag = bench.family === "bert-large" ? `.${r.Model!.replace(/^bert-/, "acc")}` : "";
    const base = `mlperf-inf41.${bench.family}${accTag}.${scenario.toLowerCase()}.${plat.hardware}.x${n}${variant}`;
    if (twin && bench.family !== "bert-large") throw new Error(`${twinKey}: -99 and -99.9 differ; give them distinct ids`);
    seen.set(twinKey, { model: r.Model!, value: r.Performance_Result!, precision: cfg.precision, tp: cfg.tp, pp: cfg.pp, cellId: base });
    const llm = bench.family === "gpt-j-6b" || bench.family === "llama-2-70b";
    const engine = llm ? (plat.harness === "Triton" ? "tensorrt-llm+triton" : "tensorrt-llm") : "tensorrt";
    const common = {
      level: "serving" as const,
      workload: { kind: "serving", model: bench.model, scenario: scenario.toLowerCase() },
      hardware: plat.hardware,
      n_devices: n,
      parallelism: { tp: cfg.tp, pp: cfg.pp, dp: n / (cfg.tp * cfg.pp) },
      precision: cfg.precision,
      engine,
    };
    const sysNote = `MLPerf Inference v4.1 closed, NVIDIA, ${r.System} (${r.Platform}), ${r.Model} ${scenario}; ${r.Software}; whole-system result over ${n} GPU(s). Config class ${cfg.className} (${cfg.where}): ${cfg.evidence}.`;
    cells.push({ id: base, ...common, metric: "throughput", unit, notes: sysNote });
    rows.push({
      gt_id: `${base}.result`,
      cell_id: base,
      value: r.Performance_Result!,
      unit,
      bib: BIB,
      place: `mlcommons/inference_results_v4.1@${COMMIT.slice(0, 12)}:summary_results.json (${r.Location}); run log ${logRel} '${match[0]}'`,
      notes: `official result (ID ${r.ID}); the run log's '${match[0]}' is ${match[1]}`,
    });
    if (llm && scenario === "Server") {
      for (const k of LATENCY_KEYS) {
        const ns = log.lines.get(k.key);
        if (ns === undefined) continue;
        const id = `${base}.${k.label}`;
        cells.push({ id, ...common, metric: k.metric, unit: "ms", notes: `${sysNote} Latency statistic of the same performance run.` });
        rows.push({
          gt_id: `${id}.run1`,
          cell_id: id,
          value: String(Number((Number(ns) / 1e6).toPrecision(9))),
          unit: "ms",
          bib: BIB,
          place: `mlcommons/inference_results_v4.1@${COMMIT.slice(0, 12)}:${logRel} '${k.key}'`,
          notes: `${ns} ns in the log, converted to ms`,
        });
      }
    }
  }
  return { cells, rows, skipped };
}

export function run(): Record<string, number> {
  const { cells, rows, skipped } = build();
  for (const [reason, count] of [...skipped.entries()].sort()) console.log(`${SOURCE}: skipped ${count} row(s): ${reason}`);
  return writeSource(SOURCE, cells, rows);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) console.log(SOURCE, run());
