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

const cache = new Map<string, ZzzData>();

/** Calibration rows and profiles of every device that has a measured set (cached per suite root). */
export function loadZzzData(suite: Suite): ZzzData {
  const hit = cache.get(suite.root);
  if (hit) return hit;
  const base = join(suite.root, "suite/ground-truth/measured");
  const calibrationRows = new Map<string, CalibrationRow[]>();
  const profiles = new Map<string, ProfileTable[]>();
  const gtKeys = new Map<string, string>(); // gt_id -> cell_id
  for (const g of suite.groundTruth) gtKeys.set(g.gt_id, g.cell_id);
  const problems: string[] = [];
  if (existsSync(base))
    for (const dev of readdirSync(base).sort()) {
      const hw = suite.hardware.get(dev);
      if (!hw) continue;
      const dates = readdirSync(join(base, dev)).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort();
      const date = dates[dates.length - 1];
      if (!date) continue;
      const dir = join(base, dev, date);
      const set = `${dev}/${date}`;
      const file = join(dir, "measurements.csv");
      if (existsSync(file)) {
        const rows: CalibrationRow[] = [];
        for (const [i, r] of readCsv(file).entries()) {
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
      const vdir = join(dir, "vidur");
      if (existsSync(join(vdir, "mlp.csv")) && existsSync(join(vdir, "attention.csv"))) {
        const precision = (readCsv(file)[0]?.precision ?? "bf16") as Dtype;
        try {
          profiles.set(dev, [readVidurProfile(vdir, hw.name, precision)]);
        } catch (e) {
          problems.push((e as Error).message);
        }
      }
    }
  if (problems.length) throw new ZzzDataError(`ZZZ calibration data is invalid; nothing is written:\n${problems.join("\n")}`);
  const data = { calibrationRows, profiles };
  cache.set(suite.root, data);
  return data;
}
