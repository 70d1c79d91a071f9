/**
 * MLPerf Training v4.0 (closed, NVIDIA) per-run logs -> multi-GPU time-to-train cells and published
 * ground truth, one row per run. Reads only the committed excerpts in data/ (see README.md, extract.ts):
 * the MLLOG excerpts, the systems JSON, and config-attributes.csv (the lines of NVIDIA's launch scripts
 * that set precision, parallelism and node count).
 *   node_modules/.bin/tsx suite/ground-truth/published/mlperf-tr40/import.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import { writeSource, type CellIn, type GtIn } from "../lib.ts";
import { CONFIG_VARIABLES } from "./extract.ts";
import type { Precision } from "../../../../pipeline/lib/schema.ts";

export const SOURCE = "mlperf-tr40";
const COMMIT = "6fe954378efe4a1a1bd665550b18ff8f26018def";
const BIB = "mlcommons2024trainingv40results";
const here = path.dirname(fileURLToPath(import.meta.url));
const data = (rel: string) => path.join(here, "data", rel);

const HARDWARE: Record<string, string> = { "NVIDIA H100-SXM5-80GB": "h100-sxm5-80gb", "NVIDIA H200-SXM5-141GB": "h200-sxm-141gb" };

/** Per benchmark: suite model, the script settings that state the precision, the engine. */
const BENCH: Record<string, { model: string; engine: string; precision: Precision; evidence: (cfg: ScriptSettings, files: string[]) => string; parallel?: boolean; scopeNote?: string }> = {
  resnet: {
    model: "resnet-50",
    engine: "mxnet",
    precision: "fp16",
    evidence: (cfg, files) => mustFind(cfg, files, /run_and_time\.sh$/, { "--dtype": "float16" }, "--dtype float16"),
  },
  gpt3: {
    model: "gpt-3-175b",
    engine: "nemo-megatron+transformer-engine",
    precision: "fp8",
    evidence: (cfg, files) => mustFind(cfg, files, /config_fp8\.sh$/, { FP8: "True", FP8_HYBRID: "True" }, "FP8=True (FP8_HYBRID=True)"),
    parallel: true,
    scopeNote:
      " The run resumes from a reference checkpoint (trained for 4000 iterations at global batch 1536; NVIDIA's gpt3 README, 'Model checkpoint') and stops at the quality target: it is not a full pre-training.",
  },
};

/** Script file (NVIDIA/benchmarks/...) -> variable or option -> value and line, from data/config-attributes.csv. */
type ScriptSettings = Map<string, Map<string, { value: string; line: number }>>;

const ConfigRowSchema = z.object({
  file: z.string().regex(/^NVIDIA\/benchmarks\/\w+\/implementations\/[\w.-]+\/[\w.-]+\.sh$/),
  commit: z.literal(COMMIT),
  line: z.string().regex(/^[1-9]\d*$/),
  variable: z.enum(CONFIG_VARIABLES),
  value: z.string().min(1),
  text: z.string().min(1),
});

/** Read config-attributes.csv (written by extract.ts with parseShellSettings). Throws with every problem listed. */
export function readScriptSettings(csvText: string, where = "data/config-attributes.csv"): ScriptSettings {
  const records = parse(csvText, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const problems: string[] = [];
  const out: ScriptSettings = new Map();
  records.forEach((rec, i) => {
    const v = ConfigRowSchema.safeParse(rec);
    if (!v.success) {
      for (const issue of v.error.issues) problems.push(`${where} row ${i + 2}: ${issue.path.join(".")}: ${issue.message} (re-run extract.ts)`);
      return;
    }
    const vars = out.get(v.data.file) ?? new Map<string, { value: string; line: number }>();
    out.set(v.data.file, vars);
    if (vars.has(v.data.variable)) problems.push(`${where} row ${i + 2}: ${v.data.variable} of ${v.data.file} given twice`);
    vars.set(v.data.variable, { value: v.data.value, line: Number(v.data.line) });
  });
  if (problems.length) throw new Error(`${problems.length} problem(s) in ${where}:\n  ${problems.join("\n  ")}`);
  return out;
}

function mustFind(cfg: ScriptSettings, files: string[], fileRe: RegExp, want: Record<string, string>, what: string): string {
  const f = files.find((x) => fileRe.test(x));
  if (!f) throw new Error(`no file matching ${fileRe} among ${files.join(", ")}`);
  for (const [k, v] of Object.entries(want)) if (cfg.get(f)?.get(k)?.value !== v) throw new Error(`${f}: expected ${k} ${v} (data/config-attributes.csv)`);
  return `${what} in ${f}`;
}

/** An integer setting of one script, from config-attributes.csv. */
function scriptInt(cfg: ScriptSettings, file: string, name: string): number {
  const v = cfg.get(file)?.get(name)?.value;
  if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${file}: no integer ${name} in data/config-attributes.csv`);
  return Number(v);
}

type Mllog = { key: string; value: unknown; time_ms: number; metadata?: { status?: string } };
function readExcerpt(rel: string): Map<string, Mllog> {
  const m = new Map<string, Mllog>();
  for (const line of fs.readFileSync(data(rel), "utf8").split("\n")) {
    const j = /^:::MLLOG (\{.*\})\s*$/.exec(line);
    if (j) {
      const e = JSON.parse(j[1]!) as Mllog;
      if (!m.has(e.key)) m.set(e.key, e);
    }
  }
  return m;
}

export function build(): { cells: CellIn[]; rows: GtIn[]; skipped: string[] } {
  const cells: CellIn[] = [];
  const rows: GtIn[] = [];
  const skipped: string[] = [];
  const resultsRoot = data("NVIDIA/results");
  const settings = readScriptSettings(fs.readFileSync(data("config-attributes.csv"), "utf8"));
  const scripts = [...settings.keys()].sort();
  for (const sys of fs.readdirSync(resultsRoot).sort())
    for (const bench of fs.readdirSync(path.join(resultsRoot, sys)).sort()) {
      const spec = BENCH[bench];
      if (!spec) throw new Error(`no mapping for benchmark ${bench}`);
      const sysJson = JSON.parse(fs.readFileSync(data(`NVIDIA/systems/${sys}.json`), "utf8")) as Record<string, string>;
      const nodes = Number(sysJson.number_of_nodes);
      const perNode = Number(sysJson.accelerators_per_node);
      const n = nodes * perNode;
      const hw = HARDWARE[sysJson.accelerator_model_name ?? ""];
      if (!hw || !Number.isInteger(n) || n <= 0) throw new Error(`${sys}: accelerator '${sysJson.accelerator_model_name}', ${nodes}x${perNode}`);
      const implFiles = scripts.filter((f) => f.startsWith(`NVIDIA/benchmarks/${bench}/implementations/`) && (f.includes(`/${sys}/`) || f.includes(`/nemo/`)));
      let tp = 1;
      let pp = 1;
      let parNote = "data parallel only (no model parallelism in the launch scripts)";
      if (spec.parallel) {
        const cfg = implFiles.find((f) => new RegExp(`config_DGXH100_${nodes}x${perNode}x`).test(path.basename(f)));
        if (!cfg) throw new Error(`${sys}: no config_DGXH100_${nodes}x${perNode}x*.sh`);
        tp = scriptInt(settings, cfg, "TENSOR_MODEL_PARALLEL");
        pp = scriptInt(settings, cfg, "PIPELINE_MODEL_PARALLEL");
        parNote = `TENSOR_MODEL_PARALLEL=${tp}, PIPELINE_MODEL_PARALLEL=${pp} in ${cfg}`;
      }
      if (n % (tp * pp) !== 0) throw new Error(`${sys}: ${n} GPUs not divisible by tp*pp`);
      // the launch configuration's node count must be the systems JSON's
      const nodeCfgs = implFiles.filter((f) => /\/config_DGXH100[^/]*\.sh$/.test(f) && (!spec.parallel || new RegExp(`config_DGXH100_${nodes}x${perNode}x`).test(path.basename(f))));
      if (nodeCfgs.length !== 1) throw new Error(`${sys}: expected one config_DGXH100*.sh, found ${nodeCfgs.join(", ") || "none"}`);
      const cfgNodes = scriptInt(settings, nodeCfgs[0]!, "DGXNNODES");
      if (cfgNodes !== nodes) throw new Error(`${sys}: DGXNNODES=${cfgNodes} in ${nodeCfgs[0]} but ${nodes} nodes in the systems JSON`);
      const precisionEvidence = spec.evidence(settings, implFiles);
      const runs = fs
        .readdirSync(path.join(resultsRoot, sys, bench))
        .filter((f) => /^result_\d+\.mllog-excerpt\.txt$/.test(f))
        .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
      let batch: number | undefined;
      let seq: number | undefined;
      const id = `mlperf-tr40.${spec.model}.${hw}.x${n}`;
      for (const f of runs) {
        const rel = `NVIDIA/results/${sys}/${bench}/${f}`;
        const log = readExcerpt(rel);
        const platform = String(log.get("submission_platform")?.value ?? "");
        if (!platform.startsWith(`${nodes}x`)) throw new Error(`${rel}: submission_platform '${platform}' does not match ${nodes} nodes`);
        const start = log.get("run_start");
        const stop = log.get("run_stop");
        if (!start || !stop) throw new Error(`${rel}: no run_start/run_stop`);
        if (stop.metadata?.status !== "success") {
          skipped.push(`${rel}: run_stop status '${stop.metadata?.status}' (run did not reach the quality target)`);
          continue;
        }
        const gbs = Number(log.get("global_batch_size")?.value);
        if (batch !== undefined && gbs !== batch) throw new Error(`${rel}: global batch ${gbs} differs from other runs (${batch})`);
        batch = gbs;
        const s = log.get("max_sequence_length")?.value;
        if (s !== undefined) seq = Number(s);
        const ms = stop.time_ms - start.time_ms;
        const run = /result_(\d+)/.exec(f)![1];
        rows.push({
          gt_id: `${id}.run${run}`,
          cell_id: id,
          value: String(ms / 1000),
          unit: "s",
          bib: BIB,
          place: `mlcommons/training_results_v4.0@${COMMIT.slice(0, 12)}:NVIDIA/results/${sys}/${bench}/result_${run}.txt (run_stop.time_ms - run_start.time_ms = ${stop.time_ms} - ${start.time_ms})`,
          notes: `one successful run of the ${runs.length} in the submission; the official MLPerf score is an average over runs with the fastest and slowest dropped, not this value`,
        });
      }
      if (batch === undefined || !Number.isInteger(batch)) throw new Error(`${sys}: no global_batch_size`);
      cells.push({
        id,
        level: "multi-gpu",
        workload: { kind: "training", model: spec.model, global_batch: batch, ...(seq ? { seq_len: seq } : {}), scope: "time-to-train" },
        hardware: hw,
        n_devices: n,
        parallelism: { tp, pp, dp: n / (tp * pp) },
        precision: spec.precision,
        engine: `${spec.engine} (${sys.replace(/^.*_(ngc[\d.]+)_.*$/, "$1")})`,
        metric: "time_to_train",
        unit: "s",
        notes: `MLPerf Training v4.0 closed, NVIDIA ${sysJson.system_name ?? sys} (${sys}), benchmark '${bench}' to its quality target; ${nodes} nodes x ${perNode} GPUs; ${sysJson.framework ?? ""}. Precision: ${precisionEvidence}. Parallelism: ${parNote}. Time to train = run_stop - run_start of each run.${spec.scopeNote ?? ""}`,
      });
    }
  return { cells, rows, skipped };
}

export function run(): Record<string, number> {
  const { cells, rows, skipped } = build();
  for (const s of skipped) console.log(`${SOURCE}: skipped ${s}`);
  return writeSource(SOURCE, cells, rows);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) console.log(SOURCE, run());
