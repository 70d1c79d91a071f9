/**
 * ASTRA-sim training steps: the Chakra ET writer's compute/dependency fields against the official
 * protobuf classes, the 1F1B schedule and the per-rank traces, the plans built from ZZZ, the adapter's
 * inputs and support decisions, the derived MLPerf step-time ground truth, and the recorded outputs.
 * The real simulator is never run here.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { parse as parseYaml } from "yaml";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { Cell } from "../../pipeline/lib/schema.ts";
import { encodeEt, NodeType, CollectiveCommType, type EtNode } from "../../tools-under-test/astra-sim/chakra-et.ts";
import { oneFOneB, scheduleOf, rankNodes, rankEt, rankOf, stepDims, maxStageComputeUs, type StepSpec, type Block } from "../../tools-under-test/astra-sim/training-et.ts";
import { buildStep, TRAINING_PLANS, IB_NDR_EOS, NVLINK_H100 } from "../../tools-under-test/astra-sim/training-plan.ts";
import { astraSimAdapter, supports, writeInputs, multiDimNetworkYaml, systemJson, networkConfig, parseRun, NO_PLAN_REASON, TIME_TO_TRAIN_REASON } from "../../tools-under-test/astra-sim/adapter.ts";
import { countParams } from "../../zzz/index.ts";
import { gpt3StepTime, parseExcerpt, resnetStepTime, stepTimeRows, GT_FILE, STEP_SOURCES } from "../../suite/ground-truth/published/mlperf-tr40/step-time/import.ts";
import { stepExcerpt, sourceLineRows, STEP_SYSTEMS, COMMIT } from "../../suite/ground-truth/published/mlperf-tr40/step-time/extract.ts";
import { gitShow, gitLsTree } from "../../suite/ground-truth/published/git-source.ts";

const GOLDEN = "test/tools/fixtures/astra-sim/training/nodes.et";
const RAW = "results/raw/astra-sim";
const GPT3 = "mlperf-tr40-step.gpt-3-175b.h100-sxm5-80gb.x512";
const RN8 = "mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x8";
const RN64 = "mlperf-tr40-step.resnet-50.h100-sxm5-80gb.x64";
const STEP_DATA = "suite/ground-truth/published/mlperf-tr40/step-time/data";
const TR40_GIT = process.env.MLPERF_TR40_GIT ?? "/work/.mirror/mlcommons+training_results_v4.0/repo";

let suite: Suite;
beforeAll(() => {
  suite = loadSuite(".", { groundTruth: false });
});
const cell = (id: string): Cell => {
  const c = suite.cells.get(id);
  if (!c) throw new Error(`cell ${id} is not in the suite`);
  return c;
};
const modelOf = (c: Cell) => suite.models.get((c.workload as { model: string }).model)!;

describe("Chakra ET writer: compute nodes, dependencies, involved_dim", () => {
  it("writes the same bytes as Chakra's protobuf classes (make-golden-training-et.py)", () => {
    const cpu = { name: "is_cpu_op", bool: false } as const;
    const nodes: EtNode[] = [
      { id: 0, name: "recv_act_mb0", type: NodeType.COMM_RECV_NODE, attrs: [cpu, { name: "comm_src", int32: 4 }, { name: "comm_dst", int32: 12 }, { name: "comm_tag", int32: 0 }, { name: "comm_size", int64: 100663296 }] },
      { id: 1, name: "fwd_mb0_layer0_attn", type: NodeType.COMP_NODE, dataDeps: [0], durationMicros: 1234, attrs: [cpu] },
      {
        id: 2,
        name: "fwd_mb0_layer0_attn_tp_allreduce",
        type: NodeType.COMM_COLL_NODE,
        dataDeps: [1],
        attrs: [cpu, { name: "comm_type", int64: CollectiveCommType.ALL_REDUCE }, { name: "comm_size", int64: 100663296 }, { name: "involved_dim", boolList: [true, false, false] }],
      },
      { id: 300, name: "send_act_mb0", type: NodeType.COMM_SEND_NODE, dataDeps: [2, 1, 200], attrs: [cpu, { name: "comm_src", int32: 12 }, { name: "comm_dst", int32: 20 }, { name: "comm_tag", int32: 0 }, { name: "comm_size", int64: 100663296 }] },
      { id: 301, name: "x", type: NodeType.COMM_COLL_NODE, dataDeps: [300], attrs: [{ name: "pg_name", string: "7" }, { name: "involved_dim", boolList: [] }] },
    ];
    const golden = readFileSync(GOLDEN);
    expect(encodeEt(nodes).equals(golden)).toBe(true);
    // a different duration gives different bytes (the comparison is not vacuous)
    expect(encodeEt([nodes[0]!, { ...nodes[1]!, durationMicros: 1235 }, ...nodes.slice(2)]).equals(golden)).toBe(false);
  });
});

/** A small hybrid step: tp 2, dp 2, pp 3, 4 micro-batches, 2 blocks per stage. */
const blk = (name: string, f: number, ar: number, grad: number): Block => ({ name, fwd_us: f, bwd_us: 2 * f, fwd_tp_ar_bytes: ar, bwd_tp_ar_bytes: ar, grad_bytes: grad });
const small = (dp_overlap = false): StepSpec => ({
  tp: 2,
  dp: 2,
  pp: 3,
  microbatches: 4,
  stages: [0, 1, 2].map((p) => [blk(`s${p}a`, 100.4, 1000, 4000), blk(`s${p}b`, 200.6, 1000, 8000)]),
  pp_bytes: 5000,
  dp_overlap,
});

describe("1F1B schedule and per-rank traces", () => {
  it("orders warm-up forwards, alternating pairs, cool-down backwards", () => {
    const fmt = (o: { dir: string; mb: number }[]) => o.map((x) => `${x.dir}${x.mb}`).join(" ");
    expect(fmt(oneFOneB(0, 4, 6))).toBe("F0 F1 F2 F3 B0 F4 B1 F5 B2 B3 B4 B5");
    expect(fmt(oneFOneB(3, 4, 6))).toBe("F0 B0 F1 B1 F2 B2 F3 B3 F4 B4 F5 B5");
    expect(fmt(oneFOneB(0, 8, 3))).toBe("F0 F1 F2 B0 B1 B2"); // fewer micro-batches than stages
  });

  it("interleaves model chunks in Megatron-LM's order, every (micro-batch, chunk) forward once and backward once", () => {
    const pp = 4;
    const v = 2;
    const m = 8;
    const fmt = (o: { dir: string; mb: number; chunk: number }[]) => o.map((x) => `${x.dir}${x.mb}.${x.chunk}`).join(" ");
    // last device: warm-up (v - 1) x pp = 4 forwards, then alternating
    expect(fmt(scheduleOf(3, pp, m, v)).startsWith("F0.0 F1.0 F2.0 F3.0 F0.1 B0.1 F1.1 B1.1")).toBe(true);
    // first device: warm-up (pp - 1) x 2 + (v - 1) x pp = 10 forwards, then forward 10 / backward 0
    expect(scheduleOf(0, pp, m, v).slice(0, 12).map((x) => x.dir).join("")).toBe("FFFFFFFFFFFB");
    for (let p = 0; p < pp; p++) {
      const sch = scheduleOf(p, pp, m, v);
      expect(sch.length).toBe(2 * m * v);
      for (let mb = 0; mb < m; mb++)
        for (let c = 0; c < v; c++) {
          const f = sch.findIndex((x) => x.dir === "F" && x.mb === mb && x.chunk === c);
          const b = sch.findIndex((x) => x.dir === "B" && x.mb === mb && x.chunk === c);
          expect(f).toBeGreaterThanOrEqual(0);
          expect(b).toBeGreaterThan(f);
          expect(sch.filter((x) => x.mb === mb && x.chunk === c).length).toBe(2);
        }
    }
    expect(scheduleOf(1, 4, 6, 1)).toEqual(oneFOneB(1, 4, 6).map((x) => ({ ...x, chunk: 0 })));
    expect(() => scheduleOf(0, 4, 6, 2)).toThrow(/multiple of pp/);
  });

  it("an interleaved step's traces can all complete: data dependencies plus send-before-receive form no cycle", () => {
    const pp = 4;
    const v = 2;
    const blkV = (n: string): Block => ({ name: n, fwd_us: 10, bwd_us: 20, fwd_tp_ar_bytes: 0, bwd_tp_ar_bytes: 0, grad_bytes: 100 });
    const s: StepSpec = { tp: 1, dp: 2, pp, microbatches: 8, virtual_stages: v, stages: Array.from({ length: pp * v }, (_, i) => [blkV(`vs${i}`)]), pp_bytes: 10, dp_overlap: false };
    const key = (r: number, id: number) => `${r}:${id}`;
    const indeg = new Map<string, number>();
    const out = new Map<string, string[]>();
    const edge = (from: string, to: string) => {
      out.set(from, [...(out.get(from) ?? []), to]);
      indeg.set(to, (indeg.get(to) ?? 0) + 1);
    };
    const all: [number, EtNode][] = [];
    for (let p = 0; p < pp; p++) for (let d = 0; d < 2; d++) for (const n of rankNodes(s, 0, d, p)) all.push([rankOf(s, 0, d, p), n]);
    for (const [r, n] of all) indeg.set(key(r, n.id), indeg.get(key(r, n.id)) ?? 0);
    for (const [r, n] of all) for (const dep of n.dataDeps ?? []) edge(key(r, dep), key(r, n.id));
    const a = (n: EtNode, k: string) => (n.attrs.find((x) => x.name === k) as { int32: number }).int32;
    const recvs = new Map<string, string>();
    for (const [r, n] of all) if (n.type === NodeType.COMM_RECV_NODE) recvs.set(`${a(n, "comm_src")}>${r}#${a(n, "comm_tag")}`, key(r, n.id));
    let sends = 0;
    for (const [r, n] of all)
      if (n.type === NodeType.COMM_SEND_NODE) {
        sends++;
        const rk = recvs.get(`${r}>${a(n, "comm_dst")}#${a(n, "comm_tag")}`);
        expect(rk, `receive for ${n.name} on rank ${r}`).toBeDefined();
        edge(key(r, n.id), rk!);
      }
    expect(sends).toBe(recvs.size);
    // 8 ranks x (forward and backward) x 8 micro-batches x 2 chunks, minus the pipeline's two ends
    expect(sends).toBe(2 * 2 * 8 * (pp * v - 1));
    const q = [...indeg].filter(([, x]) => x === 0).map(([k]) => k);
    let done = 0;
    while (q.length) {
      const k = q.pop()!;
      done++;
      for (const c of out.get(k) ?? []) {
        indeg.set(c, indeg.get(c)! - 1);
        if (indeg.get(c) === 0) q.push(c);
      }
    }
    expect(done).toBe(all.length);
    // the device with the most compute: its chunks' work summed
    expect(maxStageComputeUs(s)).toBe(8 * 2 * 30);
  });

  it("lays out NPU ids as t + tp (d + dp p), one network dimension per axis > 1", () => {
    expect(stepDims({ tp: 4, dp: 16, pp: 8 })).toEqual([{ axis: "tp", size: 4 }, { axis: "dp", size: 16 }, { axis: "pp", size: 8 }]);
    expect(stepDims({ tp: 1, dp: 8, pp: 1 })).toEqual([{ axis: "dp", size: 8 }]);
    expect(rankOf({ tp: 4, dp: 16 }, 3, 15, 7)).toBe(511);
    expect(rankOf({ tp: 4, dp: 16 }, 1, 2, 1)).toBe(1 + 4 * 2 + 64);
  });

  it("writes every node once, dependencies on earlier nodes only, and matching send/recv pairs", () => {
    const s = small();
    const all = new Map<number, EtNode[]>();
    for (let r = 0; r < 12; r++) all.set(r, rankNodes(s, r % 2, Math.floor(r / 2) % 2, Math.floor(r / 4)));
    for (const [r, nodes] of all) {
      const p = Math.floor(r / 4);
      expect(nodes.map((n) => n.id)).toEqual(nodes.map((_, i) => i));
      for (const n of nodes) for (const d of n.dataDeps ?? []) expect(d).toBeLessThan(n.id);
      const comp = nodes.filter((n) => n.type === NodeType.COMP_NODE);
      expect(comp.length).toBe(4 * 2 * 2); // micro-batches x blocks x (forward, backward)
      // durations rounded to whole microseconds: forward 100 and 201, backward 201 and 401
      expect([...new Set(comp.map((n) => n.durationMicros))].sort((a, b) => a! - b!)).toEqual([100, 201, 401]);
      const colls = nodes.filter((n) => n.type === NodeType.COMM_COLL_NODE);
      const inv = (n: EtNode) => (n.attrs.find((a) => a.name === "involved_dim") as { boolList: boolean[] }).boolList;
      const tpAr = colls.filter((n) => inv(n).join() === "true,false,false");
      const dpAr = colls.filter((n) => inv(n).join() === "false,true,false");
      expect(tpAr.length).toBe(4 * 2 * 2);
      expect(dpAr.map((n) => (n.attrs.find((a) => a.name === "comm_size") as { int64: number }).int64)).toEqual([8000, 4000]);
      // the DP all-reduces come last, chained after the stage's last node (no overlap)
      expect(nodes.slice(-2)).toEqual(dpAr);
      expect(dpAr[0]!.dataDeps).toEqual([nodes.length - 3]);
      expect(dpAr[1]!.dataDeps).toEqual([dpAr[0]!.id]);
      const sends = nodes.filter((n) => n.type === NodeType.COMM_SEND_NODE);
      const recvs = nodes.filter((n) => n.type === NodeType.COMM_RECV_NODE);
      expect(sends.length).toBe((p < 2 ? 4 : 0) + (p > 0 ? 4 : 0));
      expect(recvs.length).toBe(sends.length);
      expect(recvs.every((n) => (n.dataDeps ?? []).length === 0)).toBe(true);
    }
    // every send has its receive on the destination rank: same source, tag and size
    const attr = (n: EtNode, k: string) => (n.attrs.find((a) => a.name === k) as { int32?: number; int64?: number })!;
    for (const [r, nodes] of all)
      for (const snd of nodes.filter((n) => n.type === NodeType.COMM_SEND_NODE)) {
        expect(attr(snd, "comm_src").int32).toBe(r);
        const dst = attr(snd, "comm_dst").int32!;
        const match = all.get(dst)!.filter((n) => n.type === NodeType.COMM_RECV_NODE && attr(n, "comm_src").int32 === r && attr(n, "comm_tag").int32 === attr(snd, "comm_tag").int32);
        expect(match.length).toBe(1);
        expect(attr(match[0]!, "comm_size").int64).toBe(5000);
        expect(Math.abs(dst - r)).toBe(4); // the neighbouring stage, same t and d
      }
  });

  it("overlaps DP all-reduces with the backward when asked: each waits for its block's last backward", () => {
    const nodes = rankNodes(small(true), 0, 0, 2);
    const dp = nodes.slice(-2);
    const parent = (n: EtNode) => nodes[n.dataDeps![0]!]!;
    expect(dp.map((n) => parent(n).name)).toEqual(["bwd_mb3_s2b", "bwd_mb3_s2a"]);
  });

  it("rankEt with the per-stage cache writes the same bytes as without", () => {
    const s = small();
    const cache = new Map<string, Buffer>();
    for (let r = 0; r < 12; r++) expect(rankEt(s, r, cache).equals(rankEt(s, r))).toBe(true);
  });

  it("rejects a non-positive compute time", () => {
    const s = small();
    s.stages[1]![0]!.fwd_us = 0;
    expect(() => rankNodes(s, 0, 0, 1)).toThrow(/positive/);
  });
});

describe("training plans (compute from ZZZ, communication sizes)", () => {
  it("GPT-3 175B on 512 GPUs: 72 micro-batches of 2, 4 chunks of 3 layers per GPU, TP-sharded gradients add up to the model", () => {
    const c = cell(GPT3);
    const b = buildStep(c, modelOf(c), suite.hardware.get(c.hardware)!);
    expect(b.spec.microbatches).toBe(72);
    expect(b.spec.virtual_stages).toBe(4);
    // 32 virtual stages of 3 layers (2 blocks each); the embedding before the first, the head after the last
    expect(b.spec.stages.map((s) => s.length)).toEqual([7, ...Array(30).fill(6), 7]);
    expect(b.spec.stages[0]![0]!.name).toBe("embedding");
    expect(b.spec.stages[8]![0]!.name).toBe("layer24_attn"); // chunk 1 of device 0
    expect(b.spec.stages[31]!.at(-1)!.name).toBe("head");
    const T = 2 * 2048;
    expect(b.spec.pp_bytes).toBe(T * 12288 * 2);
    const layer = b.spec.stages[3]![0]!;
    expect(layer.fwd_tp_ar_bytes).toBe(T * 12288 * 2);
    for (const st of b.spec.stages) for (const x of st) expect(x.bwd_us).toBe(2 * x.fwd_us);
    // gradients x tp / 2 bytes = parameters (norms and biases of the row-parallel layers are replicated, so slightly more; the tied LM head owns none)
    const params = b.spec.stages.flat().reduce((s, x) => s + x.grad_bytes, 0) / 2;
    const total = countParams(modelOf(c).arch);
    expect(params * 4).toBeGreaterThan(total * 0.999);
    expect(params * 4).toBeLessThan(total * 1.01);
    expect(b.links).toEqual({ tp: NVLINK_H100, dp: IB_NDR_EOS, pp: IB_NDR_EOS });
    expect(b.spec.dp_overlap).toBe(false);
    // One MLP half by hand: two GEMMs of 2 x 4096 x 12288 x 12288 FLOPs (d_ff / tp = 12288) at 80 % of
    // the fp8 peak (1978.9 TFLOP/s) = 1.56 ms, plus norm, GELU and residual add (memory-bound, bf16)
    const mlp = b.spec.stages[3]!.find((x) => x.name.endsWith("_mlp"))!;
    const gemms = (2 * (2 * T * 12288 * 12288)) / (1978.9e12 * 0.8);
    expect(mlp.fwd_us).toBeGreaterThan(gemms * 1e6);
    expect(mlp.fwd_us).toBeLessThan(gemms * 1e6 * 1.3);
    // ZZZ's forward compute per micro-batch of 3 layers: several ms at the fp8 peak
    expect(b.stage_fwd_us[3]).toBeGreaterThan(5e3);
    expect(b.stage_fwd_us[3]).toBeLessThan(15e3);
  });

  it("the inter-node link is what the MLPerf systems JSON states: 8 x 400 Gb/s compute NICs per 8-GPU node", () => {
    for (const sys of ["eos_n64_ngc24.04_nemo", "eos_n8_ngc24.04_mxnet"]) {
      const j = JSON.parse(readFileSync(`suite/ground-truth/published/mlperf-tr40/data/NVIDIA/systems/${sys}.json`, "utf8")) as Record<string, string>;
      const m = /Compute: (\d+)x ConnectX-7 IB NDR (\d+)Gb\/s/.exec(j.host_networking!);
      expect(m, sys).not.toBeNull();
      const perGpu = (Number(m![1]) * Number(m![2]) * 1e9) / 8 / Number(j.accelerators_per_node);
      expect(IB_NDR_EOS.bandwidth_bytes_per_s).toBe(perGpu);
    }
  });

  it("ResNet-50 data parallel: one block per operator copy, gradients = the model's parameters in fp16", () => {
    for (const [id, perGpu, link] of [
      [RN8, 400, NVLINK_H100],
      [RN64, 50, IB_NDR_EOS],
    ] as const) {
      const c = cell(id);
      const b = buildStep(c, modelOf(c), suite.hardware.get(c.hardware)!);
      expect(TRAINING_PLANS[id]!.micro_batch).toBe(perGpu);
      expect(b.spec.microbatches).toBe(1);
      expect(b.spec.stages[0]!.reduce((s, x) => s + x.grad_bytes, 0)).toBe(2 * countParams(modelOf(c).arch));
      expect(b.links).toEqual({ dp: link });
      expect(b.spec.dp_overlap).toBe(true);
    }
  });
});

describe("adapter: training cells", () => {
  it("runs the planned step cells and declines other training cells with a reason", () => {
    for (const id of [GPT3, RN8, RN64]) expect(supports(cell(id), suite)).toEqual({ ok: true });
    const ttt = [...suite.cells.values()].find((c) => c.workload.kind === "training" && c.workload.scope === "time-to-train")!;
    expect(supports(ttt, suite)).toEqual({ ok: false, reason: TIME_TO_TRAIN_REASON });
    const unplanned = Cell.parse({ ...cell(RN8), id: "some-other-step" });
    expect(supports(unplanned, suite)).toEqual({ ok: false, reason: NO_PLAN_REASON });
  });

  it("writes a Switch per network dimension and one ring per dimension", () => {
    const y = parseYaml(multiDimNetworkYaml([{ size: 4, link: NVLINK_H100 }, { size: 16, link: IB_NDR_EOS }, { size: 8, link: IB_NDR_EOS }]));
    expect(y).toEqual({ topology: ["Switch", "Switch", "Switch"], npus_count: [4, 16, 8], bandwidth: [400, 50e9 / 2 ** 30, 50e9 / 2 ** 30], latency: [936.25, 936.25, 936.25] });
    const sys = JSON.parse(systemJson(networkConfig(suite.hardware.get("h100-sxm5-80gb")!)!, 3));
    expect(sys["all-reduce-implementation"]).toEqual(["ring", "ring", "ring"]);
    expect(sys["local-mem-bw"]).toBe(3350);
  });

  it("prepares the 8-GPU ResNet-50 step: 8 ETs, one NVLink dimension", () => {
    const dir = mkdtempSync(join(tmpdir(), "astra-train-"));
    try {
      const p = writeInputs(cell(RN8), suite, join(dir, "c"));
      expect(p.npus).toBe(8);
      expect(readdirSync(join(p.dir, "et")).length).toBe(8);
      expect(parseYaml(readFileSync(join(p.dir, "network.yml"), "utf8"))).toMatchObject({ npus_count: [8], bandwidth: [400] });
      expect(p.args[0]).toBe(`--workload-configuration=${join(p.dir, "et", "step")}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("derived MLPerf step times (ground truth)", () => {
  it("the committed ground-truth.csv is what import.ts derives from the committed excerpts", () => {
    const committed = parseCsv(readFileSync(GT_FILE, "utf8"), { columns: true }) as Record<string, string>[];
    expect(stepTimeRows()).toEqual(committed);
    expect(committed.length).toBe(3 + 5 + 4); // eos_n8 result_4 aborted
    for (const r of committed) expect(r.place).toContain("DERIVED");
  });

  it("GPT-3: median block duration / steps per block, steps = epoch_count / (global batch x sequence)", () => {
    const ev = (k: string, t: number, meta: Record<string, unknown> = {}, value: unknown = null) => `:::MLLOG ${JSON.stringify({ namespace: "", time_ms: t, event_type: "X", key: k, value, metadata: meta })}`;
    const tok = 3 * 4 * 8;
    const text = [
      ev("global_batch_size", 0, {}, 4),
      ev("max_sequence_length", 0, {}, 8),
      ev("block_start", 1000, { epoch_count: tok }),
      ev("block_stop", 4000, { epoch_count: tok }), // 1 s per step
      ev("eval_start", 4000),
      ev("block_start", 5000, { epoch_count: tok }),
      ev("block_stop", 11000, { epoch_count: tok }), // 2 s
      ev("block_start", 12000, { epoch_count: tok }),
      ev("block_stop", 16500, { epoch_count: tok }), // 1.5 s
      ev("run_stop", 17000, { status: "success" }),
    ].join("\n");
    const st = gpt3StepTime(parseExcerpt(text));
    expect(st).toMatchObject({ step_s: 1.5, intervals: 3, steps_per_interval: 3, status: "success" });
    expect(() => gpt3StepTime(parseExcerpt(text.replace(`"epoch_count":${tok}}`, `"epoch_count":${tok + 1}}`)))).toThrow();
  });

  it("GPT-3 run 0: blocks of 11 steps (51904512 tokens / (2304 x 2048)), about 10.9 s per step", () => {
    const ev = parseExcerpt(readFileSync(join(STEP_DATA, "NVIDIA/results/eos_n64_ngc24.04_nemo/gpt3/result_0.step-excerpt.txt"), "utf8"));
    const st = gpt3StepTime(ev);
    expect(st.steps_per_interval).toBe(11);
    expect(st.intervals).toBe(24);
    // the first block by hand: (1715043949934 - 1715043830078) ms / 11
    expect((1715043949934 - 1715043830078) / 1000 / 11).toBeCloseTo(10.896, 3);
    expect(st.step_s).toBeGreaterThan(10.8);
    expect(st.step_s).toBeLessThan(11.0);
    // the log's gradient accumulation equals the plan's micro-batches: 2304 / (16 x 2) = 72
    expect(ev.find((e) => e.key === "gradient_accumulation_steps")!.value).toBe(72);
  });

  it("ResNet-50: epochs of ceil((1281167 // n) / (3200 / n)) = 401 steps", () => {
    for (const [sys, n] of [
      ["eos_ngc24.04_mxnet", 8],
      ["eos_n8_ngc24.04_mxnet", 64],
    ] as const) {
      const st = resnetStepTime(parseExcerpt(readFileSync(join(STEP_DATA, `NVIDIA/results/${sys}/resnet/result_0.step-excerpt.txt`), "utf8")), n);
      expect(st.steps_per_interval).toBe(401);
      expect(st.intervals).toBeGreaterThan(30);
    }
  });

  it.skipIf(!existsSync(TR40_GIT))("extract.ts re-creates the committed excerpts and source lines from the repository", () => {
    for (const [sys, bench] of Object.entries(STEP_SYSTEMS))
      for (const f of gitLsTree(TR40_GIT, COMMIT, `NVIDIA/results/${sys}/${bench}`).filter((x) => /result_\d+\.txt$/.test(x)))
        expect(stepExcerpt(gitShow(TR40_GIT, COMMIT, f))).toBe(readFileSync(join(STEP_DATA, f.replace(/\.txt$/, ".step-excerpt.txt")), "utf8"));
    const committed = parseCsv(readFileSync(join(STEP_DATA, "source-lines.csv"), "utf8"), { columns: true });
    expect(sourceLineRows(TR40_GIT)).toEqual(committed);
  });

  it("every step-time source points at a training-step cell that ASTRA-sim runs", () => {
    for (const s of STEP_SOURCES) {
      expect(cell(s.cell_id).n_devices).toBe(s.n_gpus);
      expect(TRAINING_PLANS[s.cell_id]).toBeDefined();
    }
  });
});

describe("recorded training-step outputs", () => {
  const recorded = [GPT3, RN8, RN64].filter((id) => existsSync(join(RAW, `${id}.txt`)));
  it("all three step cells have a recorded output", () => {
    expect(recorded).toEqual([GPT3, RN8, RN64]);
  });
  it.each(recorded)("%s: a step no shorter than the busiest stage's compute, exposed communication = the rest", (id) => {
    const c = cell(id);
    const raw = readFileSync(join(RAW, `${id}.txt`), "utf8");
    const run = parseRun(raw, c.n_devices);
    const b = buildStep(c, modelOf(c), suite.hardware.get(c.hardware)!);
    const computeNs = maxStageComputeUs(b.spec) * 1000;
    expect(run.finish_ns).toBeGreaterThanOrEqual(computeNs);
    // ranks of the busiest stage: finish - exposed communication = their compute ticks
    const v = astraSimAdapter.parse(raw, c, { suite, workDir: "" }).value;
    expect(v).toBeCloseTo(run.finish_ns * 1e-9, 12);
    for (const r of run.ranks) expect(r.finish_cycles - r.exposed_comm_cycles!).toBeLessThanOrEqual(computeNs);
  });
});
