/**
 * A training step: plan -> per-chunk work (plan.ts) -> event-driven schedule (step.ts), with the
 * memory per device and the model FLOPs utilisation.
 *   model FLOPs per step = 3 x (forward FLOPs of the whole model) x global batch (forward + backward
 *   of dgrad and wgrad; recomputation not counted), MFU = model FLOPs / (step x devices x dense peak).
 */
import type { Dtype, ModelArch } from "../ir/types.ts";
import type { DeviceSpec, EngineParams } from "../device/types.ts";
import { peakFlops } from "../device/roofline.ts";
import type { Topology } from "./types.ts";
import { checkPlan, stageWork, trainingMemory, type ParallelPlan, type TrainingMemory } from "./plan.ts";
import { simulateStep, type OpTimer, type StepResult } from "./step.ts";

export interface TrainingStepResult extends StepResult {
  memory: TrainingMemory;
  model_flops: number;
  mfu: number;
}

export function trainingStep(
  arch: ModelArch,
  plan: ParallelPlan,
  device: DeviceSpec,
  topology: Topology,
  dtype: Dtype,
  params: EngineParams,
  call_overhead_s: number = params.launch_overhead_s,
  op_time?: OpTimer,
): TrainingStepResult {
  const n = plan.tp * plan.pp * plan.dp;
  checkPlan(arch, plan, n);
  if (plan.tp > topology.devices_per_node) throw new Error(`parallelism.tp: tp ${plan.tp} spans more than one node of ${topology.devices_per_node} devices`);
  if (n > topology.devices_per_node && !topology.inter) throw new Error(`hardware ${topology.name}: node.inter_node is missing for a ${n}-device plan`);
  const work = stageWork(arch, plan, dtype);
  const r = simulateStep(plan, work, dtype, { device, params, topology, call_overhead_s, op_time });
  // parameters of the most loaded device (first pipeline device)
  let params0 = 0;
  for (let c = 0; c < work.length; c += plan.pp) params0 += work[c]!.params;
  const memory = trainingMemory(arch, plan, device.mem_capacity_bytes, params0);
  let fwdFlops = 0;
  for (const w of work) for (const o of w.forward) fwdFlops += o.flops * o.count;
  const samplesPerMb = plan.micro_batch;
  const model_flops = 3 * fwdFlops * plan.tp * (plan.global_batch / samplesPerMb);
  const mfu = model_flops / (r.step_s * n * peakFlops(device, dtype));
  return { ...r, memory, model_flops, mfu };
}
