/**
 * Chakra ETs of one training step (iteration) for ASTRA-sim: per-block compute nodes with given
 * durations, tensor-parallel (TP) and data-parallel (DP) all-reduces, and pipeline-parallel (PP)
 * send/recv pairs, ordered by Megatron-LM's 1F1B pipeline schedule (PipeDream-Flush), non-interleaved
 * or interleaved with several model chunks per device (scheduleOf). ASTRA-sim simulates the communication and the scheduling
 * (dependencies, one compute and one communication in flight per NPU); the compute durations come
 * from outside (training-plan.ts: ZZZ v1 per-operator estimates).
 *
 * COMPUTE_TIME_UNIT_NOTE (astra-sim@4f387bcd, chakra@214f2c55):
 *  - a compute node's time is Node.duration_micros (et_def.proto field 7, uint64), read by the feeder
 *    as runtime (extern/graph_frontend/chakra/src/feeder/et_feeder_node.cpp:10
 *    `this->runtime_ = node->duration_micros();`);
 *  - Workload::issue_comp (astra-sim/workload/Workload.cc:194-215) uses a roofline only when the
 *    system config enables it (`roofline-enabled`, Sys.cc:476-479; not set here), else
 *    Workload::issue_replay (Workload.cc:164-179): `runtime = node->runtime() * 1000` with the comment
 *    "chakra runtimes are in microseconds and we should convert it into nanoseconds" (Workload.cc:
 *    168-171), registered as an event `runtime` ticks later (1 tick = 1 ns, adapter.ts CYCLE_S);
 *  - a compute node with runtime 0 and num_ops 0 is skipped (Workload.cc:132-133), so every duration
 *    written here is at least 1 us; durations are rounded to whole microseconds.
 * Dependencies: only data_deps are followed (et_feeder.cpp freeChildrenNodes); among dependency-free
 * nodes the lowest id is issued first (et_feeder.h CompareNodes). One compute node and one
 * communication node (collective or send; a recv does not count) are in flight per NPU at a time
 * (astra-sim/workload/HardwareResource.cc:35-100).
 * Collectives over a subset of NPUs use the node attribute involved_dim (bool_list, Workload.cc:
 * 223-249): the parallel axes are laid out as network dimensions [tp, dp, pp] (each only when > 1),
 * NPU id = t + tp * (d + dp * p), as MultiDimTopology::translate_address (astra-network-analytical
 * congestion_unaware/multi-dim-topology/MultiDimTopology.cpp) decomposes an id, first dimension fastest.
 */
import { encodeEt, encodeNodeFramed, etHeader, NodeType, CollectiveCommType, type EtNode, type Attr } from "./chakra-et.ts";

/** One unit of work of a pipeline stage, in forward order (e.g. a transformer layer's attention or MLP half). */
export interface Block {
  name: string;
  /** Forward compute of one micro-batch on one NPU, us. */
  fwd_us: number;
  /** Backward compute of one micro-batch on one NPU, us. */
  bwd_us: number;
  /** TP all-reduce after the forward compute (bytes per NPU), 0 for none. */
  fwd_tp_ar_bytes: number;
  /** TP all-reduce after the backward compute (bytes per NPU), 0 for none. */
  bwd_tp_ar_bytes: number;
  /** DP all-reduce of this block's gradients after the last micro-batch's backward (bytes per NPU), 0 for none. */
  grad_bytes: number;
}

export interface StepSpec {
  tp: number;
  pp: number;
  dp: number;
  /** Micro-batches per step on each pipeline (global batch / (dp x micro-batch size)). */
  microbatches: number;
  /**
   * Blocks of each (virtual) pipeline stage, forward order; length pp x virtual_stages. Virtual stage
   * c x pp + p is model chunk c of device p (Megatron's interleaved layout); with one chunk, stage p.
   */
  stages: Block[][];
  /** Model chunks per device (Megatron's virtual pipeline size, interleaved 1F1B); 1 or absent: 1F1B. */
  virtual_stages?: number;
  /** Bytes sent between adjacent stages per micro-batch (activations forward, their gradients backward). */
  pp_bytes: number;
  /**
   * true: each block's DP gradient all-reduce starts when that block's last backward compute is done
   * (overlapped with the rest of the backward). false: the DP all-reduces start after the stage's whole
   * schedule (its last backward, its TP all-reduces and its last send), in backward block order. With TP
   * or PP communication, false is used: ASTRA-sim runs one communication node at a time per NPU, so an
   * overlapped DP all-reduce would hold back the TP all-reduces and pipeline sends of the last
   * micro-batch's backward on every stage (Megatron runs them on separate CUDA streams).
   */
  dp_overlap: boolean;
}

/** Network dimensions of a step: the parallel axes of size > 1, in the order tp, dp, pp. */
export function stepDims(s: Pick<StepSpec, "tp" | "dp" | "pp">): { axis: "tp" | "dp" | "pp"; size: number }[] {
  return (["tp", "dp", "pp"] as const).filter((a) => s[a] > 1).map((axis) => ({ axis, size: s[axis] }));
}

export function rankOf(s: Pick<StepSpec, "tp" | "dp">, t: number, d: number, p: number): number {
  return t + s.tp * (d + s.dp * p);
}

/** 1F1B order of one stage: warm-up forwards, alternating forward/backward, cool-down backwards. */
export function oneFOneB(stage: number, pp: number, m: number): { dir: "F" | "B"; mb: number }[] {
  const warm = Math.min(pp - stage - 1, m);
  const out: { dir: "F" | "B"; mb: number }[] = [];
  for (let i = 0; i < warm; i++) out.push({ dir: "F", mb: i });
  for (let i = 0; i < m - warm; i++) {
    out.push({ dir: "F", mb: warm + i });
    out.push({ dir: "B", mb: i });
  }
  for (let i = m - warm; i < m; i++) out.push({ dir: "B", mb: i });
  return out;
}

const us = (x: number): number => {
  if (!(x > 0) || !Number.isFinite(x)) throw new Error(`compute duration must be a positive number of us, got ${x}`);
  return Math.max(1, Math.round(x));
};

export interface ScheduleItem {
  dir: "F" | "B";
  mb: number;
  /** Model chunk (virtual stage index on this device), 0 for a non-interleaved schedule. */
  chunk: number;
}

/**
 * Megatron-LM's interleaved 1F1B order on device `p` with `v` model chunks per device
 * (megatron/core/pipeline_parallel/schedules.py, forward_backward_pipelining_with_interleaving):
 * warm-up = min((pp - p - 1) x 2 + (v - 1) x pp, m x v) forwards, then forward k + warm-up / backward k
 * pairs, then the remaining backwards; the k-th forward runs chunk (k mod (pp v)) div pp on micro-batch
 * (k div (pp v)) x pp + k mod pp, the k-th backward the chunks in reverse order. v = 1 is oneFOneB.
 */
export function scheduleOf(p: number, pp: number, m: number, v: number): ScheduleItem[] {
  if (v === 1) return oneFOneB(p, pp, m).map((x) => ({ ...x, chunk: 0 }));
  if (pp < 2 || m % pp !== 0) throw new Error(`interleaved schedule: needs pp > 1 and micro-batches (${m}) a multiple of pp (${pp})`);
  const total = m * v;
  const warm = Math.min((pp - p - 1) * 2 + (v - 1) * pp, total);
  const chunkOf = (k: number, fwd: boolean) => {
    const c = Math.floor((k % (pp * v)) / pp);
    return fwd ? c : v - 1 - c;
  };
  const mbOf = (k: number) => Math.floor(k / (pp * v)) * pp + (k % pp);
  const F = (k: number): ScheduleItem => ({ dir: "F", mb: mbOf(k), chunk: chunkOf(k, true) });
  const B = (k: number): ScheduleItem => ({ dir: "B", mb: mbOf(k), chunk: chunkOf(k, false) });
  const out: ScheduleItem[] = [];
  for (let k = 0; k < warm; k++) out.push(F(k));
  for (let k = 0; k < total - warm; k++) out.push(F(k + warm), B(k));
  for (let k = total - warm; k < total; k++) out.push(B(k));
  return out;
}

/** The nodes of one rank's ET. */
export function rankNodes(s: StepSpec, t: number, d: number, p: number): EtNode[] {
  const v = s.virtual_stages ?? 1;
  if (s.stages.length !== s.pp * v) throw new Error(`stages: expected ${s.pp * v} (pp x virtual stages), got ${s.stages.length}`);
  const dims = stepDims(s);
  const involved = (axis: "tp" | "dp"): Attr => ({ name: "involved_dim", boolList: dims.map((x) => x.axis === axis) });
  const nodes: EtNode[] = [];
  const late: Omit<EtNode, "id">[] = [];
  let nextId = 0;
  const add = (n: Omit<EtNode, "id">): number => {
    nodes.push({ id: nextId, ...n });
    return nextId++;
  };
  const cpu = { name: "is_cpu_op", bool: false } as const;
  const coll = (name: string, bytes: number, axis: "tp" | "dp", deps: number[]): Omit<EtNode, "id"> => ({
    name,
    type: NodeType.COMM_COLL_NODE,
    dataDeps: deps,
    attrs: [cpu, { name: "comm_type", int64: CollectiveCommType.ALL_REDUCE }, { name: "comm_size", int64: bytes }, involved(axis)],
  });
  const p2p = (type: number, name: string, src: number, dst: number, tag: number, deps: number[]): Omit<EtNode, "id"> => ({
    name,
    type,
    dataDeps: deps,
    attrs: [cpu, { name: "comm_src", int32: src }, { name: "comm_dst", int32: dst }, { name: "comm_tag", int32: tag }, { name: "comm_size", int64: s.pp_bytes }],
  });
  const me = rankOf(s, t, d, p);
  const rankAt = (q: number) => rankOf(s, t, d, q);
  // Neighbouring (device, chunk) of chunk c on this device in the forward direction: the next device,
  // or from the last device to the first one's next chunk (interleaved); and backwards.
  const fwdNext = (c: number): [number, number] | undefined => (p < s.pp - 1 ? [p + 1, c] : c < v - 1 ? [0, c + 1] : undefined);
  const fwdPrev = (c: number): [number, number] | undefined => (p > 0 ? [p - 1, c] : c > 0 ? [s.pp - 1, c - 1] : undefined);
  // Tags name the receiving chunk: unique per micro-batch, chunk and direction (= 2 mb, 2 mb + 1 when v = 1).
  const tagF = (mb: number, c: number) => 2 * (mb * v + c);
  const tagB = (mb: number, c: number) => 2 * (mb * v + c) + 1;
  const sfx = (c: number) => (v > 1 ? `_c${c}` : "");
  // Receives are posted at the start (no dependencies); a transfer that arrives first waits for its
  // receive (CommonNetworkApi::sim_recv / process_chunk_arrival).
  const recvF = new Map<string, number>();
  const recvB = new Map<string, number>();
  for (let mb = 0; mb < s.microbatches; mb++)
    for (let c = 0; c < v; c++) {
      const from = fwdPrev(c);
      const back = fwdNext(c);
      if (from) recvF.set(`${mb}:${c}`, add(p2p(NodeType.COMM_RECV_NODE, `recv_act_mb${mb}${sfx(c)}`, rankAt(from[0]), me, tagF(mb, c), [])));
      if (back) recvB.set(`${mb}:${c}`, add(p2p(NodeType.COMM_RECV_NODE, `recv_grad_mb${mb}${sfx(c)}`, rankAt(back[0]), me, tagB(mb, c), [])));
    }
  const tpOn = s.tp > 1;
  const dpOn = s.dp > 1;
  let prev: number | undefined;
  const chain = (extra?: number): number[] => [...(prev !== undefined ? [prev] : []), ...(extra !== undefined ? [extra] : [])];
  const schedule = scheduleOf(p, s.pp, s.microbatches, v);
  schedule.forEach(({ dir, mb, chunk: c }, idx) => {
    const blocks = s.stages[c * s.pp + p]!;
    const order = dir === "F" ? blocks : [...blocks].reverse();
    order.forEach((b, i) => {
      const first = i === 0 ? (dir === "F" ? recvF : recvB).get(`${mb}:${c}`) : undefined;
      const comp = add({
        name: `${dir === "F" ? "fwd" : "bwd"}_mb${mb}_${b.name}`,
        type: NodeType.COMP_NODE,
        dataDeps: chain(first),
        durationMicros: us(dir === "F" ? b.fwd_us : b.bwd_us),
        attrs: [cpu],
      });
      prev = comp;
      const arBytes = dir === "F" ? b.fwd_tp_ar_bytes : b.bwd_tp_ar_bytes;
      if (tpOn && arBytes > 0) prev = add(coll(`${dir === "F" ? "fwd" : "bwd"}_mb${mb}_${b.name}_tp_allreduce`, arBytes, "tp", [prev]));
      // Gradients of the block are complete after the last micro-batch's backward compute; their DP
      // all-reduce gets an id after every other node, so TP/PP communication goes first when both wait.
      if (dir === "B" && mb === s.microbatches - 1 && dpOn && b.grad_bytes > 0) late.push(coll(`${b.name}_dp_grad_allreduce`, b.grad_bytes, "dp", s.dp_overlap ? [comp] : []));
    });
    // Send the activation (forward) or its gradient (backward) to the neighbouring (device, chunk);
    // the device goes on without waiting for the transfer.
    const to = dir === "F" ? fwdNext(c) : fwdPrev(c);
    if (to) {
      const send = add(
        p2p(NodeType.COMM_SEND_NODE, `send_${dir === "F" ? "act" : "grad"}_mb${mb}${sfx(c)}`, me, rankAt(to[0]), dir === "F" ? tagF(mb, to[1]) : tagB(mb, to[1]), [prev!]),
      );
      // (not in the compute chain; for a non-overlapped DP all-reduce the last send is the device's last node)
      if (idx === schedule.length - 1) prev = send;
    }
  });
  // DP all-reduces last (highest ids): without overlap each waits for the previous one, the first for
  // the device's last node.
  let last = prev;
  for (const n of late) {
    if (!s.dp_overlap) n.dataDeps = last !== undefined ? [last] : [];
    last = add(n);
  }
  return nodes;
}

/**
 * One rank's ET file. `cache` (one per StepSpec) reuses the encoding of compute and collective nodes,
 * which are the same on every rank of a stage (only send/recv nodes name ranks); the bytes are those
 * of encodeEt(rankNodes(...)) either way (tested).
 */
export function rankEt(s: StepSpec, rank: number, cache?: Map<string, Buffer>): Buffer {
  const t = rank % s.tp;
  const d = Math.floor(rank / s.tp) % s.dp;
  const p = Math.floor(rank / (s.tp * s.dp));
  const nodes = rankNodes(s, t, d, p);
  if (!cache) return encodeEt(nodes);
  const parts = [etHeader()];
  for (const n of nodes) {
    if (n.type === NodeType.COMM_SEND_NODE || n.type === NodeType.COMM_RECV_NODE) {
      parts.push(encodeNodeFramed(n));
      continue;
    }
    const k = `${p}:${n.id}`;
    let b = cache.get(k);
    if (!b) cache.set(k, (b = encodeNodeFramed(n)));
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** Ideal (no communication, no bubble) compute time of the device with the most work, us. */
export function maxStageComputeUs(s: StepSpec): number {
  const v = s.virtual_stages ?? 1;
  const per = Array.from({ length: s.pp }, () => 0);
  s.stages.forEach((bs, vs) => (per[vs % s.pp]! += s.microbatches * bs.reduce((a, b) => a + us(b.fwd_us) + us(b.bwd_us), 0)));
  if (s.stages.length !== s.pp * v) throw new Error("stages: expected pp x virtual stages");
  return Math.max(...per);
}
