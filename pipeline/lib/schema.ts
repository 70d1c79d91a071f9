/**
 * The one module that holds the zod schemas of the benchmark suite and of the results files.
 *
 * Every boundary of the pipeline goes through these schemas: suite YAML files (models, hardware,
 * cells), ground-truth CSV rows, tool metadata, and the rows of results/*.csv.
 * Units are part of field names (`_s`, `_bytes`, `_flops_per_s`, ...).
 */
import { z } from "zod";

// ---------------------------------------------------------------- common

export const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._+-]*$/, "expected a lower-case id of [a-z0-9._+-], e.g. 'llama-2-7b'");

/** int16: 16-bit fixed point (e.g. the Eyeriss chip). */
export const Precision = z.enum(["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int16"]);
export type Precision = z.infer<typeof Precision>;

/** Where a fact comes from: a bib key (with a place in the work), a URL, or both. */
export const Source = z
  .object({
    bib: z.string().min(1).optional(),
    url: z.string().url().optional(),
    /** A file of this repository (e.g. a measured set) the value was read from. */
    file: z.string().min(1).optional(),
    place: z.string().min(1).optional(),
    note: z.string().optional(),
  })
  .strict()
  .refine((s) => s.bib !== undefined || s.url !== undefined || s.file !== undefined, {
    message: "a source needs 'bib' (a key of bib/*.bib), 'url', or 'file' (a path in this repository)",
  });
export type Source = z.infer<typeof Source>;

/** A number with its own source. */
export const Sourced = z.object({ value: z.number().positive(), source: Source }).strict();
export type Sourced = z.infer<typeof Sourced>;

/**
 * Plausible ranges per unit: a value outside its range is almost always written in the wrong unit
 * (3.35 for 3.35 TB/s where B/s is expected), so the suite is rejected before anything runs. The
 * ranges are wide (from the smallest accelerator in the suite to beyond any current system) and the
 * message names the range and the unit the field expects.
 */
export const PLAUSIBLE = {
  "B/s": { min: 1e6, max: 1e15, example: "3.35 TB/s is 3.35e12" },
  "FLOP/s": { min: 1e8, max: 1e18, example: "989 TFLOP/s is 9.89e14" },
  bytes: { min: 1e3, max: 1e15, example: "80 GB is 8e10" },
  s: { min: 1e-10, max: 1, example: "0.9 us is 9e-7" },
  Hz: { min: 1e6, max: 1e11, example: "1.98 GHz is 1.98e9" },
  W: { min: 1e-3, max: 1e5, example: "700 W is 700" },
  units: { min: 1, max: 1e7, example: "132 SMs is 132" },
  params: { min: 1e3, max: 1e15, example: "7B parameters is 7e9" },
} as const;
export type PlausibleUnit = keyof typeof PLAUSIBLE;

export function plausibilityMessage(value: number, unit: PlausibleUnit): string | undefined {
  const r = PLAUSIBLE[unit];
  if (value >= r.min && value <= r.max) return undefined;
  return `${value} is outside the plausible range for ${unit} [${r.min.toExponential(0)}, ${r.max.toExponential(0)}]: is it in the wrong unit? (this field is in ${unit}; e.g. ${r.example})`;
}

/** A sourced number in `unit`, rejected (with the expected range) when implausible for that unit. */
export function sourcedIn(unit: PlausibleUnit) {
  return Sourced.superRefine((s, ctx) => {
    const m = plausibilityMessage(s.value, unit);
    if (m) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["value"], message: m });
  });
}

/** A plain number in `unit` with the same plausibility check. */
function numberIn(unit: PlausibleUnit) {
  return z
    .number()
    .positive()
    .superRefine((v, ctx) => {
      const m = plausibilityMessage(v, unit);
      if (m) ctx.addIssue({ code: z.ZodIssueCode.custom, message: m });
    });
}

// ---------------------------------------------------------------- models

export const TransformerArch = z
  .object({
    kind: z.enum(["decoder", "encoder"]),
    n_layers: z.number().int().positive(),
    d_model: z.number().int().positive(),
    n_heads: z.number().int().positive(),
    n_kv_heads: z.number().int().positive(),
    d_ff: z.number().int().positive(),
    vocab_size: z.number().int().positive(),
    max_seq_len: z.number().int().positive(),
    mlp: z.enum(["gelu", "swiglu"]),
    norm: z.enum(["layernorm", "rmsnorm"]),
    position: z.enum(["learned", "rope"]),
    tied_embeddings: z.boolean(),
    /** BERT token-type embeddings; 0 when absent. */
    type_vocab_size: z.number().int().nonnegative().default(0),
    /** BERT pooler (d_model x d_model dense + tanh). */
    pooler: z.boolean().default(false),
    /** Linear layers carry biases (GPT-2, BERT) or not (Llama). */
    bias: z.boolean(),
  })
  .strict();
export type TransformerArch = z.infer<typeof TransformerArch>;

export const CnnArch = z
  .object({
    kind: z.literal("cnn"),
    network: z.enum(["resnet50"]),
    image_size: z.number().int().positive(),
    num_classes: z.number().int().positive(),
  })
  .strict();
export type CnnArch = z.infer<typeof CnnArch>;

export const ModelArch = z.discriminatedUnion("kind", [
  TransformerArch.extend({ kind: z.literal("decoder") }),
  TransformerArch.extend({ kind: z.literal("encoder") }),
  CnnArch,
]);
export type ModelArch = z.infer<typeof ModelArch>;

export const Model = z
  .object({
    id: Id,
    name: z.string().min(1),
    source: Source,
    /** Parameter count stated by the source, used as a cross-check of the builder. */
    stated_params: numberIn("params").optional(),
    arch: ModelArch,
  })
  .strict();
export type Model = z.infer<typeof Model>;

// ---------------------------------------------------------------- hardware

const PeakFlops = z
  .object({
    fp32: sourcedIn("FLOP/s").optional(),
    tf32: sourcedIn("FLOP/s").optional(),
    bf16: sourcedIn("FLOP/s").optional(),
    fp16: sourcedIn("FLOP/s").optional(),
    fp8: sourcedIn("FLOP/s").optional(),
    int8: sourcedIn("FLOP/s").optional(),
    int16: sourcedIn("FLOP/s").optional(),
  })
  .strict();

export const Link = z
  .object({
    kind: z.string().min(1),
    /** Per-device bandwidth in one direction, bytes/s. */
    bandwidth_bytes_per_s: sourcedIn("B/s"),
    latency_s: sourcedIn("s").optional(),
    /** Physical links per device in this tier (e.g. 12 NVLink 3 links on an A100); used by ZZZ's NCCL model. */
    n_links: sourcedIn("units").optional(),
    /** value 1: the switch does in-network reductions/multicast (NVLink SHARP), so NCCL may use its NVLS algorithm. */
    nvls: Sourced.optional(),
  })
  .strict();

/**
 * The on-chip architecture of a dataflow accelerator, for tools that map loop nests onto it (Timeloop,
 * a dataflow model): compute array, storage levels from the MACs outwards, and the mapping constraints
 * that define its dataflow. Dimension names are those of the convolution loop nest: C (input
 * channels), K (output channels), R (filter width), S (filter height), P (output width), Q (output
 * height), N (batch). Every level and the constraints carry their source.
 */
export const DataSpace = z.enum(["Weights", "Inputs", "Outputs"]);
export const DataflowLevel = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, "expected a name of [A-Za-z0-9_], e.g. 'GlobalBuffer'"),
    /** regfile/sram: on-chip storage; dram: off-chip backing store; fanout: a multicast point with no storage. */
    class: z.enum(["regfile", "sram", "dram", "fanout"]),
    /** Capacity in words of word_bits (absent for dram; 0 for a fanout). */
    entries: z.number().int().nonnegative().optional(),
    instances: z.number().int().positive(),
    /** Instances along X of a 2-D array (instances / mesh_x along Y). */
    mesh_x: z.number().int().positive().optional(),
    word_bits: z.number().int().positive(),
    block_size_words: z.number().int().positive().optional(),
    banks: z.number().int().positive().optional(),
    read_bandwidth_words_per_cycle: z.number().positive().optional(),
    write_bandwidth_words_per_cycle: z.number().positive().optional(),
    /** One bandwidth shared by reads and writes (e.g. a DRAM bus). */
    shared_bandwidth_words_per_cycle: z.number().positive().optional(),
    keep: z.array(DataSpace).default([]),
    bypass: z.array(DataSpace).default([]),
    source: Source,
  })
  .strict();
export type DataflowLevel = z.infer<typeof DataflowLevel>;
const LoopDims = z.string().regex(/^[CKRSPQN ]*$/, "expected loop dimensions among C K R S P Q N, e.g. 'NCPRS QK'");
export const LoopConstraint = z
  .object({
    type: z.enum(["temporal", "spatial"]),
    /** The level whose loops (temporal) or fan-out below it (spatial) are constrained. */
    target: z.string().min(1),
    /** Loop order, innermost first (spaces are for readability). */
    permutation: LoopDims.optional(),
    /** Fixed loop bounds, e.g. 'N1 C1 P0' (0 = whatever remains of that dimension). */
    factors: z.string().regex(/^([CKRSPQN]\d+ ?)*$/, "expected factors like 'N1 C1 P0'").optional(),
    /** Spatial: the first `split` dimensions of the permutation go along X, the rest along Y. */
    split: z.number().int().nonnegative().optional(),
  })
  .strict();
export type LoopConstraint = z.infer<typeof LoopConstraint>;
export const DataflowArch = z
  .object({
    dataflow: z.enum(["row-stationary", "weight-stationary", "output-stationary"]),
    compute: z
      .object({ name: z.string().min(1), instances: z.number().int().positive(), mesh_x: z.number().int().positive().optional(), word_bits: z.number().int().positive(), source: Source })
      .strict(),
    /** Storage levels from the MACs outwards; the last is the backing store (dram). */
    levels: z.array(DataflowLevel).min(1),
    constraints: z.array(LoopConstraint).default([]),
    constraints_source: Source,
    notes: z.string().optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const names = d.levels.map((l) => l.name);
    d.levels.forEach((l, i) => {
      if (names.indexOf(l.name) !== i) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["levels", i, "name"], message: `duplicate level name '${l.name}'` });
      if (l.class !== "dram" && l.entries === undefined)
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["levels", i, "entries"], message: `level '${l.name}' (${l.class}) needs 'entries' (0 for a fanout)` });
    });
    if (d.levels.at(-1)?.class !== "dram") ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["levels"], message: "the last level must be the backing store (class dram)" });
    d.constraints.forEach((c, i) => {
      if (!names.includes(c.target))
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["constraints", i, "target"], message: `unknown level '${c.target}'; expected one of ${names.join(", ")}` });
    });
  });
export type DataflowArch = z.infer<typeof DataflowArch>;

export const Hardware = z
  .object({
    id: Id,
    name: z.string().min(1),
    kind: z.enum(["gpu", "cpu", "accelerator"]),
    /** SMs on a GPU, cores on a CPU, processing elements on an accelerator. */
    compute_units: sourcedIn("units"),
    boost_clock_hz: sourcedIn("Hz").optional(),
    /** Dense (non-sparse) peak per precision, FLOP/s. */
    peak_flops_per_s: PeakFlops,
    mem_bandwidth_bytes_per_s: sourcedIn("B/s"),
    /** Device memory capacity; may be absent for an accelerator whose off-chip DRAM size is not stated. */
    mem_capacity_bytes: sourcedIn("bytes").optional(),
    l2_bytes: sourcedIn("bytes").optional(),
    tdp_w: sourcedIn("W").optional(),
    node: z
      .object({
        devices_per_node: z.number().int().positive(),
        intra_node: Link.optional(),
        inter_node: Link.optional(),
      })
      .strict(),
    /** Accelerators: the architecture a loop-nest mapper (Timeloop) maps layers onto. */
    dataflow: DataflowArch.optional(),
    notes: z.string().optional(),
  })
  .strict();
export type Hardware = z.infer<typeof Hardware>;

// ---------------------------------------------------------------- cells

const pos = z.number().int().positive();

/** What runs in a cell. `kind` decides which parameters are required. */
export const Workload = z.discriminatedUnion("kind", [
  // operator level
  z.object({ kind: z.literal("gemm"), m: pos, n: pos, k: pos, batch: pos.default(1), from_model: Id.optional() }).strict(),
  z
    .object({
      kind: z.literal("attention-prefill"),
      batch: pos,
      seq_len: pos,
      n_heads: pos,
      n_kv_heads: pos,
      head_dim: pos,
      causal: z.boolean(),
      from_model: Id.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("attention-decode"),
      batch: pos,
      context_len: pos,
      n_heads: pos,
      n_kv_heads: pos,
      head_dim: pos,
      from_model: Id.optional(),
    })
    .strict(),
  z.object({ kind: z.literal("norm"), norm: z.enum(["layernorm", "rmsnorm"]), rows: pos, cols: pos, from_model: Id.optional() }).strict(),
  z.object({ kind: z.literal("softmax"), rows: pos, cols: pos, from_model: Id.optional() }).strict(),
  z
    .object({
      kind: z.literal("elementwise"),
      op: z.enum(["gelu", "silu", "silu-mul", "add", "rope", "relu"]),
      elements: pos,
      from_model: Id.optional(),
    })
    .strict(),
  z.object({ kind: z.literal("embedding"), tokens: pos, d_model: pos, vocab_size: pos, from_model: Id.optional() }).strict(),
  // A 2-D convolution: n images of c x h x w, k filters of (c / groups) x r x s (r = filter height,
  // s = filter width), one stride and one zero padding for both spatial dimensions.
  z
    .object({
      kind: z.literal("conv2d"),
      n: pos,
      c: pos,
      h: pos,
      w: pos,
      k: pos,
      r: pos,
      s: pos,
      stride: pos.default(1),
      padding: z.number().int().nonnegative().default(0),
      groups: pos.default(1),
      from_model: Id.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("collective"),
      op: z.enum(["all-reduce", "all-gather", "reduce-scatter", "send-recv"]),
      bytes: pos,
      n_devices: pos,
    })
    .strict(),
  // model level
  z.object({ kind: z.literal("inference"), model: Id, batch: pos, seq_len: pos.optional() }).strict(),
  z.object({ kind: z.literal("prefill"), model: Id, batch: pos, seq_len: pos }).strict(),
  z.object({ kind: z.literal("decode-step"), model: Id, batch: pos, context_len: pos }).strict(),
  // serving level (MLPerf Inference style)
  z
    .object({
      kind: z.literal("serving"),
      model: Id,
      scenario: z.enum(["offline", "server", "single-stream"]),
      input_len: pos.optional(),
      output_len: pos.optional(),
      /** A fixed request mix: this many requests of input_len/output_len tokens, all arriving at t = 0 (a static batch) unless qps is given. */
      num_requests: pos.optional(),
      /** Arrival rate of the fixed request mix (requests/s, Poisson arrivals); absent: all requests arrive at t = 0. */
      qps: z.number().positive().optional(),
    })
    .strict(),
  // training
  z
    .object({
      kind: z.literal("training"),
      model: Id,
      global_batch: pos,
      seq_len: pos.optional(),
      /** A whole run to a quality target (MLPerf Training) or a steady-state iteration (Megatron). */
      scope: z.enum(["iteration", "time-to-train"]),
      /** Samples per micro-batch of a pipeline (absent: not stated by the source). */
      micro_batch: pos.optional(),
      /** Activation recomputation: none, selective (attention core only) or full (every layer's forward). */
      recompute: z.enum(["none", "selective", "full"]).optional(),
      /** Megatron-LM sequence parallelism (tensor-parallel all-reduces become reduce-scatter + all-gather). */
      sequence_parallel: z.boolean().optional(),
      /** Model chunks per pipeline device (interleaved 1F1B schedule); absent or 1: non-interleaved. */
      virtual_stages: pos.optional(),
    })
    .strict(),
]);
export type Workload = z.infer<typeof Workload>;
export type WorkloadKind = Workload["kind"];

export const Level = z.enum(["operator", "model", "serving", "multi-gpu"]);
export type Level = z.infer<typeof Level>;

/** Metrics and the units each accepts; `toCanonical` multiplies a value into the first unit listed. */
export const METRIC_UNITS = {
  latency: { s: 1, ms: 1e-3, us: 1e-6 },
  throughput: { "samples/s": 1, "queries/s": 1, "tokens/s": 1 },
  ttft_p99: { s: 1, ms: 1e-3 },
  tpot_p99: { s: 1, ms: 1e-3 },
  ttft_p50: { s: 1, ms: 1e-3 },
  tpot_p50: { s: 1, ms: 1e-3 },
  time_to_train: { s: 1, min: 60 },
  achieved_flops_per_device: { "FLOP/s": 1, "TFLOP/s": 1e12 },
  bus_bandwidth: { "B/s": 1, "GB/s": 1e9 },
} as const satisfies Record<string, Record<string, number>>;
export type Metric = keyof typeof METRIC_UNITS;
export const MetricName = z.enum(Object.keys(METRIC_UNITS) as [Metric, ...Metric[]]);
export const ALL_UNITS = [...new Set(Object.values(METRIC_UNITS).flatMap((u) => Object.keys(u)))];
export const Unit = z.enum(ALL_UNITS as [string, ...string[]]);

export function unitFactor(metric: Metric, unit: string): number | undefined {
  const table = METRIC_UNITS[metric] as Record<string, number>;
  return table[unit];
}

export const Parallelism = z
  .object({ tp: pos.default(1), pp: pos.default(1), dp: pos.default(1) })
  .strict();

export const Cell = z
  .object({
    id: Id,
    level: Level,
    workload: Workload,
    hardware: Id,
    n_devices: pos.default(1),
    parallelism: Parallelism.default({}),
    precision: Precision,
    /** The software stack the cell is about, e.g. 'pytorch-eager', 'tensorrt', 'any'. */
    engine: z.string().min(1).default("any"),
    metric: MetricName,
    unit: Unit,
    notes: z.string().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (unitFactor(c.metric, c.unit) === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["unit"],
        message: `unit '${c.unit}' is not a unit of metric '${c.metric}'; expected one of ${Object.keys(METRIC_UNITS[c.metric]).join(", ")}`,
      });
    }
    const p = c.parallelism;
    if (p.tp * p.pp * p.dp !== c.n_devices) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["parallelism"],
        message: `tp*pp*dp = ${p.tp * p.pp * p.dp} must equal n_devices = ${c.n_devices}`,
      });
    }
  });
export type Cell = z.infer<typeof Cell>;

export const CellFile = z.object({ cells: z.array(Cell) }).strict();

// ---------------------------------------------------------------- ground truth

/** One measured value for one cell; CSV columns in this order. */
export const GROUND_TRUTH_COLUMNS = [
  "gt_id",
  "cell_id",
  "value",
  "unit",
  "source_kind",
  "bib",
  "place",
  "script",
  "device",
  "versions",
  "date",
  "notes",
] as const;

const emptyToUndef = (v: unknown) => (v === "" ? undefined : v);
const optStr = z.preprocess(emptyToUndef, z.string().min(1).optional());

export const GroundTruthRow = z
  .object({
    gt_id: Id,
    cell_id: Id,
    value: z.coerce.number().positive(),
    unit: Unit,
    source_kind: z.enum(["published", "measured"]),
    bib: optStr,
    place: optStr,
    script: optStr,
    device: optStr,
    versions: optStr,
    date: optStr,
    notes: optStr,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.source_kind === "published") {
      for (const f of ["bib", "place"] as const)
        if (!r[f]) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [f], message: `a published value needs '${f}' (bib key, and the table/figure/file it comes from)` });
    } else {
      for (const f of ["script", "device", "versions", "date"] as const)
        if (!r[f]) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [f], message: `a measured value needs '${f}'` });
    }
  });
export type GroundTruthRow = z.infer<typeof GroundTruthRow>;

// ---------------------------------------------------------------- tools and results

export const ToolMetadata = z
  .object({
    name: Id,
    display_name: z.string().min(1),
    version: z.string().min(1),
    repository: z.string().url().optional(),
    commit: z.string().optional(),
    /**
     * sha256 of builds accepted for live runs besides a checkout at `commit` (pipeline/lib/identity.ts):
     * a binary copied out of its checkout, or one built elsewhere and checked.
     */
    builds: z.array(z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256 (64 hex digits)")).optional(),
    license: z.string().min(1),
    bib: z.string().min(1).optional(),
    methodology: z.string().min(1),
    runner: z
      .object({
        kind: z.enum(["library", "local", "docker"]),
        /** Environment variables that point at a local install. */
        env: z.array(z.string()).default([]),
        /** The Docker runner (pipeline/lib/exec.ts): image, where it comes from, program paths in it. */
        docker: z
          .object({
            image: z.string().min(1),
            /** How the image is obtained: an official image, or upstream's Dockerfile at a commit. */
            provenance: z.string().min(1),
            /** Logical program name -> path or name inside the image. */
            programs: z.record(z.string()).default({}),
          })
          .strict()
          .optional(),
        /**
         * Resource limits of one launch (pipeline/lib/exec.ts): Docker --memory/--pids-limit, Slurm
         * --mem. Absent: 8192 MB and 4096 processes.
         */
        limits: z
          .object({ mem_mb: z.number().int().positive().optional(), pids: z.number().int().positive().optional() })
          .strict()
          .optional(),
      })
      .strict(),
    /**
     * Which of the tool's accuracy claims (taxonomy/works, selected by `bib`) applies to our
     * evaluation: a substring of the claim's validated_on or metric. Absent: every claim of `bib`.
     */
    claim_match: z.string().min(1).optional(),
    /**
     * The suite cells that reproduce the claim's setting (a regular expression over cell ids). With a
     * capture group, one row per captured value (e.g. the GPU count). Absent: no such row.
     */
    claim_cells: z
      .string()
      .min(1)
      .refine((r) => {
        try {
          new RegExp(r);
          return true;
        } catch {
          return false;
        }
      }, "expected a valid regular expression over cell ids")
      .optional(),
    /**
     * Parts of this tool's predictions that come from another tool (results/head-to-head.csv keeps
     * them out of the headline rows): which tool, for which workload kinds, and what it supplies.
     */
    inputs_from: z
      .array(z.object({ tool: Id, workload_kinds: z.array(z.string().min(1)).min(1), what: z.string().min(1) }).strict())
      .optional(),
    notes: z.string().optional(),
  })
  .strict();
export type ToolMetadata = z.infer<typeof ToolMetadata>;

export const PREDICTION_COLUMNS = [
  "tool",
  "tool_version",
  "cell_id",
  "metric",
  "unit",
  "predicted",
  "status",
  "reason",
  "wall_s",
] as const;
export const PredictionStatus = z.enum(["ok", "failed", "not-run"]);
export const PredictionRow = z
  .object({
    tool: Id,
    tool_version: z.string().min(1),
    cell_id: Id,
    metric: MetricName,
    unit: Unit,
    predicted: z.preprocess(emptyToUndef, z.coerce.number().positive().optional()),
    status: PredictionStatus,
    reason: z.preprocess((v) => (v === undefined ? "" : v), z.string()),
    /** Provenance column: wall time of the tool for this cell; excluded from reproducibility diffs. */
    wall_s: z.coerce.number().nonnegative(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.status === "ok" && r.predicted === undefined)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["predicted"], message: "status ok needs a positive 'predicted'" });
    if (r.status !== "ok" && r.predicted !== undefined)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["predicted"], message: `status ${r.status} must leave 'predicted' empty` });
    if (r.status !== "ok" && r.reason === "")
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["reason"], message: `status ${r.status} needs a reason` });
  });
export type PredictionRow = z.infer<typeof PredictionRow>;

/** Provenance columns: ignored when CI compares regenerated results with committed ones. */
export const PROVENANCE_COLUMNS = ["wall_s", "wall_s_per_cell", "median_wall_s", "p90_wall_s"] as const;

export const ACCURACY_COLUMNS = [
  "tool",
  "tool_version",
  "cell_id",
  "level",
  "hardware",
  "metric",
  "unit",
  "gt_id",
  "gt_source_kind",
  "gt_source",
  "measured",
  "predicted",
  "abs_pct_error",
] as const;
export const SUMMARY_COLUMNS = ["tool", "category", "n", "mape", "median_ape", "max_ape", "spearman"] as const;
