/**
 * Timeloop (NVlabs/timeloop v3.0.3, mapper + analytical model, built-in energy model) as a tool
 * under test.
 *
 * Timeloop models dataflow accelerators described by an architecture (storage hierarchy, PE array,
 * bandwidths, mapping constraints); it has no model of a GPU or a CPU. A cell runs when its hardware
 * file (suite/hardware/*.yaml) carries a `dataflow` block (pipeline/lib/schema.ts DataflowArch): the
 * Eyeriss chip (row-stationary) and a weight-stationary systolic array.
 *
 * For a supported GEMM or conv2d cell, prepare() writes into <workDir>/<cell id>/:
 *   arch.yaml     the hardware's `dataflow` block in Timeloop's legacy `arch:` + `mapspace:` keys
 *                 (archYamlOf), the format v3.0.3 reads without Accelergy
 *   problem.yaml  the layer as Timeloop's built-in `cnn-layer` shape (problemOf)
 *   mapper.yaml   the bounded search for the hardware's dataflow (MAPPERS)
 * invoke() runs `timeloop-mapper arch.yaml problem.yaml mapper.yaml -o <dir>` through
 * pipeline/lib/exec.ts (local: $TIMELOOP_MAPPER_BIN; Docker: DOCKER_TOOLS=timeloop with the official
 * image, metadata.yaml), with a time limit per layer (TIMELOOP_TIMEOUT_S, default 600 s), and returns
 * <dir>/timeloop-mapper.stats.txt, which the runner records as results/raw/timeloop/<cell id>.txt.
 * parse() reads the stats' "Summary Stats" block (parseStats: Cycles, Energy, Utilization, in the
 * formats of several Timeloop versions), multiplies the cycles by the number of convolution groups
 * (one group is mapped; groups run one after another) and divides by the hardware's clock.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { ToolMetadata, type Cell, type DataflowArch, type Hardware } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { Support, ToolAdapter, ToolContext } from "../../pipeline/lib/tool.ts";
import { launcherFor, runProcess, toolAvailability, ToolRunError } from "../../pipeline/lib/exec.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));

export const ENV_BIN = "TIMELOOP_MAPPER_BIN";
/** Logical program name (metadata.runner.docker.programs maps it to its path in the image). */
export const PROGRAM = "timeloop-mapper";
export const STATS_FILE = "timeloop-mapper.stats.txt";

/** Time limit of one layer's mapper run, s: TIMELOOP_TIMEOUT_S, else the runner's limit for the cell (10x its recorded wall time, at least 60 s), else 600. */
export function timeoutS(env: NodeJS.ProcessEnv = process.env, derived?: number): number {
  const v = Number(env.TIMELOOP_TIMEOUT_S);
  return Number.isFinite(v) && v > 0 ? v : derived ?? 600;
}

export const GPU_REASON =
  "cannot express: Timeloop models dataflow accelerators; no architecture spec of an NVIDIA GPU's tensor cores is part of this artifact";
export const CPU_REASON = "cannot express: Timeloop models dataflow accelerators; no architecture spec of a CPU is part of this artifact";

/**
 * Bounded search per dataflow (the mapper is part of the tool's use, not of the hardware).
 *  - row-stationary: upstream's eyeriss-256.yaml names linear-pruned; with its default termination
 *    the mapper stopped on a DRAM-bound mapping for AlexNet CONV3 (51.5 ms, utilization 0.35), so
 *    the search runs longer: stop after 10000 consecutive non-improving valid mappings or 100000
 *    consecutive invalid ones (about 5-60 s per layer on 2 cores).
 *  - weight-stationary: linear-pruned finds no valid mapping of this spec within 100000 consecutive
 *    invalid ones (fan-out and capacity violations); random-pruned, as upstream's exercises use
 *    (`random`), stopping after 1000 consecutive non-improving mappings (about 1-2 min per layer).
 * Both optimize delay first, then energy, on 2 threads.
 */
export const MAPPERS: Record<DataflowArch["dataflow"], Record<string, unknown>> = {
  "row-stationary": { algorithm: "linear-pruned", "optimization-metrics": ["delay", "energy"], "victory-condition": 10000, timeout: 100000, "num-threads": 2 },
  "weight-stationary": { algorithm: "random-pruned", "optimization-metrics": ["delay", "energy"], "victory-condition": 1000, timeout: 10000, "num-threads": 2 },
  "output-stationary": { algorithm: "random-pruned", "optimization-metrics": ["delay", "energy"], "victory-condition": 1000, timeout: 10000, "num-threads": 2 },
};

export function supports(cell: Cell, suite: Suite): Support {
  const hw = suite.hardware.get(cell.hardware);
  if (!hw) return { ok: false, reason: `unknown hardware ${cell.hardware}` };
  if (!hw.dataflow) {
    if (hw.kind === "gpu") return { ok: false, reason: GPU_REASON };
    if (hw.kind === "cpu") return { ok: false, reason: CPU_REASON };
    return { ok: false, reason: `no dataflow architecture for ${hw.id} in suite/hardware (the 'dataflow' block Timeloop maps onto)` };
  }
  if (!hw.boost_clock_hz) return { ok: false, reason: `${hw.id} has no clock (boost_clock_hz): Timeloop's cycles cannot be turned into seconds` };
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
  const base = { Wdilation: 1, Hdilation: 1 };
  if (w.kind === "conv2d") {
    const { out_h, out_w } = convOutput(w);
    return {
      problem: { shape: "cnn-layer", R: w.s, S: w.r, P: out_w, Q: out_h, C: w.c / w.groups, K: w.k / w.groups, N: w.n, Wstride: w.stride, Hstride: w.stride, ...base },
    };
  }
  if (w.kind !== "gemm") throw new Error(`workload '${w.kind}' is not mapped to a Timeloop problem`);
  return { problem: { shape: "cnn-layer", R: 1, S: 1, P: w.m, Q: 1, C: w.k, K: w.n, N: w.batch, Wstride: 1, Hstride: 1, ...base } };
}

/**
 * The `dataflow` block of a hardware file in Timeloop's legacy keys (as upstream's
 * configs/mapper/*.yaml at v3.0.3): `arch` (arithmetic + storage levels, MACs outwards) and
 * `mapspace.constraints` (datatype keep/bypass per level, then the loop constraints).
 */
export function archYamlOf(d: DataflowArch): { arch: Record<string, unknown>; mapspace: { constraints: Record<string, unknown>[] } } {
  const storage = d.levels.map((l) => {
    const s: Record<string, unknown> = { name: l.name };
    if (l.class === "dram") s.technology = "DRAM";
    if (l.entries !== undefined) s.entries = l.entries;
    s.instances = l.instances;
    if (l.mesh_x !== undefined) s.meshX = l.mesh_x;
    s["word-bits"] = l.word_bits;
    if (l.block_size_words !== undefined) s["block-size"] = l.block_size_words;
    if (l.banks !== undefined) s["num-banks"] = l.banks;
    if (l.read_bandwidth_words_per_cycle !== undefined) s.read_bandwidth = l.read_bandwidth_words_per_cycle;
    if (l.write_bandwidth_words_per_cycle !== undefined) s.write_bandwidth = l.write_bandwidth_words_per_cycle;
    if (l.shared_bandwidth_words_per_cycle !== undefined) s.shared_bandwidth = l.shared_bandwidth_words_per_cycle;
    return s;
  });
  const arithmetic: Record<string, unknown> = { name: d.compute.name, instances: d.compute.instances };
  if (d.compute.mesh_x !== undefined) arithmetic.meshX = d.compute.mesh_x;
  arithmetic["word-bits"] = d.compute.word_bits;
  const datatype = d.levels
    .filter((l) => l.keep.length > 0 || l.bypass.length > 0)
    .map((l) => {
      const c: Record<string, unknown> = { type: "datatype", target: l.name };
      if (l.bypass.length > 0) c.bypass = [...l.bypass];
      if (l.keep.length > 0) c.keep = [...l.keep];
      return c;
    });
  const loops = d.constraints.map((c) => {
    const o: Record<string, unknown> = { type: c.type, target: c.target };
    if (c.split !== undefined) o.split = c.split;
    if (c.permutation !== undefined) o.permutation = c.permutation;
    if (c.factors !== undefined) o.factors = c.factors;
    return o;
  });
  return { arch: { arithmetic, storage }, mapspace: { constraints: [...datatype, ...loops] } };
}

export interface Prepared {
  dir: string;
  /** arch.yaml, problem.yaml, mapper.yaml (absolute paths). */
  inputs: string[];
  args: string[];
}

function dataflowOf(hw: Hardware): DataflowArch {
  if (!hw.dataflow) throw new Error(`no dataflow architecture for ${hw.id}`);
  return hw.dataflow;
}

/** Write the inputs of one cell under cellDir; returns the binary's arguments (absolute paths). */
export function writeInputs(cell: Cell, hw: Hardware, cellDir: string): Prepared {
  const d = dataflowOf(hw);
  const dir = resolve(cellDir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const inputs = [join(dir, "arch.yaml"), join(dir, "problem.yaml"), join(dir, "mapper.yaml")];
  writeFileSync(inputs[0]!, stringifyYaml(archYamlOf(d)));
  writeFileSync(inputs[1]!, stringifyYaml(problemOf(cell)));
  writeFileSync(inputs[2]!, stringifyYaml({ mapper: MAPPERS[d.dataflow] }));
  return { dir, inputs, args: [...inputs, "-o", dir] };
}

// ---------------------------------------------------------------- parsing

/** What the "Summary Stats" block of a stats file says, normalized. */
export interface TimeloopStats {
  cycles: number;
  /** Fraction of the MACs busy (0..1): printed as a fraction (v3.0.3 and older) or a percentage (newer). */
  utilization: number;
  /** Total energy, uJ: the `Energy:` line, or computes x per-compute total when it prints 0.00. */
  energy_uj: number;
  /** Whether energy_uj was computed from the per-compute energy (the line printed `0.00 uJ`). */
  energy_from_per_compute: boolean;
  /** `Computes = N` (newer) or `MACCs = N` (older). */
  computes: number;
  /** Total energy per compute, pJ (from `pJ/Compute`, `fJ/Compute` or `pJ/MACC`). */
  energy_per_compute_pj: number;
}

function summaryBlock(raw: string): string {
  const at = raw.lastIndexOf("Summary Stats");
  if (at < 0) throw new Error("Timeloop stats lack a 'Summary Stats' block");
  return raw.slice(at);
}

function numberAfter(block: string, re: RegExp, what: string): number {
  const m = re.exec(block);
  if (!m) throw new Error(`Timeloop stats lack ${what} in the 'Summary Stats' block`);
  const v = Number(m[1]);
  if (!Number.isFinite(v)) throw new Error(`Timeloop stats: ${what} is not a number ('${m[1]}')`);
  return v;
}

/**
 * Parse the "Summary Stats" block of timeloop-mapper.stats.txt / timeloop-model.stats.txt.
 * Formats seen:
 *   - v3.0.3 (this build): `Utilization: 0.72`, `Computes = N`, `fJ/Compute` table;
 *   - older (2020 exercises): `Utilization: 0.19`, `MACCs = N`, `pJ/MACC` table;
 *   - newer (2024 exercises): `Utilization: 100.00%`, `Computes = N`, `pJ/Compute` (or fJ) table.
 * Only `Cycles: N` at the start of a line is taken (per-level lines read `Cycles : N`).
 */
export function parseStats(raw: string): TimeloopStats {
  const b = summaryBlock(raw);
  const cycles = numberAfter(b, /^Cycles: (\d+)\s*$/m, "'Cycles: N'");
  if (!(cycles > 0)) throw new Error(`Timeloop reported ${cycles} cycles`);
  const u = /^Utilization: ([0-9.]+)(%?)\s*$/m.exec(b);
  if (!u) throw new Error("Timeloop stats lack 'Utilization: x' in the 'Summary Stats' block");
  const utilization = u[2] === "%" ? Number(u[1]) / 100 : Number(u[1]);
  if (!(utilization >= 0 && utilization <= 1)) throw new Error(`Timeloop stats: utilization ${u[1]}${u[2]} is outside 0..100%`);
  const energyLine = numberAfter(b, /^Energy: ([0-9.eE+-]+) uJ\s*$/m, "'Energy: x uJ'");
  const c = /^(Computes|MACCs) = (\d+)\s*$/m.exec(b);
  if (!c) throw new Error("Timeloop stats lack 'Computes = N' (or 'MACCs = N') in the 'Summary Stats' block");
  const computes = Number(c[2]);
  const unit = /^(pJ|fJ)\/(Compute|MACC)\s*$/m.exec(b);
  if (!unit) throw new Error("Timeloop stats lack the per-compute energy table (pJ/Compute, fJ/Compute or pJ/MACC)");
  const total = numberAfter(b.slice(unit.index), /^\s+Total\s+= ([0-9.eE+-]+)\s*$/m, "the per-compute 'Total = x'");
  const energy_per_compute_pj = unit[1] === "fJ" ? total / 1000 : total;
  const fromPerCompute = energyLine === 0;
  const energy_uj = fromPerCompute ? (computes * energy_per_compute_pj) / 1e6 : energyLine;
  return { cycles, utilization, energy_uj, energy_from_per_compute: fromPerCompute, computes, energy_per_compute_pj };
}

/** Cycles of the mapping Timeloop reports (Summary Stats). */
export function parseCycles(raw: string): number {
  return parseStats(raw).cycles;
}

// ---------------------------------------------------------------- running

export function availability(env: NodeJS.ProcessEnv = process.env) {
  return toolAvailability(metadata, ENV_BIN, env);
}

/** The shared libraries of a scons build lie in <timeloop>/lib next to <timeloop>/bin. */
export function libraryPath(bin: string, env: NodeJS.ProcessEnv = process.env): string {
  const lib = resolve(dirname(bin), "..", "lib");
  return [lib, env.LD_LIBRARY_PATH].filter((p) => p).join(":");
}

/** Runs timeloop-mapper on prepared inputs; returns the stats file's text. */
export async function runMapper(prepared: Prepared, env: NodeJS.ProcessEnv = process.env, derivedTimeout_s?: number): Promise<string> {
  const local = launcherFor(metadata, env) === "local";
  const bin = env[ENV_BIN];
  const r = await runProcess(
    metadata,
    {
      program: PROGRAM,
      localBin: bin,
      args: prepared.args,
      cwd: prepared.dir,
      readOnly: prepared.inputs,
      writable: [prepared.dir],
      env: local && bin ? { LD_LIBRARY_PATH: libraryPath(bin, env) } : undefined,
      timeout_s: timeoutS(env, derivedTimeout_s),
    },
    env,
  );
  const stats = join(prepared.dir, STATS_FILE);
  if (!existsSync(stats)) {
    const said = (r.stdout + "\n" + r.stderr)
      .split("\n")
      .filter((l) => /STATEMENT|no valid mappings|ERROR/i.test(l))
      .slice(0, 2)
      .join(" | ");
    throw new ToolRunError(`timeloop-mapper wrote no ${STATS_FILE}${said ? ` (${said.trim()})` : ""}`);
  }
  return readFileSync(stats, "utf8");
}

function hardwareOf(cell: Cell, ctx: ToolContext): Hardware {
  const hw = ctx.suite.hardware.get(cell.hardware);
  if (!hw) throw new Error(`unknown hardware ${cell.hardware}`);
  return hw;
}

/** Prediction in seconds: cycles x groups / clock. */
export function latencyS(raw: string, cell: Cell, hw: Hardware): number {
  if (!hw.boost_clock_hz) throw new Error(`${hw.id} has no clock`);
  return (parseCycles(raw) * repeatsOf(cell)) / hw.boost_clock_hz.value;
}

export const timeloopAdapter: ToolAdapter<Prepared> = {
  metadata,
  recordRaw: true,
  timeLimit: (derived) => timeoutS(process.env, derived),
  async availability() {
    return availability();
  },
  supports: (cell, ctx) => supports(cell, ctx.suite),
  async prepare(cell: Cell, ctx: ToolContext) {
    return writeInputs(cell, hardwareOf(cell, ctx), join(ctx.workDir, cell.id));
  },
  inputFiles: (prepared) => prepared.inputs,
  async invoke(prepared, _cell, ctx) {
    return runMapper(prepared, process.env, ctx.timeout_s);
  },
  parse(raw, cell, ctx) {
    return { value: latencyS(raw, cell, hardwareOf(cell, ctx)), unit: "s" };
  },
};
