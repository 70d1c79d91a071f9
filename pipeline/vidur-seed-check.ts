#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * Does fixing the seeds Vidur exposes make it reproducible? (issue 17 item 5)
 *
 *   VIDUR_DIR=... PYTHONPATH=... tsx pipeline/vidur-seed-check.ts --label a [--cell <id>] [--threads 1]
 *
 * Runs one cell from an empty predictor cache (so Vidur trains its random forests afresh, as a first
 * run does) with `--seed 42` (Vidur's SimulationConfig seed: vidur/main.py calls set_seeds, which
 * seeds Python's random and NumPy's global generator) and
 * `--random_forrest_execution_time_predictor_config_num_training_job_threads <threads>` (the
 * GridSearchCV n_jobs of its predictor training; Vidur's default -1 trains in joblib worker
 * processes, whose global NumPy generator that seed does not reach). Two labels run with the same
 * settings give two raw outputs of the same cell under results/raw/vidur-seed-check/<label>/; equal
 * predictions mean these settings fix Vidur's run-to-run spread. Needs a Vidur install; never run by
 * make evaluate.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadSuite } from "./lib/suite.ts";
import { prepareCell, runVidur, parseRaw } from "../tools-under-test/vidur/adapter.ts";

const argv = process.argv.slice(2);
const opt = (name: string, dflt?: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const label = opt("--label");
if (!label || !/^[a-z0-9-]+$/.test(label)) {
  console.error("vidur-seed-check: --label <name> ([a-z0-9-]+) is required");
  process.exit(1);
}
const cellId = opt("--cell", "llama-2-7b-2layer.decode.c512.b1.cpu-2core-amd-epyc-fam25-model17.fp32")!;
const threads = opt("--threads", "1")!;
const root = resolve(".");
const suite = loadSuite(root);
const cell = suite.cells.get(cellId);
if (!cell) {
  console.error(`vidur-seed-check: no suite cell ${cellId}`);
  process.exit(1);
}
const workDir = resolve(root, ".work/vidur-seed-check", label);
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
const prepared = prepareCell(cell, workDir, root);
const extra = ["--seed", "42", "--random_forrest_execution_time_predictor_config_num_training_job_threads", threads];
prepared.args.push(...extra);
prepared.header.push(`# seed check: extra args ${extra.join(" ")}; empty predictor cache (trained afresh)`);
const t0 = performance.now();
const raw = await runVidur(prepared, cell.id, process.env, 7200);
const wall = (performance.now() - t0) / 1000;
const outDir = join(root, "results/raw/vidur-seed-check", label);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${cell.id}.txt`), raw);
writeFileSync(join(outDir, "wall_s.csv"), `cell_id,wall_s,input_lines\n${cell.id},${wall.toFixed(3)},\n`);
console.error(`vidur-seed-check ${label}: ${cell.id} = ${parseRaw(raw, cell).value} s (${wall.toFixed(1)} s wall)`);
