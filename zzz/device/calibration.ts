/**
 * ZZZ v2 calibration: every constant of the device and engine layers, with its source, in one
 * module, and the one function that turns calibration rows into constants.
 *
 * Protocol (zzz/README.md, "Calibration protocol"):
 * - `datasheet`: vendor peaks only. Efficiencies are 1; the constants no datasheet gives (kernel
 *   floor, host dispatch, attention efficiency) are the ASSUMPTIONS below, the same in every mode.
 * - `microbench`: efficiencies from calibration microbenchmarks only: the rows of a measured set
 *   whose workload_key starts with `ceiling.` (an 8192^3 GEMM and a 2 GiB device copy), which map to
 *   no suite cell. `calibrate()` refuses any other row.
 * - `profiled`: `microbench` plus Vidur-format per-op profiles of the target (device/profiled.ts).
 * The committed measured sets have no kernel-launch, host-dispatch or attention sweep, so those
 * constants stay assumptions (listed in ASSUMPTIONS) until the measurement script adds them.
 */
import type { Dtype } from "../ir/types.ts";

export type CalibrationMode = "datasheet" | "microbench" | "profiled";
export const CALIBRATION_MODES: readonly CalibrationMode[] = ["datasheet", "microbench", "profiled"];

/** Where a constant comes from. */
export interface ConstantSource {
  kind: "datasheet" | "microbenchmark" | "assumption";
  /** Measured set (device/date) or document. */
  set?: string;
  /** What was measured or assumed, and why. */
  what: string;
  date?: string;
}

export interface SourcedValue {
  value: number;
  source: ConstantSource;
}

/** Device-layer constants of one device. */
export interface DeviceCalibration {
  /** Name of the calibration (e.g. "microbench:h100-sxm5-80gb"). */
  name: string;
  /** Achievable fraction of the dense tensor peak for large GEMMs and convs, per dtype (missing dtype: `gemm_default`). */
  gemm_efficiency: Partial<Record<Dtype, SourcedValue>>;
  gemm_default: SourcedValue;
  /** Achievable fraction of peak DRAM bandwidth for streaming kernels. */
  mem_efficiency: SourcedValue;
  /** Fraction of the dense tensor peak reached by the two GEMMs of a fused attention kernel. */
  attention_efficiency: SourcedValue;
  /** Minimum device time of one kernel (grid launch, ramp-up, tail), seconds; added to each kernel. */
  kernel_floor_s: SourcedValue;
}

/** Host-side constants of the engines (seconds). */
export interface HostCalibration {
  /** Python + dispatcher + cudaLaunchKernel per eager op. */
  eager_dispatch_s: SourcedValue;
  /** Per call of a torch.compile'd function: guard evaluation and the generated wrapper. */
  compile_call_s: SourcedValue;
  /** Per kernel of a compiled or fused engine's generated launcher (no Python per op). */
  compiled_dispatch_s: SourcedValue;
  /** torch.cuda.synchronize() return after the last kernel (wall-clock timing). */
  sync_s: SourcedValue;
}

const ASSUME = (what: string): ConstantSource => ({ kind: "assumption", what });

/** Every constant that no committed microbenchmark measures. None is taken from an evaluation cell. */
export const ASSUMPTIONS = {
  kernel_floor_s: {
    value: 2e-6,
    source: ASSUME(
      "no kernel-launch microbenchmark in the committed sets: a kernel's device time from grid launch to completion is assumed to be at least 2 us (a few us is the commonly stated launch cost; not measured, not fitted)",
    ),
  },
  attention_efficiency: {
    value: 0.35,
    source: ASSUME(
      "no attention sweep among the calibration rows: FlashAttention-2 (the SDPA flash backend) is taken to reach 35% of the H100 dense peak, the utilization the FlashAttention-3 paper states for FlashAttention-2 on H100 (abstract, arXiv 2407.08608, read on huggingface.co/papers/2407.08608); used on every device",
    ),
  },
  eager_dispatch_s: {
    value: 15e-6,
    source: ASSUME(
      "no host-dispatch microbenchmark in the committed sets: 15 us per eager PyTorch op, the middle of the 5-25 us CPU-side cost per op that public write-ups of the PyTorch dispatch path state (Python, pybind11, dispatcher, cudaLaunchKernel)",
    ),
  },
  compile_call_s: {
    value: 30e-6,
    source: ASSUME("no torch.compile microbenchmark: one call = guard evaluation plus the Inductor wrapper, taken as two eager dispatches (2 x 15 us)"),
  },
  compiled_dispatch_s: {
    value: 4e-6,
    source: ASSUME("a generated launcher calls cudaLaunchKernel without Python per op: 4 us per kernel (the driver call alone)"),
  },
  sync_s: {
    value: 5e-6,
    source: ASSUME("torch.cuda.synchronize() returning to Python after the last kernel: 5 us"),
  },
} as const satisfies Record<string, SourcedValue>;

export const DEFAULT_HOST: HostCalibration = {
  eager_dispatch_s: ASSUMPTIONS.eager_dispatch_s,
  compile_call_s: ASSUMPTIONS.compile_call_s,
  compiled_dispatch_s: ASSUMPTIONS.compiled_dispatch_s,
  sync_s: ASSUMPTIONS.sync_s,
};

const ONE_DATASHEET: SourcedValue = { value: 1, source: { kind: "datasheet", what: "vendor peak, no derating (datasheet mode)" } };

/** Datasheet mode: vendor peaks, no measurement at all. */
export function datasheetCalibration(device: string): DeviceCalibration {
  return {
    name: `datasheet:${device}`,
    gemm_efficiency: {},
    gemm_default: ONE_DATASHEET,
    mem_efficiency: ONE_DATASHEET,
    attention_efficiency: ASSUMPTIONS.attention_efficiency,
    kernel_floor_s: ASSUMPTIONS.kernel_floor_s,
  };
}

/** One row of a measured set offered to the calibration (pipeline/lib/measured.ts columns). */
export interface CalibrationRow {
  /** Measured set it comes from, e.g. "h100-sxm5-80gb/2026-11-26". */
  set: string;
  workload_key: string;
  engine: string;
  group: string;
  precision: Dtype;
  latency_s: number;
  flops?: number;
  bytes?: number;
  date?: string;
  /** The suite cell this row is ground truth for, if any (must be empty for a calibration row). */
  cell_id?: string;
}

export class CalibrationInputError extends Error {}

/** A calibration row: a measured ceiling that is ground truth for no cell. */
export function isCalibrationRow(r: CalibrationRow): boolean {
  return r.workload_key.startsWith("ceiling.") && r.group === "ceiling" && !r.cell_id;
}

/**
 * Microbench calibration of one device from its calibration rows, against that device's datasheet
 * peaks. Refuses (throws) when any row is not a calibration row: evaluation rows never reach it.
 */
export function calibrate(
  device: string,
  rows: CalibrationRow[],
  peaks: { flops_per_s: Partial<Record<Dtype, number>>; mem_bandwidth_bytes_per_s: number },
): DeviceCalibration {
  const bad = rows.filter((r) => !isCalibrationRow(r));
  if (bad.length)
    throw new CalibrationInputError(
      `calibration refuses ${bad.length} row(s) that are not calibration rows (a ceiling.* row of group 'ceiling' mapped to no cell): ${bad
        .slice(0, 3)
        .map((r) => `${r.set}:${r.workload_key}${r.cell_id ? ` (ground truth of ${r.cell_id})` : ""}`)
        .join(", ")}`,
    );
  const cal = datasheetCalibration(device);
  cal.name = `microbench:${device}`;
  for (const r of rows) {
    const src = (what: string): ConstantSource => ({ kind: "microbenchmark", set: r.set, what, date: r.date });
    if (r.workload_key.startsWith("ceiling.gemm.") && r.flops) {
      const peak = peaks.flops_per_s[r.precision];
      if (!peak) throw new CalibrationInputError(`${r.set}:${r.workload_key}: no ${r.precision} peak for ${device}`);
      const eff = r.flops / r.latency_s / peak;
      const v = { value: eff, source: src(`${r.workload_key} (${r.precision}, ${r.engine}): ${(r.flops / r.latency_s / 1e12).toFixed(1)} TFLOP/s of ${(peak / 1e12).toFixed(1)}`) };
      cal.gemm_efficiency[r.precision] = v;
      cal.gemm_default = v;
    } else if (r.workload_key.startsWith("ceiling.copy.") && r.bytes) {
      const bw = r.bytes / r.latency_s;
      cal.mem_efficiency = { value: bw / peaks.mem_bandwidth_bytes_per_s, source: src(`${r.workload_key}: ${(bw / 1e12).toFixed(2)} TB/s (read + write) of ${(peaks.mem_bandwidth_bytes_per_s / 1e12).toFixed(2)}`) };
    }
  }
  return cal;
}

/** The same constants under another device's name (cross-device transfer). */
export function transferCalibration(cal: DeviceCalibration, target: string): DeviceCalibration {
  return { ...cal, name: `${cal.name}->${target}` };
}

export function gemmEfficiency(cal: DeviceCalibration, dtype: Dtype): number {
  return (cal.gemm_efficiency[dtype] ?? cal.gemm_default).value;
}
