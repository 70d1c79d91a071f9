/**
 * Re-create step-time/data/ from mlcommons/training_results_v4.0 at the pinned commit (see README.md in
 * this directory):
 *  - for every result_<i>.txt of the systems in STEP_SYSTEMS, the MLLOG lines that time the training
 *    blocks and epochs, verbatim and in file order (every occurrence of BLOCK_KEYS, the first of
 *    FIRST_KEYS): data/NVIDIA/results/<system>/<bench>/result_<i>.step-excerpt.txt;
 *  - source-lines.csv: the lines of NVIDIA's implementation files that the derivation and the ASTRA-sim
 *    plans rely on (file, commit, 1-based line, the line verbatim), found by SOURCE_LINES.
 *   MLPERF_TR40_GIT=/path/to/training_results_v4.0.git node_modules/.bin/tsx suite/ground-truth/published/mlperf-tr40/step-time/extract.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gitLsTree, gitShow, requireGitDir, writeCsvExcerpt } from "../../git-source.ts";

export const COMMIT = "6fe954378efe4a1a1bd665550b18ff8f26018def";
export const STEP_SYSTEMS: Record<string, string> = {
  "eos_n64_ngc24.04_nemo": "gpt3",
  "eos_ngc24.04_mxnet": "resnet",
  "eos_n8_ngc24.04_mxnet": "resnet",
};
/** Every occurrence is kept. */
export const BLOCK_KEYS = ["block_start", "block_stop", "epoch_start", "epoch_stop", "eval_start", "eval_stop"];
/** The first occurrence is kept. */
export const FIRST_KEYS = ["global_batch_size", "max_sequence_length", "gradient_accumulation_steps", "train_samples", "run_start", "run_stop"];

/** Implementation lines quoted by the derivation (README) and by tools-under-test/astra-sim/training-plan.ts. */
export const SOURCE_LINES: { file: string; pattern: RegExp }[] = [
  { file: "NVIDIA/benchmarks/gpt3/implementations/nemo/custom_callbacks.py", pattern: /self\.tokens_per_block = / },
  { file: "NVIDIA/benchmarks/gpt3/implementations/nemo/custom_callbacks.py", pattern: /return int\(consumed_samples\) \* model\.cfg\.data\.seq_length/ },
  { file: "NVIDIA/benchmarks/gpt3/implementations/nemo/config_DGXH100_64x8x128x4x8_mbs2.sh", pattern: /^export MICRO_BATCH_SIZE=/ },
  { file: "NVIDIA/benchmarks/gpt3/implementations/nemo/config_DGXH100_64x8x128x4x8_mbs2.sh", pattern: /^export TP_COMM_OVERLAP=/ },
  { file: "NVIDIA/benchmarks/gpt3/implementations/nemo/config_DGXH100_64x8x128x4x8_mbs2.sh", pattern: /^export INTERLEAVED_PIPELINE=/ },
  { file: "NVIDIA/benchmarks/resnet/implementations/eos_ngc24.04_mxnet/config_DGXH100.sh", pattern: /^export BATCHSIZE=/ },
  { file: "NVIDIA/benchmarks/resnet/implementations/eos_n8_ngc24.04_mxnet/config_DGXH100_multi_8x8x50.sh", pattern: /^export BATCHSIZE=/ },
  { file: "NVIDIA/benchmarks/resnet/implementations/eos_ngc24.04_mxnet/common/dali.py", pattern: /last_batch_policy=LastBatchPolicy\.FILL,/ },
  { file: "NVIDIA/benchmarks/resnet/implementations/eos_ngc24.04_mxnet/common/dali.py", pattern: /size=args\.num_examples \/\/ num_workers,/ },
  { file: "NVIDIA/benchmarks/resnet/implementations/eos_n8_ngc24.04_mxnet/common/dali.py", pattern: /last_batch_policy=LastBatchPolicy\.FILL,/ },
  { file: "NVIDIA/benchmarks/resnet/implementations/eos_n8_ngc24.04_mxnet/common/dali.py", pattern: /size=args\.num_examples \/\/ num_workers,/ },
];
export const SOURCE_LINE_COLUMNS = ["file", "commit", "line", "text"] as const;

/** The step-timing MLLOG lines of one result file, verbatim, in file order. */
export function stepExcerpt(log: string): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of log.split("\n")) {
    const m = /^:::MLLOG (\{.*\})\s*$/.exec(line);
    if (!m) continue;
    const key = (JSON.parse(m[1]!) as { key: string }).key;
    if (BLOCK_KEYS.includes(key)) out.push(line);
    else if (FIRST_KEYS.includes(key) && !seen.has(key)) {
      seen.add(key);
      out.push(line);
    }
  }
  return out.join("\n") + "\n";
}

export function sourceLineRows(git: string): Record<(typeof SOURCE_LINE_COLUMNS)[number], string>[] {
  return SOURCE_LINES.map(({ file, pattern }) => {
    const lines = gitShow(git, COMMIT, file).split("\n");
    const i = lines.findIndex((l) => pattern.test(l));
    if (i < 0) throw new Error(`${file}: no line matches ${pattern}`);
    return { file, commit: COMMIT, line: String(i + 1), text: lines[i]! };
  });
}

function main(): void {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const git = requireGitDir("MLPERF_TR40_GIT", "/work/.mirror/mlcommons+training_results_v4.0/repo");
  for (const [sys, bench] of Object.entries(STEP_SYSTEMS)) {
    const results = gitLsTree(git, COMMIT, `NVIDIA/results/${sys}/${bench}`).filter((f) => /result_\d+\.txt$/.test(f));
    for (const f of results) {
      const out = path.join(here, "data", f.replace(/\.txt$/, ".step-excerpt.txt"));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const tmp = `${out}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, stepExcerpt(gitShow(git, COMMIT, f)));
      fs.renameSync(tmp, out);
    }
    console.log(`${sys}/${bench}: ${results.length} runs`);
  }
  const rows = sourceLineRows(git);
  writeCsvExcerpt(path.join(here, "data", "source-lines.csv"), [...SOURCE_LINE_COLUMNS], rows);
  console.log(`source-lines.csv: ${rows.length} rows`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
