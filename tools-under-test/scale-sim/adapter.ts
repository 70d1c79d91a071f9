/**
 * SCALE-Sim v3 (scalesim-project/scale-sim-v3 @ fab89b77, cycle-level systolic-array simulator) as a
 * tool under test.
 *
 * SCALE-Sim simulates one systolic array (rows x columns of MACs, dataflow os/ws/is) fed by three
 * double-buffered SRAMs (ifmap, filter, ofmap) backed by DRAM, for a convolution or GEMM layer, and
 * reports cycles, utilization, SRAM/DRAM accesses and bandwidths. It has no model of a GPU or a CPU.
 * A cell runs when its hardware file carries a `dataflow` block (as for Timeloop): the weight-stationary
 * 16 x 16 array and the Eyeriss chip (see README.md for what SCALE-Sim can and cannot express of it).
 *
 * For a supported conv2d cell, prepare() writes into <workDir>/<cell id>/ (translation in README.md):
 *   scale.cfg   the array, dataflow and SRAM sizes from the hardware's `dataflow` block
 *   topo.csv    one convolution of ONE image and ONE group, padding folded into the input size
 * invoke() runs `python3 scalesim/scale.py -c scale.cfg -t topo.csv -p <dir>` in $SCALESIM_DIR through
 * pipeline/lib/exec.ts and returns the summary lines of its stdout and its three reports (COMPUTE,
 * BANDWIDTH, DETAILED_ACCESS); the runner records them as results/raw/scale-sim/<cell id>.txt. parse()
 * reads Total Cycles and multiplies them by batch x groups (SCALE-Sim's convolution has no batch; the
 * images and groups run one after another on the array), then divides by the hardware's clock.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ToolMetadata, type Cell, type DataflowArch, type Hardware } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { Availability, Support, ToolAdapter, ToolContext } from "../../pipeline/lib/tool.ts";
import { launcherFor, runProcess, toolAvailability, ToolRunError } from "../../pipeline/lib/exec.ts";
import { convOutput } from "../timeloop/adapter.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));

export const ENV_DIR = "SCALESIM_DIR";
export const ENV_PYTHON = "SCALESIM_PYTHON";
export const ENV_TIMEOUT = "SCALESIM_TIMEOUT_S";
export const DEFAULT_PYTHON = "/usr/bin/python3";
export const DEFAULT_TIMEOUT_S = 3600;
export const REPORTS = ["COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"] as const;

/**
 * Largest layer (MACs of one image and one group) run here. SCALE-Sim builds a per-cycle operand and
 * demand matrix of the whole layer in Python; on the 2-core machine of this artifact ResNet-50's stem
 * (118 M MACs on 16 x 16) took minutes. Layers above this limit are not run, with the reason; the limit
 * is a run-time budget, set from that timing before any result was compared with anything.
 */
export const MAX_MACS = 250e6;

/** SCALE-Sim's dataflows; row-stationary has none (README: the Eyeriss translation). */
export const DATAFLOW: Record<DataflowArch["dataflow"], "ws" | "os"> = {
  "weight-stationary": "ws",
  "output-stationary": "os",
  // SCALE-Sim has no row-stationary dataflow; its own configs/eyeriss.cfg models Eyeriss's 12 x 14
  // array as weight-stationary, which is used here (stated in the README and the raw outputs).
  "row-stationary": "ws",
};

export const GPU_REASON = "cannot express: SCALE-Sim models systolic arrays; no architecture of an NVIDIA GPU's tensor cores is part of this artifact";
export const CPU_REASON = "cannot express: SCALE-Sim models systolic arrays; a CPU is not one";

export function layerMacs(cell: Cell): number {
  const w = cell.workload;
  if (w.kind !== "conv2d") return 0;
  const { out_h, out_w } = convOutput(w);
  return out_h * out_w * (w.k / w.groups) * (w.c / w.groups) * w.r * w.s;
}

export function supports(cell: Cell, suite: Suite): Support {
  const hw = suite.hardware.get(cell.hardware);
  if (!hw) return { ok: false, reason: `unknown hardware ${cell.hardware}` };
  if (!hw.dataflow) {
    if (hw.kind === "gpu") return { ok: false, reason: GPU_REASON };
    if (hw.kind === "cpu") return { ok: false, reason: CPU_REASON };
    return { ok: false, reason: `no dataflow architecture for ${hw.id} in suite/hardware` };
  }
  if (!hw.boost_clock_hz) return { ok: false, reason: `${hw.id} has no clock (boost_clock_hz): cycles cannot be turned into seconds` };
  const w = cell.workload;
  if (w.kind !== "conv2d") return { ok: false, reason: `SCALE-Sim is run here on conv2d layers; workload '${w.kind}' is not translated` };
  if (cell.metric !== "latency") return { ok: false, reason: `SCALE-Sim reports cycles of one layer; metric ${cell.metric} is not derived in this adapter` };
  if (cell.n_devices !== 1) return { ok: false, reason: "SCALE-Sim is run on one array; multi-device cells are not run" };
  if (w.c % w.groups !== 0 || w.k % w.groups !== 0) return { ok: false, reason: `conv2d: c = ${w.c} and k = ${w.k} must be multiples of groups = ${w.groups}` };
  const macs = layerMacs(cell);
  if (macs > MAX_MACS)
    return {
      ok: false,
      reason: `excluded: layer too large for SCALE-Sim's cycle-level Python simulation in this artifact's run-time budget (${(macs / 1e6).toFixed(0)} M MACs per image and group > ${MAX_MACS / 1e6} M)`,
    };
  return { ok: true };
}

// ---------------------------------------------------------------- translation

/** The on-chip buffer SCALE-Sim's three SRAMs stand for: the last sram level before DRAM. */
export function globalBuffer(d: DataflowArch): DataflowArch["levels"][number] {
  const srams = d.levels.filter((l) => l.class === "sram" && l.instances === 1);
  const g = srams.at(-1);
  if (!g || g.entries === undefined) throw new Error("no shared on-chip SRAM level (instances 1) in the dataflow block");
  return g;
}

export interface ScaleConfig {
  rows: number;
  cols: number;
  dataflow: "ws" | "os";
  /** Each of the three SRAMs, in SCALE-Sim's "kB" (1024 words; SCALE-Sim's word is 1 byte). */
  sram_kwords: number;
  /** DRAM words per cycle (written for the record; CALC mode estimates the bandwidth it needs). */
  dram_words_per_cycle: number;
}

export function configOf(hw: Hardware): ScaleConfig {
  const d = hw.dataflow;
  if (!d) throw new Error(`no dataflow architecture for ${hw.id}`);
  const cols = d.compute.mesh_x ?? d.compute.instances;
  const rows = d.compute.instances / cols;
  if (!Number.isInteger(rows)) throw new Error(`${hw.id}: ${d.compute.instances} MACs do not form rows of ${cols}`);
  const g = globalBuffer(d);
  const dram = d.levels.at(-1)!;
  const bw = dram.shared_bandwidth_words_per_cycle ?? dram.read_bandwidth_words_per_cycle ?? 1;
  return { rows, cols, dataflow: DATAFLOW[d.dataflow], sram_kwords: Math.floor(g.entries! / 3 / 1024), dram_words_per_cycle: Math.max(1, Math.round(bw)) };
}

export function configText(cell: Cell, c: ScaleConfig): string {
  return [
    "[general]",
    `run_name = ${cell.id}`,
    "",
    "[architecture_presets]",
    `ArrayHeight:    ${c.rows}`,
    `ArrayWidth:     ${c.cols}`,
    `IfmapSramSzkB:   ${c.sram_kwords}`,
    `FilterSramSzkB:  ${c.sram_kwords}`,
    `OfmapSramSzkB:   ${c.sram_kwords}`,
    "IfmapOffset:    0",
    "FilterOffset:   10000000",
    "OfmapOffset:    20000000",
    `Bandwidth : ${c.dram_words_per_cycle}`,
    `Dataflow : ${c.dataflow}`,
    "MemoryBanks:   1",
    "ReadRequestBuffer: 32",
    "WriteRequestBuffer: 32",
    "",
    "[layout]",
    "IfmapCustomLayout: False",
    "IfmapSRAMBankBandwidth: 10",
    "IfmapSRAMBankNum: 10",
    "IfmapSRAMBankPort: 2",
    "FilterCustomLayout: False",
    "FilterSRAMBankBandwidth: 10",
    "FilterSRAMBankNum: 10",
    "FilterSRAMBankPort: 2",
    "",
    "[sparsity]",
    "SparsitySupport : false",
    "SparseRep : ellpack_block",
    "OptimizedMapping : false",
    "BlockSize : 8",
    "RandomNumberGeneratorSeed : 40",
    "",
    "[run_presets]",
    "InterfaceBandwidth: CALC",
    "UseRamulatorTrace: False",
    "",
  ].join("\n");
}

/** One image, one group: SCALE-Sim's conv row (it has no padding: the padded input size is given). */
export function topologyText(cell: Cell): string {
  const w = cell.workload;
  if (w.kind !== "conv2d") throw new Error("not a conv2d cell");
  const row = [cell.id, w.h + 2 * w.padding, w.w + 2 * w.padding, w.r, w.s, w.c / w.groups, w.k / w.groups, w.stride];
  return "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n" + row.join(", ") + ",\n";
}

export function repeatsOf(cell: Cell): number {
  const w = cell.workload;
  return w.kind === "conv2d" ? w.n * w.groups : 1;
}

// ---------------------------------------------------------------- raw output

export interface ScaleSimStats {
  total_cycles: number;
  stall_cycles: number;
  overall_util_pct: number;
  compute_util_pct: number;
  /** DETAILED_ACCESS_REPORT columns (SRAM and DRAM reads/writes per operand), by their names. */
  accesses: Record<string, number>;
  /** BANDWIDTH_REPORT columns (average DRAM/SRAM bandwidths, words per cycle). */
  bandwidths: Record<string, number>;
}

const SECTION = (name: string) => `#### ${name}`;

function reportRow(raw: string, name: string): Record<string, number> {
  const at = raw.indexOf(SECTION(name));
  if (at < 0) throw new Error(`SCALE-Sim output lacks ${name}`);
  const lines = raw
    .slice(at)
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "" && !l.startsWith("####"));
  const body = lines.slice(0, 2);
  if (body.length < 2) throw new Error(`SCALE-Sim ${name} has no data row`);
  // Column names carry leading spaces and rows a trailing comma.
  const head = body[0]!.split(",").map((s) => s.trim());
  const vals = body[1]!.split(",").map((s) => s.trim());
  const out: Record<string, number> = {};
  head.forEach((h, i) => {
    if (h && vals[i] !== undefined && vals[i] !== "") out[h] = Number(vals[i]);
  });
  return out;
}

export function parseReports(raw: string): ScaleSimStats {
  const c = reportRow(raw, "COMPUTE_REPORT.csv");
  // v3 reports the cycles with and without the initial prefetch; its stdout's "Total cycles" is the
  // former, which is taken (the layer's run includes filling the buffers).
  const total = c["Total Cycles (incl. prefetch)"] ?? c["Total Cycles"];
  if (!(typeof total === "number" && total > 0)) throw new Error(`SCALE-Sim COMPUTE_REPORT: Total Cycles is ${total}`);
  return {
    total_cycles: total,
    stall_cycles: c["Stall Cycles"] ?? NaN,
    overall_util_pct: c["Overall Util %"] ?? NaN,
    compute_util_pct: c["Compute Util %"] ?? NaN,
    accesses: reportRow(raw, "DETAILED_ACCESS_REPORT.csv"),
    bandwidths: reportRow(raw, "BANDWIDTH_REPORT.csv"),
  };
}

export function latencyS(raw: string, cell: Cell, hw: Hardware): number {
  if (!hw.boost_clock_hz) throw new Error(`${hw.id} has no clock`);
  return (parseReports(raw).total_cycles * repeatsOf(cell)) / hw.boost_clock_hz.value;
}

// ---------------------------------------------------------------- running

export function availability(env: NodeJS.ProcessEnv = process.env): Availability {
  if (launcherFor(metadata, env) === "docker") return toolAvailability(metadata, ENV_PYTHON, env);
  const dir = env[ENV_DIR];
  if (!dir) return { available: false, reason: `${ENV_DIR} is not set` };
  if (!existsSync(join(dir, "scalesim", "scale.py"))) return { available: false, configured: true, reason: `${ENV_DIR}=${dir} has no scalesim/scale.py` };
  const py = env[ENV_PYTHON] || DEFAULT_PYTHON;
  if (!existsSync(py) || !statSync(py).isFile()) return { available: false, configured: true, reason: `${ENV_PYTHON}=${py} is not a file` };
  return { available: true };
}

export function timeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[ENV_TIMEOUT]);
  return env[ENV_TIMEOUT] && Number.isFinite(v) && v > 0 ? v : DEFAULT_TIMEOUT_S;
}

export interface Prepared {
  dir: string;
  outDir: string;
  inputs: string[];
  header: string[];
}

export function prepareCell(cell: Cell, hw: Hardware, workDir: string): Prepared {
  const dir = resolve(workDir, cell.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cfg = configOf(hw);
  const inputs = [join(dir, "scale.cfg"), join(dir, "topo.csv")];
  writeFileSync(inputs[0]!, configText(cell, cfg));
  writeFileSync(inputs[1]!, topologyText(cell));
  const header = [
    `# scale-sim: ${metadata.commit} output for suite cell ${cell.id}`,
    `# config: ${JSON.stringify(cfg)} (InterfaceBandwidth CALC)`,
    `# topology: ${topologyText(cell).split("\n")[1]}`,
    `# repeats: ${repeatsOf(cell)} (batch x groups; the report is one image of one group)`,
  ];
  return { dir, outDir: join(dir, "out"), inputs, header };
}

function findReport(outDir: string, name: string): string {
  const subs = existsSync(outDir) ? readdirSync(outDir).sort() : [];
  for (const s of subs) {
    const f = join(outDir, s, name);
    if (existsSync(f)) return f;
  }
  throw new ToolRunError(`SCALE-Sim wrote no ${name} under ${outDir}`);
}

export async function runScaleSim(prepared: Prepared, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = env[ENV_DIR];
  const docker = launcherFor(metadata, env) === "docker";
  rmSync(prepared.outDir, { recursive: true, force: true });
  mkdirSync(prepared.outDir, { recursive: true });
  const r = await runProcess(
    metadata,
    {
      program: "python",
      localBin: env[ENV_PYTHON] || DEFAULT_PYTHON,
      args: [docker ? "scalesim/scale.py" : join(dir ?? "", "scalesim", "scale.py"), "-c", prepared.inputs[0]!, "-t", prepared.inputs[1]!, "-p", prepared.outDir],
      cwd: docker ? prepared.dir : dir!,
      readOnly: prepared.inputs,
      writable: [prepared.outDir],
      env: docker ? undefined : { PYTHONPATH: dir! },
      timeout_s: timeoutSeconds(env),
    },
    env,
  );
  // The summary lines SCALE-Sim prints at the end of a layer (the progress bar is dropped).
  const summary = r.stdout
    .replace(/\r/g, "\n")
    .split("\n")
    .filter((l) => /^(Total cycles|Compute cycles|Stall cycles|Overall utilization|Mapping efficiency|Average .* BW): /.test(l.trim()))
    .map((l) => `# stdout: ${l.trim()}`);
  const parts = [...prepared.header, ...summary];
  for (const name of REPORTS) {
    const text = readFileSync(findReport(prepared.outDir, name), "utf8");
    parts.push(SECTION(name), text.trimEnd());
  }
  // SCALE-Sim always writes per-cycle SRAM/DRAM traces (hundreds of MB per layer): not kept.
  rmSync(prepared.outDir, { recursive: true, force: true });
  return parts.join("\n") + "\n";
}

export const scaleSimAdapter: ToolAdapter<Prepared> = {
  metadata,
  recordRaw: true,
  async availability() {
    return availability();
  },
  supports: (cell, ctx) => supports(cell, ctx.suite),
  async prepare(cell: Cell, ctx: ToolContext) {
    const hw = ctx.suite.hardware.get(cell.hardware);
    if (!hw) throw new Error(`unknown hardware ${cell.hardware}`);
    return prepareCell(cell, hw, ctx.workDir);
  },
  inputFiles: (p) => p.inputs,
  invoke: (prepared) => runScaleSim(prepared),
  parse(raw, cell, ctx) {
    const hw = ctx.suite.hardware.get(cell.hardware);
    if (!hw) throw new Error(`unknown hardware ${cell.hardware}`);
    return { value: latencyS(raw, cell, hw), unit: "s" };
  },
};
