#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * Extra live runs of a tool for the run-to-run spread (issue 17 item 5; results/rerun-spread.csv).
 *
 *   <tool's variables> tsx pipeline/reruns.ts --tool vidur --run 2 [--hardware <id>] [--cells <regexp>]
 *
 * Each run gets its own, empty scratch directory (.work/reruns/<tool>/run<N>): nothing of an earlier
 * run is reused (for Vidur this is its predictor cache, so it retrains its random-forest
 * execution-time predictors from the same profiles before it simulates, as a first run does). Then
 * every cell the tool supports (optionally only those on one hardware or matching a pattern) runs once
 * through the adapter's own prepare / invoke / parse. Raw outputs go to
 * results/raw/<tool>-reruns/run<N>/<cell_id>.txt with wall_s.csv beside them; `make evaluate`
 * re-parses them with the tool's own parser and compares them with run 1, the recorded
 * results/raw/<tool>/ (pipeline/lib/rerun-spread.ts). Needs the tool installed; never run by make
 * evaluate. Cells that fail are reported and left without a file.
 * (Vidur's run2 and run3 were written by this script's first version, pipeline/vidur-reruns.ts on
 * h/h2h, which took the same steps for Vidur alone.)
 */
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadSuite } from "./lib/suite.ts";
import { compareStrings } from "./lib/io.ts";
import { TOOLS } from "../tools-under-test/registry.ts";

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const name = opt("--tool");
const tool = TOOLS.find((t) => t.metadata.name === name);
if (!tool) {
  console.error(`reruns: --tool must name a tool of tools-under-test/registry.ts (${TOOLS.map((t) => t.metadata.name).join(", ")})`);
  process.exit(1);
}
const run = Number(opt("--run"));
if (!Number.isInteger(run) || run < 2) {
  console.error("reruns: --run N (N >= 2; run 1 is the recorded results/raw/<tool>/) is required");
  process.exit(1);
}
const hardware = opt("--hardware");
const pattern = opt("--cells") ? new RegExp(opt("--cells")!) : undefined;
const root = resolve(".");
const suite = loadSuite(root);
const workDir = resolve(root, ".work/reruns", tool.metadata.name, `run${run}`);
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
const ctx = { suite, workDir };
const av = await tool.availability(ctx);
if (!av.available) {
  console.error(`reruns: ${tool.metadata.name} is not available here: ${av.reason}`);
  process.exit(1);
}
const outDir = join(root, "results/raw", `${tool.metadata.name}-reruns`, `run${run}`);
mkdirSync(outDir, { recursive: true });
const walls = join(outDir, "wall_s.csv");
if (!existsSync(walls)) writeFileSync(walls, "cell_id,wall_s,input_lines\n");
const cells = [...suite.cells.values()]
  .filter((c) => tool.supports(c, ctx).ok && (!hardware || c.hardware === hardware) && (!pattern || pattern.test(c.id)))
  .filter((c) => existsSync(join(root, "results/raw", tool.metadata.name, `${c.id}.txt`))) // only cells with a recorded run 1
  .sort((a, b) => compareStrings(a.id, b.id));
console.error(`reruns: ${tool.metadata.name} run ${run}, ${cells.length} cells, fresh scratch directory ${workDir}`);
for (const cell of cells) {
  if (existsSync(join(outDir, `${cell.id}.txt`))) continue;
  const t0 = performance.now();
  try {
    const prepared = await tool.prepare(cell, ctx);
    const raw = await tool.invoke(prepared, cell, { ...ctx, timeout_s: 3600 });
    if (typeof raw !== "string") throw new Error("the adapter's invoke returned no raw text to record");
    tool.parse(raw, cell, ctx);
    const wall = (performance.now() - t0) / 1000;
    writeFileSync(join(outDir, `${cell.id}.txt`), raw);
    appendFileSync(walls, `${cell.id},${wall.toFixed(3)},\n`);
    console.error(`  ${cell.id}: ${wall.toFixed(1)} s`);
  } catch (e) {
    console.error(`  ${cell.id}: failed: ${(e as Error).message.split("\n")[0]}`);
  }
}
