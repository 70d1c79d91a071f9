/**
 * Re-create data/ from mlcommons/inference_results_v4.1 at the pinned commit:
 *   - summary-excerpt.csv: every closed/open datacenter row of summary_results.json whose accelerator is
 *     an A100, H100, H200 or GH200 and whose benchmark is ResNet-50, BERT, GPT-J or Llama-2-70B
 *     (selected fields; import.ts decides what becomes a cell and says why the rest does not);
 *   - for NVIDIA's own closed rows: the performance run's mlperf_log_summary.txt, the systems/*.json,
 *     and the configs/<benchmark>/ Python files that set precision and parallelism.
 *   MLPERF_INF41_GIT=/path/to/inference_results_v4.1.git node_modules/.bin/tsx suite/ground-truth/published/mlperf-inf41/extract.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gitShow, requireGitDir, writeCsvExcerpt } from "../git-source.ts";

export const COMMIT = "4a0c87411066bd697db46fa44cf6f04fd458f627";
const here = path.dirname(fileURLToPath(import.meta.url));
const git = requireGitDir("MLPERF_INF41_GIT", "/work/.mirror/mlcommons+inference_results_v4.1/repo");

const FIELDS = ["ID", "Submitter", "Category", "Suite", "System", "Platform", "Model", "Scenario", "Nodes", "Accelerator", "a#", "Software", "weight_data_types", "Location", "Performance_Result", "Performance_Units"];
const summary = JSON.parse(gitShow(git, COMMIT, "summary_results.json")) as Record<string, unknown>[];
const keep = summary.filter(
  (r) => /A100|H100|H200|GH200/.test(String(r.Accelerator)) && /^(resnet|bert-|gptj-|llama2-70b-)/.test(String(r.Model)) && ["Offline", "Server"].includes(String(r.Scenario)),
);
const rows = keep
  .map((r) => Object.fromEntries(FIELDS.map((f) => [f, String(r[f] ?? "")])))
  .sort((a, b) => (a.Location! < b.Location! ? -1 : a.Location! > b.Location! ? 1 : 0));
writeCsvExcerpt(path.join(here, "data", "summary-excerpt.csv"), FIELDS, rows);
console.log(`summary_results.json: ${rows.length} of ${summary.length} rows`);

const write = (rel: string, text: string) => {
  const out = path.join(here, "data", rel);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
};
const nvidia = rows.filter((r) => r.Submitter === "NVIDIA" && r.Category === "closed");
const platforms = new Set<string>();
for (const r of nvidia) {
  const log = `${r.Location}/performance/run_1/mlperf_log_summary.txt`;
  write(log, gitShow(git, COMMIT, log));
  platforms.add(r.Platform!);
}
for (const p of platforms) write(`closed/NVIDIA/systems/${p}.json`, gitShow(git, COMMIT, `closed/NVIDIA/systems/${p}.json`));
for (const b of ["resnet50", "bert", "gptj", "llama2-70b"])
  for (const f of ["__init__.py", "Offline/__init__.py", "Server/__init__.py"]) {
    const rel = `closed/NVIDIA/configs/${b}/${f}`;
    write(rel, gitShow(git, COMMIT, rel));
  }
console.log(`NVIDIA closed rows: ${nvidia.length}; platforms: ${[...platforms].sort().join(", ")}`);
