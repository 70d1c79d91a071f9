/**
 * The files that suite/measure/measure_v2.py writes beside v1's measurements.csv and provenance.json:
 * their schemas (kept in step with the *_COLUMNS lists of measure_v2.py) and a pure parser that
 * collects every problem with file, row and column. No I/O here; pipeline/measure.ts reads the files.
 *
 *   variance.csv          one row per timed point: trial medians' median, min, max and CV
 *   calibration.csv       role "calibration" only: the microbenchmark sweeps (never suite cells)
 *   energy.csv            energy per call of model-step and GEMM points, where the device has a counter
 *   serving/runs.csv      one row per serving run: workload and server configuration
 *   serving/requests.csv  one row per request: arrival, scheduled, first-token and finish times
 */
import { parse as parseCsv } from "csv-parse/sync";
import { z } from "zod";
import { Engine } from "./measured.ts";

export const VARIANCE_COLUMNS = [
  "workload_key", "engine", "role", "group", "precision", "n_trials", "reps_per_trial",
  "median_of_trials_s", "trial_min_s", "trial_max_s", "cv",
] as const;
export const CALIBRATION_COLUMNS = [
  "workload_key", "role", "engine", "group", "kind", "precision", "m", "n", "k", "batch", "seq_len", "context_len",
  "heads", "head_dim", "elements", "latency_s", "min_s", "max_s", "cv", "n_trials", "calls_per_rep", "impl", "flops",
  "bytes", "notes",
] as const;
export const ENERGY_COLUMNS = [
  "workload_key", "engine", "precision", "calls", "duration_s", "energy_j", "energy_j_per_call", "avg_power_w", "method",
] as const;
export const SERVING_RUN_COLUMNS = [
  "run_id", "server", "model", "n_layers", "precision", "arrival", "rate_per_s", "n_requests", "length_dist",
  "prompt_tokens", "output_tokens", "seed", "max_num_seqs", "max_model_len", "prefill", "kv_cache", "duration_s",
  "completed", "notes",
] as const;
export const SERVING_REQUEST_COLUMNS = [
  "run_id", "request_id", "arrival_s", "scheduled_s", "first_token_s", "finish_s", "prompt_tokens", "output_tokens",
] as const;

/** Calibration keys start with `cal.` (after an optional `tiny.`): disjoint from every cell id by construction. */
export const CALIBRATION_KEY = /^(tiny\.)?cal\.[a-z0-9][a-z0-9.+-]*$/;

const blank = (v: unknown) => (v === "" ? undefined : v);
const pos = z.coerce.number().positive();
const nonneg = z.coerce.number().nonnegative();
const int = z.coerce.number().int().positive();
const optPos = z.preprocess(blank, z.coerce.number().positive().optional());
const optInt = z.preprocess(blank, z.coerce.number().int().positive().optional());
const Dt = z.enum(["fp32", "bf16", "fp16", "fp8"]);

export const VarianceRow = z
  .object({
    workload_key: z.string().min(1),
    engine: Engine,
    role: z.enum(["calibration", "evaluation"]),
    group: z.string().min(1),
    precision: Dt,
    n_trials: int,
    reps_per_trial: int,
    median_of_trials_s: pos,
    trial_min_s: pos,
    trial_max_s: pos,
    cv: nonneg,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!(r.trial_min_s <= r.median_of_trials_s && r.median_of_trials_s <= r.trial_max_s))
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["median_of_trials_s"], message: "expected trial_min_s <= median_of_trials_s <= trial_max_s" });
    if ((r.role === "calibration") !== CALIBRATION_KEY.test(r.workload_key))
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["role"], message: "role calibration iff the key starts with 'cal.'" });
  });
export type VarianceRow = z.infer<typeof VarianceRow>;

export const CalibrationRow = z
  .object({
    workload_key: z.string().regex(CALIBRATION_KEY, "calibration keys start with 'cal.'"),
    role: z.literal("calibration", { errorMap: () => ({ message: "calibration.csv holds role 'calibration' rows only" }) }),
    engine: Engine,
    group: z.string().regex(/^cal-/),
    kind: z.string().min(1),
    precision: Dt,
    m: optInt, n: optInt, k: optInt, batch: optInt, seq_len: optInt, context_len: optInt, heads: optInt, head_dim: optInt, elements: optInt,
    latency_s: pos,
    min_s: pos,
    max_s: pos,
    cv: nonneg,
    n_trials: int,
    calls_per_rep: int,
    impl: z.string().min(1),
    flops: optPos,
    bytes: optPos,
    notes: z.preprocess((v) => v ?? "", z.string()),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!(r.min_s <= r.latency_s && r.latency_s <= r.max_s))
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["latency_s"], message: "expected min_s <= latency_s <= max_s" });
  });
export type CalibrationRow = z.infer<typeof CalibrationRow>;

export const EnergyRow = z
  .object({
    workload_key: z.string().min(1),
    engine: Engine,
    precision: Dt,
    calls: int,
    duration_s: pos,
    energy_j: pos,
    energy_j_per_call: pos,
    avg_power_w: pos,
    method: z.enum(["nvml-total-energy", "rapl-package-0"]),
  })
  .strict();
export type EnergyRow = z.infer<typeof EnergyRow>;

export const ServingRunRow = z
  .object({
    run_id: z.string().regex(/^(tiny\.)?serve\./),
    server: z.string().min(1),
    model: z.string().min(1),
    n_layers: int,
    precision: Dt,
    arrival: z.enum(["burst", "poisson"]),
    rate_per_s: optPos,
    n_requests: int,
    length_dist: z.enum(["fixed", "lognormal"]),
    prompt_tokens: int,
    output_tokens: int,
    seed: z.coerce.number().int().nonnegative(),
    max_num_seqs: int,
    max_model_len: int,
    prefill: z.string().min(1),
    kv_cache: z.string().min(1),
    duration_s: pos,
    completed: z.coerce.number().int().nonnegative(),
    notes: z.preprocess((v) => v ?? "", z.string()),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.arrival === "poisson") !== (r.rate_per_s !== undefined))
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["rate_per_s"], message: "a Poisson run has a rate, a burst has none" });
  });
export type ServingRunRow = z.infer<typeof ServingRunRow>;

export const ServingRequestRow = z
  .object({
    run_id: z.string().min(1),
    request_id: z.coerce.number().int().nonnegative(),
    arrival_s: nonneg,
    scheduled_s: nonneg,
    first_token_s: pos,
    finish_s: pos,
    prompt_tokens: int,
    output_tokens: int,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!(r.arrival_s <= r.scheduled_s + 1e-9 && r.scheduled_s <= r.first_token_s && r.first_token_s <= r.finish_s))
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["first_token_s"], message: "expected arrival_s <= scheduled_s <= first_token_s <= finish_s" });
  });
export type ServingRequestRow = z.infer<typeof ServingRequestRow>;

export interface V2Files {
  variance: VarianceRow[];
  calibration: CalibrationRow[];
  energy: EnergyRow[];
  servingRuns: ServingRunRow[];
  servingRequests: ServingRequestRow[];
}

/** The v2 files of a set: relative path, columns and row schema. */
export const V2_FILES = [
  { key: "variance", file: "variance.csv", columns: VARIANCE_COLUMNS, schema: VarianceRow },
  { key: "calibration", file: "calibration.csv", columns: CALIBRATION_COLUMNS, schema: CalibrationRow },
  { key: "energy", file: "energy.csv", columns: ENERGY_COLUMNS, schema: EnergyRow },
  { key: "servingRuns", file: "serving/runs.csv", columns: SERVING_RUN_COLUMNS, schema: ServingRunRow },
  { key: "servingRequests", file: "serving/requests.csv", columns: SERVING_REQUEST_COLUMNS, schema: ServingRequestRow },
] as const;

/**
 * Parse the v2 files of one set. `read(file)` returns a file's text or undefined when it is missing.
 * Every problem is collected as `<dir>/<file>:<row>: <column>: <message>`; cross-file checks: each
 * request's run exists, each run's completed count equals its request rows, calibration keys are no
 * cell id, and each variance row with role evaluation has a measurements.csv row.
 */
export function parseV2(
  dir: string,
  read: (file: string) => string | undefined,
  opts: { cellIds?: ReadonlySet<string>; measuredKeys?: ReadonlySet<string> } = {},
): { files: V2Files; problems: string[] } {
  const problems: string[] = [];
  const files: V2Files = { variance: [], calibration: [], energy: [], servingRuns: [], servingRequests: [] };
  for (const spec of V2_FILES) {
    const at = `${dir}/${spec.file}`;
    const text = read(spec.file);
    if (text === undefined) {
      problems.push(`${at}: missing (measure_v2.py writes it, empty or not)`);
      continue;
    }
    const recs = parseCsv(text, { skip_empty_lines: true, relax_column_count: true }) as string[][];
    const header = recs[0] ?? [];
    if (header.join(",") !== spec.columns.join(",")) {
      problems.push(`${at}:1: header is '${header.join(",")}'; expected '${spec.columns.join(",")}' (re-run measure_v2.py)`);
      continue;
    }
    recs.slice(1).forEach((rec, i) => {
      const obj: Record<string, string> = {};
      header.forEach((h, j) => (obj[h] = rec[j] ?? ""));
      const r = spec.schema.safeParse(obj);
      if (r.success) (files[spec.key] as unknown[]).push(r.data);
      else for (const is of r.error.issues) problems.push(`${at}:${i + 2}: ${is.path.join(".") || "(row)"}: ${is.message}`);
    });
  }
  const runs = new Map(files.servingRuns.map((r) => [r.run_id, r]));
  const perRun = new Map<string, number>();
  files.servingRequests.forEach((q, i) => {
    if (!runs.has(q.run_id)) problems.push(`${dir}/serving/requests.csv:${i + 2}: run_id: '${q.run_id}' is in no row of serving/runs.csv`);
    perRun.set(q.run_id, (perRun.get(q.run_id) ?? 0) + 1);
  });
  files.servingRuns.forEach((r, i) => {
    const n = perRun.get(r.run_id) ?? 0;
    if (n !== r.completed) problems.push(`${dir}/serving/runs.csv:${i + 2}: completed: ${r.completed}, but serving/requests.csv has ${n} rows for '${r.run_id}'`);
  });
  if (opts.cellIds)
    files.calibration.forEach((c, i) => {
      for (const id of opts.cellIds!)
        if (id === c.workload_key || id.startsWith(c.workload_key + "."))
          problems.push(`${dir}/calibration.csv:${i + 2}: workload_key: '${c.workload_key}' names the suite cell '${id}'; calibration must be disjoint from evaluation`);
    });
  if (opts.measuredKeys)
    files.variance.forEach((v, i) => {
      if (v.role === "evaluation" && !opts.measuredKeys!.has(`${v.workload_key}\u0000${v.engine}`))
        problems.push(`${dir}/variance.csv:${i + 2}: workload_key: '${v.workload_key}' (${v.engine}) has no row in measurements.csv`);
    });
  return { files, problems };
}

/** Trial-median CV per (workload_key, engine) of the evaluation rows: the ground truth's own noise. */
export function noiseByKey(variance: readonly VarianceRow[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of variance) if (v.role === "evaluation") m.set(`${v.workload_key}\u0000${v.engine}`, v.cv);
  return m;
}
