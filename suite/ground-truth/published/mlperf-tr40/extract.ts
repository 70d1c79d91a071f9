/**
 * Re-create data/ from mlcommons/training_results_v4.0 at the pinned commit: for each NVIDIA system and
 * benchmark in SYSTEMS, the MLLOG lines that carry the run's identity, batch and timing (copied verbatim,
 * first occurrence of each key) from every result_<i>.txt, plus the systems JSON; and from the config and
 * launch scripts that state precision and parallelism (shell code, not copied), config-attributes.csv:
 * one row per upstream line that sets one of CONFIG_VARIABLES, with the line verbatim. See README.md.
 *   MLPERF_TR40_GIT=/path/to/training_results_v4.0.git node_modules/.bin/tsx suite/ground-truth/published/mlperf-tr40/extract.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gitLsTree, gitShow, requireGitDir, writeCsvExcerpt } from "../git-source.ts";

export const COMMIT = "6fe954378efe4a1a1bd665550b18ff8f26018def";
/** results dir -> benchmark, and the implementation scripts (under NVIDIA/benchmarks/) that state precision / parallelism / node count. */
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

/**
 * What import.ts reads from the scripts: `export NAME=...` assignments (config_*.sh) and `--option value`
 * arguments (run_and_time.sh's call of the training program).
 */
export const CONFIG_VARIABLES = ["TENSOR_MODEL_PARALLEL", "PIPELINE_MODEL_PARALLEL", "DGXNNODES", "FP8", "FP8_HYBRID", "--dtype"] as const;
export const CONFIG_COLUMNS = ["file", "commit", "line", "variable", "value", "text"] as const;
export type ConfigRow = Record<(typeof CONFIG_COLUMNS)[number], string>;

/**
 * The value a shell assignment's right-hand side gives when the variable is not set beforehand:
 * `4` -> 4, `"400"` -> 400, `"${TP:=4}"` -> 4, `${DGXNNODES:-"8"}` -> 8 (a trailing `# comment` is dropped).
 * Undefined for anything else (command substitutions, other expansions).
 */
export function shellValue(rhs: string): string | undefined {
  let v = rhs.replace(/\s+#.*$/, "").trim();
  const q = /^"([^"]*)"$/.exec(v) ?? /^'([^']*)'$/.exec(v);
  if (q) v = q[1]!;
  const d = /^\$\{\w+:[-=]("?)([^"$}]*)\1\}$/.exec(v);
  if (d) return d[2]!;
  return /^[\w.+-]+$/.test(v) ? v : undefined;
}

/**
 * Lines of a shell script that set one of `names`: `export NAME=...` (top level), or for a name starting
 * with `--`, a command-line argument `--name value` alone on its line (a trailing `\` is allowed). The
 * first such line of each name, with its 1-based line number and value.
 */
export function parseShellSettings(text: string, names: readonly string[]): { name: string; value: string; line: number; text: string }[] {
  const out: { name: string; value: string; line: number; text: string }[] = [];
  text.split("\n").forEach((line, i) => {
    const exp = /^export (\w+)=(.*)$/.exec(line);
    const opt = /^\s*(--[\w-]+)\s+(\S+)\s*\\?\s*$/.exec(line);
    const hit = exp ?? opt;
    if (!hit || !names.includes(hit[1]!) || out.some((o) => o.name === hit[1])) return;
    const value = shellValue(hit[2]!);
    if (value === undefined) throw new Error(`line ${i + 1}: cannot read the value of ${hit[1]} from '${line}'`);
    out.push({ name: hit[1]!, value, line: i + 1, text: line });
  });
  return out;
}

/** config-attributes.csv: the settings of CONFIG_VARIABLES in every script of SYSTEMS, by file then line. */
export function configAttributeRows(git: string): ConfigRow[] {
  const files = [...new Set(Object.values(SYSTEMS).flatMap((s) => s.files))].map((f) => `NVIDIA/benchmarks/${f}`).sort();
  return files.flatMap((file) =>
    parseShellSettings(gitShow(git, COMMIT, file), CONFIG_VARIABLES)
      .sort((a, b) => a.line - b.line)
      .map((s) => ({ file, commit: COMMIT, line: String(s.line), variable: s.name, value: s.value, text: s.text })),
  );
}

function main(): void {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const write = (rel: string, text: string) => {
    const out = path.join(here, "data", rel);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, text);
  };
  const git = requireGitDir("MLPERF_TR40_GIT", "/work/.mirror/mlcommons+training_results_v4.0/repo");
  for (const [sys, { bench }] of Object.entries(SYSTEMS)) {
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
    console.log(`${sys}/${bench}: ${results.length} runs`);
  }
  const cfg = configAttributeRows(git);
  writeCsvExcerpt(path.join(here, "data", "config-attributes.csv"), [...CONFIG_COLUMNS], cfg);
  console.log(`config-attributes.csv: ${cfg.length} rows`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
