/**
 * ZZZ as a tool under test: a thin adapter from suite cells to the pure engine in zzz/.
 * Same interface as every other tool (pipeline/lib/tool.ts); the engine runs in-process.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import {
  predict,
  predictSingleOp,
  predictGraph,
  predictKernel,
  engineGraph,
  opFromSpec,
  collectiveLatency,
  memoryFootprint,
  calibrate,
  datasheetCalibration,
  transferCalibration,
  engineForCell,
  supportedCellEngines,
  ALL_REFINEMENTS,
  DEFAULT_PARAMS,
} from "../../zzz/index.ts";
import type { TransformerArch } from "../../zzz/index.ts";
import type {
  CalibrationMode,
  DeviceCalibration,
  DeviceSpec,
  Dtype,
  EngineName,
  GraphPrediction,
  MemoryFootprint,
  ModelArch,
  Op,
  OperatorSpec,
  Refinements,
  Scenario,
  Bound,
  Timing,
} from "../../zzz/index.ts";
import { loadCalibrationRows, loadZzzProfiles } from "../../pipeline/lib/zzz-data.ts";
import { predictServing, SERVING_METRICS } from "./serving.ts";
import { ToolMetadata, type Cell, type Hardware, type Model } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { ToolAdapter, Support } from "../../pipeline/lib/tool.ts";
import { dataflowEstimate, dataflowSupports } from "./dataflow-cells.ts";
import { systemSupports, systemEstimate } from "./system-cells.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));

/** Batches tried for offline (throughput) cells; the best one that fits is ZZZ's prediction. */
export const OFFLINE_BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];

const specCache = new WeakMap<Hardware, DeviceSpec>();

export function deviceSpec(hw: Hardware): DeviceSpec {
  const hit = specCache.get(hw);
  if (hit) return hit;
  const spec = deviceSpecOf(hw);
  specCache.set(hw, spec);
  return spec;
}

function deviceSpecOf(hw: Hardware): DeviceSpec {
  const peaks: Partial<Record<Dtype, number>> = {};
  for (const [k, v] of Object.entries(hw.peak_flops_per_s)) if (v) peaks[k as Dtype] = v.value;
  return {
    name: hw.name,
    compute_units: hw.compute_units.value,
    peak_flops_per_s: peaks,
    vector_flops_per_s: hw.peak_flops_per_s.fp32?.value ?? Math.min(...Object.values(peaks)),
    mem_bandwidth_bytes_per_s: hw.mem_bandwidth_bytes_per_s.value,
    mem_capacity_bytes: hw.mem_capacity_bytes?.value ?? Number.POSITIVE_INFINITY,
    l2_bytes: hw.l2_bytes?.value,
    kind: hw.kind,
  };
}

const OPERATOR_KINDS = new Set<string>(["gemm", "attention-prefill", "attention-decode", "norm", "softmax", "elementwise", "embedding"]);

/** The single operator of an operator-level cell (built by zzz's opFromSpec), or undefined for other kinds. */
export function operatorOf(cell: Cell): Op | undefined {
  if (!OPERATOR_KINDS.has(cell.workload.kind)) return undefined;
  return opFromSpec(cell.workload as OperatorSpec, cell.precision);
}

/** The model-level scenario of a cell, or undefined. */
export function scenarioOf(cell: Cell): { model: string; scenario: Scenario } | undefined {
  const w = cell.workload;
  switch (w.kind) {
    case "inference":
      return { model: w.model, scenario: { kind: "inference", batch: w.batch, seq_len: w.seq_len } };
    case "prefill":
      return { model: w.model, scenario: { kind: "prefill", batch: w.batch, seq_len: w.seq_len } };
    case "decode-step":
      return { model: w.model, scenario: { kind: "decode-step", batch: w.batch, context_len: w.context_len } };
    default:
      return undefined;
  }
}

function arch(suite: Suite, id: string): ModelArch {
  const m: Model | undefined = suite.models.get(id);
  if (!m) throw new Error(`unknown model '${id}'`);
  return m.arch as ModelArch;
}

const GB = 1e9;

interface Estimate {
  value: number;
  unit: string;
  flops: number;
  bytes: number;
  latency_s: number;
  bound: Bound;
  detail: string;
}

/** Decide whether ZZZ v1 can predict a cell, and why not. */
export function supports(cell: Cell, suite: Suite): Support {
  const w = cell.workload;
  const hw = suite.hardware.get(cell.hardware);
  if (!hw) return { ok: false, reason: `unknown hardware ${cell.hardware}` };
  if (hw.dataflow) return dataflowSupports(cell, hw); // spatial accelerators: zzz/dataflow (dataflow-cells.ts)
  const sys = systemSupports(cell, suite); // system layer: collectives, training, multi-GPU inference
  if (sys) return sys;
  if (w.kind === "collective") {
    if (cell.metric !== "latency") return { ok: false, reason: `ZZZ v1 predicts collective latency only, not ${cell.metric}` };
    if (!hw.node.intra_node) return { ok: false, reason: "hardware has no intra-node link description" };
    if (w.n_devices > hw.node.devices_per_node) return { ok: false, reason: "multi-node collectives need an inter-node network model (not in ZZZ v1)" };
    return { ok: true };
  }
  if (w.kind === "training") return { ok: false, reason: "training (iterations, time-to-train) is not modelled in ZZZ v1" };
  if (w.kind === "serving") {
    const m = suite.models.get(w.model);
    if (!m) return { ok: false, reason: `unknown model ${w.model}` };
    if (m.arch.kind === "decoder") {
      // LLM serving: the service layer (zzz/service) with iteration costs from the engine layer
      if (cell.n_devices !== 1 || cell.parallelism.tp * cell.parallelism.pp !== 1)
        return { ok: false, reason: `cannot express: multi-GPU LLM serving (${cell.n_devices} devices) needs TP/PP-sharded iteration costs from the system layer, not wired into the service layer yet` };
      if (w.num_requests === undefined || w.input_len === undefined || w.output_len === undefined)
        return { ok: false, reason: "no input generated: LLM serving cell without a request mix (num_requests, input_len, output_len): the service layer simulates a mix, and none was generated for this scenario" };
      if (!SERVING_METRICS.has(cell.metric)) return { ok: false, reason: `cannot express: serving metric ${cell.metric} is not predicted` };
      if (suite.hardware.get(cell.hardware)?.kind === "cpu") return { ok: false, reason: "cannot express: serving on the CPU host is not modelled (no serving engine runs there)" };
      return { ok: true };
    }
    if (w.scenario !== "offline" || cell.metric !== "throughput")
      return { ok: false, reason: `cannot express: ZZZ v1 predicts offline throughput only, not ${w.scenario} ${cell.metric}` };
    if (m.arch.kind === "encoder" && w.input_len === undefined) return { ok: false, reason: "no input generated: encoder serving cell needs workload.input_len (none was generated for this scenario)" };
    return { ok: true };
  }
  if (!engineForCell(cell.engine)) return { ok: false, reason: `engine '${cell.engine}' is not known to ZZZ's engine layer (known: ${supportedCellEngines()})` };
  if (cell.n_devices !== 1) return { ok: false, reason: `ZZZ v1 is single-device; this cell uses ${cell.n_devices} devices` };
  if (cell.metric !== "latency") return { ok: false, reason: `ZZZ v1 predicts latency for this kind of cell, not ${cell.metric}` };
  if (operatorOf(cell)) return { ok: true };
  const s = scenarioOf(cell);
  if (!s) return { ok: false, reason: `workload kind ${w.kind} not supported` };
  const mem = cachedFootprint(s.model, arch(suite, s.model), s.scenario, cell.precision, deviceSpec(hw));
  if (!mem.fits)
    return {
      ok: false,
      reason: `ZZZ memory check: needs ${(mem.total_bytes / GB).toFixed(1)} GB > ${(mem.capacity_bytes / GB).toFixed(1)} GB on ${hw.id}`,
    };
  return { ok: true };
}

function summarize(ops: { op: Op; latency_s: number; bound: Bound }[]): { flops: number; bytes: number; latency_s: number; bound: Bound } {
  let flops = 0;
  let bytes = 0;
  let latency = 0;
  const byBound: Record<Bound, number> = { compute: 0, memory: 0, overhead: 0 };
  for (const o of ops) {
    flops += o.op.flops * o.op.count;
    bytes += o.op.bytes * o.op.count;
    latency += o.latency_s * o.op.count;
    byBound[o.bound] += o.latency_s * o.op.count;
  }
  const bound = (Object.entries(byBound) as [Bound, number][]).sort((a, b) => b[1] - a[1])[0]![0];
  return { flops, bytes, latency_s: latency, bound };
}

/** ZZZ v1's estimate (per-operator roofline, 5 us launch each, fused graph): the ablation's baseline. */
export function estimateV1(cell: Cell, suite: Suite): Estimate {
  const hw = suite.hardware.get(cell.hardware)!;
  if (hw.dataflow) return dataflowEstimate(cell, hw);
  const dev = deviceSpec(hw);
  const dt = cell.precision;
  const w = cell.workload;
  const sys = systemEstimate(cell, suite);
  if (sys) return sys;
  if (w.kind === "collective") {
    const link = hw.node.intra_node!;
    // A collective is one kernel (NCCL): its launch overhead plus the alpha-beta ring model.
    const t =
      DEFAULT_PARAMS.launch_overhead_s +
      collectiveLatency(w.op, w.bytes, w.n_devices, {
        bandwidth_bytes_per_s: link.bandwidth_bytes_per_s.value,
        latency_s: link.latency_s?.value ?? 0,
      });
    return { value: t, unit: "s", flops: 0, bytes: w.bytes, latency_s: t, bound: "memory", detail: `${w.op} ring model${link.latency_s ? "" : " (no link latency known)"}` };
  }
  if (w.kind === "serving") {
    const a = arch(suite, w.model);
    let best: { tput: number; batch: number; latency_s: number; s: ReturnType<typeof summarize> } | undefined;
    for (const b of OFFLINE_BATCHES) {
      const scenario: Scenario = { kind: "inference", batch: b, seq_len: w.input_len };
      if (!memoryFootprint(a, scenario, dt, dev).fits) break;
      const p = predict(a, scenario, dev, dt, DEFAULT_PARAMS);
      const tput = (b / p.total_latency_s) * cell.n_devices;
      if (!best || tput > best.tput) best = { tput, batch: b, latency_s: p.total_latency_s, s: summarize(p.ops) };
    }
    if (!best) throw new Error("no batch fits in device memory");
    return {
      value: best.tput,
      unit: "samples/s",
      flops: best.s.flops,
      bytes: best.s.bytes,
      latency_s: best.latency_s,
      bound: best.s.bound,
      detail: `data-parallel replicas x${cell.n_devices} at batch ${best.batch}`,
    };
  }
  const op = operatorOf(cell);
  if (op) {
    const p = predictSingleOp(op, dev, dt, DEFAULT_PARAMS);
    return { value: p.latency_s, unit: "s", flops: op.flops, bytes: op.bytes, latency_s: p.latency_s, bound: p.bound, detail: op.name };
  }
  const s = scenarioOf(cell)!;
  const p = predict(arch(suite, s.model), s.scenario, dev, dt, DEFAULT_PARAMS);
  const sum = summarize(p.ops);
  return { value: p.total_latency_s, unit: "s", flops: sum.flops, bytes: sum.bytes, latency_s: p.total_latency_s, bound: sum.bound, detail: `${p.ops.length} operators` };
}

// ---------------------------------------------------------------- ZZZ v2

/** How ZZZ v2 runs: calibration mode, refinements (the ablation), and an optional calibration source device. */
export interface ZzzConfig {
  mode: CalibrationMode;
  refinements: Refinements;
  /** Calibrate on this hardware id and apply the constants unchanged to every target (cross-device). */
  calibrateOn?: string;
}

export const DEFAULT_CONFIG: ZzzConfig = { mode: "microbench", refinements: { ...ALL_REFINEMENTS, profiles: false } };
export const MODE_CONFIGS: Record<CalibrationMode, ZzzConfig> = {
  datasheet: { mode: "datasheet", refinements: { ...ALL_REFINEMENTS, profiles: false } },
  microbench: DEFAULT_CONFIG,
  profiled: { mode: "profiled", refinements: ALL_REFINEMENTS },
};

/**
 * Devices without calibration microbenchmarks of their own borrow another device's constants
 * (cross-device transfer, reported as such): the A100 has no measured set in this artifact.
 */
export const CALIBRATION_FALLBACK = "h100-sxm5-80gb";

const calCache = new Map<string, DeviceCalibration>();

// Builders are pure: graphs and footprints are cached per (model, scenario, dtype, engine).
const graphCache = new Map<string, ReturnType<typeof engineGraph>>();
function cachedGraph(model: string, a: ModelArch, sc: Scenario, dt: Dtype, engine: EngineName, engineGraphs: boolean) {
  const key = `${model}|${sc.kind}|${sc.batch}|${"seq_len" in sc ? sc.seq_len : ""}|${"context_len" in sc ? sc.context_len : ""}|${dt}|${engine}|${engineGraphs}`;
  let g = graphCache.get(key);
  if (!g) graphCache.set(key, (g = engineGraph(a, sc, dt, engine, engineGraphs)));
  return g;
}
const fitCache = new Map<string, MemoryFootprint>();
function cachedFootprint(model: string, a: ModelArch, sc: Scenario, dt: Dtype, dev: DeviceSpec): MemoryFootprint {
  const key = `${model}|${sc.kind}|${sc.batch}|${"seq_len" in sc ? sc.seq_len : ""}|${"context_len" in sc ? sc.context_len : ""}|${dt}|${dev.name}|${dev.mem_capacity_bytes}`;
  let m = fitCache.get(key);
  if (!m) fitCache.set(key, (m = memoryFootprint(a, sc, dt, dev)));
  return m;
}

/** The device-layer calibration a cell's hardware gets under `cfg`. */
export function calibrationFor(hwId: string, suite: Suite, cfg: ZzzConfig): DeviceCalibration {
  const key = `${suite.root}|${hwId}|${cfg.mode}|${cfg.calibrateOn ?? ""}`;
  const hit = calCache.get(key);
  if (hit) return hit;
  let cal: DeviceCalibration;
  if (cfg.mode === "datasheet") cal = datasheetCalibration(hwId);
  else {
    const calibrationRows = loadCalibrationRows(suite);
    const src = cfg.calibrateOn ?? (calibrationRows.get(hwId)?.length ? hwId : CALIBRATION_FALLBACK);
    const hw = suite.hardware.get(src);
    const rows = calibrationRows.get(src);
    if (!hw || !rows?.length) {
      // A suite without the measured sets (e.g. a trimmed copy): nothing to calibrate on; the
      // calibration's name says so in every row that uses it.
      cal = { ...datasheetCalibration(hwId), name: `datasheet:${hwId} (no calibration rows for ${src})` };
    } else {
      const dev = deviceSpec(hw);
      cal = calibrate(src, rows, { flops_per_s: dev.peak_flops_per_s, mem_bandwidth_bytes_per_s: dev.mem_bandwidth_bytes_per_s });
      if (src !== hwId) cal = transferCalibration(cal, hwId);
    }
  }
  calCache.set(key, cal);
  return cal;
}

/** How the cell's ground truth was timed (engine/timeline.ts `Timing`). */
export function timingOf(cell: Cell, suite: Suite): Timing {
  if (suite.hardware.get(cell.hardware)?.kind === "cpu") return "serial";
  if (cell.id.startsWith("llmcompass.")) return "host-sync"; // host wall clock + synchronize (cell notes)
  if (cell.engine === "pytorch+sarathi-kernels") return "kernel"; // Vidur's profiler CUDA time
  if (cell.engine === "pytorch-eager") return "events";
  return "graph";
}

export interface EstimateV2 extends Estimate {
  engine: EngineName;
  timing: Timing;
  calibration: string;
  rungs: GraphPrediction["rungs"];
}

function summarizeV2(p: GraphPrediction): { flops: number; bytes: number; bound: Bound } {
  let flops = 0;
  let bytes = 0;
  const byBound: Record<Bound, number> = { compute: 0, memory: 0, overhead: 0 };
  for (const k of p.kernels) {
    flops += k.op.flops * k.op.count;
    bytes += k.op.bytes * k.op.count;
    byBound[k.bound] += k.device_s * k.op.count;
  }
  byBound.overhead += p.timeline.host_exposed_s;
  const bound = (Object.entries(byBound) as [Bound, number][]).sort((a, b) => b[1] - a[1])[0]![0];
  return { flops, bytes, bound };
}

/** ZZZ v2's estimate for a supported cell under `cfg` (default: microbench mode, every refinement but profiles). */
export function estimate(cell: Cell, suite: Suite, cfg: ZzzConfig = DEFAULT_CONFIG): Estimate | EstimateV2 {
  try {
    return estimateV2(cell, suite, cfg);
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(`cell ${cell.id}`) ? msg : `cell ${cell.id}: ${msg}`);
  }
}

function estimateV2(cell: Cell, suite: Suite, cfg: ZzzConfig): Estimate | EstimateV2 {
  const w = cell.workload;
  // spatial accelerators: the dataflow layer; collectives, training and multi-GPU steps: the system layer
  const hw0 = suite.hardware.get(cell.hardware)!;
  if (hw0.dataflow) return dataflowEstimate(cell, hw0);
  const sys = systemEstimate(cell, suite);
  if (sys) return sys;
  if (w.kind === "collective") return estimateV1(cell, suite);
  const engine = engineForCell(cell.engine);
  if (!engine) throw new Error(`cell ${cell.id}: engine '${cell.engine}' is not known to ZZZ's engine layer (known: ${supportedCellEngines()})`);
  const hw = suite.hardware.get(cell.hardware)!;
  const dev = deviceSpec(hw);
  const dt = cell.precision;
  const calibration = calibrationFor(cell.hardware, suite, cfg);
  const profiles = cfg.mode === "profiled" ? loadZzzProfiles(suite).get(cell.hardware) : undefined;
  const timing = timingOf(cell, suite);
  const o = { engine, timing, calibration, refinements: cfg.refinements, profiles };
  const out = (value: number, unit: string, p: GraphPrediction, detail: string): EstimateV2 => {
    const s = summarizeV2(p);
    return { value, unit, flops: s.flops, bytes: s.bytes, latency_s: p.latency_s, bound: s.bound, detail, engine, timing, calibration: calibration.name, rungs: p.rungs };
  };
  if (w.kind === "serving" && suite.models.get(w.model)?.arch.kind === "decoder") {
    const a = arch(suite, w.model) as TransformerArch;
    const sp = predictServing(cell, a, dev, { ...o, engine: "fused", timing: "graph" });
    return { value: sp.value, unit: sp.unit, flops: 0, bytes: 0, latency_s: sp.unit === "s" ? sp.value : 0, bound: "compute", detail: `service layer: ${sp.detail}`, engine: "fused", timing: "graph", calibration: calibration.name, rungs: {} };
  }
  if (w.kind === "serving") {
    const a = arch(suite, w.model);
    let best: { tput: number; batch: number; p: GraphPrediction } | undefined;
    for (const b of OFFLINE_BATCHES) {
      const scenario: Scenario = { kind: "inference", batch: b, seq_len: w.input_len };
      if (!cachedFootprint(w.model, a, scenario, dt, dev).fits) break;
      const p = predictGraph(a, scenario, dev, dt, { ...o, graph: cachedGraph(w.model, a, scenario, dt, engine, cfg.refinements.engine_graphs) });
      const tput = (b / p.latency_s) * cell.n_devices;
      if (!best || tput > best.tput) best = { tput, batch: b, p };
    }
    if (!best) throw new Error("no batch fits in device memory");
    return out(best.tput, "samples/s", best.p, `${engine}: data-parallel replicas x${cell.n_devices} at batch ${best.batch}`);
  }
  const op = operatorOf(cell);
  if (op) {
    const p = predictKernel(op, dev, dt, o);
    return out(p.latency_s, "s", p, `${engine}/${timing}: ${op.name}`);
  }
  const s = scenarioOf(cell)!;
  const a = arch(suite, s.model);
  const p = predictGraph(a, s.scenario, dev, dt, { ...o, graph: cachedGraph(s.model, a, s.scenario, dt, engine, cfg.refinements.engine_graphs) });
  return out(p.latency_s, "s", p, `${engine}/${timing}: ${p.timeline.kernels} kernels (${p.graph} graph)`);
}

export const zzzAdapter: ToolAdapter<Cell> = {
  metadata,
  recordRaw: false,
  async availability() {
    return { available: true };
  },
  supports: (cell, ctx) => supports(cell, ctx.suite),
  async prepare(cell) {
    return cell;
  },
  async invoke(cell, _c, ctx) {
    const e = estimate(cell, ctx.suite);
    return JSON.stringify(e);
  },
  parse(raw) {
    const e = JSON.parse(raw) as Estimate;
    return { value: e.value, unit: e.unit };
  },
};
