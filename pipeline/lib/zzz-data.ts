/**
 * The data ZZZ v2's calibration modes read, loaded and validated here (zzz/ itself does no I/O):
 * - calibration rows: the `ceiling.*` rows of each measured set's measurements.csv (a large GEMM and a
 *   large device copy), the only rows `zzz/device/calibration.ts calibrate()` accepts;
 * - Vidur-format profiles (vidur/mlp.csv, vidur/attention.csv) of each measured set, for the
 *   profiled mode. A profile file with a missing column or a non-positive time is rejected with its
 *   file, row and column; nothing is used from an invalid file (the whole run stops).
 * The newest dated set of each device is used.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { readCsv } from "./io.ts";
import { MeasurementRow } from "./measured.ts";
import type { Suite } from "./suite.ts";
import type { CalibrationRow, Dtype, ProfileTable } from "../../zzz/index.ts";

export class ZzzDataError extends Error {}

export interface ZzzData {
  /** hardware id -> calibration rows of its newest measured set. */
  calibrationRows: Map<string, CalibrationRow[]>;
  /** hardware id -> profile tables of its newest measured set. */
  profiles: Map<string, ProfileTable[]>;
}

const MS = 1e-3;
const pos = z.coerce.number().positive();
const posInt = z.coerce.number().int().positive();
const nonNegInt = z.coerce.number().int().min(0);
const bool = z.enum(["True", "False"]);

const MLP_OPS = ["emb", "input_layernorm", "attn_pre_proj", "attn_rope", "attn_post_proj", "post_attention_layernorm", "mlp_up_proj", "mlp_act", "mlp_down_proj", "add"] as const;

const MlpRow = z.object({
  ...Object.fromEntries(MLP_OPS.map((o) => [`time_stats.${o}.median`, pos])),
  n_head: posInt,
  n_kv_head: posInt,
  n_embd: posInt,
  n_expanded_embd: posInt,
  num_tokens: posInt,
  num_tensor_parallel_workers: posInt,
});

const optPos = z.preprocess((v) => (v === "" ? undefined : v), pos.optional());
const AttentionRow = z
  .object({
    "time_stats.attn_kv_cache_save.median": pos,
    "time_stats.attn_prefill.median": optPos,
    "time_stats.attn_decode.median": optPos,
    n_embd: posInt,
    n_q_head: posInt,
    n_kv_head: posInt,
    num_tensor_parallel_workers: posInt,
    batch_size: posInt,
    prefill_chunk_size: nonNegInt,
    kv_cache_size: nonNegInt,
    is_prefill: bool,
  })
  .superRefine((r, ctx) => {
    const col = r.is_prefill === "True" ? "time_stats.attn_prefill.median" : "time_stats.attn_decode.median";
    if (r[col] === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [col], message: "required (a positive time, ms) for this row's phase" });
  });

/** Validate rows; every problem names file, row (1 = first data row) and column. */
function validateRows<S extends z.ZodTypeAny>(schema: S, rows: Record<string, string>[], file: string, problems: string[]): z.output<S>[] {
  const out: z.output<S>[] = [];
  rows.forEach((r, i) => {
    const v = schema.safeParse(r);
    if (v.success) out.push(v.data);
    else for (const iss of v.error.issues) problems.push(`${file}: row ${i + 1}, column ${iss.path.join(".") || "?"}: ${iss.message}${r[String(iss.path[0])] === undefined ? " (column missing)" : ""}`);
  });
  return out;
}

/** One Vidur-format profile directory -> a table (throws ZzzDataError naming every bad file, row and column). */
export function readVidurProfile(dir: string, device: string, dtype: Dtype): ProfileTable {
  const problems: string[] = [];
  const mlpFile = join(dir, "mlp.csv");
  const attFile = join(dir, "attention.csv");
  const mlp = validateRows(MlpRow, readCsv(mlpFile), mlpFile, problems);
  const att = validateRows(AttentionRow, readCsv(attFile), attFile, problems);
  if (!mlp.length && !problems.length) problems.push(`${mlpFile}: no rows`);
  if (problems.length) throw new ZzzDataError(`invalid Vidur profile (nothing from it is used):\n  ${problems.join("\n  ")}`);
  const m0 = mlp[0]!;
  const ops: ProfileTable["ops"] = {};
  for (const o of MLP_OPS)
    ops[o] = mlp
      .filter((r) => r.num_tensor_parallel_workers === 1)
      .map((r) => ({ tokens: r.num_tokens, time_s: (r as Record<string, number>)[`time_stats.${o}.median`]! * MS }))
      .sort((a, b) => a.tokens - b.tokens);
  const tp1 = att.filter((r) => r.num_tensor_parallel_workers === 1);
  return {
    source: dir,
    device,
    dtype,
    model: { n_embd: m0.n_embd, n_head: m0.n_head, n_kv_head: m0.n_kv_head, n_expanded_embd: m0.n_expanded_embd },
    ops,
    attn_prefill: tp1
      .filter((r) => r.is_prefill === "True")
      .map((r) => ({ batch: r.batch_size, q_len: r.prefill_chunk_size, kv_before: r.kv_cache_size, time_s: r["time_stats.attn_prefill.median"]! * MS })),
    attn_decode: tp1.filter((r) => r.is_prefill === "False").map((r) => ({ batch: r.batch_size, kv_len: r.kv_cache_size, time_s: r["time_stats.attn_decode.median"]! * MS })),
    kv_save: tp1.map((r) => ({ tokens: r.is_prefill === "True" ? r.prefill_chunk_size * r.batch_size : r.batch_size, time_s: r["time_stats.attn_kv_cache_save.median"] * MS })),
  };
}

/** The newest dated measured set of each suite device: [device, set directory, "device/date", date]. */
function newestSets(suite: Suite): { dev: string; dir: string; set: string; date: string }[] {
  const base = join(suite.root, "suite/ground-truth/measured");
  const out: { dev: string; dir: string; set: string; date: string }[] = [];
  if (!existsSync(base)) return out;
  for (const dev of readdirSync(base).sort()) {
    if (!suite.hardware.get(dev)) continue;
    const dates = readdirSync(join(base, dev)).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort();
    const date = dates[dates.length - 1];
    if (!date) continue;
    out.push({ dev, dir: join(base, dev, date), set: `${dev}/${date}`, date });
  }
  return out;
}

/** measurements.csv of a set, parsed once per process (the calibration rows and the profile's precision read it). */
const measurementsCache = new Map<string, Record<string, string>[]>();
function measurements(file: string): Record<string, string>[] {
  let rows = measurementsCache.get(file);
  if (!rows) measurementsCache.set(file, (rows = readCsv(file)));
  return rows;
}

const rowsCache = new Map<string, Map<string, CalibrationRow[]>>();
const profilesCache = new Map<string, Map<string, ProfileTable[]>>();

/**
 * Calibration rows of every suite device that has a measured set (cached per suite root). The
 * device layer's microbench calibration needs only these; the Vidur profiles (loadZzzProfiles) are
 * read when the profiled mode asks for them, so that a one-cell run (the `zzz` command line) does
 * not parse them.
 */
export function loadCalibrationRows(suite: Suite): Map<string, CalibrationRow[]> {
  const hit = rowsCache.get(suite.root);
  if (hit) return hit;
  const calibrationRows = new Map<string, CalibrationRow[]>();
  const gtKeys = new Map<string, string>(); // gt_id -> cell_id
  for (const g of suite.groundTruth) gtKeys.set(g.gt_id, g.cell_id);
  const problems: string[] = [];
  for (const { dev, dir, set, date } of newestSets(suite)) {
    const file = join(dir, "measurements.csv");
    if (!existsSync(file)) continue;
    const rows: CalibrationRow[] = [];
    for (const [i, r] of measurements(file).entries()) {
      if (!r.workload_key?.startsWith("ceiling.")) continue;
      const v = MeasurementRow.safeParse(r);
      if (!v.success) {
        problems.push(`${file}: row ${i + 1}: ${v.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
        continue;
      }
      const m = v.data;
      const gtId = `measured.${dev}.${date}.${m.workload_key}${m.engine === "pytorch-cudagraph" ? ".cudagraph" : ""}`;
      rows.push({ set, workload_key: m.workload_key, engine: m.engine, group: m.group, precision: m.precision as Dtype, latency_s: m.latency_s, flops: m.flops, bytes: m.bytes, date, cell_id: gtKeys.get(gtId) });
    }
    calibrationRows.set(dev, rows);
  }
  if (problems.length) throw new ZzzDataError(`ZZZ calibration data is invalid; nothing is written:\n${problems.join("\n")}`);
  rowsCache.set(suite.root, calibrationRows);
  return calibrationRows;
}

/** The Vidur-format profiles of every suite device that has them in its newest measured set (cached per suite root). */
export function loadZzzProfiles(suite: Suite): Map<string, ProfileTable[]> {
  const hit = profilesCache.get(suite.root);
  if (hit) return hit;
  const profiles = new Map<string, ProfileTable[]>();
  const problems: string[] = [];
  for (const { dev, dir } of newestSets(suite)) {
    const vdir = join(dir, "vidur");
    if (!existsSync(join(vdir, "mlp.csv")) || !existsSync(join(vdir, "attention.csv"))) continue;
    const file = join(dir, "measurements.csv");
    const precision = ((existsSync(file) ? measurements(file)[0]?.precision : undefined) ?? "bf16") as Dtype;
    try {
      profiles.set(dev, [readVidurProfile(vdir, suite.hardware.get(dev)!.name, precision)]);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) throw new ZzzDataError(`ZZZ calibration data is invalid; nothing is written:\n${problems.join("\n")}`);
  profilesCache.set(suite.root, profiles);
  return profiles;
}

/** Calibration rows and profiles of every device that has a measured set (cached per suite root). */
export function loadZzzData(suite: Suite): ZzzData {
  return { calibrationRows: loadCalibrationRows(suite), profiles: loadZzzProfiles(suite) };
}
