/**
 * The tool interface. Every tool under test (ZZZ, ASTRA-sim, Vidur, Timeloop, ...) implements it,
 * and one runner (runner.ts) drives them all:
 *
 *   supports(cell)  -> which cells the tool can predict (else: not-run, with the reason)
 *   prepare(cell)   -> the tool's input files / arguments for that cell
 *   invoke(inputs)  -> run the tool, returning its raw output (text); the runner records it
 *   parse(raw)      -> one normalized prediction in the cell's metric, with its unit
 *
 * When a tool is not installed here, the runner re-parses the raw outputs recorded under
 * results/raw/<tool>/ (committed), so `make evaluate` reproduces the results without the tool.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import type { Cell, ToolMetadata } from "./schema.ts";
import type { Suite } from "./suite.ts";

export type Support = { ok: true } | { ok: false; reason: string };

export interface Availability {
  available: boolean;
  /** Why not, e.g. "ASTRASIM_BIN is not set". */
  reason?: string;
  /**
   * True when the tool was asked for (its environment variable is set, or Docker was requested)
   * but cannot run: then every supported cell fails with the reason, instead of a silent re-parse.
   */
  configured?: boolean;
}

export interface ToolContext {
  suite: Suite;
  /** Scratch directory for this tool's inputs (outside results/). */
  workDir: string;
  /**
   * The time limit of the cell being run, s, derived by the runner from the recorded wall time
   * (10x the cell's recorded run, else 10x the tool's recorded median, at least 60 s). An adapter
   * uses it unless the tool's own *_TIMEOUT_S variable overrides it.
   */
  timeout_s?: number;
}

export interface ParsedPrediction {
  value: number;
  unit: string;
}

export interface ToolAdapter<Prepared = unknown> {
  metadata: ToolMetadata;
  /** Whether the tool can run on this machine now. */
  availability(ctx: ToolContext): Promise<Availability>;
  supports(cell: Cell, ctx: ToolContext): Support;
  prepare(cell: Cell, ctx: ToolContext): Promise<Prepared>;
  /** Runs the tool; returns its raw output as text (stdout, or a file it wrote). */
  invoke(prepared: Prepared, cell: Cell, ctx: ToolContext): Promise<string>;
  parse(raw: string, cell: Cell, ctx: ToolContext): ParsedPrediction;
  /**
   * Whether raw outputs are worth recording under results/raw/<tool>/. External tools: yes (they
   * are the fixtures and what evaluate re-parses when the tool is absent). ZZZ: no (it is a
   * library that always runs, and its output is cheap to recompute).
   */
  recordRaw: boolean;
  /**
   * Optional: the time limit of a live cell, s, given the runner's derived one (the tool's own
   * *_TIMEOUT_S variable wins). The runner passes the result in ToolContext.timeout_s and shows it.
   */
  timeLimit?(derived: number | undefined): number;
  /**
   * Optional: the input files prepare() wrote for a cell. The runner counts their lines (lines of
   * input generated per cell, an ease-of-use measure) and records them beside wall_s.
   */
  inputFiles?(prepared: Prepared): string[];
  /**
   * Optional: a resource two live runs must not use at the same time (e.g. a predictor cache the
   * tool writes); with JOBS > 1, cells naming the same resource run one after another.
   */
  exclusive?(prepared: Prepared): string | undefined;
}

/** Availability of a tool reached through an executable named by an environment variable. */
export function binaryFromEnv(envVar: string, env: NodeJS.ProcessEnv = process.env): Availability {
  const bin = env[envVar];
  if (!bin) return { available: false, reason: `${envVar} is not set` };
  if (!existsSync(bin) || !statSync(bin).isFile()) return { available: false, reason: `${envVar}=${bin} is not a file` };
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    return { available: false, reason: `${envVar}=${bin} is not executable` };
  }
  return { available: true };
}
