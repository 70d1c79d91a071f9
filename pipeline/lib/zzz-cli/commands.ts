/**
 * The `zzz` commands (predict, serve, train, search) over the ZZZ layers, through the same adapter
 * code that predicts the suite's cells (tools-under-test/zzz/): a command builds the cell its flags
 * describe and asks the adapter, so a command on a suite model gives exactly the number the
 * evaluation gives for the equivalent cell. No number is computed here that the layers do not give;
 * this file only builds inputs, derives rates (tokens/s = tokens / latency) and ranks.
 */
import { z } from "zod";
import { Cell, Precision, type Hardware, type Model } from "../schema.ts";
import type { Suite } from "../suite.ts";
import {
  DEFAULT_CONFIG,
  calibrationFor,
  deviceSpec,
  estimate,
  scenarioOf,
  supports,
  timingOf,
  type EstimateV2,
} from "../../../tools-under-test/zzz/adapter.ts";
import { inferenceRun, runTraining } from "../../../tools-under-test/zzz/system-cells.ts";
import { kvBlocks, zzzStepCost } from "../../../tools-under-test/zzz/serving.ts";
import {
  engineForCell,
  generate,
  predictGraph,
  simulate,
  summarize,
  supportedCellEngines,
  type Dist,
  type ModelArch,
  type SchedulerConfig,
  type SchedulerKind,
  type TransformerArch,
} from "../../../zzz/index.ts";
import { CliError, type Inputs } from "./load.ts";

// ---------------------------------------------------------------- JSON output schemas

const Num = z.number().finite();
export const PredictionJson = z
  .object({
    value: Num,
    unit: z.string(),
    latency_s: Num,
    flops: Num,
    bytes: Num,
    bound: z.enum(["compute", "memory", "overhead"]),
    detail: z.string(),
    engine: z.string().optional(),
    timing: z.string().optional(),
    calibration: z.string().optional(),
  })
  .strict();
const BreakdownRow = z.object({ part: z.string(), count: Num.optional(), time_s: Num, share: Num, bound: z.string().optional() }).strict();
const Files = z.object({ model: z.string(), hardware: z.string() }).strict();

export const PredictJson = z
  .object({
    command: z.literal("predict"),
    files: Files,
    cell: Cell,
    prediction: PredictionJson,
    tokens_per_s: Num.optional(),
    breakdown: z.array(BreakdownRow).optional(),
  })
  .strict();
export type PredictJson = z.infer<typeof PredictJson>;

const DistJson = z.object({ p50: Num, p90: Num, p99: Num, mean: Num, max: Num }).strict();
export const ServeJson = z
  .object({
    command: z.literal("serve"),
    files: Files,
    config: z
      .object({
        replicas: z.number().int().positive(),
        scheduler: z.enum(["static", "orca", "vllm", "sarathi"]),
        max_num_batched_tokens: z.number().int().positive(),
        max_num_seqs: z.number().int().positive(),
        kv_blocks_per_replica: z.number().int().nonnegative(),
        block_size: z.number().int().positive(),
        dtype: Precision,
      })
      .strict(),
    workload: z.object({ requests: z.number().int().positive(), rate_per_s: Num.nullable(), prompt_tokens: z.string(), output_tokens: z.string(), seed: z.number().int() }).strict(),
    metrics: z
      .object({
        ttft_s: DistJson,
        tpot_s: DistJson,
        e2e_s: DistJson,
        throughput_rps: Num,
        output_tokens_per_s: Num,
        completed: z.number().int(),
        rejected: z.number().int(),
        preemptions: z.number().int(),
        iterations: z.number().int(),
      })
      .strict(),
  })
  .strict();
export type ServeJson = z.infer<typeof ServeJson>;

export const TrainJson = z
  .object({
    command: z.literal("train"),
    files: Files,
    cell: Cell,
    step_s: Num,
    tokens_per_s: Num,
    mfu: Num,
    microbatches: z.number().int(),
    breakdown: z.array(BreakdownRow),
    memory_per_device: z
      .object({ weights_bytes: Num, gradients_bytes: Num, optimizer_bytes: Num, activations_bytes: Num, total_bytes: Num, capacity_bytes: Num, fits: z.boolean() })
      .strict(),
    detail: z.string(),
  })
  .strict();
export type TrainJson = z.infer<typeof TrainJson>;

export const SearchRow = z
  .object({
    rank: z.number().int().positive(),
    gpus: z.number().int().positive(),
    tp: z.number().int().positive(),
    pp: z.number().int().positive(),
    dp: z.number().int().positive(),
    micro_batch: z.number().int().positive().optional(),
    replicas: z.number().int().positive().optional(),
    scheduler: z.string().optional(),
    max_num_batched_tokens: z.number().int().positive().optional(),
    max_num_seqs: z.number().int().positive().optional(),
    step_s: Num.optional(),
    mem_per_device_bytes: Num.optional(),
    ttft_p99_s: Num.optional(),
    tpot_p99_s: Num.optional(),
    tokens_per_s: Num,
    tokens_per_s_per_gpu: Num,
    gpu_s_per_mtoken: Num,
  })
  .strict();
export type SearchRow = z.infer<typeof SearchRow>;
export const SearchJson = z
  .object({
    command: z.literal("search"),
    for: z.enum(["train", "serve"]),
    files: Files,
    objective: z.enum(["throughput", "cost"]),
    constraints: z.object({ max_gpus: z.number().int().positive(), memory_fit: z.literal(true), ttft_slo_s: Num.optional(), tpot_slo_s: Num.optional() }).strict(),
    evaluated: z.number().int(),
    feasible: z.number().int(),
    rejected: z.record(z.string(), z.number().int()),
    best: z.array(SearchRow),
  })
  .strict();
export type SearchJson = z.infer<typeof SearchJson>;

// ---------------------------------------------------------------- helpers

function int(name: string, v: string | undefined, dflt?: number): number {
  if (v === undefined) {
    if (dflt === undefined) throw new CliError(`--${name} is required`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`--${name}: expected a positive integer, got '${v}'`);
  return n;
}
function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--${name}: expected a positive number, got '${v}'`);
  return n;
}
function dtypeOf(v: string | undefined): z.infer<typeof Precision> {
  const r = Precision.safeParse(v ?? "bf16");
  if (!r.success) throw new CliError(`--dtype: expected one of ${Precision.options.join(", ")}, got '${v}'`);
  return r.data;
}
function oneOf<T extends string>(name: string, v: string | undefined, options: readonly T[], dflt: T): T {
  const x = (v ?? dflt) as T;
  if (!options.includes(x)) throw new CliError(`--${name}: expected one of ${options.join(", ")}, got '${v}'`);
  return x;
}

/** Build a cell through the suite's Cell schema (defaults applied, cross-field checks); a problem names the flag. */
function makeCell(raw: unknown): Cell {
  const r = Cell.safeParse(raw);
  if (!r.success) {
    const flag: Record<string, string> = { parallelism: "--tp/--pp/--dp/--gpus", precision: "--dtype", engine: "--engine" };
    throw new CliError(r.error.issues.map((i) => `${flag[String(i.path[0])] ?? i.path.join(".")}: ${i.message}`).join("; "));
  }
  return r.data;
}

/**
 * A cell id naming everything the cell's prediction depends on: the adapter caches per cell id
 * (system-cells.ts runTraining), so two configurations must never share one (zzz search builds many).
 */
function cellId(parts: (string | number | boolean | undefined)[]): string {
  return parts
    .filter((p) => p !== undefined)
    .map((p) => String(p).toLowerCase().replace(/[^a-z0-9._+-]+/g, "-"))
    .join(".");
}

function parallel(o: Record<string, string | undefined>): { tp: number; pp: number; dp: number; n: number } {
  const tp = int("tp", o.tp, 1);
  const pp = int("pp", o.pp, 1);
  const dp = int("dp", o.dp, 1);
  const n = tp * pp * dp;
  if (o.gpus !== undefined && int("gpus", o.gpus) !== n) throw new CliError(`--gpus ${o.gpus} must equal tp x pp x dp = ${tp} x ${pp} x ${dp} = ${n}`);
  return { tp, pp, dp, n };
}

const fileInfo = (inp: Inputs) => ({ model: inp.modelFile, hardware: inp.hardwareFile });

// ---------------------------------------------------------------- predict

export const PHASES = ["prefill", "decode", "forward", "train-step"] as const;

export function predictCell(inp: Inputs, o: Record<string, string | undefined>): Cell {
  const phase = oneOf("phase", o.phase, PHASES, "prefill");
  if (phase === "train-step") return trainCell(inp, o);
  const { tp, pp, dp, n } = parallel(o);
  const batch = int("batch", o.batch, 1);
  const model = inp.model.id;
  const seq = o.seq ?? o.context;
  const workload =
    phase === "prefill"
      ? { kind: "prefill", model, batch, seq_len: int("seq", seq, 512) }
      : phase === "decode"
        ? { kind: "decode-step", model, batch, context_len: int("context", o.context ?? o.seq, 512) }
        : { kind: "inference", model, batch, ...(seq !== undefined || inp.model.arch.kind !== "cnn" ? { seq_len: int("seq", seq, 512) } : {}) };
  return makeCell({
    id: cellId(["cli", phase, model, inp.hardware.id, `b${batch}`, "seq_len" in workload ? `s${workload.seq_len}` : undefined, "context_len" in workload ? `c${workload.context_len}` : undefined, `tp${tp}`, `pp${pp}`, `dp${dp}`, dtypeOf(o.dtype), o.engine ?? "any"]),
    level: n > 1 ? "multi-gpu" : "model",
    workload,
    hardware: inp.hardware.id,
    n_devices: n,
    parallelism: { tp, pp, dp },
    precision: dtypeOf(o.dtype),
    engine: o.engine ?? "any",
    metric: "latency",
    unit: "s",
  });
}

function requireSupported(cell: Cell, suite: Suite): void {
  const s = supports(cell, suite);
  if (!s.ok) throw new CliError(`ZZZ does not predict this configuration: ${s.reason}`);
}

function tokensOf(cell: Cell): number | undefined {
  const w = cell.workload;
  if (w.kind === "prefill") return w.batch * w.seq_len;
  if (w.kind === "decode-step") return w.batch;
  if (w.kind === "inference") return w.batch * (w.seq_len ?? 1);
  if (w.kind === "training") return w.global_batch * (w.seq_len ?? 2048);
  return undefined;
}

export function predict(inp: Inputs, o: Record<string, string | undefined>, breakdown: boolean): PredictJson {
  const cell = predictCell(inp, o);
  if (cell.workload.kind === "training") {
    const t = train(inp, o);
    return PredictJson.parse({
      command: "predict",
      files: fileInfo(inp),
      cell,
      prediction: { value: t.step_s, unit: "s", latency_s: t.step_s, flops: estimate(cell, inp.suite).flops, bytes: 0, bound: "compute", detail: t.detail },
      tokens_per_s: t.tokens_per_s,
      ...(breakdown ? { breakdown: t.breakdown } : {}),
    });
  }
  requireSupported(cell, inp.suite);
  const e = estimate(cell, inp.suite) as EstimateV2;
  const prediction = {
    value: e.value,
    unit: e.unit,
    latency_s: e.latency_s,
    flops: e.flops,
    bytes: e.bytes,
    bound: e.bound,
    detail: e.detail,
    ...(e.engine ? { engine: e.engine, timing: e.timing, calibration: e.calibration } : {}),
  };
  const tok = tokensOf(cell);
  return PredictJson.parse({
    command: "predict",
    files: fileInfo(inp),
    cell,
    prediction,
    ...(tok !== undefined ? { tokens_per_s: tok / e.latency_s } : {}),
    ...(breakdown ? { breakdown: predictBreakdown(cell, inp) } : {}),
  });
}

/** Per-operator device time (single device: the engine graph's kernels grouped by name), or the step's parts (multi-GPU). */
function predictBreakdown(cell: Cell, inp: Inputs): z.infer<typeof BreakdownRow>[] {
  const { suite } = inp;
  if (cell.n_devices > 1) {
    const r = inferenceRun(cell, suite);
    if (typeof r === "string") throw new CliError(r);
    const parts = [
      ["compute (per device, all stages)", r.compute_s],
      ["tensor-parallel all-reduce", r.tp_comm_s],
      ["pipeline sends", r.pp_comm_s],
    ] as const;
    return parts.map(([part, t]) => ({ part, time_s: t, share: t / r.latency_s }));
  }
  const s = scenarioOf(cell);
  const engine = engineForCell(cell.engine);
  if (!s || !engine) throw new CliError(`no per-operator breakdown for this cell (engine '${cell.engine}'; known: ${supportedCellEngines()})`);
  const p = predictGraph(inp.model.arch as ModelArch, s.scenario, deviceSpec(inp.hardware), cell.precision, {
    engine,
    timing: timingOf(cell, suite),
    calibration: calibrationFor(cell.hardware, suite, DEFAULT_CONFIG),
    refinements: DEFAULT_CONFIG.refinements,
  });
  const by = new Map<string, { count: number; time_s: number; bound: Record<string, number> }>();
  for (const k of p.kernels) {
    const g = by.get(k.op.name) ?? { count: 0, time_s: 0, bound: {} };
    g.count += k.op.count;
    g.time_s += k.device_s * k.op.count;
    g.bound[k.bound] = (g.bound[k.bound] ?? 0) + k.device_s * k.op.count;
    by.set(k.op.name, g);
  }
  const rows = [...by].map(([part, g]) => ({
    part,
    count: g.count,
    time_s: g.time_s,
    share: g.time_s / p.latency_s,
    bound: Object.entries(g.bound).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0],
  }));
  rows.sort((a, b) => b.time_s - a.time_s || (a.part < b.part ? -1 : 1));
  if (p.timeline.host_exposed_s > 0) rows.push({ part: "host (exposed launch/dispatch)", count: p.timeline.kernels, time_s: p.timeline.host_exposed_s, share: p.timeline.host_exposed_s / p.latency_s, bound: "overhead" });
  return rows;
}

// ---------------------------------------------------------------- train

export const RECOMPUTE = ["none", "selective", "full"] as const;

export function trainCell(inp: Inputs, o: Record<string, string | undefined>): Cell {
  const { tp, pp, dp, n } = parallel(o);
  const micro = o["micro-batch"] !== undefined ? int("micro-batch", o["micro-batch"]) : undefined;
  const global = int("global-batch", o["global-batch"] ?? o.batch, (micro ?? 1) * dp);
  const seq = inp.model.arch.kind === "cnn" ? undefined : int("seq", o.seq, 2048);
  const recompute = o.recompute !== undefined ? oneOf("recompute", o.recompute, RECOMPUTE, "none") : undefined;
  const sp = o.sp === undefined ? undefined : o.sp === "true" ? true : o.sp === "false" ? false : undefined;
  if (o.sp !== undefined && sp === undefined) throw new CliError(`--sp: expected true or false, got '${o.sp}'`);
  const virtual = o["virtual-stages"] !== undefined ? int("virtual-stages", o["virtual-stages"]) : undefined;
  return makeCell({
    id: cellId(["cli", "train", inp.model.id, inp.hardware.id, `gb${global}`, micro && `mb${micro}`, seq && `s${seq}`, `tp${tp}`, `pp${pp}`, `dp${dp}`, recompute && `r-${recompute}`, sp !== undefined ? `sp-${sp}` : undefined, virtual && `v${virtual}`, dtypeOf(o.dtype), o.engine ?? "any"]),
    level: n > 1 ? "multi-gpu" : "model",
    workload: {
      kind: "training",
      model: inp.model.id,
      global_batch: global,
      ...(seq !== undefined ? { seq_len: seq } : {}),
      scope: "iteration",
      ...(micro !== undefined ? { micro_batch: micro } : {}),
      ...(recompute !== undefined ? { recompute } : {}),
      ...(sp !== undefined ? { sequence_parallel: sp } : {}),
      ...(virtual !== undefined ? { virtual_stages: virtual } : {}),
    },
    hardware: inp.hardware.id,
    n_devices: n,
    parallelism: { tp, pp, dp },
    precision: dtypeOf(o.dtype),
    engine: o.engine ?? "any",
    metric: "latency",
    unit: "s",
  });
}

export function train(inp: Inputs, o: Record<string, string | undefined>): TrainJson {
  const cell = trainCell(inp, o);
  return trainOf(cell, inp);
}

function trainOf(cell: Cell, inp: Inputs): TrainJson {
  const r = runTraining(cell, inp.suite);
  if (typeof r === "string") throw new CliError(`ZZZ does not predict this plan: ${r}`);
  const e = estimate(cell, inp.suite); // the adapter's number for the equivalent cell
  const s = r.result;
  const b = s.breakdown;
  const parts = [
    ["compute (forward, backward, recompute)", b.compute_s],
    ["exposed tensor-parallel communication", b.tp_exposed_s],
    // the step layer's bubble includes the exposed sends (StepBreakdown: p2p_exposed_s <= bubble_s);
    // they are shown apart, so that the parts add up to the step
    ["pipeline bubble (idle, sends excluded)", b.bubble_s - b.p2p_exposed_s],
    ["exposed pipeline sends", b.p2p_exposed_s],
    ["exposed data-parallel communication", b.dp_exposed_s],
    ["optimizer", b.optimizer_s],
  ] as const;
  const m = s.memory;
  return TrainJson.parse({
    command: "train",
    files: fileInfo(inp),
    cell,
    step_s: e.value,
    tokens_per_s: tokensOf(cell)! / e.value,
    mfu: s.mfu,
    microbatches: s.microbatches,
    breakdown: parts.map(([part, t]) => ({ part, time_s: t, share: t / s.step_s })),
    memory_per_device: {
      weights_bytes: m.weights_bytes,
      gradients_bytes: m.gradients_bytes,
      optimizer_bytes: m.optimizer_bytes,
      activations_bytes: m.activations_bytes,
      total_bytes: m.total_bytes,
      capacity_bytes: m.capacity_bytes,
      fits: m.fits,
    },
    detail: e.detail,
  });
}

// ---------------------------------------------------------------- serve

export const SCHEDULERS = ["static", "orca", "vllm", "sarathi"] as const satisfies readonly SchedulerKind[];

interface ServeSetup {
  arch: TransformerArch;
  replicas: number;
  sched: SchedulerConfig;
  requests: ReturnType<typeof generate>;
  workload: ServeJson["workload"];
  dtype: z.infer<typeof Precision>;
  cost: ReturnType<typeof zzzStepCost>;
}

function lengthOf(name: string, v: string | undefined, dflt: number): { dist: { kind: "fixed"; tokens: number } | { kind: "uniform"; min: number; max: number }; shown: string } {
  const s = v ?? String(dflt);
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m || Number(m[1]) <= 0 || (m[2] !== undefined && Number(m[2]) < Number(m[1])))
    throw new CliError(`--${name}: expected a token count (512) or a uniform range (128-1024), got '${s}'`);
  return m[2] === undefined ? { dist: { kind: "fixed", tokens: Number(m[1]) }, shown: s } : { dist: { kind: "uniform", min: Number(m[1]), max: Number(m[2]) }, shown: s };
}

function serveSetup(inp: Inputs, o: Record<string, string | undefined>): ServeSetup {
  if (inp.model.arch.kind !== "decoder") throw new CliError(`zzz serve simulates LLM serving: model '${inp.model.id}' is a ${inp.model.arch.kind}, not a decoder`);
  if (inp.hardware.kind === "cpu" || inp.hardware.dataflow) throw new CliError(`zzz serve: serving on ${inp.hardware.id} is not modelled (GPUs only)`);
  const arch = inp.model.arch as TransformerArch;
  const dtype = dtypeOf(o.dtype);
  const dev = deviceSpec(inp.hardware);
  const blocks = kvBlocks(arch, dev, dtype);
  if (blocks <= 0) throw new CliError(`the weights of ${inp.model.id} in ${dtype} do not leave room for a KV cache on ${inp.hardware.id} (one device per replica)`);
  const kind = oneOf("scheduler", o.scheduler, SCHEDULERS, "vllm");
  // Vidur's scheduler defaults (serving.ts schedulerFor): the settings the suite's serving cells use
  const sched: SchedulerConfig = {
    kind,
    max_num_seqs: int("max-seqs", o["max-seqs"], 128),
    max_num_batched_tokens: int("max-batch-tokens", o["max-batch-tokens"] ?? o.chunk, kind === "sarathi" ? 512 : 4096),
    block_size: 16,
    kv_blocks: blocks,
    watermark: 0.01,
    preemption: "recompute",
  };
  const n = int("requests", o.requests, 100);
  const rate = num("rate", o.rate);
  const seed = o.seed === undefined ? 42 : Number(o.seed);
  if (!Number.isInteger(seed)) throw new CliError(`--seed: expected an integer, got '${o.seed}'`);
  const prompt = lengthOf("prompt-len", o["prompt-len"], 512);
  const output = lengthOf("output-len", o["output-len"], 128);
  const requests = generate({ n_requests: n, arrival: rate === undefined ? { kind: "burst" } : { kind: "poisson", rate_per_s: rate }, prompt: prompt.dist, output: output.dist, seed });
  const calibration = calibrationFor(inp.hardware.id, inp.suite, DEFAULT_CONFIG);
  const cost = zzzStepCost(arch, dev, dtype, { engine: "fused", timing: "graph", calibration, refinements: DEFAULT_CONFIG.refinements });
  return { arch, replicas: int("replicas", o.replicas, 1), sched, requests, dtype, cost, workload: { requests: n, rate_per_s: rate ?? null, prompt_tokens: prompt.shown, output_tokens: output.shown, seed } };
}

const dj = (d: Dist) => ({ p50: d.p50, p90: d.p90, p99: d.p99, mean: d.mean, max: d.max });

function runServe(s: ServeSetup) {
  const r = simulate(s.requests, { replicas: Array.from({ length: s.replicas }, () => ({ scheduler: s.sched, cost: s.cost })), router: "round-robin" });
  return { r, m: summarize(r) };
}

export function serve(inp: Inputs, o: Record<string, string | undefined>): ServeJson {
  const s = serveSetup(inp, o);
  const { r, m } = runServe(s);
  return ServeJson.parse({
    command: "serve",
    files: fileInfo(inp),
    config: { replicas: s.replicas, scheduler: s.sched.kind, max_num_batched_tokens: s.sched.max_num_batched_tokens, max_num_seqs: s.sched.max_num_seqs, kv_blocks_per_replica: s.sched.kv_blocks, block_size: s.sched.block_size, dtype: s.dtype },
    workload: s.workload,
    metrics: {
      ttft_s: dj(m.ttft_s),
      tpot_s: dj(m.tpot_s),
      e2e_s: dj(m.e2e_s),
      throughput_rps: m.throughput_rps,
      output_tokens_per_s: m.output_tokens_per_s,
      completed: m.completed,
      rejected: m.rejected,
      preemptions: m.preemptions,
      iterations: r.iterations,
    },
  });
}

// ---------------------------------------------------------------- search

const pow2upTo = (n: number) => {
  const out: number[] = [];
  for (let x = 1; x <= n; x *= 2) out.push(x);
  return out;
};

function rank(rows: Omit<SearchRow, "rank">[], objective: "throughput" | "cost", top: number): SearchRow[] {
  const key = (r: Omit<SearchRow, "rank">) => (objective === "throughput" ? -r.tokens_per_s : r.gpu_s_per_mtoken);
  const tie = (r: Omit<SearchRow, "rank">) => JSON.stringify([r.gpus, r.tp, r.pp, r.dp, r.micro_batch ?? 0, r.replicas ?? 0, r.scheduler ?? "", r.max_num_batched_tokens ?? 0]);
  return [...rows]
    .sort((a, b) => key(a) - key(b) || a.gpus - b.gpus || (tie(a) < tie(b) ? -1 : tie(a) > tie(b) ? 1 : 0))
    .slice(0, top)
    .map((r, i) => SearchRow.parse({ rank: i + 1, ...r }));
}

export function search(inp: Inputs, o: Record<string, string | undefined>): SearchJson {
  const what = oneOf("for", o.for, ["train", "serve"] as const, inp.model.arch.kind === "decoder" && o["global-batch"] === undefined ? "serve" : "train");
  const objective = oneOf("objective", o.objective, ["throughput", "cost"] as const, "throughput");
  const maxGpus = int("max-gpus", o["max-gpus"]);
  const top = int("top", o.top, 5);
  const ttft = num("ttft-slo-ms", o["ttft-slo-ms"]);
  const tpot = num("tpot-slo-ms", o["tpot-slo-ms"]);
  const rejected: Record<string, number> = {};
  const reject = (why: string) => (rejected[why] = (rejected[why] ?? 0) + 1);
  const rows: Omit<SearchRow, "rank">[] = [];
  let evaluated = 0;
  const perGpu = (tps: number, gpus: number) => ({ tokens_per_s: tps, tokens_per_s_per_gpu: tps / gpus, gpu_s_per_mtoken: (gpus * 1e6) / tps });
  if (what === "train") {
    if (ttft !== undefined || tpot !== undefined) throw new CliError("--ttft-slo-ms/--tpot-slo-ms constrain serving searches (--for serve)");
    const global = int("global-batch", o["global-batch"]);
    const perNode = inp.hardware.node.devices_per_node;
    const micros = o["micro-batch"] !== undefined ? [int("micro-batch", o["micro-batch"])] : [1, 2, 4, 8];
    const layers = inp.model.arch.kind === "cnn" ? 1 : inp.model.arch.n_layers;
    for (const tp of pow2upTo(Math.min(maxGpus, perNode)))
      for (const pp of pow2upTo(maxGpus / tp).filter((p) => layers % p === 0))
        for (const dp of pow2upTo(maxGpus / (tp * pp))) {
          if (global % dp !== 0) continue;
          for (const mb of micros) {
            if ((global / dp) % mb !== 0) continue;
            evaluated++;
            const flags = { ...o, tp: String(tp), pp: String(pp), dp: String(dp), gpus: undefined, "global-batch": String(global), "micro-batch": String(mb) };
            let cell: Cell;
            try {
              cell = trainCell(inp, flags);
            } catch (e) {
              reject(`invalid plan: ${(e as Error).message}`);
              continue;
            }
            const r = runTraining(cell, inp.suite);
            if (typeof r === "string") {
              reject(r.replace(/^cell \S+: /, "").replace(/\d+(\.\d+)?/g, "N"));
              continue;
            }
            if (!r.result.memory.fits) {
              reject("does not fit in device memory");
              continue;
            }
            const step = estimate(cell, inp.suite).value;
            rows.push({ gpus: tp * pp * dp, tp, pp, dp, micro_batch: cell.workload.kind === "training" ? cell.workload.micro_batch : undefined, step_s: step, mem_per_device_bytes: r.result.memory.total_bytes, ...perGpu(tokensOf(cell)! / step, tp * pp * dp) });
          }
        }
  } else {
    const schedulers = o.scheduler !== undefined ? [oneOf("scheduler", o.scheduler, SCHEDULERS, "vllm")] : (["vllm", "sarathi", "orca"] as const);
    const chunks: Record<string, number[]> = { vllm: [2048, 4096, 8192], sarathi: [256, 512, 1024, 2048], orca: [4096], static: [4096] };
    const seqCaps = [128, 256];
    for (let replicas = 1; replicas <= maxGpus; replicas++)
      for (const sk of schedulers)
        for (const chunk of o.chunk !== undefined ? [int("chunk", o.chunk)] : chunks[sk]!)
          for (const seqs of o["max-seqs"] !== undefined ? [int("max-seqs", o["max-seqs"])] : seqCaps) {
            evaluated++;
            const s = serveSetup(inp, { ...o, replicas: String(replicas), scheduler: sk, "max-batch-tokens": String(chunk), chunk: undefined, "max-seqs": String(seqs) });
            const { m } = runServe(s);
            if (m.rejected > 0) {
              reject("requests rejected (do not fit in the KV cache)");
              continue;
            }
            if (ttft !== undefined && m.ttft_s.p99 * 1e3 > ttft) {
              reject("TTFT p99 above --ttft-slo-ms");
              continue;
            }
            if (tpot !== undefined && m.tpot_s.p99 * 1e3 > tpot) {
              reject("TPOT p99 above --tpot-slo-ms");
              continue;
            }
            rows.push({ gpus: replicas, tp: 1, pp: 1, dp: replicas, replicas, scheduler: sk, max_num_batched_tokens: chunk, max_num_seqs: seqs, ttft_p99_s: m.ttft_s.p99, tpot_p99_s: m.tpot_s.p99, ...perGpu(m.output_tokens_per_s, replicas) });
          }
  }
  return SearchJson.parse({
    command: "search",
    for: what,
    files: fileInfo(inp),
    objective,
    constraints: { max_gpus: maxGpus, memory_fit: true, ...(ttft !== undefined ? { ttft_slo_s: ttft / 1e3 } : {}), ...(tpot !== undefined ? { tpot_slo_s: tpot / 1e3 } : {}) },
    evaluated,
    feasible: rows.length,
    rejected: Object.fromEntries(Object.entries(rejected).sort()),
    best: rank(rows, objective, top),
  });
}

export type { Hardware, Model };
