/**
 * NCCL's own cost model, re-implemented: per (collective, algorithm, protocol) a latency and a bus
 * bandwidth, the algorithm/protocol pair with the minimum predicted time chosen per message size, as
 * NCCL's tuner does (ncclTopoGetAlgoTime; time = latency + bytes / algorithm bandwidth).
 *
 * Every constant below is copied from NVIDIA/nccl at commit 5067397c2676d5aed50042fc39e5c8ee96eb0027
 * (master, 2026-06-11), `src/graph/tuning.cc` (ncclTunerConstantsDefaults, nvlsEfficiency,
 * ncclTopoTuneModel, treeCorrectionFactor), `src/graph/topo.h` (SM80/SM90/SM100_NVLINK_BW, the
 * per-link NVLink bandwidth NCCL assumes) and `src/transport/nvls.cc` (NVLS_NCHANNELS_SM90). NCCL
 * computes bandwidth in GB/s and latency in microseconds; this file does the same internally and
 * returns seconds.
 *
 * What NCCL learns from its topology search, and this model cannot see, is stated as assumptions:
 * - Intra-node ring/tree: nChannels * bwIntra = n_links * NVLINK_BW (all NVLinks of a GPU carry the
 *   ring, one NVSwitch hop per step); without n_links, the datasheet bandwidth of the tier is used.
 * - Inter-node (rail-optimised, one NIC per GPU): nChannels * bwInter = the tier's per-GPU network
 *   bandwidth; graphs' latencyInter = the tier's latency_s.
 * - nChannels (for the LL128 and tree caps) = n_links (intra) or 8 (inter); NVLS uses 16 channels.
 * - Tree within one node and NVLS need NVSwitch; NVLS only where the tier says nvls (Hopper+).
 * - LL128 is enabled (NCCL enables it by default on NVLink for the GPUs here).
 * Point-to-point (send-recv, all-to-all, pipeline sends) has no tuner entry in NCCL: it is charged
 * one Simple ring step of latency (hwLat) plus bytes over the per-GPU bandwidth of the tier crossed.
 *
 * The per-call fixed cost of the caller's stack (host launch, framework) is NOT part of NCCL's
 * model; callers pass it as `call_overhead_s` (see the adapter's calibration).
 */
import type { CollectiveOp, GpuGeneration, TierSpec, Topology } from "./types.ts";

export type NcclAlgorithm = "ring" | "tree" | "nvls";
export type NcclProtocol = "LL" | "LL128" | "Simple";
export const NCCL_ALGORITHMS: NcclAlgorithm[] = ["tree", "ring", "nvls"];
export const NCCL_PROTOCOLS: NcclProtocol[] = ["LL", "LL128", "Simple"];
export const NCCL_COMMIT = "5067397c2676d5aed50042fc39e5c8ee96eb0027";

type ByProto = Record<NcclProtocol, number>;
const P = (ll: number, ll128: number, simple: number): ByProto => ({ LL: ll, LL128: ll128, Simple: simple });

/** baseLatencies, us (tuning.cc). */
const BASE_LAT: Record<NcclAlgorithm, ByProto> = { tree: P(6.8, 14.0, 8.4), ring: P(6.6, 14.0, 8.4), nvls: P(0, 0, 0) };
/** hwLatencies, us (tuning.cc): NVLINK, PCI, NET rows. */
const HW_LAT: Record<"nvlink" | "pcie" | "net", Record<NcclAlgorithm, ByProto>> = {
  nvlink: { tree: P(0.6, 1.25, 4.0), ring: P(0.6, 1.9, 3.4), nvls: P(0, 0, 25) },
  pcie: { tree: P(1.0, 1.9, 4.0), ring: P(1.0, 2.5, 5.7), nvls: P(0, 0, 0) },
  net: { tree: P(5.0, 8.5, 14), ring: P(2.7, 4.0, 14.0), nvls: P(0, 0, 18) },
};
const GEN_INDEX: Record<GpuGeneration, number> = { volta: 0, ampere: 1, hopper: 2, blackwell: 3 };
/** llMaxBws, GB/s: [gen or cpu][nodes index N1/N2/N4]. Single node: by GPU generation. Multi-node: Intel row (index 0). */
const LL_MAX_BW_N1 = [39.0, 87.7, 141.0, 2 * 141.0];
const LL_MAX_BW_MULTI_INTEL = [39.0, 39.0, 20.4];
const PER_CH_MAX_RING_LL128_BW = [
  [20.0, 20.0, 20.0],
  [20.0, 20.0, 20.0],
  [36.7, 36.7, 36.7],
  [40.0, 40.0, 40.0],
];
const PER_CH_MAX_TREE_LL128_BW = [
  [20.0, 20.0, 20.0],
  [20.0, 20.0, 20.0],
  [36.7, 36.7, 29.0],
  [55.6, 31.67, 20.0],
];
const PER_CH_MAX_TREE_BW = [
  [26.5, 18.5, 10.0],
  [24.0, 23.6, 17.8],
  [38.7, 41.4, 36.0],
  [70.0, 42.8, 24.0],
];
const NVLS_EFFICIENCY = [0, 0, 0.85, 0.74];
const NVLS_NCHANNELS = 16;
/** topo.h: NVLink bandwidth NCCL assumes per link, GB/s. */
export const NCCL_NVLINK_BW_GBPS: Record<GpuGeneration, number> = { volta: 20.0, ampere: 20.0, hopper: 20.6, blackwell: 40.1 };
/** treeCorrectionFactor[protocol][log2(bytes/64)], 64 B .. 256 MiB (tuning.cc). */
const TREE_CORRECTION: Record<NcclProtocol, number[]> = {
  LL: [1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 0.7, 0.7, 0.7, 0.7, 0.6, 0.5, 0.4, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0],
  LL128: [1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.8, 0.9, 0.9, 0.9, 0.9, 1.0, 1.0, 1.0],
  Simple: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.7, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0.6, 0.7, 0.8, 0.7, 0.7, 0.8, 0.9, 0.9, 0.9],
};

/** A communicator: n ranks laid out over nodes of ppn ranks each. */
export interface Group {
  n_ranks: number;
  n_nodes: number;
}

export interface NcclChoice {
  algorithm: NcclAlgorithm | "p2p";
  protocol: NcclProtocol;
  /** NCCL's model latency (without the per-call overhead), s. */
  latency_s: number;
  /** Algorithm bandwidth (bytes of the buffer per second). */
  algo_bandwidth_bytes_per_s: number;
  /** latency + bytes / algorithm bandwidth + call overhead, s. */
  time_s: number;
}

/** NCCL-usable per-GPU bandwidth of a tier, GB/s (see the header's assumptions). */
export function tierBandwidthGBps(tier: TierSpec, gen: GpuGeneration): number {
  if (tier.kind === "nvlink" && tier.n_links !== undefined) return tier.n_links * NCCL_NVLINK_BW_GBPS[gen];
  return tier.bandwidth_bytes_per_s / 1e9;
}

function nsteps(op: CollectiveOp, n: number): number {
  return op === "all-reduce" ? 2 * (n - 1) : op === "all-gather" || op === "reduce-scatter" ? n - 1 : n;
}

function log2i(x: number): number {
  return Math.floor(Math.log2(Math.max(1, x)));
}

/** Latency (us) and algorithm bandwidth (GB/s) of one (algorithm, protocol) for a collective, or undefined if NCCL would not use it. */
export function ncclModel(
  op: "all-reduce" | "all-gather" | "reduce-scatter",
  algo: NcclAlgorithm,
  proto: NcclProtocol,
  group: Group,
  topo: Topology,
): { latency_us: number; bw_GBps: number } | undefined {
  const { n_ranks: n, n_nodes: nNodes } = group;
  if (n <= 1) return undefined;
  const g = GEN_INDEX[topo.generation];
  const idx2 = nNodes <= 2 ? nNodes - 1 : 2;
  const ppn = n / nNodes;
  const multi = nNodes > 1;
  if (multi && !topo.inter) return undefined;
  const intraHw = topo.intra.kind === "nvlink" ? "nvlink" : "pcie";
  const hw = multi ? "net" : intraHw;
  const steps = nsteps(op, n);
  if ((op === "all-gather" || op === "reduce-scatter") && algo === "tree") return undefined;
  if (algo === "nvls" && (proto !== "Simple" || !topo.intra.nvls || multi || ppn < 2)) return undefined;
  if (algo === "tree" && op !== "all-reduce") return undefined;
  const intraBw = tierBandwidthGBps(topo.intra, topo.generation);
  const interBw = topo.inter ? tierBandwidthGBps(topo.inter, topo.generation) : Infinity;
  const nChannels = multi ? 8 : (topo.intra.n_links ?? 8);
  const llMaxBw = multi ? LL_MAX_BW_MULTI_INTEL[idx2]! : LL_MAX_BW_N1[g]!;
  let busBw: number;
  if (algo === "nvls") {
    // bwIntra * nvlsEfficiency * (nCh-1)/nCh per channel, x2 for all-reduce (two pipelined ops), else x (ppn-1)/ppn.
    let bw = intraBw * NVLS_EFFICIENCY[g]! * ((NVLS_NCHANNELS - 1) / NVLS_NCHANNELS);
    bw *= op === "all-reduce" ? 2 : (ppn - 1) / ppn;
    if (bw <= 0) return undefined;
    busBw = bw;
  } else {
    busBw = multi ? Math.min(intraBw, interBw) : intraBw;
  }
  if (algo === "ring" && proto === "LL") busBw = Math.min(llMaxBw, busBw * 0.5);
  if (algo === "ring" && proto === "LL128") busBw = Math.min(busBw * 0.92, nChannels * PER_CH_MAX_RING_LL128_BW[g]![idx2]!);
  if (algo === "tree" && op === "all-reduce") busBw = Math.min(busBw * 0.92, nChannels * PER_CH_MAX_TREE_BW[g]![idx2]!);
  if (algo === "tree" && proto === "LL") busBw = Math.min(busBw / 3.8, llMaxBw);
  if (algo === "tree" && proto === "LL128") busBw = Math.min(busBw * (nNodes === 1 ? 7 / 9 : 120 / 128), nChannels * PER_CH_MAX_TREE_LL128_BW[g]![idx2]!);
  // bus bandwidth -> algorithm bandwidth
  if (algo === "ring" || algo === "nvls") busBw *= n / steps;
  else busBw *= 0.5;
  let lat = BASE_LAT[algo][proto];
  const intraLat0 = HW_LAT[intraHw][algo][proto];
  const interLatency_us = (topo.inter?.latency_s ?? 0) * 1e6;
  let interLat = (ppn === 1 ? HW_LAT.net.tree[proto] : HW_LAT.net[algo][proto]) + interLatency_us;
  if (proto === "Simple") interLat += interLatency_us;
  if (algo === "ring") {
    let intraLat = intraLat0;
    if (multi) intraLat = Math.max(intraLat, proto === "Simple" ? 3 : 1); // NET_OVERHEAD 1 us (x86 Intel), x3 for Simple
    const nInter = !multi ? 0 : op === "all-reduce" ? 2 * (nNodes - 1) : nNodes - 1;
    lat += (steps - nInter) * intraLat + nInter * interLat;
    void hw;
  } else if (algo === "tree") {
    lat += 2 * ((ppn - 1) * intraLat0 + log2i(nNodes) * interLat);
  } else {
    lat = intraLat0;
  }
  return { latency_us: lat, bw_GBps: busBw };
}

/** NCCL's time for one (algorithm, protocol), us, with tree correction and the multi-node ring plateau. */
function algoTimeUs(op: CollectiveOp, algo: NcclAlgorithm, proto: NcclProtocol, m: { latency_us: number; bw_GBps: number }, bytes: number, group: Group, nChannels: number): number {
  let bw = m.bw_GBps;
  let lat = m.latency_us;
  const logSize = log2i(Math.floor(bytes / 64));
  if (algo === "tree" && op === "all-reduce" && bytes >= 64 && logSize < 23) bw *= TREE_CORRECTION[proto][logSize]!;
  if (algo === "ring" && proto === "Simple" && group.n_nodes > 1 && op === "all-reduce" && bytes / (nChannels * group.n_ranks) >= 64) lat *= 1.4;
  return lat + bytes / (1000 * bw);
}

/**
 * Time of one collective on `bytes` (the full buffer: reduced vector for all-reduce and reduce-scatter
 * input, gathered output for all-gather, message for send-recv, per-device send buffer for all-to-all),
 * over `group` on `topo`: NCCL's minimum-time algorithm and protocol, plus `call_overhead_s`.
 */
export function ncclCollective(op: CollectiveOp, bytes: number, group: Group, topo: Topology, call_overhead_s = 0): NcclChoice {
  const n = group.n_ranks;
  if (!Number.isInteger(n) || n < 1) throw new Error(`collective group size must be a positive integer, got ${n}`);
  if (group.n_nodes < 1 || n % group.n_nodes !== 0) throw new Error(`collective of ${n} ranks cannot be spread evenly over ${group.n_nodes} nodes`);
  if (group.n_nodes > 1 && !topo.inter) throw new Error(`topology ${topo.name} has no inter-node tier for a collective over ${group.n_nodes} nodes`);
  if (n === 1) return { algorithm: "ring", protocol: "Simple", latency_s: 0, algo_bandwidth_bytes_per_s: Infinity, time_s: 0 };
  if (op === "send-recv" || op === "all-to-all") {
    const tier = group.n_nodes > 1 ? topo.inter! : topo.intra;
    const bw = tierBandwidthGBps(tier, topo.generation) * 1e9;
    const hwk = group.n_nodes > 1 ? "net" : tier.kind === "nvlink" ? "nvlink" : "pcie";
    const latency_s = HW_LAT[hwk].ring.Simple * 1e-6 + tier.latency_s;
    // all-to-all: each rank sends (n-1)/n of its buffer; across nodes the off-node share goes over the NIC.
    const moved = op === "send-recv" ? bytes : group.n_nodes > 1 ? (bytes * (n - n / group.n_nodes)) / n : (bytes * (n - 1)) / n;
    const algo_bw = op === "send-recv" ? bw : (bw * bytes) / Math.max(moved, 1);
    return { algorithm: "p2p", protocol: "Simple", latency_s, algo_bandwidth_bytes_per_s: algo_bw, time_s: latency_s + moved / bw + call_overhead_s };
  }
  let best: NcclChoice | undefined;
  const nChannels = group.n_nodes > 1 ? 8 : (topo.intra.n_links ?? 8);
  for (const a of NCCL_ALGORITHMS)
    for (const p of NCCL_PROTOCOLS) {
      const m = ncclModel(op, a, p, group, topo);
      if (!m || !(m.bw_GBps > 0)) continue;
      const t = algoTimeUs(op, a, p, m, bytes, group, nChannels) * 1e-6;
      if (!best || t + call_overhead_s < best.time_s)
        best = { algorithm: a, protocol: p, latency_s: m.latency_us * 1e-6, algo_bandwidth_bytes_per_s: m.bw_GBps * 1e9, time_s: t + call_overhead_s };
    }
  if (!best) throw new Error(`no NCCL algorithm for ${op} over ${n} ranks on ${topo.name}`);
  return best;
}
