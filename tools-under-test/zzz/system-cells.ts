/**
 * ZZZ's system-layer cells (zzz/system/): collectives on topologies, training steps and multi-GPU
 * inference. The main adapter (adapter.ts) calls `systemSupports` / `systemEstimate` first and falls
 * back to its own single-device logic when they return undefined.
 *
 * Translation of suite data into zzz/system types:
 * - Topology: `hw.node` -> intra tier (NVLink: bandwidth per direction, n_links, nvls) and inter tier
 *   (the per-GPU network bandwidth); GPU generation from the NVLink generation in `intra_node.kind`.
 * - Per-call fixed cost of a collective (host launch + framework), which NCCL's model does not contain:
 *   calibrated on Vidur's small-message rows that are NOT evaluation cells
 *   (suite/calibration/nccl-call-overhead/): per (node type, collective, group size), the median over
 *   the calibration rows of (measured - NCCL model time), floored at 0.
 */
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { ncclCollective, DEFAULT_PARAMS } from "../../zzz/index.ts";
import type { CollectiveOp, GpuGeneration, Topology, Bound } from "../../zzz/index.ts";
import type { Cell, Hardware } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { Support } from "../../pipeline/lib/tool.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface SystemEstimate {
  value: number;
  unit: string;
  flops: number;
  bytes: number;
  latency_s: number;
  bound: Bound;
  detail: string;
}

// ---------------------------------------------------------------- topology

function generationOf(kind: string): GpuGeneration | undefined {
  if (/nvlink2/.test(kind)) return "volta";
  if (/nvlink3/.test(kind)) return "ampere";
  if (/nvlink4/.test(kind)) return "hopper";
  if (/nvlink5/.test(kind)) return "blackwell";
  return undefined;
}

/** The cluster topology of a hardware entry, or a reason why there is none. */
export function topologyOf(hw: Hardware): Topology | string {
  const intra = hw.node.intra_node;
  if (!intra) return `hardware ${hw.id}: node.intra_node is missing (needed for any multi-GPU cell)`;
  const generation = generationOf(intra.kind);
  if (!generation) return `hardware ${hw.id}: node.intra_node.kind '${intra.kind}' names no NVLink generation (nvlink2..nvlink5)`;
  const inter = hw.node.inter_node;
  return {
    name: hw.id,
    generation,
    devices_per_node: hw.node.devices_per_node,
    intra: {
      kind: "nvlink",
      bandwidth_bytes_per_s: intra.bandwidth_bytes_per_s.value,
      n_links: intra.n_links?.value,
      // NCCL's hwLat constants already contain the NVLink/NVSwitch hop; the file's latency is not added twice.
      latency_s: 0,
      nvls: intra.nvls?.value === 1,
    },
    inter: inter ? { kind: "net", bandwidth_bytes_per_s: inter.bandwidth_bytes_per_s.value, latency_s: inter.latency_s?.value ?? 0 } : undefined,
  };
}

// ---------------------------------------------------------------- per-call fixed cost (calibration)

const CALIBRATION_DIR = `${root}suite/calibration/nccl-call-overhead/data`;
/** Hardware entry -> the Vidur node type whose calibration rows describe its stack. */
const CALIBRATION_NODE: Record<string, string> = { "a100-sxm4-80gb": "a100_dgx", "h100-sxm5-80gb": "h100_dgx" };
const CAL_FILE: Partial<Record<CollectiveOp, string>> = { "all-reduce": "all_reduce", "send-recv": "send_recv" };

interface CalRow {
  n: number;
  bytes: number;
  time_s: number;
}
const calCache = new Map<string, CalRow[]>();
function calibrationRows(node: string, op: CollectiveOp): CalRow[] {
  const file = CAL_FILE[op];
  if (!file) return [];
  const key = `${node}/${file}`;
  let rows = calCache.get(key);
  if (!rows) {
    const path = `${CALIBRATION_DIR}/${node}/${file}.csv`;
    rows = [];
    if (existsSync(path)) {
      const recs = parse(readFileSync(path, "utf8"), { columns: true }) as Record<string, string>[];
      const col = `time_stats.${file}.median`;
      for (const r of recs) rows.push({ n: Number(r.num_workers), bytes: Number(r.size), time_s: Number(r[col]) * 1e-3 });
    }
    calCache.set(key, rows);
  }
  return rows;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface CallOverhead {
  value_s: number;
  source: string;
}

/**
 * Per-call fixed cost of one collective call on this hardware's stack: from the calibration rows of
 * the same (node type, collective, group size) when present; otherwise the kernel launch overhead of
 * the device layer (DEFAULT_PARAMS.launch_overhead_s, an assumption stated there).
 */
export function callOverhead(hwId: string, op: CollectiveOp, n: number, topo: Topology): CallOverhead {
  const node = CALIBRATION_NODE[hwId];
  if (node) {
    const rows = calibrationRows(node, op).filter((r) => r.n === n);
    if (rows.length > 0) {
      const resid = rows.map((r) => r.time_s - ncclCollective(op, r.bytes, { n_ranks: n, n_nodes: 1 }, topo).time_s);
      return { value_s: Math.max(0, median(resid)), source: `calibration ${node}/${CAL_FILE[op]} n=${n} (${rows.length} rows, 2-128 KiB)` };
    }
  }
  return { value_s: DEFAULT_PARAMS.launch_overhead_s, source: "launch_overhead_s (no calibration rows)" };
}

// ---------------------------------------------------------------- cells

function collectiveSupport(cell: Cell, suite: Suite): Support {
  const w = cell.workload;
  if (w.kind !== "collective") throw new Error("not a collective");
  const hw = suite.hardware.get(cell.hardware)!;
  if (cell.metric !== "latency") return { ok: false, reason: `ZZZ predicts collective latency only, not ${cell.metric}` };
  const topo = topologyOf(hw);
  if (typeof topo === "string") return { ok: false, reason: topo };
  const perNode = Math.min(w.n_devices, topo.devices_per_node);
  if (w.n_devices % perNode !== 0) return { ok: false, reason: `cell ${cell.id}: workload.n_devices ${w.n_devices} does not fill whole nodes of ${topo.devices_per_node}` };
  if (w.n_devices > topo.devices_per_node && !topo.inter)
    return { ok: false, reason: `cell ${cell.id}: ${w.n_devices} devices span nodes, but hardware ${hw.id} has no node.inter_node tier` };
  return { ok: true };
}

function collectiveEstimate(cell: Cell, suite: Suite): SystemEstimate {
  const w = cell.workload;
  if (w.kind !== "collective") throw new Error("not a collective");
  const hw = suite.hardware.get(cell.hardware)!;
  const topo = topologyOf(hw) as Topology;
  const n_nodes = Math.max(1, Math.ceil(w.n_devices / topo.devices_per_node));
  const oh = callOverhead(hw.id, w.op, w.n_devices, topo);
  const c = ncclCollective(w.op, w.bytes, { n_ranks: w.n_devices, n_nodes }, topo, oh.value_s);
  return {
    value: c.time_s,
    unit: "s",
    flops: 0,
    bytes: w.bytes,
    latency_s: c.time_s,
    bound: "memory",
    detail: `${w.op} ${c.algorithm}/${c.protocol} (NCCL model) + call overhead ${(oh.value_s * 1e6).toFixed(1)} us [${oh.source}]`,
  };
}

/** Support decision for the cells the system layer owns, or undefined for the others. */
export function systemSupports(cell: Cell, suite: Suite): Support | undefined {
  if (!suite.hardware.get(cell.hardware)) return undefined;
  if (cell.workload.kind === "collective") return collectiveSupport(cell, suite);
  return undefined;
}

/** Estimate for the cells the system layer owns, or undefined for the others. */
export function systemEstimate(cell: Cell, suite: Suite): SystemEstimate | undefined {
  if (cell.workload.kind === "collective") return collectiveEstimate(cell, suite);
  return undefined;
}
