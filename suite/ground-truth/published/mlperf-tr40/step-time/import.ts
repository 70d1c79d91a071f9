/**
 * MLPerf Training v4.0 step-timing excerpts (data/, written by extract.ts) -> DERIVED per-step times, one
 * ground-truth row per successful run, for the training-step cells of suite/cells/published-mlperf-tr40-step.yaml.
 * Reads only the committed excerpts. See README.md in this directory for the derivation.
 *   node_modules/.bin/tsx suite/ground-truth/published/mlperf-tr40/step-time/import.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "csv-stringify/sync";
import { GROUND_TRUTH_COLUMNS } from "../../../../../pipeline/lib/schema.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const COMMIT_SHORT = "6fe954378efe";
const BIB = "mlcommons2024trainingv40results";
export const GT_FILE = path.join(here, "ground-truth.csv");

export interface MllogEvent {
  key: string;
  time_ms: number;
  value: unknown;
  metadata: Record<string, unknown>;
}

export function parseExcerpt(text: string): MllogEvent[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith(":::MLLOG "))
    .map((l) => {
      const j = JSON.parse(l.slice(":::MLLOG ".length)) as MllogEvent;
      return { key: j.key, time_ms: j.time_ms, value: j.value, metadata: j.metadata ?? {} };
    });
}

const first = (ev: MllogEvent[], key: string): MllogEvent => {
  const e = ev.find((x) => x.key === key);
  if (!e) throw new Error(`no '${key}' line in the excerpt`);
  return e;
};
const num = (e: MllogEvent): number => {
  if (typeof e.value !== "number") throw new Error(`'${e.key}': expected a number, got ${JSON.stringify(e.value)}`);
  return e.value;
};

function median(xs: number[]): number {
  if (xs.length === 0) throw new Error("median of nothing");
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface StepTime {
  step_s: number;
  /** How it was obtained, for the place/notes columns. */
  formula: string;
  intervals: number;
  steps_per_interval: number;
  status: string;
}

/**
 * GPT-3 (NeMo): block_start/block_stop pairs enclose training only (block_stop is logged at
 * on_validation_start, the next block_start at the first training batch after validation:
 * custom_callbacks.py). A block's epoch_count is tokens_per_block = val_check_interval x
 * global_batch_size x encoder_seq_length (custom_callbacks.py:329), so it holds epoch_count /
 * (global_batch_size x max_sequence_length) steps. Step time = median over the run's blocks of
 * (block_stop.time_ms - block_start.time_ms) / steps.
 */
export function gpt3StepTime(ev: MllogEvent[]): StepTime {
  const gbs = num(first(ev, "global_batch_size"));
  const seq = num(first(ev, "max_sequence_length"));
  const per: number[] = [];
  let steps = 0;
  let open: MllogEvent | undefined;
  for (const e of ev) {
    if (e.key === "block_start") open = e;
    else if (e.key === "block_stop" && open) {
      const count = Number(open.metadata.epoch_count);
      if (Number(e.metadata.epoch_count) !== count) throw new Error(`block at ${open.time_ms}: epoch_count differs between start and stop`);
      const s = count / (gbs * seq);
      if (!Number.isInteger(s)) throw new Error(`block at ${open.time_ms}: epoch_count ${count} is not a whole number of steps of ${gbs} x ${seq} tokens`);
      if (steps && s !== steps) throw new Error("blocks of different lengths");
      steps = s;
      per.push((e.time_ms - open.time_ms) / 1000 / s);
      open = undefined;
    }
  }
  return {
    step_s: median(per),
    formula: `median over ${per.length} blocks of (block_stop.time_ms - block_start.time_ms) / ${steps} steps; steps per block = epoch_count ${steps * gbs * seq} tokens / (global_batch_size ${gbs} x max_sequence_length ${seq})`,
    intervals: per.length,
    steps_per_interval: steps,
    status: String(first(ev, "run_stop").metadata.status),
  };
}

/**
 * ResNet-50 (MXNet + DALI): epoch_start/epoch_stop pairs enclose one training epoch (evaluation is
 * logged after epoch_stop). Each of the n GPUs (workers) reads train_samples // n images per epoch
 * (dali.py:574) in batches of global_batch_size / n, the last one filled (LastBatchPolicy.FILL,
 * dali.py:572): ceil((train_samples // n) / (global_batch_size / n)) steps per epoch. Step time = median
 * over the run's epochs of (epoch_stop.time_ms - epoch_start.time_ms) / steps.
 */
export function resnetStepTime(ev: MllogEvent[], nGpus: number): StepTime {
  const gbs = num(first(ev, "global_batch_size"));
  const samples = num(first(ev, "train_samples"));
  if (gbs % nGpus !== 0) throw new Error(`global batch ${gbs} does not split over ${nGpus} GPUs`);
  const perGpu = gbs / nGpus;
  const steps = Math.ceil(Math.floor(samples / nGpus) / perGpu);
  const per: number[] = [];
  let open: MllogEvent | undefined;
  for (const e of ev) {
    if (e.key === "epoch_start") open = e;
    else if (e.key === "epoch_stop" && open) {
      if (e.metadata.epoch_num !== open.metadata.epoch_num) throw new Error(`epoch_stop ${String(e.metadata.epoch_num)} does not close epoch_start ${String(open.metadata.epoch_num)}`);
      per.push((e.time_ms - open.time_ms) / 1000 / steps);
      open = undefined;
    }
  }
  return {
    step_s: median(per),
    formula: `median over ${per.length} epochs of (epoch_stop.time_ms - epoch_start.time_ms) / ${steps} steps; steps per epoch = ceil((train_samples ${samples} // ${nGpus} GPUs) / (global_batch_size ${gbs} / ${nGpus}))`,
    intervals: per.length,
    steps_per_interval: steps,
    status: String(first(ev, "run_stop").metadata.status),
  };
}

/** Step-time sources: results dir -> the cell its runs give ground truth for. */
export const STEP_SOURCES: { system: string; bench: "gpt3" | "resnet"; n_gpus: number; cell_id: string }[] = [
  { system: "eos_n64_ngc24.04_nemo", bench: "gpt3", n_gpus: 512, cell_id: "mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512" },
  { system: "eos_ngc24.04_mxnet", bench: "resnet", n_gpus: 8, cell_id: "mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x8" },
  { system: "eos_n8_ngc24.04_mxnet", bench: "resnet", n_gpus: 64, cell_id: "mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x64" },
];

export type GtRecord = Record<(typeof GROUND_TRUTH_COLUMNS)[number], string>;

export function stepTimeRows(dataDir = path.join(here, "data")): GtRecord[] {
  const rows: GtRecord[] = [];
  for (const src of STEP_SOURCES) {
    const dir = path.join(dataDir, "NVIDIA/results", src.system, src.bench);
    const files = fs
      .readdirSync(dir)
      .filter((f) => /^result_\d+\.step-excerpt\.txt$/.test(f))
      .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
    for (const f of files) {
      const ev = parseExcerpt(fs.readFileSync(path.join(dir, f), "utf8"));
      const st = src.bench === "gpt3" ? gpt3StepTime(ev) : resnetStepTime(ev, src.n_gpus);
      if (st.status !== "success") continue;
      const run = /\d+/.exec(f)![0];
      rows.push({
        gt_id: `${src.cell_id}.run${run}`,
        cell_id: src.cell_id,
        value: st.step_s.toFixed(6),
        unit: "s",
        source_kind: "published",
        bib: BIB,
        place: `mlcommons/training_results_v4.0@${COMMIT_SHORT}:NVIDIA/results/${src.system}/${src.bench}/result_${run}.txt (DERIVED: ${st.formula})`,
        script: "",
        device: "",
        versions: "",
        date: "",
        notes: `DERIVED from the run's MLLOG timestamps (suite/ground-truth/published/mlperf-tr40/step-time/README.md), not a step time stated by the submitter; one successful run of the submission; timestamps have 1 ms resolution and include whatever the framework does between steps (logging, data loading stalls)`,
      });
    }
  }
  return rows;
}

function main(): void {
  const rows = stepTimeRows();
  const tmp = `${GT_FILE}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, stringify(rows, { header: true, columns: [...GROUND_TRUTH_COLUMNS] }));
  fs.renameSync(tmp, GT_FILE);
  console.log(`${path.relative(process.cwd(), GT_FILE)}: ${rows.length} rows`);
  for (const r of rows) console.log(`  ${r.gt_id} ${r.value} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
