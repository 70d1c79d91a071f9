/**
 * Measured sets (suite/ground-truth/measured/<hardware>/<date>/): the schema of the files that
 * suite/measure/measure.py writes, and the pure mapping of its rows onto suite cells and
 * ground-truth rows. No I/O here; pipeline/measure.ts does the reading and writing.
 *
 * A measured row's `workload_key` is the cell id without its `.{hardware}.{precision}` suffix.
 * Rows timed eagerly (engine `pytorch-eager`) map onto `<key>.<hardware>.<precision>`; rows timed
 * inside a CUDA graph (engine `pytorch-cudagraph`) onto `<key>.cudagraph.<hardware>.<precision>`.
 */
import { z } from "zod";
import { Cell, Hardware, Id, Precision, type GroundTruthRow, type Workload } from "./schema.ts";

// ---------------------------------------------------------------- measure.py outputs

/** Columns of measurements.csv, in order (kept in step with MEASUREMENT_COLUMNS in measure.py). */
export const MEASUREMENT_COLUMNS = [
  "workload_key",
  "engine",
  "group",
  "precision",
  "latency_s",
  "p10_s",
  "p90_s",
  "min_s",
  "max_s",
  "n_reps",
  "calls_per_rep",
  "n_warmup",
  "n_rotating_inputs",
  "impl",
  "flops",
  "bytes",
  "notes",
] as const;

export const ENGINES = ["pytorch-eager", "pytorch-cudagraph"] as const;
export const Engine = z.enum(ENGINES);
export type Engine = z.infer<typeof Engine>;

const emptyToUndef = (v: unknown) => (v === "" ? undefined : v);
const posNum = z.coerce.number().positive();
const optPosNum = z.preprocess(emptyToUndef, z.coerce.number().positive().optional());

export const MeasurementRow = z
  .object({
    workload_key: Id,
    engine: Engine,
    group: z.string().min(1),
    precision: Precision,
    latency_s: posNum,
    p10_s: posNum,
    p90_s: posNum,
    min_s: posNum,
    max_s: posNum,
    n_reps: z.coerce.number().int().min(20, "the method requires at least 20 timed repetitions"),
    calls_per_rep: z.coerce.number().int().positive(),
    n_warmup: z.coerce.number().int().positive(),
    n_rotating_inputs: z.coerce.number().int().positive(),
    impl: z.string().min(1),
    flops: optPosNum,
    bytes: optPosNum,
    notes: z.preprocess((v) => (v === undefined ? "" : v), z.string()),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!(r.min_s <= r.p10_s && r.p10_s <= r.latency_s && r.latency_s <= r.p90_s && r.p90_s <= r.max_s))
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["latency_s"], message: "expected min_s <= p10_s <= latency_s (median) <= p90_s <= max_s" });
  });
export type MeasurementRow = z.infer<typeof MeasurementRow>;

/** provenance.json: the fields the pipeline relies on; measure.py writes more (kept as they are). */
export const Provenance = z
  .object({
    schema: z.enum(["measure-provenance/1", "measure-provenance/2"]),
    date_utc: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, "expected an ISO-8601 UTC time, e.g. 2026-11-26T05:11:17Z"),
    script: z.enum(["suite/measure/measure.py", "suite/measure/measure_v2.py"]),
    script_sha256: z.string().regex(/^[0-9a-f]{64}$/),
    git_commit: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
    argv: z.array(z.string()),
    scale: z.enum(["full", "cpu-small", "tiny", "smoke"]),
    precision: Precision,
    device_type: z.enum(["cpu", "cuda"]),
    device_name: z.string().min(1),
    driver: z.string().nullable(),
    cuda: z.string().nullable(),
    python: z.string().min(1),
    torch: z.string().min(1),
    torchvision: z.string().nullable(),
    torch_num_threads: z.number().int().positive(),
    sdpa_available: z.boolean(),
    timer: z.enum(["torch.cuda.Event", "time.perf_counter"]),
    min_reps: z.number().int().min(20),
    wall_s: z.number().nonnegative(),
    stopped_early: z.string().nullable(),
    n_rows: z.number().int().nonnegative(),
    skipped: z.array(z.object({ workload_key: z.string(), reason: z.string() }).strict()),
    cpu: z
      .object({
        model_name: z.string().nullable(),
        cpu_family: z.string().nullable().optional(),
        model: z.string().nullable().optional(),
        logical_cpus: z.number().int().positive().nullable(),
        mem_total_bytes: z.number().int().positive().optional(),
      })
      .passthrough(),
    cudnn: z.number().nullable().optional(),
    blas_loaded: z.array(z.string()).nullable().optional(),
  })
  .passthrough();
export type Provenance = z.infer<typeof Provenance>;

// ---------------------------------------------------------------- hardware ids

/** torch.cuda.get_device_name() -> suite hardware id. */
export const DEVICE_HARDWARE: Readonly<Record<string, string>> = {
  "NVIDIA H200": "h200-sxm-141gb",
  "NVIDIA H100 80GB HBM3": "h100-sxm5-80gb",
  "NVIDIA A100-SXM4-80GB": "a100-sxm4-80gb",
};

export function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/\(r\)|\(tm\)/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * A CPU host's hardware id names what it is: the threads (cores) used, the model name, and the
 * family/model numbers /proc/cpuinfo reports, e.g. `cpu-2core-amd-epyc-fam25-model17`.
 */
export function cpuHardwareId(p: Provenance): string {
  const parts = [`cpu-${p.torch_num_threads}core`, slug(p.cpu.model_name ?? "unknown")];
  if (p.cpu.cpu_family) parts.push(`fam${p.cpu.cpu_family}`);
  if (p.cpu.model) parts.push(`model${p.cpu.model}`);
  return parts.join("-");
}

/** The suite hardware id of the device a set was measured on, or an error naming the fix. */
export function hardwareIdFor(p: Provenance, map: Readonly<Record<string, string>> = DEVICE_HARDWARE): { id: string } | { error: string } {
  if (p.device_type === "cpu") return { id: cpuHardwareId(p) };
  const id = map[p.device_name];
  if (id) return { id };
  return { error: `device '${p.device_name}' has no suite hardware id; add it to DEVICE_HARDWARE in pipeline/lib/measured.ts (known: ${Object.keys(map).join(", ")})` };
}

// ---------------------------------------------------------------- cells

export function cellIdFor(key: string, hardware: string, precision: string, engine: Engine): string {
  return engine === "pytorch-eager" ? `${key}.${hardware}.${precision}` : `${key}.cudagraph.${hardware}.${precision}`;
}

export interface ModelShape {
  n_heads: number;
  n_kv_heads: number;
  d_model: number;
}

export interface KeyWorkload {
  level: "operator" | "model";
  workload: Workload;
}

const int = (s: string | undefined) => Number.parseInt(s ?? "", 10);

/**
 * The workload a measured key stands for. `known` gives the workloads of keys the suite already
 * defines (pipeline/gen-cells.ts), so that generated cells match them field for field; other keys
 * are parsed. Keys that are no suite workload (the `ceiling.*` rows, `tiny.*` test rows) give undefined.
 */
export function workloadForKey(
  key: string,
  models: ReadonlyMap<string, ModelShape>,
  known: ReadonlyMap<string, KeyWorkload> = new Map(),
): KeyWorkload | undefined {
  const k = known.get(key);
  if (k) return k;
  let m: RegExpMatchArray | null;
  if ((m = key.match(/^gemm\.m(\d+)\.n(\d+)\.k(\d+)$/)))
    return { level: "operator", workload: { kind: "gemm", m: int(m[1]), n: int(m[2]), k: int(m[3]), batch: 1 } };
  if ((m = key.match(/^attn-prefill\.([a-z0-9-]+)\.b(\d+)\.s(\d+)$/))) {
    const s = models.get(m[1]!);
    if (!s) return undefined;
    return {
      level: "operator",
      workload: {
        kind: "attention-prefill",
        batch: int(m[2]),
        seq_len: int(m[3]),
        n_heads: s.n_heads,
        n_kv_heads: s.n_kv_heads,
        head_dim: s.d_model / s.n_heads,
        causal: true,
        from_model: m[1]!,
      },
    };
  }
  if ((m = key.match(/^attn-decode\.([a-z0-9-]+)\.b(\d+)\.c(\d+)$/))) {
    const s = models.get(m[1]!);
    if (!s) return undefined;
    return {
      level: "operator",
      workload: {
        kind: "attention-decode",
        batch: int(m[2]),
        context_len: int(m[3]),
        n_heads: s.n_heads,
        n_kv_heads: s.n_kv_heads,
        head_dim: s.d_model / s.n_heads,
        from_model: m[1]!,
      },
    };
  }
  if ((m = key.match(/^(layernorm|rmsnorm)\.r(\d+)\.c(\d+)$/)))
    return { level: "operator", workload: { kind: "norm", norm: m[1] as "layernorm" | "rmsnorm", rows: int(m[2]), cols: int(m[3]) } };
  if ((m = key.match(/^softmax\.r(\d+)\.c(\d+)$/))) return { level: "operator", workload: { kind: "softmax", rows: int(m[1]), cols: int(m[2]) } };
  if ((m = key.match(/^gelu\.n(\d+)$/))) return { level: "operator", workload: { kind: "elementwise", op: "gelu", elements: int(m[1]) } };
  // model level: the model must be a suite model
  if ((m = key.match(/^([a-z0-9-]+)\.prefill\.s(\d+)\.b(\d+)$/)) && models.has(m[1]!))
    return { level: "model", workload: { kind: "prefill", model: m[1]!, batch: int(m[3]), seq_len: int(m[2]) } };
  if ((m = key.match(/^([a-z0-9-]+)\.decode\.c(\d+)\.b(\d+)$/)) && models.has(m[1]!))
    return { level: "model", workload: { kind: "decode-step", model: m[1]!, batch: int(m[3]), context_len: int(m[2]) } };
  if ((m = key.match(/^([a-z0-9-]+)\.infer\.s(\d+)\.b(\d+)$/)) && models.has(m[1]!))
    return { level: "model", workload: { kind: "inference", model: m[1]!, batch: int(m[3]), seq_len: int(m[2]) } };
  if ((m = key.match(/^([a-z0-9-]+)\.infer\.b(\d+)$/)) && models.has(m[1]!))
    return { level: "model", workload: { kind: "inference", model: m[1]!, batch: int(m[2]) } };
  return undefined;
}

export interface MappingInput {
  rows: readonly MeasurementRow[];
  provenance: Provenance;
  hardware: string;
  /** Path of the set's measurements.csv in the repository (cited by generated cells). */
  setFile: string;
  /** Ids of every cell in suite/cells/*.yaml other than the file this mapping (re)generates. */
  existingCells: ReadonlySet<string>;
  models: ReadonlyMap<string, ModelShape>;
  known?: ReadonlyMap<string, KeyWorkload>;
}

export interface Unmapped {
  workload_key: string;
  engine: Engine;
  reason: string;
}

export interface MappingResult {
  /** Cells this set needs that no other cell file defines (written to suite/cells/measured-<hardware>.yaml). */
  cells: Cell[];
  groundTruth: GroundTruthRow[];
  unmapped: Unmapped[];
}

/** `suite/measure/measure.py@<commit>` when the script was committed, else `@sha256:<first 16 hex>`. */
export function scriptRef(p: Provenance): string {
  return p.git_commit ? `${p.script}@${p.git_commit}` : `${p.script}@sha256:${p.script_sha256.slice(0, 16)}`;
}

export function versionsOf(p: Provenance): string {
  const v = [`torch ${p.torch}`];
  if (p.torchvision) v.push(`torchvision ${p.torchvision}`);
  if (p.cuda) v.push(`CUDA ${p.cuda}`);
  if (p.cudnn) v.push(`cuDNN ${p.cudnn}`);
  if (p.driver) v.push(`driver ${p.driver}`);
  v.push(`python ${p.python}`);
  v.push(`${p.torch_num_threads} threads`);
  const blas = (p.blas_loaded ?? []).find((b) => /openblas|mkl|blas/i.test(b) && !/lapack/i.test(b));
  if (p.device_type === "cpu" && blas) v.push(`BLAS ${blas.split("/").slice(-2).join("/")}`);
  return v.join("; ");
}

export function deviceOf(p: Provenance): string {
  return p.device_type === "cpu" ? `${p.device_name} (${p.torch_num_threads} threads of ${p.cpu.logical_cpus ?? "?"} logical CPUs)` : p.device_name;
}

function fmtSec(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

/**
 * Map measured rows onto suite cells. Every row either becomes one ground-truth row (and, when its
 * cell is not defined elsewhere, one generated cell) or is listed in `unmapped` with the reason.
 * Output is sorted by id, so the same inputs always give the same files.
 */
export function mapMeasuredSet(inp: MappingInput): MappingResult {
  const { provenance: p, hardware } = inp;
  const cells = new Map<string, Cell>();
  const gt: GroundTruthRow[] = [];
  const unmapped: Unmapped[] = [];
  const date = p.date_utc.slice(0, 10);
  for (const r of inp.rows) {
    const id = cellIdFor(r.workload_key, hardware, r.precision, r.engine);
    if (!inp.existingCells.has(id)) {
      const w = workloadForKey(r.workload_key, inp.models, inp.known);
      if (!w) {
        unmapped.push({ workload_key: r.workload_key, engine: r.engine, reason: r.workload_key.startsWith("ceiling.") ? "a measured ceiling (achieved GEMM FLOP/s or copy bytes/s), not a cell; on a CPU host it sets the hardware file's peaks" : "no suite workload for this key (unknown shape or model)" });
        continue;
      }
      const cell = Cell.parse({
        id,
        level: w.level,
        workload: w.workload,
        hardware,
        n_devices: 1,
        parallelism: { tp: 1, pp: 1, dp: 1 },
        precision: r.precision,
        engine: r.engine,
        metric: "latency",
        unit: "s",
        notes: `measured by suite/measure/measure.py (${inp.setFile})${r.engine === "pytorch-cudagraph" ? "; timed inside a CUDA graph (no host launch gaps)" : ""}`,
      });
      cells.set(id, cell);
    }
    const engineSuffix = r.engine === "pytorch-cudagraph" ? ".cudagraph" : "";
    gt.push({
      gt_id: `measured.${hardware}.${date}.${r.workload_key}${engineSuffix}`,
      cell_id: id,
      value: r.latency_s,
      unit: "s",
      source_kind: "measured",
      bib: undefined,
      place: inp.setFile,
      script: scriptRef(p),
      device: deviceOf(p),
      versions: versionsOf(p),
      date: p.date_utc,
      notes: [
        `${r.engine}, median of ${r.n_reps} reps${r.calls_per_rep > 1 ? ` of ${r.calls_per_rep} calls` : ""} (p10 ${fmtSec(r.p10_s)} s, p90 ${fmtSec(r.p90_s)} s)`,
        `impl ${r.impl}`,
        r.notes.replace(/[\r\n]+/g, " "),
      ]
        .filter((s) => s !== "")
        .join("; "),
    });
  }
  const byId = (a: { id?: string; gt_id?: string }, b: { id?: string; gt_id?: string }) => {
    const x = a.id ?? a.gt_id ?? "";
    const y = b.id ?? b.gt_id ?? "";
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return {
    cells: [...cells.values()].sort(byId),
    groundTruth: gt.sort(byId),
    unmapped: unmapped.sort((a, b) => (a.workload_key + a.engine < b.workload_key + b.engine ? -1 : 1)),
  };
}

// ---------------------------------------------------------------- CPU hardware file

/** Measured ceilings of a set: the large GEMM (FLOP/s) and the large copy (bytes/s), eager rows. */
export function measuredCeilings(rows: readonly MeasurementRow[]): { flops_per_s?: { value: number; key: string }; bytes_per_s?: { value: number; key: string } } {
  const out: ReturnType<typeof measuredCeilings> = {};
  for (const r of rows) {
    if (r.engine !== "pytorch-eager") continue;
    if (r.workload_key.startsWith("ceiling.gemm.") && r.flops) out.flops_per_s = { value: r.flops / r.latency_s, key: r.workload_key };
    if (r.workload_key.startsWith("ceiling.copy.") && r.bytes) out.bytes_per_s = { value: r.bytes / r.latency_s, key: r.workload_key };
  }
  return out;
}

/**
 * The suite hardware entry of a CPU host, from a measured set: cores used, and the peak FLOP/s and
 * memory bandwidth as ceilings MEASURED by the script (not vendor figures), each citing the set.
 */
export function cpuHardware(p: Provenance, rows: readonly MeasurementRow[], setDir: string): Hardware | { error: string } {
  const c = measuredCeilings(rows);
  if (!c.flops_per_s || !c.bytes_per_s) return { error: "the set has no ceiling.gemm / ceiling.copy rows (run measure.py with the 'ceiling' group)" };
  if (!p.cpu.mem_total_bytes) return { error: "provenance.json has no cpu.mem_total_bytes" };
  const file = `${setDir}/measurements.csv`;
  const prov = `${setDir}/provenance.json`;
  const src = (note: string, f = file) => ({ file: f, note });
  const prec = p.precision;
  return Hardware.parse({
    id: cpuHardwareId(p),
    name: `${p.cpu.model_name ?? "CPU"}, ${p.torch_num_threads} cores (family ${p.cpu.cpu_family ?? "?"}, model ${p.cpu.model ?? "?"})`,
    kind: "cpu",
    compute_units: { value: p.torch_num_threads, source: src("cores used by the measurement (torch.get_num_threads())", prov) },
    peak_flops_per_s: {
      [prec]: {
        value: Number(c.flops_per_s.value.toPrecision(4)),
        source: src(`measured ceiling: ${c.flops_per_s.key} (${prec}, PyTorch eager) by suite/measure/measure.py; an achieved rate, not a vendor peak`),
      },
    },
    mem_bandwidth_bytes_per_s: {
      value: Number(c.bytes_per_s.value.toPrecision(4)),
      source: src(`measured ceiling: ${c.bytes_per_s.key} (tensor.copy_, bytes read + written) by suite/measure/measure.py; an achieved rate, not a vendor peak`),
    },
    mem_capacity_bytes: { value: p.cpu.mem_total_bytes, source: src("MemTotal of /proc/meminfo, recorded in provenance.json", prov) },
    node: { devices_per_node: 1 },
    notes: `A CPU host of this project (${p.cpu.logical_cpus ?? "?"} logical CPUs). Ceilings measured ${p.date_utc} with torch ${p.torch}; re-measure with \`make measure\`.`,
  });
}
