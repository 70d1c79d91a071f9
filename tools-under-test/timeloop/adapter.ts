/**
 * Timeloop (NVlabs/timeloop v3.0.3, mapper + analytical model, built-in energy model) as a tool
 * under test.
 *
 * Timeloop models dataflow accelerators described by an architecture spec (storage hierarchy,
 * PE array, bandwidths); it has no model of a GPU or a CPU. A cell is run only when its hardware
 * has an architecture spec in ARCH_SPECS. The one spec here is the Eyeriss chip (hardware id
 * eyeriss-65nm, EYERISS_65NM), which the suite does not hold yet (README "Status"), so every suite
 * cell is not-run with the reason.
 *
 * For a supported GEMM or conv2d cell, prepare() writes into <workDir>/<cell id>/:
 *   arch.yaml     the spec's `arch` and `mapspace` (Timeloop's legacy keys, as configs/mapper/*.yaml)
 *   problem.yaml  the layer as Timeloop's built-in `cnn-layer` shape (problemOf)
 *   mapper.yaml   the search settings (spec.mapper, else DEFAULT_MAPPER)
 * invoke() runs `$TIMELOOP_MAPPER_BIN arch.yaml problem.yaml mapper.yaml -o <dir>` and returns
 * <dir>/timeloop-mapper.stats.txt, which the runner records as results/raw/timeloop/<cell id>.txt.
 * parse() reads `Cycles: N` from the stats' "Summary Stats" block, multiplies by the number of
 * convolution groups (one group is mapped; groups run one after another) and divides by the clock.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { ToolMetadata, type Cell } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { Support, ToolAdapter, ToolContext } from "../../pipeline/lib/tool.ts";
import { binaryFromEnv } from "../../pipeline/lib/tool.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));

export const ENV_BIN = "TIMELOOP_MAPPER_BIN";

export const GPU_REASON =
  "Timeloop models dataflow accelerators; no architecture spec of an NVIDIA GPU's tensor cores is part of this artifact";
export const CPU_REASON = "Timeloop models dataflow accelerators; no architecture spec of a CPU is part of this artifact";

/** An accelerator Timeloop can be run on: its architecture, mapspace constraints and clock. */
export interface ArchSpec {
  /** Timeloop `arch:` block (arithmetic + storage levels). */
  arch: Record<string, unknown>;
  /** Timeloop `mapspace:` block (constraints), optional. */
  mapspace?: Record<string, unknown>;
  /** Timeloop `mapper:` block; DEFAULT_MAPPER when absent. */
  mapper?: Record<string, unknown>;
  /** Clock used to turn Timeloop's cycles into seconds. */
  clock_hz: number;
  /** Where the spec comes from (paper + table, or file + commit). */
  basis: string;
}

/**
 * The Eyeriss chip (Chen et al., JSSC 2017, DOI 10.1109/JSSC.2016.2616357): upstream's Eyeriss-like
 * row-stationary model (timeloop v3.0.3 configs/mapper/eyeriss-256.yaml: levels, bandwidths of the
 * register files and the global buffer, mapspace constraints) resized to the chip as the paper
 * states it:
 *   - 168 PEs as 12 rows x 14 columns (Sec. III-A): MACs/register files 168 instances, meshX 14;
 *     one DummyBuffer (the column's multicast point) per column, 14 instances;
 *   - spads per PE: ifmap 12 x 16 b, filter 224 x 16 b, psum 24 x 16 b (Sec. V-C);
 *   - global buffer: 108 kB, of which 100 kB hold ifmaps and psums (Sec. V-A); filters bypass it in
 *     the model (the 8 kB filter prefetch part is not modelled), as in upstream's spec;
 *   - DRAM: one 64-b bidirectional bus on the 60 MHz link clock (Sec. III-A; Table V caption),
 *     i.e. 64 x 60e6 / 200e6 = 19.2 b = 1.2 16-bit words per 200 MHz core cycle, shared by reads
 *     and writes;
 *   - 16-bit words; core clock 200 MHz (Sec. VI, Table V caption).
 */
export const EYERISS_65NM: ArchSpec = {
  arch: {
    arithmetic: { name: "MACs", instances: 168, meshX: 14, "word-bits": 16 },
    storage: [
      { name: "PsumRegFile", entries: 24, instances: 168, meshX: 14, "word-bits": 16, read_bandwidth: 2, write_bandwidth: 2 },
      { name: "WeightRegFile", entries: 224, instances: 168, meshX: 14, "word-bits": 16, read_bandwidth: 2, write_bandwidth: 2 },
      { name: "InputRegFile", entries: 12, instances: 168, meshX: 14, "word-bits": 16, read_bandwidth: 2, write_bandwidth: 2 },
      { name: "DummyBuffer", entries: 0, instances: 14, meshX: 14, "word-bits": 16 },
      { name: "GlobalBuffer", sizeKB: 100, instances: 1, meshX: 1, "word-bits": 16, "block-size": 4, read_bandwidth: 16, write_bandwidth: 16 },
      { name: "DRAM", technology: "DRAM", instances: 1, "word-bits": 16, shared_bandwidth: 1.2 },
    ],
  },
  mapspace: {
    // upstream eyeriss-256.yaml's `constraints_rowstationary`, unchanged
    constraints: [
      { type: "datatype", target: "PsumRegFile", bypass: ["Inputs", "Weights"], keep: ["Outputs"] },
      { type: "datatype", target: "WeightRegFile", bypass: ["Inputs", "Outputs"], keep: ["Weights"] },
      { type: "datatype", target: "InputRegFile", bypass: ["Weights", "Outputs"], keep: ["Inputs"] },
      { type: "datatype", target: "DummyBuffer", bypass: ["Inputs", "Outputs", "Weights"] },
      { type: "datatype", target: "GlobalBuffer", bypass: ["Weights"], keep: ["Inputs", "Outputs"] },
      { type: "spatial", target: "DummyBuffer", split: 4, permutation: "NPQR SCK", factors: "N1 P1 Q1 R1 S0" },
      { type: "spatial", target: "GlobalBuffer", split: 7, permutation: "NCPRS QK", factors: "N1 C1 P1 R1 S1" },
      { type: "temporal", target: "PsumRegFile", permutation: "NCPQRS K", factors: "N1 C1 P1 Q1 R1 S1" },
      { type: "temporal", target: "WeightRegFile", permutation: "NKPQS CR", factors: "N1 K1 P1 Q1 S1 R0" },
      { type: "temporal", target: "InputRegFile", permutation: "NKCPQRS", factors: "N1 K1 C1 P1 Q1 R1 S1" },
      { type: "temporal", target: "DummyBuffer", permutation: "NKCPQRS", factors: "N1 K1 C1 P1 Q1 R1 S1" },
      { type: "temporal", target: "GlobalBuffer", permutation: "QRSC PNK", factors: "Q1 R1 S1 C1 P0" },
      { type: "temporal", target: "DRAM", permutation: "RSP CKNQ", factors: "R1 S1 P1" },
    ],
  },
  // Upstream names linear-pruned with default termination; with it the mapper stops early on
  // DRAM-bound mappings (AlexNet CONV3: 51.5 ms, 0.35 utilization), so the search runs longer.
  mapper: { algorithm: "linear-pruned", "optimization-metrics": ["delay", "energy"], "victory-condition": 10000, timeout: 100000, "num-threads": 2 },
  clock_hz: 200e6,
  basis:
    "Eyeriss (JSSC 2017, DOI 10.1109/JSSC.2016.2616357) Sec. III-A, V-A, V-C, VI and Table V caption; mapspace and register-file/GLB bandwidths from timeloop v3.0.3 configs/mapper/eyeriss-256.yaml",
};

/** Architecture specs per suite hardware id. */
export const ARCH_SPECS: ReadonlyMap<string, ArchSpec> = new Map([["eyeriss-65nm", EYERISS_65NM]]);

/** Mapper settings when a spec gives none: upstream configs/mapper/sample.yaml's search (v3.0.3). */
export const DEFAULT_MAPPER = {
  algorithm: "exhaustive",
  "optimization-metrics": ["delay", "energy"],
  "search-size": 0,
  "victory-condition": 100,
  timeout: 1000,
  "num-threads": 1,
} as const;

export function supports(cell: Cell, suite: Suite, specs: ReadonlyMap<string, ArchSpec> = ARCH_SPECS): Support {
  const hw = suite.hardware.get(cell.hardware);
  if (!hw) return { ok: false, reason: `unknown hardware ${cell.hardware}` };
  const spec = specs.get(hw.id);
  if (!spec) {
    if (hw.kind === "gpu") return { ok: false, reason: GPU_REASON };
    if (hw.kind === "cpu") return { ok: false, reason: CPU_REASON };
    return { ok: false, reason: `no Timeloop architecture spec for ${hw.id} in this artifact` };
  }
  const w = cell.workload;
  if (w.kind !== "gemm" && w.kind !== "conv2d")
    return { ok: false, reason: `Timeloop is run here on single GEMM and conv2d layers only; workload '${w.kind}' is not mapped to a Timeloop problem` };
  if (w.kind === "conv2d") {
    if (w.c % w.groups !== 0 || w.k % w.groups !== 0) return { ok: false, reason: `conv2d: c = ${w.c} and k = ${w.k} must be multiples of groups = ${w.groups}` };
    if (w.h + 2 * w.padding < w.r || w.w + 2 * w.padding < w.s) return { ok: false, reason: "conv2d: the filter is larger than the padded input" };
  }
  if (cell.metric !== "latency") return { ok: false, reason: `Timeloop reports cycles of one layer; metric ${cell.metric} is not derived in this adapter` };
  if (cell.n_devices !== 1) return { ok: false, reason: "Timeloop models one accelerator; multi-device cells are not run" };
  return { ok: true };
}

/** Output height and width of a conv2d workload. */
export function convOutput(w: { h: number; w: number; r: number; s: number; stride: number; padding: number }): { out_h: number; out_w: number } {
  return {
    out_h: Math.floor((w.h + 2 * w.padding - w.r) / w.stride) + 1,
    out_w: Math.floor((w.w + 2 * w.padding - w.s) / w.stride) + 1,
  };
}

/** How many times the mapped problem runs: the groups of a grouped convolution, else 1. */
export function repeatsOf(cell: Cell): number {
  return cell.workload.kind === "conv2d" ? cell.workload.groups : 1;
}

/**
 * A layer as Timeloop's built-in cnn-layer problem (problem-shapes/cnn-layer.yaml: R, P along the
 * width; S, Q along the height; Inputs indexed by R*Wdilation + P*Wstride).
 *   gemm C[m,n] = A[m,k] B[k,n] (x batch): P = m, C = k, K = n, N = batch, R = S = Q = 1.
 *   conv2d: one group (C = c / groups, K = k / groups), R = s, S = r, P = output width,
 *   Q = output height, N = n, Wstride = Hstride = stride; the padding enters only through P and Q.
 */
export function problemOf(cell: Cell): Record<string, unknown> {
  const w = cell.workload;
  if (w.kind === "conv2d") {
    const { out_h, out_w } = convOutput(w);
    return {
      problem: {
        shape: "cnn-layer",
        R: w.s,
        S: w.r,
        P: out_w,
        Q: out_h,
        C: w.c / w.groups,
        K: w.k / w.groups,
        N: w.n,
        Wstride: w.stride,
        Hstride: w.stride,
        Wdilation: 1,
        Hdilation: 1,
      },
    };
  }
  if (w.kind !== "gemm") throw new Error(`workload '${w.kind}' is not mapped to a Timeloop problem`);
  return {
    problem: {
      shape: "cnn-layer",
      R: 1,
      S: 1,
      P: w.m,
      Q: 1,
      C: w.k,
      K: w.n,
      N: w.batch,
      Wstride: 1,
      Hstride: 1,
      Wdilation: 1,
      Hdilation: 1,
    },
  };
}

export interface Prepared {
  dir: string;
  args: string[];
}

/** Write the inputs of one cell under cellDir; returns the binary's arguments (absolute paths). */
export function writeInputs(cell: Cell, spec: ArchSpec, cellDir: string): Prepared {
  const dir = resolve(cellDir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = {
    arch: join(dir, "arch.yaml"),
    problem: join(dir, "problem.yaml"),
    mapper: join(dir, "mapper.yaml"),
  };
  writeFileSync(files.arch, stringifyYaml(spec.mapspace ? { arch: spec.arch, mapspace: spec.mapspace } : { arch: spec.arch }));
  writeFileSync(files.problem, stringifyYaml(problemOf(cell)));
  writeFileSync(files.mapper, stringifyYaml({ mapper: spec.mapper ?? DEFAULT_MAPPER }));
  return { dir, args: [files.arch, files.problem, files.mapper, "-o", dir] };
}

/**
 * Cycles of the mapping Timeloop reports, from the "Summary Stats" block of
 * timeloop-mapper.stats.txt / timeloop-model.stats.txt (`Cycles: N`; per-level lines read
 * `Cycles : N` and are not taken).
 */
export function parseCycles(raw: string): number {
  const at = raw.lastIndexOf("Summary Stats");
  if (at < 0) throw new Error("Timeloop stats lack a 'Summary Stats' block");
  const m = /^Cycles: (\d+)\s*$/m.exec(raw.slice(at));
  if (!m) throw new Error("Timeloop stats lack 'Cycles: N' in the 'Summary Stats' block");
  const cycles = Number(m[1]);
  if (!(cycles > 0)) throw new Error(`Timeloop reported ${cycles} cycles`);
  return cycles;
}

export function availability(env: NodeJS.ProcessEnv = process.env): { available: boolean; reason?: string } {
  return binaryFromEnv(ENV_BIN, env);
}

/** The shared libraries of a scons build lie in <timeloop>/lib next to <timeloop>/bin. */
function libraryPath(bin: string, env: NodeJS.ProcessEnv): string {
  const lib = resolve(dirname(bin), "..", "lib");
  return [lib, env.LD_LIBRARY_PATH].filter((p) => p).join(":");
}

function specOf(cell: Cell): ArchSpec {
  const spec = ARCH_SPECS.get(cell.hardware);
  if (!spec) throw new Error(`no Timeloop architecture spec for ${cell.hardware}`);
  return spec;
}

export async function runMapper(bin: string, prepared: Prepared): Promise<string> {
  const r = await execa(bin, prepared.args, {
    cwd: prepared.dir,
    timeout: 600_000,
    reject: false,
    env: { LD_LIBRARY_PATH: libraryPath(bin, process.env) },
  });
  if (r.exitCode !== 0) throw new Error(`timeloop-mapper exited with ${r.exitCode}: ${(r.stderr || r.stdout).split("\n").slice(-3).join(" | ")}`);
  const stats = join(prepared.dir, "timeloop-mapper.stats.txt");
  if (!existsSync(stats)) throw new Error(`timeloop-mapper wrote no stats (${(r.stdout || r.stderr).split("\n").filter((l) => l.trim()).slice(-2).join(" | ")})`);
  return readFileSync(stats, "utf8");
}

export const timeloopAdapter: ToolAdapter<Prepared> = {
  metadata,
  recordRaw: true,
  async availability() {
    return availability();
  },
  supports: (cell, ctx) => supports(cell, ctx.suite),
  async prepare(cell: Cell, ctx: ToolContext) {
    return writeInputs(cell, specOf(cell), join(ctx.workDir, cell.id));
  },
  async invoke(prepared) {
    return runMapper(process.env[ENV_BIN]!, prepared);
  },
  parse(raw, cell) {
    return { value: (parseCycles(raw) * repeatsOf(cell)) / specOf(cell).clock_hz, unit: "s" };
  },
};
