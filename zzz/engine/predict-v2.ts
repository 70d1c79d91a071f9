/**
 * ZZZ v2 engine entry points: a model (or one operator) as an engine runs it on one device.
 *   graph   = the builder graph the engine launches (eager kernels, or the fused graph), after the
 *             engine's fusion rules (engine/engines.ts);
 *   kernels = each kernel's device time by the device method (analytical, or profiled with the
 *             fallback ladder; rung recorded per kernel);
 *   latency = the host/device timeline under the cell's timing (engine/timeline.ts).
 * Every refinement can be switched off for the ablation (`Refinements`).
 */
import { buildOps } from "../ir/builders.ts";
import type { Dtype, ModelArch, Op, Scenario } from "../ir/types.ts";
import { analyticalTime, ALL_DEVICE_REFINEMENTS, type DeviceRefinements, type KernelTime, type Rung } from "../device/analytical.ts";
import { DEFAULT_HOST, type DeviceCalibration, type HostCalibration } from "../device/calibration.ts";
import { memoryFootprint } from "../device/memory.ts";
import { profiledTime, type ProfileModelKey, type ProfileTable } from "../device/profiled.ts";
import type { DeviceSpec, MemoryFootprint } from "../device/types.ts";
import { ENGINES, fuseGraph, type EngineName } from "./engines.ts";
import { runTimeline, type Timing, type TimelineResult } from "./timeline.ts";

export interface Refinements extends DeviceRefinements {
  /** Engine graphs: eager kernels for eager/CUDA-graph engines, fusion rules for compile/fused (off: the fused graph for all). */
  engine_graphs: boolean;
  /** Profiled device method where a profile of the target is given. */
  profiles: boolean;
}

export const ALL_REFINEMENTS: Refinements = { ...ALL_DEVICE_REFINEMENTS, engine_graphs: true, profiles: true };

export interface V2Options {
  engine: EngineName;
  timing: Timing;
  calibration: DeviceCalibration;
  host?: HostCalibration;
  refinements?: Refinements;
  profiles?: ProfileTable[];
  /** The engine graph, when the caller already built it with engineGraph() (builders are pure, so callers may cache it). */
  graph?: { ops: Op[]; graph: "eager" | "fused" };
}

export interface GraphPrediction {
  latency_s: number;
  timeline: TimelineResult;
  kernels: KernelTime[];
  engine: EngineName;
  graph: "eager" | "fused";
  rungs: Partial<Record<Rung, number>>;
}

function profileKey(arch: ModelArch): ProfileModelKey | undefined {
  if (arch.kind === "cnn") return undefined;
  return { n_embd: arch.d_model, n_head: arch.n_heads, n_kv_head: arch.n_kv_heads, n_expanded_embd: arch.d_ff };
}

/** Device time of each kernel: analytical, then the profile of the kernel's group where one answers. */
export function kernelTimes(ops: Op[], device: DeviceSpec, dtype: Dtype, o: V2Options, key?: ProfileModelKey): KernelTime[] {
  const ref = o.refinements ?? ALL_REFINEMENTS;
  const out = ops.map((op) => analyticalTime(op, device, dtype, o.calibration, ref));
  if (!ref.profiles || !o.profiles?.length || !key) return out;
  for (let i = 0; i < out.length; ) {
    const first = out[i]!.op;
    let j = i + 1;
    if (first.group) while (j < out.length && out[j]!.op.group === first.group && out[j]!.op.count === first.count) j++;
    const role = out.slice(i, j).find((k) => k.op.role)?.op;
    const ans = role ? profiledTime(o.profiles, role, device, dtype, key) : undefined;
    if (ans) {
      const members = out.slice(i, j);
      const total = members.reduce((s, k) => s + k.device_s, 0);
      for (let t = i; t < j; t++) {
        const k = out[t]!;
        out[t] = { ...k, device_s: (ans.time_s * k.device_s) / total, method: "profiled", rung: ans.rung };
      }
    }
    i = j;
  }
  return out;
}

function finish(kernels: KernelTime[], o: V2Options, graph: "eager" | "fused"): GraphPrediction {
  const e = ENGINES[o.engine];
  const host = o.host ?? DEFAULT_HOST;
  const timeline = runTimeline(
    kernels.map((k) => ({ device_s: k.device_s, count: k.op.count })), // same order: runs of per-layer kernels repeat
    e.hostPerKernel(host),
    e.hostPerCall(host),
    e.captured && o.timing === "events" ? "graph" : o.timing,
    host.sync_s.value,
  );
  const rungs: Partial<Record<Rung, number>> = {};
  for (const k of kernels) rungs[k.rung] = (rungs[k.rung] ?? 0) + k.op.count;
  return { latency_s: timeline.latency_s, timeline, kernels, engine: o.engine, graph, rungs };
}

/** The kernels an engine runs for a model scenario (builder graph + fusion rules). */
export function engineGraph(arch: ModelArch, scenario: Scenario, dtype: Dtype, engine: EngineName, engineGraphs = true): { ops: Op[]; graph: "eager" | "fused" } {
  const e = ENGINES[engine];
  if (!engineGraphs) return { ops: buildOps(arch, scenario, dtype), graph: "fused" };
  return { ops: fuseGraph(buildOps(arch, scenario, dtype, { graph: e.graph }), e), graph: e.graph };
}

/** A whole model (one forward pass / one step) as `o.engine` runs it on `device`. */
export function predictGraph(arch: ModelArch, scenario: Scenario, device: DeviceSpec, dtype: Dtype, o: V2Options): GraphPrediction {
  const ref = o.refinements ?? ALL_REFINEMENTS;
  const { ops, graph } = o.graph ?? engineGraph(arch, scenario, dtype, o.engine, ref.engine_graphs);
  return finish(kernelTimes(ops, device, dtype, o, profileKey(arch)), o, graph);
}

/** predictGraph plus the memory footprint (does the model fit?). */
export function predictGraphWithMemory(arch: ModelArch, scenario: Scenario, device: DeviceSpec, dtype: Dtype, o: V2Options): GraphPrediction & { memory: MemoryFootprint } {
  return { ...predictGraph(arch, scenario, device, dtype, o), memory: memoryFootprint(arch, scenario, dtype, device) };
}

/** One operator (one kernel) as `o.engine` runs and the cell's timing measures it. */
export function predictKernel(op: Op, device: DeviceSpec, dtype: Dtype, o: V2Options): GraphPrediction {
  return finish(kernelTimes([op], device, dtype, o), o, "fused");
}
