/**
 * ZZZ v2 profiled device method: per-op device times from a measured table of the target
 * (Vidur-format profiles: one row per (operator, num_tokens) for the MLP-side operators, one row per
 * (batch, prefill chunk or KV length) for attention), interpolated over shape, with a fixed
 * fallback ladder whose rung is recorded per op:
 *   1. profile-exact         the op's shape is a measured row;
 *   2. profile-interpolated  piecewise-linear between the two measured shapes around it;
 *   3. profile-nearest       outside the measured range: the nearest measured shape, scaled
 *                            linearly in the looked-up dimension (tokens, KV length, batch);
 *   4. profile-other-dtype   the same op in a table of another dtype on this device, scaled by the
 *                            dense-peak ratio of the two dtypes;
 *   5. analytical            no table has the op (device/analytical.ts).
 * A profile row times one logical operator (e.g. Vidur's `attn_rope` times all of RoPE's kernels):
 * the engine splits a group's profiled time over its kernels in proportion to their analytical
 * times (engine/predict-v2.ts), so the kernel count the host timeline sees is unchanged.
 * The tables are given as data (the pipeline reads and validates the CSV files).
 */
import type { Dtype, Op } from "../ir/types.ts";
import { peakFlops } from "./roofline.ts";
import type { DeviceSpec } from "./types.ts";
import type { Rung } from "./analytical.ts";

/** The model dimensions a table was measured for (an op is looked up only in a matching table). */
export interface ProfileModelKey {
  n_embd: number;
  n_head: number;
  n_kv_head: number;
  n_expanded_embd: number;
}

export interface ProfileTable {
  /** Where it came from, e.g. "suite/ground-truth/measured/h100-sxm5-80gb/2026-11-26/vidur". */
  source: string;
  device: string;
  dtype: Dtype;
  model: ProfileModelKey;
  /** Vidur MLP-side operator name -> (num_tokens, median seconds), sorted by tokens. */
  ops: Record<string, Array<{ tokens: number; time_s: number }>>;
  /** Prefill attention: (batch, q_len = prefill chunk, kv_len = KV cache before the chunk). */
  attn_prefill: Array<{ batch: number; q_len: number; kv_before: number; time_s: number }>;
  /** Decode attention: (batch, kv_len). */
  attn_decode: Array<{ batch: number; kv_len: number; time_s: number }>;
  /** KV-cache save, per token count of the batch (prefill rows: q_len tokens; decode rows: batch tokens). */
  kv_save: Array<{ tokens: number; time_s: number }>;
}

export interface ProfileAnswer {
  time_s: number;
  rung: Rung;
  source: string;
}

/** Piecewise-linear lookup over sorted (x, y) points. */
export function interpolate(points: Array<{ x: number; y: number }>, x: number): { y: number; rung: Rung; nearestX?: number } | undefined {
  if (points.length === 0) return undefined;
  const exact = points.find((p) => p.x === x);
  if (exact) return { y: exact.y, rung: "profile-exact" };
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (x < first.x) return { y: first.y, rung: "profile-nearest", nearestX: first.x };
  if (x > last.x) return { y: last.y, rung: "profile-nearest", nearestX: last.x };
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (x < b.x) return { y: a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x), rung: "profile-interpolated" };
  }
  return undefined;
}

/** Dedupe x by keeping the first, sort by x. */
function series<T>(rows: T[], x: (r: T) => number, y: (r: T) => number): Array<{ x: number; y: number }> {
  const m = new Map<number, number>();
  for (const r of rows) if (!m.has(x(r))) m.set(x(r), y(r));
  return [...m].map(([a, b]) => ({ x: a, y: b })).sort((p, q) => p.x - q.x);
}

/**
 * The profiled time of the logical operator `op` belongs to (its role), or undefined when this table
 * cannot answer. Outside the measured range the nearest shape's time is scaled linearly in the
 * looked-up dimension (tokens or KV length: work grows linearly in both).
 */
function lookupIn(t: ProfileTable, op: Op): ProfileAnswer | undefined {
  const scale = (nearest: number, x: number) => x / nearest;
  const role = op.role;
  if (!role) return undefined;
  if (role === "attn_decode" && op.attn) {
    const { batch, kv_len } = op.attn;
    const sameBatch = t.attn_decode.filter((r) => r.batch === batch);
    if (sameBatch.length) {
      const r = interpolate(series(sameBatch, (p) => p.kv_len, (p) => p.time_s), kv_len);
      if (r) return { time_s: r.nearestX ? r.y * scale(r.nearestX, kv_len) : r.y, rung: r.rung, source: t.source };
    }
    // interpolate across batch at this kv_len
    const sameKv = t.attn_decode.filter((p) => p.kv_len === kv_len);
    const r = interpolate(series(sameKv, (p) => p.batch, (p) => p.time_s), batch);
    if (r) return { time_s: r.y * (r.nearestX ? batch / r.nearestX : 1), rung: r.rung === "profile-exact" ? "profile-exact" : r.nearestX ? "profile-nearest" : "profile-interpolated", source: t.source };
    return undefined;
  }
  if (role === "attn_prefill" && op.attn) {
    const { batch, q_len, kv_len } = op.attn;
    const kvBefore = kv_len - q_len;
    const rows = t.attn_prefill.filter((p) => p.batch === 1 && p.kv_before === kvBefore);
    const r = interpolate(series(rows, (p) => p.q_len, (p) => p.time_s), q_len);
    if (!r) return undefined;
    // a batch of b sequences = b single-sequence calls' work (one kernel)
    return { time_s: (r.nearestX ? r.y * scale(r.nearestX, q_len) : r.y) * batch, rung: r.rung, source: t.source };
  }
  const pts = role === "attn_kv_cache_save" ? t.kv_save.map((p) => ({ tokens: p.tokens, time_s: p.time_s })) : t.ops[role];
  if (!pts || op.tokens === undefined) return undefined;
  const r = interpolate(series(pts, (p) => p.tokens, (p) => p.time_s), op.tokens);
  if (!r) return undefined;
  return { time_s: r.nearestX ? r.y * scale(r.nearestX, op.tokens) : r.y, rung: r.rung, source: t.source };
}

export function modelMatches(t: ProfileTable, key: ProfileModelKey): boolean {
  return t.model.n_embd === key.n_embd && t.model.n_head === key.n_head && t.model.n_kv_head === key.n_kv_head && t.model.n_expanded_embd === key.n_expanded_embd;
}

/**
 * Rungs 1-4 of the ladder for one logical operator on `device` in `dtype`; undefined means rung 5
 * (analytical). Only tables of this device and model are consulted.
 */
export function profiledTime(
  tables: ProfileTable[],
  op: Op,
  device: DeviceSpec,
  dtype: Dtype,
  model: ProfileModelKey,
): ProfileAnswer | undefined {
  const mine = tables.filter((t) => t.device === device.name && modelMatches(t, model));
  for (const t of mine.filter((x) => x.dtype === dtype)) {
    const a = lookupIn(t, op);
    if (a) return a;
  }
  for (const t of mine.filter((x) => x.dtype !== dtype)) {
    const a = lookupIn(t, op);
    if (a) return { time_s: (a.time_s * peakFlops(device, t.dtype)) / peakFlops(device, dtype), rung: "profile-other-dtype", source: t.source };
  }
  return undefined;
}
