// Training plans and the step simulator (zzz/system/plan.ts, step.ts) on hand-computed cases.
import { describe, expect, it } from "vitest";
import { checkPlan, PlanError, simulateStep, stageWork, taskOrder, trainingMemory, trainingStep } from "../../zzz/system/index.ts";
import type { ParallelPlan, StageWork, Topology } from "../../zzz/system/index.ts";
import type { DeviceSpec, EngineParams } from "../../zzz/device/types.ts";
import { DEFAULT_PARAMS } from "../../zzz/device/params.ts";
import type { Op, TransformerArch } from "../../zzz/ir/types.ts";

const DEV: DeviceSpec = {
  name: "toy",
  compute_units: 100,
  peak_flops_per_s: { bf16: 1e15 },
  vector_flops_per_s: 1e14,
  mem_bandwidth_bytes_per_s: 1e12,
  mem_capacity_bytes: 80e9,
};
/** No efficiency loss, no launch overhead: an op of B bytes and no FLOPs takes B / 1e12 s. */
const EXACT: EngineParams = { ...DEFAULT_PARAMS, mem_efficiency: 1, launch_overhead_s: 0 };
const TOPO: Topology = {
  name: "toy-node",
  generation: "hopper",
  devices_per_node: 8,
  intra: { kind: "nvlink", bandwidth_bytes_per_s: 450e9, n_links: 18, latency_s: 0 },
  inter: { kind: "net", bandwidth_bytes_per_s: 50e9, latency_s: 0 },
};
const PLAN: ParallelPlan = {
  tp: 1,
  pp: 2,
  dp: 1,
  micro_batch: 1,
  global_batch: 4,
  seq_len: 16,
  sequence_parallel: false,
  recompute: "none",
  schedule: "1f1b",
  virtual_stages: 1,
  zero: 0,
  tp_comm_overlap: false,
  dp_overlap: false,
  ep: 1,
};

/** An elementwise op that moves `ms` milliseconds of bytes on DEV. */
function msOp(ms: number): Op {
  return { name: `op${ms}`, kind: "elementwise", flops: 0, bytes: ms * 1e9, param_elems: 0, count: 1 };
}
function chunk(fMs: number, bMs: number): StageWork {
  return { forward: [msOp(fMs)], forward_dtype: ["bf16"], backward: [msOp(bMs)], backward_dtype: ["bf16"], tp_collectives: [], p2p_bytes: 0, params: 0 };
}
const ctx = { device: DEV, params: EXACT, topology: TOPO, call_overhead_s: 0 };

describe("pipeline schedules (Megatron-LM order)", () => {
  it("1F1B on 2 stages, 3 micro-batches: stage 0 warms up with one forward, stage 1 with none", () => {
    const s = (t: { backward: boolean; mb: number }) => `${t.backward ? "B" : "F"}${t.mb}`;
    expect(taskOrder("1f1b", 2, 1, 3, 0).map(s)).toEqual(["F0", "F1", "B0", "F2", "B1", "B2"]);
    expect(taskOrder("1f1b", 2, 1, 3, 1).map(s)).toEqual(["F0", "B0", "F1", "B1", "F2", "B2"]);
  });
  it("a two-stage pipeline by hand: t_f = 1 ms, t_b = 2 ms, 4 micro-batches -> (4 + 2 - 1) x 3 = 15 ms, bubble 3 ms", () => {
    const r = simulateStep(PLAN, [chunk(1, 2), chunk(1, 2)], "bf16", ctx);
    expect(r.step_s).toBeCloseTo(15e-3, 12);
    expect(r.breakdown.bubble_s).toBeCloseTo(3e-3, 12);
    expect(r.breakdown.compute_s).toBeCloseTo(12e-3, 12);
  });
  it("GPipe has the same makespan with uniform stages", () => {
    const r = simulateStep({ ...PLAN, schedule: "gpipe" }, [chunk(1, 2), chunk(1, 2)], "bf16", ctx);
    expect(r.step_s).toBeCloseTo(15e-3, 12);
  });
  it("1F1B bubble on 4 stages, 8 micro-batches: (8 + 4 - 1)(t_f + t_b)", () => {
    const plan = { ...PLAN, pp: 4, global_batch: 8 };
    const r = simulateStep(plan, [chunk(1, 2), chunk(1, 2), chunk(1, 2), chunk(1, 2)], "bf16", ctx);
    expect(r.step_s).toBeCloseTo(11 * 3e-3, 12);
    expect(r.breakdown.bubble_s).toBeCloseTo(3 * 3e-3, 12);
  });
  it("interleaving (2 chunks per device of half the work) shrinks the bubble to (pp - 1)(t_f + t_b) / v", () => {
    const plan = { ...PLAN, virtual_stages: 2 };
    const r = simulateStep(plan, [chunk(0.5, 1), chunk(0.5, 1), chunk(0.5, 1), chunk(0.5, 1)], "bf16", ctx);
    expect(r.step_s).toBeCloseTo(12e-3 + 1.5e-3, 12);
  });
  it("pipeline sends sit on the critical path: each of the 2 (p - 1) hand-offs of the fill and drain costs one send", () => {
    // 370.8e6 bytes over 18 x 20.6 GB/s = 1 ms, plus 3.4 us of NCCL's NVLink step latency
    const send = 3.4e-6 + 1e-3;
    const w = [chunk(1, 2), chunk(1, 2)].map((c) => ({ ...c, p2p_bytes: 370.8e6 }));
    const r = simulateStep(PLAN, w, "bf16", ctx);
    expect(r.step_s).toBeGreaterThan(15e-3 + 2 * send - 1e-9);
  });
});

const TINY: TransformerArch = {
  kind: "decoder",
  n_layers: 4,
  d_model: 256,
  n_heads: 8,
  n_kv_heads: 8,
  d_ff: 1024,
  vocab_size: 1000,
  max_seq_len: 128,
  mlp: "gelu",
  norm: "layernorm",
  position: "learned",
  tied_embeddings: false,
  type_vocab_size: 0,
  pooler: false,
  bias: true,
};

describe("memory per device", () => {
  it("ZeRO stages shard optimizer (1), gradients (2) and weights (3) over dp: 16, 5.5, 3.75, 2 bytes per parameter at dp 8", () => {
    const P = 1e9;
    const per = (zero: 0 | 1 | 2 | 3) => {
      const m = trainingMemory(TINY, { ...PLAN, pp: 1, dp: 8, global_batch: 8, zero }, 80e9, P);
      return (m.weights_bytes + m.gradients_bytes + m.optimizer_bytes) / P;
    };
    expect(per(0)).toBeCloseTo(16, 12);
    expect(per(1)).toBeCloseTo(2 + 2 + 12 / 8, 12);
    expect(per(2)).toBeCloseTo(2 + 2 / 8 + 12 / 8, 12);
    expect(per(3)).toBeCloseTo(2 / 8 + 2 / 8 + 12 / 8, 12);
  });
  it("activations follow Korthikanti et al.: 34 s b h per layer with fused attention, 2 s b h with full recomputation", () => {
    const base = { ...PLAN, pp: 1, global_batch: 1 };
    const sbh = 16 * 1 * 256;
    expect(trainingMemory(TINY, base, 80e9, 0).activations_bytes).toBeCloseTo(34 * sbh * 4, 6);
    expect(trainingMemory(TINY, { ...base, fused_attention: false }, 80e9, 0).activations_bytes).toBeCloseTo((34 + (5 * 8 * 16) / 256) * sbh * 4, 6);
    expect(trainingMemory(TINY, { ...base, recompute: "full" }, 80e9, 0).activations_bytes).toBeCloseTo(2 * sbh * 4, 6);
  });
});

describe("plans on a model", () => {
  it("full recomputation adds the layers' forward to the backward", () => {
    const none = stageWork(TINY, { ...PLAN, pp: 1 }, "bf16")[0]!;
    const full = stageWork(TINY, { ...PLAN, pp: 1, recompute: "full" }, "bf16")[0]!;
    const flops = (ops: Op[]) => ops.reduce((s, o) => s + o.flops * o.count, 0);
    const layerFwd = flops(none.forward.filter((o) => o.name.startsWith("layer.")));
    expect(flops(full.backward) - flops(none.backward)).toBeCloseTo(layerFwd, 0);
  });
  it("tensor parallelism with sequence parallelism: 2 all-gathers and 2 reduce-scatters per layer forward", () => {
    const w = stageWork(TINY, { ...PLAN, pp: 1, tp: 2, sequence_parallel: true }, "bf16")[0]!;
    const fwd = w.tp_collectives.filter((c) => c.phase === "forward");
    expect(fwd.map((c) => [c.op, c.count])).toEqual([
      ["all-gather", 8],
      ["reduce-scatter", 8],
    ]);
    expect(fwd[0]!.bytes).toBe(16 * 256 * 2);
  });
  it("a step on a model runs and reports its breakdown", () => {
    const r = trainingStep(TINY, { ...PLAN, global_batch: 8, dp: 1 }, DEV, TOPO, "bf16", DEFAULT_PARAMS);
    expect(r.step_s).toBeGreaterThan(0);
    expect(r.mfu).toBeGreaterThan(0);
    expect(r.mfu).toBeLessThan(1);
    expect(r.microbatches).toBe(8);
  });
});

describe("bad input names the field", () => {
  it("heads not divisible by tp", () => {
    expect(() => checkPlan(TINY, { ...PLAN, tp: 3, pp: 1 }, 3)).toThrow(PlanError);
    expect(() => checkPlan(TINY, { ...PLAN, tp: 3, pp: 1 }, 3)).toThrow(/parallelism.tp/);
  });
  it("layers not divisible by pp x virtual stages", () => {
    expect(() => checkPlan(TINY, { ...PLAN, pp: 3 }, 3)).toThrow(/parallelism.pp/);
  });
  it("degrees that do not multiply to the device count", () => {
    expect(() => checkPlan(TINY, PLAN, 8)).toThrow(/n_devices/);
  });
  it("a global batch that does not split into micro-batches", () => {
    expect(() => checkPlan(TINY, { ...PLAN, global_batch: 3, micro_batch: 2 }, 2)).toThrow(/global_batch/);
  });
});
