/**
 * Re-create data/ from mlcommons/training_results_v4.0 at the pinned commit: for each NVIDIA system and
 * benchmark in SYSTEMS, the MLLOG lines that carry the run's identity, batch and timing (copied verbatim,
 * first occurrence of each key) from every result_<i>.txt, plus the systems JSON and the config/launch
 * scripts that state precision and parallelism.
 *   MLPERF_TR40_GIT=/path/to/training_results_v4.0.git node_modules/.bin/tsx suite/ground-truth/published/mlperf-tr40/extract.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gitLsTree, gitShow, requireGitDir } from "../git-source.ts";

export const COMMIT = "6fe954378efe4a1a1bd665550b18ff8f26018def";
/** results dir -> benchmarks, and the implementation files that hold precision / parallelism. */
export const SYSTEMS: Record<string, { bench: string; files: string[] }> = {
  "eos_ngc24.04_mxnet": { bench: "resnet", files: ["resnet/implementations/eos_ngc24.04_mxnet/config_DGXH100.sh", "resnet/implementations/eos_ngc24.04_mxnet/run_and_time.sh"] },
  "h200_ngc24.04_mxnet": { bench: "resnet", files: ["resnet/implementations/h200_ngc24.04_mxnet/config_DGXH100.sh", "resnet/implementations/h200_ngc24.04_mxnet/run_and_time.sh"] },
  "eos_n8_ngc24.04_mxnet": { bench: "resnet", files: ["resnet/implementations/eos_n8_ngc24.04_mxnet/config_DGXH100_multi_8x8x50.sh", "resnet/implementations/eos_n8_ngc24.04_mxnet/run_and_time.sh"] },
  "eos_n316_ngc24.04_mxnet": { bench: "resnet", files: ["resnet/implementations/eos_n316_ngc24.04_mxnet/config_DGXH100_multi_316x8x16.sh", "resnet/implementations/eos_n316_ngc24.04_mxnet/run_and_time.sh"] },
  "coreweave_hgxh100_n448_ngc23.04_mxnet": { bench: "resnet", files: ["resnet/implementations/coreweave_hgxh100_n448_ngc23.04_mxnet/config_DGXH100_multi_448x8x16.sh", "resnet/implementations/coreweave_hgxh100_n448_ngc23.04_mxnet/run_and_time.sh"] },
  "eos_n64_ngc24.04_nemo": { bench: "gpt3", files: ["gpt3/implementations/nemo/config_DGXH100_64x8x128x4x8_mbs2.sh", "gpt3/implementations/nemo/config_fp8.sh"] },
  "eos-dfw_n1344_ngc24.04_nemo": { bench: "gpt3", files: ["gpt3/implementations/nemo/config_DGXH100_1344x8x6x4x6_mbs1_cg.sh", "gpt3/implementations/nemo/config_fp8.sh"] },
  "eos-dfw_n1452_ngc24.04_nemo": { bench: "gpt3", files: ["gpt3/implementations/nemo/config_DGXH100_1452x8x6x4x6_mbs1_cg.sh", "gpt3/implementations/nemo/config_fp8.sh"] },
};
const KEYS = ["submission_benchmark", "submission_org", "submission_division", "submission_platform", "global_batch_size", "max_sequence_length", "run_start", "run_stop"];

const here = path.dirname(fileURLToPath(import.meta.url));
const write = (rel: string, text: string) => {
  const out = path.join(here, "data", rel);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
};

const git = requireGitDir("MLPERF_TR40_GIT", "/work/.mirror/mlcommons+training_results_v4.0/repo");
for (const [sys, { bench, files }] of Object.entries(SYSTEMS)) {
  const results = gitLsTree(git, COMMIT, `NVIDIA/results/${sys}/${bench}`).filter((f) => /result_\d+\.txt$/.test(f));
  for (const f of results) {
    const seen = new Set<string>();
    const lines: string[] = [];
    for (const line of gitShow(git, COMMIT, f).split("\n")) {
      const m = /^:::MLLOG (\{.*\})\s*$/.exec(line);
      if (!m) continue;
      const key = (JSON.parse(m[1]!) as { key: string }).key;
      if (KEYS.includes(key) && !seen.has(key)) {
        seen.add(key);
        lines.push(line);
      }
    }
    write(f.replace(/\.txt$/, ".mllog-excerpt.txt"), lines.join("\n") + "\n");
  }
  write(`NVIDIA/systems/${sys}.json`, gitShow(git, COMMIT, `NVIDIA/systems/${sys}.json`));
  for (const rel of files) write(`NVIDIA/benchmarks/${rel}`, gitShow(git, COMMIT, `NVIDIA/benchmarks/${rel}`));
  console.log(`${sys}/${bench}: ${results.length} runs`);
}
