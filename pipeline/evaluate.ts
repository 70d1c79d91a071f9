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
 * Options: --tools zzz,vidur  (run only these tools; every other tool's rows are kept as published)
 *          --fresh  (ignore the resume journal)
 *          --rerun astra-sim,vidur|all  (run these tools live on every supported cell, even cells
 *          with a recorded output; make evaluate RERUN=...)
 *          --accept-failures (ACCEPT_FAILURES=1)  publish even when cells failed that had predictions
 *          --allow-other-build (ALLOW_OTHER_BUILD=1)  run a tool build other than the pinned one
 * Launchers: a tool listed in DOCKER_TOOLS runs in its Docker image (pipeline/lib/exec.ts).
 * Scale-out (README "Running at scale"): --jobs N (JOBS, default the number of cores) live cells at
 * once; --executor slurm (EXECUTOR) submits each tool's live cells as one Slurm job array;
 * --no-cache (NO_CACHE=1) bypasses the content-addressed cell cache (CELL_CACHE_DIR).
 *
 * Nothing is written to results/ until the run is complete: every output is staged, validated and
 * swapped in at once (pipeline/lib/publish.ts). A suite, taxonomy, option or tool-build problem
 * stops the run before any work. Exit codes: 0 published; 1 bad input, options, build or
 * environment (nothing run or written); 2 cells failed that had predictions (nothing published
 * unless --accept-failures); 3 the staged results failed validation (nothing published);
 * 130/143 interrupted by SIGINT/SIGTERM (results/ unchanged).
 */
import { chalk } from "zx";
import { rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { loadSuite, SuiteError } from "./lib/suite.ts";
import { runToolDetailed, clearJournal } from "./lib/runner.ts";
import { scaleOut, PreflightError, type ScaleOptions } from "./lib/scale.ts";
import { accuracyRows, summaryRows } from "./lib/metrics.ts";
import { writeCsvAtomic, writeFileAtomic, fmt, compareStrings } from "./lib/io.ts";
import { PREDICTION_COLUMNS, ACCURACY_COLUMNS, SUMMARY_COLUMNS, type PredictionRow } from "./lib/schema.ts";
import { TOOLS_COLUMNS, toolsRows } from "./lib/tools-table.ts";
import { MVC_COLUMNS, measuredVsClaimedRows, claimProblems } from "./lib/measured-vs-claimed.ts";
import { loadTaxonomy } from "./lib/survey/taxonomy.ts";
import { formatProblem } from "./lib/survey/problems.ts";
import { claimedAccuracyRows } from "./lib/survey/outputs.ts";
import { CHECK_COLUMNS as SERVING_CHECK_COLUMNS, CHECK_FILE as SERVING_CHECK_FILE, checkRows as servingCheckRows } from "../tools-under-test/vidur/serving-cells.ts";
import { TOOLS } from "../tools-under-test/registry.ts";
import { estimate, supports } from "../tools-under-test/zzz/adapter.ts";
import { writeZzzReports, ZZZ_MODE_TOOLS } from "./lib/zzz-report.ts";
import { COVERAGE_COLUMNS, coverageRows } from "./lib/coverage.ts";
import { SPREAD_COLUMNS, SPREAD_FILE, readReruns, spreadRows } from "./lib/rerun-spread.ts";
import { H2H_COLUMNS, RUNTIME_COLUMNS, SHARED_COLUMNS, headToHeadRows, runtimeRows, sharedCellRows } from "./lib/head-to-head.ts";
import { openStage, publishStage, discardStage, preflight, recoverPublish, keepPrevious, staged } from "./lib/publish.ts";
import { keptRows, parsePredictions, keptStaleness, mergeKept, newFailures, describeFailures, validateStaged, type Failure } from "./lib/results-check.ts";
import { buildIdentity, type BuildIdentity } from "./lib/identity.ts";
import { checkNames, parseEvaluateArgs, UsageError } from "./lib/cli-options.ts";
import { createProgress } from "./lib/progress.ts";
import { installSignalHandlers } from "./lib/signals.ts";
import type { ToolAdapter } from "./lib/tool.ts";

export const INTENSITY_COLUMNS = ["cell_id", "hardware", "level", "flops", "bytes", "intensity_flops_per_byte", "zzz_latency_s", "zzz_bound"] as const;

export interface EvaluateOptions {
  root: string;
  /** Run only these tools; the others' published rows are kept. */
  tools?: string[];
  fresh?: boolean;
  quiet?: boolean;
  /** Tools to run live on every supported cell ("all" for every tool). */
  rerun?: string[];
  /** Publish even when cells failed that had predictions before. */
  acceptFailures?: boolean;
  /** Run a tool build other than the one pinned in its metadata.yaml. */
  allowOtherBuild?: boolean;
  /** Where progress and notes go (default stderr unless quiet). */
  log?: (s: string) => void;
  /** Pool size, executor and cache (pipeline/lib/scale.ts). */
  scale?: ScaleOptions;
}

/** A problem that stops the run before anything is published; `problems` are the lines, root cause first. */
export class EvaluateError extends Error {
  constructor(
    message: string,
    public problems: string[] = [],
    public exitCode = 1,
  ) {
    super(problems.length ? `${message}:\n${problems.map((p) => `  ${p}`).join("\n")}` : message);
    this.name = "EvaluateError";
  }
}

export interface EvaluateResult {
  predictions: PredictionRow[];
  summary: ReturnType<typeof summaryRows>;
  /** Whether results/ was replaced by this run's outputs. */
  published: boolean;
  /** Cells that failed in this run and were not failed before. */
  failures: Failure[];
  exitCode: number;
}

/** Whether a tool would run any cell live here (so its build must be identified first). */
async function runsLive(tool: ToolAdapter, suite: ReturnType<typeof loadSuite>, rawDir: string, rerun: boolean, workDir: string): Promise<boolean> {
  if (!tool.recordRaw) return false;
  const ctx = { suite, workDir: join(workDir, tool.metadata.name) };
  if (!(await tool.availability(ctx)).available) return false;
  for (const cell of suite.cells.values()) {
    if (!tool.supports(cell, ctx).ok) continue;
    if (rerun || !existsSync(join(rawDir, tool.metadata.name, `${cell.id}.txt`))) return true;
  }
  return false;
}

export async function evaluate(opts: EvaluateOptions): Promise<EvaluateResult> {
  const t0 = performance.now();
  const log = opts.log ?? ((s: string) => {
    if (!opts.quiet) process.stderr.write(s);
  });
  const recovered = recoverPublish(opts.root);
  if (recovered) log(`evaluate: ${recovered}\n`);
  // A read-only or full results/ is found before any work.
  const pre = preflight(opts.root);
  if (pre.length) throw new EvaluateError("stopped before running anything", pre);
  // JOBS, EXECUTOR, and the Docker daemon or Slurm controller they need: checked before any work.
  const scale = await scaleOut(opts.root, { ...opts.scale, log });
  // The taxonomy records evaluate reads (claimed accuracies) are validated before any work.
  const taxonomy = loadTaxonomy(join(opts.root, "taxonomy"));
  const claims = claimedAccuracyRows(taxonomy.works.map((w) => w.value));
  const taxProblems = [...taxonomy.problems.map(formatProblem), ...(taxonomy.problems.length ? [] : claimProblems(TOOLS.map((t) => t.metadata), claims))];
  if (taxProblems.length) throw new EvaluateError("stopped before running anything: the taxonomy records evaluate reads have problems", taxProblems);
  const suite = loadSuite(opts.root);
  log(`suite: ${suite.models.size} models, ${suite.hardware.size} hardware, ${suite.cells.size} cells, ${suite.groundTruth.length} ground-truth values\n`);

  const results = join(opts.root, "results");
  const journalDir = join(opts.root, ".work/evaluate");
  const workDir = join(opts.root, ".work/tools");
  const known = TOOLS.map((t) => t.metadata.name);
  checkNames("--tools", opts.tools, known);
  checkNames("--rerun", opts.rerun, known, ["all"]);
  const tools = TOOLS.filter((t) => !opts.tools || opts.tools.includes(t.metadata.name));
  const names = tools.map((t) => t.metadata.name);
  const kept = known.filter((n) => !names.includes(n));
  const rerunOf = (name: string) => Boolean(opts.rerun?.includes(name) || opts.rerun?.includes("all"));

  const stale = keptStaleness(results, kept, suite, names);
  if (stale.length) throw new EvaluateError("stopped before running anything: --tools keeps the other tools' published rows, but they no longer fit the suite", stale);

  // Which build runs live: refused unless it is the pinned one (or --allow-other-build).
  const identities = new Map<string, BuildIdentity>();
  for (const tool of tools) {
    if (!(await runsLive(tool, suite, join(results, "raw"), rerunOf(tool.metadata.name), workDir))) continue;
    identities.set(tool.metadata.name, buildIdentity(tool.metadata));
  }
  const refused = [...identities.values()].filter((i) => !i.verified);
  if (refused.length && !opts.allowOtherBuild)
    throw new EvaluateError(
      "stopped before running anything: refusing to run a tool build other than the pinned one (pass --allow-other-build, or ALLOW_OTHER_BUILD=1, to run it; its identity is then recorded in results/raw/<tool>/build.json)",
      refused.map((i) => `${i.tool}: ${i.mismatch}`),
    );

  if (opts.fresh) rmSync(journalDir, { recursive: true, force: true });
  const stage = openStage(opts.root);
  const progress = createProgress({ write: log, tty: Boolean(process.stderr.isTTY) && !opts.quiet && !opts.log });
  try {
    const all: PredictionRow[] = [];
    const liveCells = new Map<string, string[]>();
    for (const tool of tools) {
      const name = tool.metadata.name;
      const id = identities.get(name);
      const run = await runToolDetailed(tool, suite, {
        rawDir: join(results, "raw"),
        rawOutDir: stage.raw,
        journalDir,
        workDir,
        rerun: rerunOf(name),
        fingerprintExtra: id ? JSON.stringify(id.paths.map((p) => p.sha256 ?? p.git_commit ?? p.path)) : undefined,
        ...scale.run,
        onCellStart: (e) => progress.onCellStart(e),
        onCellDone: (e) => progress.onCellDone(e),
      });
      progress.toolDone(name, run.rows);
      all.push(...run.rows);
      if (run.live.length) liveCells.set(name, run.live);
    }
    progress.stop();

    // Outputs, all into the stage. Rows of tools not run now are kept verbatim (--tools).
    const sortedRows = [...all]
      .sort((a, b) => compareStrings(a.tool, b.tool) || compareStrings(a.cell_id, b.cell_id))
      .map((r) => ({ ...r, predicted: fmt(r.predicted), wall_s: fmt(r.wall_s) }));
    writeCsvAtomic(staged(stage, "predictions.csv"), PREDICTION_COLUMNS, mergeKept(sortedRows, keptRows(results, "predictions.csv", kept)));

    // Vidur's serving predictions beside values derived from our measured prefill and decode steps.
    if (names.includes("vidur"))
      writeCsvAtomic(
        staged(stage, SERVING_CHECK_FILE),
        SERVING_CHECK_COLUMNS,
        servingCheckRows(
          all.map((p) => ({ ...p, predicted: fmt(p.predicted) })),
          suite.groundTruth,
        ),
      );

    writeCsvAtomic(
      staged(stage, "tools.csv"),
      TOOLS_COLUMNS,
      mergeKept(
        toolsRows(
          opts.root,
          tools.map((t) => t.metadata),
          all,
          stage.raw,
        ),
        keptRows(results, "tools.csv", kept),
      ),
    );

    const acc = accuracyRows(all, suite.groundTruth, suite.cells);
    writeCsvAtomic(
      staged(stage, "accuracy.csv"),
      ACCURACY_COLUMNS,
      mergeKept(
        acc.map((a) => ({ ...a, measured: fmt(a.measured), predicted: fmt(a.predicted), abs_pct_error: fmt(a.abs_pct_error) })),
        keptRows(results, "accuracy.csv", kept),
      ),
    );
    // The tools side by side (issue 17), over every tool's rows: this run's and the kept ones.
    // coverage.csv: what each tool did with each ground-truth cell, and why not; head-to-head.csv:
    // every tool's error on exactly the cells all of a set predict; shared-cells.csv: pairwise overlap.
    // The rows as predictions.csv holds them (rounded), so the files recompute from the committed CSV.
    const allPreds = parsePredictions([...sortedRows, ...keptRows(results, "predictions.csv", kept)] as Record<string, string>[]);
    const allAcc = accuracyRows(allPreds, suite.groundTruth, suite.cells);
    const metaByTool = new Map(TOOLS.map((t) => [t.metadata.name, t.metadata]));
    writeCsvAtomic(staged(stage, "coverage.csv"), COVERAGE_COLUMNS, coverageRows(allPreds, suite));
    // rerun-spread.csv: every tool's recorded reruns (results/raw/<tool>-reruns/) re-parsed beside its
    // recorded run 1, and the documented ones; head-to-head.csv reports the spread beside the error.
    const spreadNotes: string[] = [];
    const reruns = TOOLS.flatMap((t) => readReruns(stage.raw, t, suite, spreadNotes) ?? []);
    for (const n of spreadNotes) console.error(chalk.yellow(`rerun spread: ${n}`));
    const spread = spreadRows(reruns, allPreds);
    writeCsvAtomic(staged(stage, SPREAD_FILE), SPREAD_COLUMNS, spread);
    writeCsvAtomic(staged(stage, "head-to-head.csv"), H2H_COLUMNS, headToHeadRows(allAcc, suite, metaByTool, spread));
    writeCsvAtomic(staged(stage, "head-to-head-runtime.csv"), RUNTIME_COLUMNS, runtimeRows(allPreds, allAcc, suite));
    writeCsvAtomic(staged(stage, "shared-cells.csv"), SHARED_COLUMNS, sharedCellRows(allAcc, [...new Set(allPreds.map((p) => p.tool))].sort(), suite));

    // ZZZ v2: results/zzz-ablation.csv, results/zzz-calibration.csv, and its other modes' summary rows.
    // Its vidur-steps categories need Vidur's rows: this run's, or the published ones (--tools zzz).
    const vidurRows = names.includes("vidur") ? [] : allPreds.filter((p) => p.tool === "vidur");
    const zzzModes = names.includes("zzz") ? writeZzzReports(stage.dir, suite, [...all, ...vidurRows]) : [];
    const summary = [...summaryRows(acc), ...zzzModes].sort((a, b) => compareStrings(a.tool, b.tool) || compareStrings(a.category, b.category));
    writeCsvAtomic(
      staged(stage, "measured-vs-claimed.csv"),
      MVC_COLUMNS,
      mergeKept(
        measuredVsClaimedRows(
          tools.map((t) => t.metadata),
          claims,
          acc,
          suite.hardware,
          suite.cells,
        ),
        keptRows(results, "measured-vs-claimed.csv", kept),
      ),
    );
    writeCsvAtomic(
      staged(stage, "summary.csv"),
      SUMMARY_COLUMNS,
      mergeKept(
        summary.map((s) => ({ ...s, mape: fmt(s.mape), median_ape: fmt(s.median_ape), max_ape: fmt(s.max_ape), spearman: s.spearman === undefined ? "" : s.spearman.toFixed(4) })),
        keptRows(results, "summary.csv", kept.includes("zzz") ? [...kept, ...ZZZ_MODE_TOOLS] : kept),
      ),
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
    writeCsvAtomic(staged(stage, "cell-intensity.csv"), INTENSITY_COLUMNS, intensity);


    // Validate the staged results, then refuse failures, then swap.
    const invalid = validateStaged(stage.dir, suite, known, [
      { file: "tools.csv", columns: TOOLS_COLUMNS },
      { file: "measured-vs-claimed.csv", columns: MVC_COLUMNS },
      { file: "cell-intensity.csv", columns: INTENSITY_COLUMNS },
    ]);
    if (invalid.length) throw new EvaluateError("the staged results failed validation; nothing published, results/ unchanged", invalid, 3);
    const failures = newFailures(all, results);
    if (failures.length && !opts.acceptFailures) {
      if (!opts.quiet) printSummary(all, summary, (performance.now() - t0) / 1000, false);
      return { predictions: all, summary, published: false, failures, exitCode: 2 };
    }
    for (const [tool, cells] of liveCells) {
      const n = keepPrevious(stage, tool, cells);
      if (n) log(`  ${tool}: ${n} recorded raw outputs replaced; the previous ones are in results/raw/${tool}/.previous/\n`);
      const id = identities.get(tool);
      if (id) writeFileAtomic(join(stage.raw, tool, "build.json"), JSON.stringify({ ...id, live_cells: cells.length, allowed_other_build: !id.verified, recorded_utc: new Date().toISOString() }, null, 2) + "\n");
    }
    publishStage(stage);
    for (const t of names) clearJournal(journalDir, t);
    if (!opts.quiet) printSummary(all, summary, (performance.now() - t0) / 1000, true);
    return { predictions: all, summary, published: true, failures, exitCode: 0 };
  } finally {
    progress.stop();
    discardStage(stage);
  }
}

function printSummary(all: PredictionRow[], summary: ReturnType<typeof summaryRows>, wall: number, published: boolean): void {
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
  if (published) console.log(chalk.green(`evaluate: done in ${wall.toFixed(1)} s; results/ written`));
}

export interface MainIo {
  root?: string;
  env?: NodeJS.ProcessEnv;
  err?: (s: string) => void;
  quiet?: boolean;
}

/** The command line: parses options, runs evaluate, prints the outcome (root cause first); returns the exit code. */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  const known = TOOLS.map((t) => t.metadata.name);
  let cli;
  try {
    cli = parseEvaluateArgs(argv, env, known);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(chalk.red(`evaluate: ${e.message}; nothing run, results/ unchanged\n`));
    return 1;
  }
  const off = installSignalHandlers("evaluate", err);
  try {
    // quiet: no summary tables on stdout; progress and notes still go to io.err when it is given.
    const r = await evaluate({ root: io.root ?? ".", tools: cli.tools, rerun: cli.rerun, fresh: cli.fresh, acceptFailures: cli.acceptFailures, allowOtherBuild: cli.allowOtherBuild, quiet: io.quiet, log: io.err, scale: { jobs: cli.jobs, executor: cli.executor, noCache: cli.noCache, env } });
    if (r.exitCode === 2) {
      err(
        chalk.red(
          `evaluate: ${r.failures.length} cell${r.failures.length > 1 ? "s" : ""} failed that had predictions before; nothing published, results/ unchanged:\n` +
            describeFailures(r.failures).map((l) => `  ${l}\n`).join("") +
            "  pass --accept-failures (or ACCEPT_FAILURES=1) to publish them as failed; finished cells are kept in .work/evaluate/ for the next run\n",
        ),
      );
    }
    return r.exitCode;
  } catch (e) {
    if (e instanceof SuiteError) {
      err(chalk.red(`evaluate: stopped before writing anything: ${e.message}\n`));
      return 1;
    }
    if (e instanceof PreflightError) {
      err(chalk.red(`evaluate: stopped before any work: ${e.message}; results/ unchanged\n`));
      return 1;
    }
    if (e instanceof EvaluateError || e instanceof UsageError) {
      err(chalk.red(`evaluate: ${e.message}\n`));
      return e instanceof EvaluateError ? e.exitCode : 1;
    }
    const ex = e as NodeJS.ErrnoException;
    err(chalk.red(`evaluate: failed: ${ex.message ?? String(e)}; nothing published, results/ unchanged\n`));
    if (env.EVALUATE_DEBUG) err(`${ex.stack}\n`);
    return 1;
  } finally {
    off();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exit(await main(process.argv.slice(2)));
}
