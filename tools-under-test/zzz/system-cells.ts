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
import { ncclCollective, DEFAULT_PARAMS, trainingStep, inferenceStep, PlanError } from "../../zzz/index.ts";
import type { CollectiveOp, GpuGeneration, Topology, Bound, ModelArch, ParallelPlan, TrainingStepResult, TransformerArch as TransformerArchT } from "../../zzz/index.ts";
import { deviceSpec } from "./adapter.ts";
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
  const cap = hw.mem_capacity_bytes?.value;
  if (cap !== undefined && w.bytes > cap)
    return { ok: false, reason: `cell ${cell.id}: workload.bytes ${w.bytes} exceeds the device memory of ${hw.id} (${cap} bytes)` };
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

// ---------------------------------------------------------------- training

/**
 * What a framework does that the cell does not state, by engine (each a documented choice):
 * - NeMo/Megatron with Transformer Engine (MLPerf Training v4.0, NVIDIA): distributed optimizer =
 *   ZeRO-1 (USE_DIST_OPTIMIZER=True default in NVIDIA/benchmarks/gpt3/implementations/nemo/run_and_time.sh),
 *   TP communication overlapped with GEMMs (TP_COMM_OVERLAP=True in config_DGXH100_64x8x128x4x8_mbs2.sh),
 *   which in Transformer Engine works on sequence-parallel all-gathers and reduce-scatters, so sequence
 *   parallelism is on unless the cell says otherwise; gradient reduce-scatter and parameter all-gather
 *   overlapped with compute (ASSUMPTION: NeMo's overlap_grad_sync / overlap_param_sync defaults).
 * - Megatron-LM as published in 2021-2022 (SC21, Korthikanti et al.): plain data-parallel all-reduce
 *   after the backward, not overlapped; no TP overlap; unfused attention (Q K^T, fused softmax,
 *   dropout, P V through DRAM): the attention whose stored s x s tensors make the 5as/h term of
 *   Korthikanti et al.'s activation-memory formula (their Section 4.1), and which their selective
 *   recomputation recomputes.
 * - MXNet ResNet-50 (MLPerf): data-parallel all-reduce overlapped with the backward (ASSUMPTION:
 *   bucketed Horovod-style reduction).
 * - Anything else: no ZeRO, no overlap.
 */
export function frameworkDefaults(engine: string): Pick<ParallelPlan, "zero" | "tp_comm_overlap" | "dp_overlap"> & { sequence_parallel?: boolean; fused_attention?: boolean } {
  if (/nemo/.test(engine)) return { zero: 1, tp_comm_overlap: true, dp_overlap: true, sequence_parallel: true };
  if (/megatron-lm/.test(engine)) return { zero: 0, tp_comm_overlap: false, dp_overlap: false, fused_attention: false };
  if (/mxnet/.test(engine)) return { zero: 0, tp_comm_overlap: false, dp_overlap: true };
  return { zero: 0, tp_comm_overlap: false, dp_overlap: false };
}

function planOf(cell: Cell, arch: ModelArch): ParallelPlan | string {
  const w = cell.workload;
  if (w.kind !== "training") throw new Error("not a training cell");
  const p = cell.parallelism;
  const fw = frameworkDefaults(cell.engine);
  let micro = w.micro_batch;
  if (micro === undefined) {
    if (arch.kind === "cnn" || p.pp === 1) micro = w.global_batch / p.dp; // no gradient accumulation
    else return `cell ${cell.id}: workload.micro_batch is not stated (needed for a pipeline schedule)`;
  }
  if (!Number.isInteger(micro)) return `cell ${cell.id}: workload.global_batch ${w.global_batch} is not divisible by dp ${p.dp}`;
  return {
    tp: p.tp,
    pp: p.pp,
    dp: p.dp,
    micro_batch: micro,
    global_batch: w.global_batch,
    seq_len: w.seq_len,
    sequence_parallel: w.sequence_parallel ?? fw.sequence_parallel ?? false,
    recompute: w.recompute ?? "none",
    schedule: "1f1b",
    virtual_stages: w.virtual_stages ?? 1,
    zero: fw.zero,
    tp_comm_overlap: fw.tp_comm_overlap,
    dp_overlap: fw.dp_overlap,
    ep: 1,
    fused_attention: fw.fused_attention,
  };
}

/** FLOPs of one GPT iteration by Narayanan et al. (2021)'s formula (with recomputation): 96 B s l h^2 (1 + s/(6h) + V/(16 l h)). */
export function megatronIterationFlops(arch: ModelArch, global_batch: number, seq: number): number {
  if (arch.kind === "cnn") throw new Error("Megatron's FLOP formula is for GPT models");
  const { n_layers: l, d_model: h, vocab_size: V } = arch;
  return 96 * global_batch * seq * l * h * h * (1 + seq / (6 * h) + V / (16 * l * h));
}

interface TrainingRun {
  result: TrainingStepResult;
  plan: ParallelPlan;
}
const trainingCache = new Map<string, TrainingRun>();
/** Forget memoised training steps (supports() and estimate() share one simulation per cell); for timing. */
export function clearSystemCache(): void {
  trainingCache.clear();
}

export function runTraining(cell: Cell, suite: Suite): TrainingRun | string {
  const hit = trainingCache.get(cell.id);
  if (hit) return hit;
  const w = cell.workload;
  if (w.kind !== "training") throw new Error("not a training cell");
  const hw = suite.hardware.get(cell.hardware)!;
  const model = suite.models.get(w.model);
  if (!model) return `cell ${cell.id}: unknown model ${w.model}`;
  const arch = model.arch as ModelArch;
  const topo = topologyOf(hw);
  if (typeof topo === "string") return topo;
  const plan = planOf(cell, arch);
  if (typeof plan === "string") return plan;
  try {
    const result = trainingStep(arch, plan, deviceSpec(hw), topo, cell.precision, DEFAULT_PARAMS);
    const run = { result, plan };
    trainingCache.set(cell.id, run);
    return run;
  } catch (e) {
    if (e instanceof PlanError) return `cell ${cell.id}: ${e.message}`;
    return `cell ${cell.id}: ${(e as Error).message}`;
  }
}

function trainingSupport(cell: Cell, suite: Suite): Support {
  const w = cell.workload;
  if (w.kind !== "training") throw new Error("not a training cell");
  if (w.scope === "time-to-train")
    return { ok: false, reason: "cannot express: time to train needs the number of steps to reach the quality target, which a performance model does not predict (ZZZ predicts the step: see the mlperf-tr40-step cells)" };
  if (cell.metric !== "latency" && cell.metric !== "achieved_flops_per_device")
    return { ok: false, reason: `ZZZ predicts a training step's latency or achieved FLOP/s per device, not ${cell.metric}` };
  const r = runTraining(cell, suite);
  if (typeof r === "string") return { ok: false, reason: r };
  if (!r.result.memory.fits)
    return { ok: false, reason: `ZZZ memory check: plan needs ${(r.result.memory.total_bytes / 1e9).toFixed(1)} GB per device > ${(r.result.memory.capacity_bytes / 1e9).toFixed(1)} GB (weights ${(r.result.memory.weights_bytes / 1e9).toFixed(1)}, gradients ${(r.result.memory.gradients_bytes / 1e9).toFixed(1)}, optimizer ${(r.result.memory.optimizer_bytes / 1e9).toFixed(1)}, activations ${(r.result.memory.activations_bytes / 1e9).toFixed(1)})` };
  return { ok: true };
}

function trainingEstimate(cell: Cell, suite: Suite): SystemEstimate {
  const w = cell.workload;
  if (w.kind !== "training") throw new Error("not a training cell");
  const r = runTraining(cell, suite);
  if (typeof r === "string") throw new Error(r);
  const { result: s, plan } = r;
  const b = s.breakdown;
  const ms = (x: number) => (x * 1e3).toFixed(1);
  const detail =
    `step ${ms(s.step_s)} ms = compute ${ms(b.compute_s)} + exposed TP ${ms(b.tp_exposed_s)} + bubble ${ms(b.bubble_s)} (sends ${ms(b.p2p_exposed_s)}) + exposed DP ${ms(b.dp_exposed_s)} + optimizer ${ms(b.optimizer_s)} ms; ` +
    `${s.microbatches} micro-batches of ${plan.micro_batch}, v=${plan.virtual_stages}, SP=${plan.sequence_parallel}, recompute=${plan.recompute}, ZeRO-${plan.zero}, ${plan.fused_attention === false ? "unfused" : "fused"} attention; MFU ${(100 * s.mfu).toFixed(1)}%; ` +
    `memory ${(s.memory.total_bytes / 1e9).toFixed(1)} GB per device`;
  if (cell.metric === "achieved_flops_per_device") {
    const model = suite.models.get(w.model)!;
    const flops = megatronIterationFlops(model.arch as ModelArch, w.global_batch, w.seq_len ?? 2048);
    const perDevice = flops / (s.step_s * cell.n_devices);
    return { value: perDevice / 1e12, unit: "TFLOP/s", flops, bytes: 0, latency_s: s.step_s, bound: "compute", detail: `Megatron formula FLOPs / (step x devices); ${detail}` };
  }
  return { value: s.step_s, unit: "s", flops: s.model_flops, bytes: 0, latency_s: s.step_s, bound: "compute", detail };
}

// ---------------------------------------------------------------- multi-GPU inference steps

function isMultiGpuStep(cell: Cell): boolean {
  return (cell.workload.kind === "prefill" || cell.workload.kind === "decode-step") && cell.n_devices > 1;
}

export function inferenceRun(cell: Cell, suite: Suite): ReturnType<typeof inferenceStep> | string {
  const w = cell.workload;
  if (w.kind !== "prefill" && w.kind !== "decode-step") throw new Error("not an inference step");
  const hw = suite.hardware.get(cell.hardware)!;
  const m = suite.models.get(w.model);
  if (!m) return `cell ${cell.id}: unknown model ${w.model}`;
  if (m.arch.kind !== "decoder") return `cell ${cell.id}: multi-GPU steps are modelled for decoder models only`;
  if (cell.parallelism.dp !== 1) return `cell ${cell.id}: parallelism.dp ${cell.parallelism.dp}: a single step has no data parallelism (use dp 1)`;
  if (cell.metric !== "latency") return `cell ${cell.id}: ZZZ predicts a step's latency, not ${cell.metric}`;
  const topo = topologyOf(hw);
  if (typeof topo === "string") return topo;
  const sc = w.kind === "prefill" ? { kind: "prefill" as const, batch: w.batch, seq_len: w.seq_len } : { kind: "decode-step" as const, batch: w.batch, context_len: w.context_len };
  try {
    return inferenceStep(m.arch as TransformerArchT, sc, cell.parallelism.tp, cell.parallelism.pp, deviceSpec(hw), topo, cell.precision, DEFAULT_PARAMS);
  } catch (e) {
    return `cell ${cell.id}: ${(e as Error).message}`;
  }
}

/** Support decision for the cells the system layer owns, or undefined for the others. */
export function systemSupports(cell: Cell, suite: Suite): Support | undefined {
  if (!suite.hardware.get(cell.hardware)) return undefined;
  if (cell.workload.kind === "collective") return collectiveSupport(cell, suite);
  if (cell.workload.kind === "training") return trainingSupport(cell, suite);
  if (isMultiGpuStep(cell)) {
    const r = inferenceRun(cell, suite);
    if (typeof r === "string") return { ok: false, reason: r };
    if (!r.memory.fits) return { ok: false, reason: `ZZZ memory check: needs ${(r.memory.total_bytes / 1e9).toFixed(1)} GB per device > ${(r.memory.capacity_bytes / 1e9).toFixed(1)} GB` };
    return { ok: true };
  }
  return undefined;
}

/** Estimate for the cells the system layer owns, or undefined for the others. */
export function systemEstimate(cell: Cell, suite: Suite): SystemEstimate | undefined {
  if (cell.workload.kind === "collective") return collectiveEstimate(cell, suite);
  if (cell.workload.kind === "training") return trainingEstimate(cell, suite);
  if (isMultiGpuStep(cell)) {
    const r = inferenceRun(cell, suite);
    if (typeof r === "string") throw new Error(r);
    const flops = r.ops.reduce((s, o) => s + o.flops * o.count, 0);
    const ms = (x: number) => (x * 1e3).toFixed(3);
    return { value: r.latency_s, unit: "s", flops, bytes: 0, latency_s: r.latency_s, bound: "compute", detail: `compute ${ms(r.compute_s)} + TP all-reduce ${ms(r.tp_comm_s)} + PP sends ${ms(r.pp_comm_s)} ms per device` };
  }
  return undefined;
}
