/**
 * Event-driven simulation of one training step over the devices of one pipeline (all data-parallel
 * replicas run the same schedule), and the step's breakdown.
 *
 * Tasks: F(c, i) and B(c, i) for every model chunk c (pp * v chunks; chunk c runs on pipeline device
 * c mod pp) and micro-batch i. F(c, i) needs F(c-1, i) and the activation send between them; B(c, i)
 * needs B(c+1, i) (or F(c, i) on the last chunk) and the gradient send. A device runs one task at a
 * time; whenever it is free it starts, among the tasks that are ready, the one that was ready first,
 * preferring a backward over a forward and an older micro-batch over a newer one (non-delay list
 * scheduling). With uniform stages and v = 1 this reproduces the 1F1B / GPipe makespan
 * (m + pp - 1) (t_f + t_b); with v > 1 the bubble shrinks towards (pp - 1)(t_f + t_b) / v as in
 * Narayanan et al. (2021)'s interleaved schedule.
 *
 * Overlap model (stated):
 * - Tensor-parallel collectives sit on the critical path of their chunk; with tp_comm_overlap only
 *   the part longer than the chunk's GEMM time is exposed.
 * - Pipeline sends are on the critical path between chunks (not overlapped).
 * - Data-parallel gradient reduction (all-reduce, or reduce-scatter with ZeRO >= 1) starts when the
 *   last micro-batch's backward starts on a device; with dp_overlap it is hidden behind that backward
 *   (bucketed), and only the remainder is exposed; the ZeRO parameter all-gather is hidden behind the
 *   first forward of the next step with dp_overlap. ZeRO-3 also gathers the parameters for every
 *   micro-batch's forward and backward, overlapped with that micro-batch's compute.
 * - The optimizer step (Adam, memory-bound, 30 bytes per local parameter) follows the reduction.
 */
import type { Dtype, Op } from "../ir/types.ts";
import { predictOp } from "../device/roofline.ts";
import type { DeviceSpec, EngineParams } from "../device/types.ts";
import type { CollectiveOp, Topology } from "./types.ts";
import { ncclCollective, type Group } from "./nccl.ts";
import type { ParallelPlan, Schedule, StageWork } from "./plan.ts";

export interface StepBreakdown {
  /** Per-device compute of all micro-batches (forward, backward, recomputation), s. */
  compute_s: number;
  /** Exposed tensor-parallel communication, s. */
  tp_exposed_s: number;
  /** Exposed pipeline sends, s. */
  p2p_exposed_s: number;
  /** Exposed data-parallel communication, s. */
  dp_exposed_s: number;
  /** Pipeline bubble: idle time of the busiest device inside the schedule, s. */
  bubble_s: number;
  optimizer_s: number;
}

export interface StepResult {
  step_s: number;
  breakdown: StepBreakdown;
  microbatches: number;
  /** Per-chunk forward and backward time of one micro-batch (compute + exposed TP comm), s. */
  chunk_forward_s: number[];
  chunk_backward_s: number[];
  /** Data-parallel traffic per device per step, bytes, and its unhidden time. */
  dp_comm_s: number;
  events: number;
}

interface Costs {
  forward_s: number;
  backward_s: number;
  gemm_forward_s: number;
  gemm_backward_s: number;
  tp_forward_s: number;
  tp_backward_s: number;
}

/** Time of ONE copy of an op on the device, s (the device layer's model the caller chose). */
export type OpTimer = (op: Op, dtype: Dtype) => number;

/** The device layer's default analytical model (predictOp with `params`). */
export function defaultOpTimer(dev: DeviceSpec, params: EngineParams): OpTimer {
  return (op, dtype) => predictOp(op, dev, dtype, params).latency_s;
}

function opsTime(ops: StageWork["forward"], dts: Dtype[], timer: OpTimer): { total: number; gemm: number } {
  let total = 0;
  let gemm = 0;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    const t = timer(o, dts[i]!) * o.count;
    total += t;
    if (o.kind === "gemm" || o.kind === "bgemm" || o.kind === "conv2d") gemm += t;
  }
  return { total, gemm };
}

export interface StepContext {
  device: DeviceSpec;
  params: EngineParams;
  topology: Topology;
  /** Per-call fixed cost of a collective inside a training step (asynchronous launches), s. */
  call_overhead_s: number;
  /** How one op is timed; absent: the device layer's analytical model with `params`. */
  op_time?: OpTimer;
}

/** Communicator of one parallel dimension: ranks, and how many nodes they span. */
export function groupOf(dim: "tp" | "pp" | "dp", plan: ParallelPlan, devices_per_node: number): Group {
  // Rank order (Megatron): tp fastest, then dp, then pp... Megatron places tp innermost, then dp, then pp.
  const { tp, dp } = plan;
  if (dim === "tp") return { n_ranks: tp, n_nodes: Math.max(1, Math.ceil(tp / devices_per_node)) };
  if (dim === "dp") {
    const perNode = Math.max(1, Math.min(dp, Math.floor(devices_per_node / tp)));
    return { n_ranks: dp, n_nodes: Math.ceil(dp / perNode) };
  }
  // pipeline neighbours are tp*dp ranks apart
  return { n_ranks: 2, n_nodes: tp * dp >= devices_per_node ? 2 : 1 };
}

function coll(op: CollectiveOp, bytes: number, g: Group, ctx: StepContext): number {
  if (g.n_ranks <= 1 || bytes <= 0) return 0;
  return ncclCollective(op, bytes, g, ctx.topology, ctx.call_overhead_s).time_s;
}

interface Task {
  backward: boolean;
  /** Local chunk index on the device (0..v-1); global chunk = chunk * pp + device. */
  chunk: number;
  mb: number;
}

/**
 * The order in which device `d` runs its forward and backward tasks: Megatron-LM's schedules
 * (megatron/core/pipeline_parallel/schedules.py). 1F1B, interleaved (v > 1): warm-up forwards
 * (pp - d - 1) * 2 + (v - 1) * pp (v = 1: pp - d - 1), then one forward and one backward in turn,
 * then the remaining backwards; forward k runs chunk (k mod pp*v) div pp of micro-batch
 * (k div pp*v) * pp + k mod pp, backward k the mirrored chunk v-1-that. GPipe: all forwards, then
 * all backwards.
 */
export function taskOrder(schedule: Schedule, pp: number, v: number, m: number, d: number): Task[] {
  const total = m * v;
  const fwd = (k: number): Task => ({ backward: false, chunk: Math.floor((k % (pp * v)) / pp), mb: Math.floor(k / (pp * v)) * pp + (k % pp) });
  const bwd = (k: number): Task => ({ backward: true, chunk: v - 1 - Math.floor((k % (pp * v)) / pp), mb: Math.floor(k / (pp * v)) * pp + (k % pp) });
  const out: Task[] = [];
  if (schedule === "gpipe") {
    for (let k = 0; k < total; k++) out.push(v === 1 ? { backward: false, chunk: 0, mb: k } : fwd(k));
    for (let k = 0; k < total; k++) out.push(v === 1 ? { backward: true, chunk: 0, mb: k } : bwd(k));
    return out;
  }
  const warm = Math.min(total, v === 1 ? pp - d - 1 : (pp - d - 1) * 2 + (v - 1) * pp);
  const f1 = (k: number): Task => (v === 1 ? { backward: false, chunk: 0, mb: k } : fwd(k));
  const b1 = (k: number): Task => (v === 1 ? { backward: true, chunk: 0, mb: k } : bwd(k));
  for (let k = 0; k < warm; k++) out.push(f1(k));
  for (let i = 0; i < total - warm; i++) {
    out.push(f1(warm + i));
    out.push(b1(i));
  }
  for (let k = total - warm; k < total; k++) out.push(b1(k));
  return out;
}

/** One training step of `plan` with the per-chunk work `work` (see plan.ts), simulated event by event. */
export function simulateStep(plan: ParallelPlan, work: StageWork[], dtype: Dtype, ctx: StepContext): StepResult {
  const { pp } = plan;
  const v = work.length / pp;
  const dpn = ctx.topology.devices_per_node;
  const m = plan.global_batch / (plan.dp * plan.micro_batch);
  const tpG = groupOf("tp", plan, dpn);
  const dpG = groupOf("dp", plan, dpn);
  const ppG = groupOf("pp", plan, dpn);
  // per-chunk costs
  const timer = ctx.op_time ?? defaultOpTimer(ctx.device, ctx.params);
  const costs: Costs[] = work.map((w) => {
    const f = opsTime(w.forward, w.forward_dtype, timer);
    const b = opsTime(w.backward, w.backward_dtype, timer);
    let tpf = 0;
    let tpb = 0;
    for (const c of w.tp_collectives) {
      const t = coll(c.op, c.bytes, tpG, ctx) * c.count;
      if (c.phase === "forward") tpf += t;
      else tpb += t;
    }
    const expF = plan.tp_comm_overlap ? Math.max(0, tpf - f.gemm) : tpf;
    const expB = plan.tp_comm_overlap ? Math.max(0, tpb - b.gemm) : tpb;
    return { forward_s: f.total + expF, backward_s: b.total + expB, gemm_forward_s: f.gemm, gemm_backward_s: b.gemm, tp_forward_s: expF, tp_backward_s: expB };
  });
  // ZeRO-3: per micro-batch parameter gathers (forward + backward) and gradient reduce-scatter, overlapped with compute
  if (plan.zero === 3 && plan.dp > 1) {
    work.forEach((w, c) => {
      const bytes = 2 * w.params;
      const ag = coll("all-gather", bytes, dpG, ctx);
      const rs = coll("reduce-scatter", bytes, dpG, ctx);
      const k = costs[c]!;
      k.forward_s = Math.max(k.forward_s, plan.dp_overlap ? ag : k.forward_s + ag);
      k.backward_s = Math.max(k.backward_s, plan.dp_overlap ? ag + rs : k.backward_s + ag + rs);
    });
  }
  const p2p = pp > 1 ? coll("send-recv", Math.max(...work.map((w) => w.p2p_bytes)), ppG, ctx) : 0;

  // ---- event-driven schedule over the pp devices of one pipeline
  const nC = work.length;
  const fEnd = new Float64Array(nC * m).fill(-1);
  const bEnd = new Float64Array(nC * m).fill(-1);
  const free = new Float64Array(pp);
  const busy = new Float64Array(pp);
  const hop = pp > 1 ? p2p : 0; // consecutive chunks sit on different devices when pp > 1
  const orders = Array.from({ length: pp }, (_, d) => taskOrder(plan.schedule, pp, v, m, d));
  const pos = new Int32Array(pp);
  let remaining = 2 * nC * m;
  let events = 0;
  // Sweeps alternate direction: forwards hand work to higher devices, backwards to lower ones, so each
  // sweep carries a whole wave through the pipeline (the result does not depend on the sweep order).
  let sweep = 0;
  while (remaining > 0) {
    let progressed = false;
    const up = sweep++ % 2 === 0;
    for (let j = 0; j < pp; j++) {
      const d = up ? j : pp - 1 - j;
      const order = orders[d]!;
      // run this device's tasks in order for as long as their inputs are produced
      while (pos[d]! < order.length) {
        const t = order[pos[d]!]!;
        const c = t.chunk * pp + d;
        let dep: number;
        if (!t.backward) dep = c === 0 ? 0 : fEnd[(c - 1) * m + t.mb]! < 0 ? -1 : fEnd[(c - 1) * m + t.mb]! + hop;
        else if (c === nC - 1) dep = fEnd[c * m + t.mb]!;
        else dep = bEnd[(c + 1) * m + t.mb]! < 0 ? -1 : bEnd[(c + 1) * m + t.mb]! + hop;
        if (dep < 0) break;
        const k = costs[c]!;
        const dur = t.backward ? k.backward_s : k.forward_s;
        const end = Math.max(free[d]!, dep) + dur;
        if (t.backward) bEnd[c * m + t.mb] = end;
        else fEnd[c * m + t.mb] = end;
        free[d] = end;
        busy[d] = busy[d]! + dur;
        pos[d] = pos[d]! + 1;
        remaining--;
        events++;
        progressed = true;
      }
    }
    if (!progressed) throw new Error("pipeline schedule deadlocked (no ready task)");
  }
  const pipelineEnd = Math.max(...free);
  // ---- data-parallel gradient reduction and optimizer, per device (chunks of device d)
  let dpExposed = 0;
  let dpComm = 0;
  let optimizer = 0;
  let step_s = pipelineEnd;
  for (let d = 0; d < pp; d++) {
    let params = 0;
    let lastBwd = 0;
    let firstFwd = 0;
    for (let c = d; c < nC; c += pp) {
      params += work[c]!.params;
      lastBwd += costs[c]!.backward_s;
      firstFwd += costs[c]!.forward_s;
    }
    let reduce = 0;
    let gather = 0;
    if (plan.dp > 1 && plan.zero < 3) {
      if (plan.zero === 0) reduce = coll("all-reduce", 2 * params, dpG, ctx);
      else {
        reduce = coll("reduce-scatter", 2 * params, dpG, ctx);
        gather = coll("all-gather", 2 * params, dpG, ctx);
      }
    }
    const exposed = plan.dp_overlap ? Math.max(0, reduce - lastBwd) + Math.max(0, gather - firstFwd) : reduce + gather;
    const localParams = plan.zero >= 1 ? params / plan.dp : params;
    const opt = (30 * localParams) / (ctx.device.mem_bandwidth_bytes_per_s * ctx.params.mem_efficiency) + ctx.params.launch_overhead_s;
    if (free[d]! + exposed + opt > step_s) {
      step_s = free[d]! + exposed + opt;
      dpExposed = Math.max(0, free[d]! + exposed - pipelineEnd);
      optimizer = step_s - pipelineEnd - dpExposed;
    }
    dpComm = Math.max(dpComm, reduce + gather);
  }

  // breakdown of the busiest device
  let dBusy = 0;
  for (let d = 1; d < pp; d++) if (busy[d]! > busy[dBusy]!) dBusy = d;
  let compute = 0;
  let tpExp = 0;
  for (let c = dBusy; c < nC; c += pp) {
    const k = costs[c]!;
    compute += m * (k.forward_s + k.backward_s - k.tp_forward_s - k.tp_backward_s);
    tpExp += m * (k.tp_forward_s + k.tp_backward_s);
  }
  const p2pExposed = pp > 1 ? 2 * m * v * p2p : 0;
  const bubble = Math.max(0, pipelineEnd - busy[dBusy]!);
  return {
    step_s,
    breakdown: { compute_s: compute, tp_exposed_s: tpExp, p2p_exposed_s: Math.min(p2pExposed, bubble), dp_exposed_s: dpExposed, bubble_s: bubble, optimizer_s: optimizer },
    microbatches: m,
    chunk_forward_s: costs.map((c) => c.forward_s),
    chunk_backward_s: costs.map((c) => c.backward_s),
    dp_comm_s: dpComm,
    events,
  };
}
