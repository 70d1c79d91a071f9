#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * make evaluate: load and validate the suite, run every available tool over its cells, and write
 *   results/predictions.csv   one row per (tool, cell): predicted value or the reason it is missing
 *   results/accuracy.csv      one row per (tool, cell, ground-truth value)
 *   results/summary.csv       one row per (tool, category): n, MAPE, median/max APE, Spearman
 *   results/cell-intensity.csv  ZZZ's FLOPs, bytes and bound per cell (for the roofline figure)
 *   results/measured-vs-claimed.csv  per third-party tool and ground-truth tier: our measured error beside its claim
 *   results/vidur-serving-check.csv  Vidur's serving predictions beside values derived from measured steps, or "not comparable"
 *   results/tools.csv         one row per tool: setup steps and minutes, cells, wall s and input lines per cell
 *
 * Options: --tools zzz,vidur  (only these tools)   --fresh  (ignore the resume journal)
 *          --rerun astra-sim,vidur|all  (run these tools live on every supported cell, even cells
 *          with a recorded output; make evaluate RERUN=...)
 * Launchers: a tool listed in DOCKER_TOOLS runs in its Docker image (pipeline/lib/exec.ts).
 * Scale-out (README "Running at scale"): --jobs N (JOBS, default the number of cores) live cells at
 * once; --executor slurm (EXECUTOR) submits each tool's live cells as one Slurm job array;
 * --no-cache (NO_CACHE=1) bypasses the content-addressed cell cache (CELL_CACHE_DIR).
 * A suite with problems stops the run before anything is written.
 */
import { argv, chalk } from "zx";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadSuite, SuiteError } from "./lib/suite.ts";
import { runTool, clearJournal } from "./lib/runner.ts";
import { scaleOut, PreflightError, type ScaleOptions } from "./lib/scale.ts";
import { accuracyRows, summaryRows } from "./lib/metrics.ts";
import { writeCsvAtomic, fmt, compareStrings } from "./lib/io.ts";
import { PREDICTION_COLUMNS, ACCURACY_COLUMNS, SUMMARY_COLUMNS, type PredictionRow } from "./lib/schema.ts";
import { TOOLS_COLUMNS, toolsRows } from "./lib/tools-table.ts";
import { MVC_COLUMNS, measuredVsClaimedRows } from "./lib/measured-vs-claimed.ts";
import { loadTaxonomy } from "./lib/survey/taxonomy.ts";
import { claimedAccuracyRows } from "./lib/survey/outputs.ts";
import { CHECK_COLUMNS as SERVING_CHECK_COLUMNS, CHECK_FILE as SERVING_CHECK_FILE, checkRows as servingCheckRows } from "../tools-under-test/vidur/serving-cells.ts";
import { TOOLS } from "../tools-under-test/registry.ts";
import { estimate, supports } from "../tools-under-test/zzz/adapter.ts";

export const INTENSITY_COLUMNS = ["cell_id", "hardware", "level", "flops", "bytes", "intensity_flops_per_byte", "zzz_latency_s", "zzz_bound"] as const;

export interface EvaluateOptions {
  root: string;
  tools?: string[];
  fresh?: boolean;
  quiet?: boolean;
  /** Tools to run live on every supported cell ("all" for every tool). */
  rerun?: string[];
  /** Pool size, executor and cache (pipeline/lib/scale.ts). */
  scale?: ScaleOptions;
}

export async function evaluate(opts: EvaluateOptions): Promise<{ predictions: PredictionRow[]; summary: ReturnType<typeof summaryRows> }> {
  const t0 = performance.now();
  const log = (s: string) => {
    if (!opts.quiet) process.stderr.write(s);
  };
  const scale = await scaleOut(opts.root, opts.scale); // checks Docker/Slurm before any work
  const suite = loadSuite(opts.root);
  log(`suite: ${suite.models.size} models, ${suite.hardware.size} hardware, ${suite.cells.size} cells, ${suite.groundTruth.length} ground-truth values\n`);

  const results = join(opts.root, "results");
  const journalDir = join(opts.root, ".work/evaluate");
  if (opts.fresh) rmSync(journalDir, { recursive: true, force: true });
  const tools = TOOLS.filter((t) => !opts.tools || opts.tools.includes(t.metadata.name));
  const all: PredictionRow[] = [];
  const writePredictions = () =>
    writeCsvAtomic(
      join(results, "predictions.csv"),
      PREDICTION_COLUMNS,
      [...all]
        .sort((a, b) => compareStrings(a.tool, b.tool) || compareStrings(a.cell_id, b.cell_id))
        .map((r) => ({ ...r, predicted: fmt(r.predicted), wall_s: fmt(r.wall_s) })),
    );

  for (const tool of tools) {
    const name = tool.metadata.name;
    let last = 0;
    const rows = await runTool(tool, suite, {
      rawDir: join(results, "raw"),
      journalDir,
      workDir: join(opts.root, ".work/tools"),
      rerun: Boolean(opts.rerun?.includes(name) || opts.rerun?.includes("all")),
      ...scale.run,
      onRunning: (_t, running) => log(scale.runningLine(name, running)),
      onProgress: (_t, done, total, _row, running) => {
        const pct = Math.floor((done / total) * 10);
        if (pct !== last || done === total || running.length) {
          last = pct;
          log(`\r  ${name}: ${done}/${total} cells${scale.runningSuffix(running)}`);
        }
      },
    });
    log(`\r  ${name}: ${rows.length}/${rows.length} cells done\n`);
    all.push(...rows);
    writePredictions(); // rows land as each tool finishes
    clearJournal(journalDir, name);
  }

  // Vidur's serving predictions beside values derived from our measured prefill and decode steps.
  if (tools.some((t) => t.metadata.name === "vidur"))
    writeCsvAtomic(
      join(opts.root, SERVING_CHECK_FILE),
      SERVING_CHECK_COLUMNS,
      servingCheckRows(
        all.map((p) => ({ ...p, predicted: fmt(p.predicted) })),
        suite.groundTruth,
      ),
    );

  writeCsvAtomic(
    join(results, "tools.csv"),
    TOOLS_COLUMNS,
    toolsRows(
      opts.root,
      tools.map((t) => t.metadata),
      all,
    ),
  );

  const acc = accuracyRows(all, suite.groundTruth, suite.cells);
  writeCsvAtomic(
    join(results, "accuracy.csv"),
    ACCURACY_COLUMNS,
    acc.map((a) => ({ ...a, measured: fmt(a.measured), predicted: fmt(a.predicted), abs_pct_error: fmt(a.abs_pct_error) })),
  );
  const summary = summaryRows(acc);
  const taxonomy = loadTaxonomy(join(opts.root, "taxonomy"));
  writeCsvAtomic(
    join(results, "measured-vs-claimed.csv"),
    MVC_COLUMNS,
    measuredVsClaimedRows(
      tools.map((t) => t.metadata),
      claimedAccuracyRows(taxonomy.works.map((w) => w.value)),
      acc,
      suite.hardware,
      suite.cells,
    ),
  );
  writeCsvAtomic(
    join(results, "summary.csv"),
    SUMMARY_COLUMNS,
    summary.map((s) => ({ ...s, mape: fmt(s.mape), median_ape: fmt(s.median_ape), max_ape: fmt(s.max_ape), spearman: s.spearman === undefined ? "" : s.spearman.toFixed(4) })),
  );

  // Work counts per cell from ZZZ (the roofline figure's data).
  const intensity = [];
  for (const cell of [...suite.cells.values()].sort((a, b) => compareStrings(a.id, b.id))) {
    if (!supports(cell, suite).ok) continue;
    try {
      const e = estimate(cell, suite);
      if (e.flops <= 0 || e.bytes <= 0) continue;
      intensity.push({
        cell_id: cell.id,
        hardware: cell.hardware,
        level: cell.level,
        flops: fmt(e.flops),
        bytes: fmt(e.bytes),
        intensity_flops_per_byte: fmt(e.flops / e.bytes),
        zzz_latency_s: fmt(e.latency_s),
        zzz_bound: e.bound,
      });
    } catch {
      // failures are already in predictions.csv
    }
  }
  writeCsvAtomic(join(results, "cell-intensity.csv"), INTENSITY_COLUMNS, intensity);

  if (!opts.quiet) printSummary(all, summary, (performance.now() - t0) / 1000);
  return { predictions: all, summary };
}

function printSummary(all: PredictionRow[], summary: ReturnType<typeof summaryRows>, wall: number): void {
  const byTool = new Map<string, Record<string, number>>();
  for (const r of all) {
    const c = byTool.get(r.tool) ?? { ok: 0, failed: 0, "not-run": 0 };
    c[r.status] = (c[r.status] ?? 0) + 1;
    byTool.set(r.tool, c);
  }
  console.log("\npredictions per tool");
  console.table([...byTool].map(([tool, c]) => ({ tool, ...c })));
  console.log("accuracy against ground truth (APE in %)");
  console.table(
    summary.map((s) => ({
      tool: s.tool,
      category: s.category,
      n: s.n,
      MAPE: Number(s.mape.toFixed(1)),
      median: Number(s.median_ape.toFixed(1)),
      max: Number(s.max_ape.toFixed(1)),
      spearman: s.spearman === undefined ? "" : Number(s.spearman.toFixed(3)),
    })),
  );
  console.log(chalk.green(`evaluate: done in ${wall.toFixed(1)} s; results/ written`));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await evaluate({
      root: ".",
      tools: typeof argv.tools === "string" ? argv.tools.split(",") : undefined,
      fresh: Boolean(argv.fresh),
      rerun: typeof argv.rerun === "string" && argv.rerun ? argv.rerun.split(",") : undefined,
      scale: { jobs: argv.jobs, executor: argv.executor, noCache: argv.cache === false ? true : undefined },
    });
  } catch (e) {
    if (e instanceof PreflightError) {
      console.error(chalk.red(`evaluate: stopped before any work: ${e.message}`));
      process.exit(1);
    }
    if (e instanceof SuiteError) {
      console.error(chalk.red(`evaluate: stopped before writing anything: ${e.message}`));
      process.exit(1);
    }
    throw e;
  }
}
