/**
 * ASTRA-sim 2.x (analytical, congestion-unaware network backend) as a tool under test.
 *
 * Cells: single-node collectives (all-reduce, all-gather, reduce-scatter; send-recv as one
 * send/recv pair) on hardware for which this adapter has a network config (see networkConfig), and
 * training steps with a plan in training-plan.ts (trace: training-et.ts; compute times from ZZZ v1).
 * For each cell, prepare() writes into <workDir>/<cell id>/:
 *   network.yml          analytical network: [Switch], [n], [bandwidth GB/s], [latency ns]
 *   system.json          ASTRA-sim system config (HGX-H100-validated.json, see SYSTEM_H100)
 *   remote_memory.json   {"memory-type": "NO_MEMORY_EXPANSION"}
 *   et/<op>.<rank>.et    one Chakra ET per NPU (chakra-et.ts), one node each
 *   out/                 the binary's working directory (it writes log/log.log there)
 * invoke() runs AstraSim_Analytical_Congestion_Unaware through pipeline/lib/exec.ts (local:
 * $ASTRASIM_BIN; Docker: DOCKER_TOOLS=astra-sim, image from metadata.yaml or
 * ASTRA_SIM_DOCKER_IMAGE, inputs mounted read-only, out/ read-write, no network, time limit) and
 * returns its stdout, which the runner records as results/raw/astra-sim/<cell id>.txt.
 * parse() reads every `sys[<id>] finished, <T> cycles, exposed communication <C> cycles` line:
 * prediction = max over ranks of T, with 1 cycle = 1 ns in the analytical backend (see CYCLE_S).
 */
import { mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, Document, type YAMLMap, type YAMLSeq, type Scalar } from "yaml";
import { ToolMetadata, type Cell, type Hardware } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { ToolAdapter, Support, ToolContext } from "../../pipeline/lib/tool.ts";
import { runProcess, toolAvailability } from "../../pipeline/lib/exec.ts";
import { collectiveEt, sendRecvEt, CollectiveCommType } from "./chakra-et.ts";
import { rankEt, stepDims } from "./training-et.ts";
import { buildStep, TRAINING_PLANS, type LinkConfig } from "./training-plan.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));

export const ENV_BIN = "ASTRASIM_BIN";
/** Logical program name (metadata.runner.docker.programs maps it to its path in the image). */
export const PROGRAM = "AstraSim_Analytical_Congestion_Unaware";
/**
 * Time limit of one run, s: ASTRASIM_TIMEOUT_S, else the runner's limit for the cell (10x its
 * recorded wall time, at least 60 s), else 1200. A collective takes well under a second; the
 * 512-NPU GPT-3 training step takes about 3 minutes on the 2-core machine used here.
 */
export function timeoutS(env: NodeJS.ProcessEnv = process.env, derived?: number): number {
  const v = Number(env.ASTRASIM_TIMEOUT_S);
  return Number.isFinite(v) && v > 0 ? v : derived ?? 1200;
}
export const NO_TRACE_REASON = "no input generated: ASTRA-sim needs a Chakra trace of this workload; not generated in this artifact yet";
export const TIME_TO_TRAIN_REASON =
  "cannot express: time to train also depends on the number of steps to the quality target, evaluation and start-up; ASTRA-sim simulates one step (see the mlperf-tr40-step.* cells of suite/cells/published-mlperf-tr40-step.yaml)";
export const NO_PLAN_REASON =
  "no input generated: no training-step plan for this cell in tools-under-test/astra-sim/training-plan.ts (ASTRA-sim needs the step's Chakra trace: parallel layout, micro-batches, per-layer compute times)";

/**
 * ASTRA-sim's validated HGX-H100 configs, copied verbatim from astra-sim@4f387bcd:
 * examples/network/analytical/HGX-H100-validated.yml and
 * examples/system/native_collectives/HGX-H100-validated.json.
 */
export const H100_VALIDATED = { bandwidth_gb_per_s: 400.0, latency_ns: 936.25 } as const;
export const SYSTEM_H100 = {
  "scheduling-policy": "LIFO",
  "endpoint-delay": 10,
  "active-chunks-per-dimension": 2,
  "preferred-dataset-splits": 4,
  "all-reduce-implementation": ["ring"],
  "all-gather-implementation": ["ring"],
  "reduce-scatter-implementation": ["ring"],
  "all-to-all-implementation": ["ring"],
  "collective-optimization": "localBWAware",
  "local-mem-bw": 3350,
  "boost-mode": 0,
} as const;

/**
 * The analytical backend reads its "GB/s" with 2^30 bytes (bw_GBps_to_Bpns in
 * extern/network_backend/analytical/common/NetworkFunction.cpp: bw * (1 << 30) / 1e9 B/ns), so a
 * bandwidth in bytes/s from the suite is divided by 2^30 to mean the same number of bytes per second.
 */
export const ASTRA_GB = 2 ** 30;

export interface NetworkConfig {
  topology: "Switch";
  /** Per-NPU link bandwidth in one direction, in ASTRA-sim's "GB/s" (2^30 bytes per second, see ASTRA_GB). */
  bandwidth_gb_per_s: number;
  latency_ns: number;
  /** The system config's local-mem-bw, GB/s. */
  local_mem_bw_gb_per_s: number;
  basis: string;
}

/**
 * The network config per hardware id. H100: ASTRA-sim's validated HGX-H100 config. A100: the
 * analogous single-switch config built from suite/hardware/a100-sxm4-80gb.yaml (NVLink 3 per-direction
 * bandwidth 300e9 B/s = 279.4 ASTRA-sim "GB/s"; HBM bandwidth in GB/s as local-mem-bw, like the H100
 * config's 3350); the link latency is the H100 value, an assumption.
 */
export function networkConfig(hw: Hardware): NetworkConfig | undefined {
  if (hw.id === "h100-sxm5-80gb")
    return {
      topology: "Switch",
      ...H100_VALIDATED,
      local_mem_bw_gb_per_s: SYSTEM_H100["local-mem-bw"],
      basis: "ASTRA-sim HGX-H100-validated.yml/.json (astra-sim@4f387bcd)",
    };
  if (hw.id === "a100-sxm4-80gb") {
    const link = hw.node.intra_node;
    if (!link) return undefined;
    return {
      topology: "Switch",
      bandwidth_gb_per_s: link.bandwidth_bytes_per_s.value / ASTRA_GB,
      latency_ns: H100_VALIDATED.latency_ns,
      local_mem_bw_gb_per_s: hw.mem_bandwidth_bytes_per_s.value / 1e9,
      basis: "suite/hardware/a100-sxm4-80gb.yaml bandwidths; latency assumed = HGX-H100-validated value",
    };
  }
  return undefined;
}

const COLLECTIVES = {
  "all-reduce": { name: "all_reduce", type: CollectiveCommType.ALL_REDUCE },
  "all-gather": { name: "all_gather", type: CollectiveCommType.ALL_GATHER },
  "reduce-scatter": { name: "reduce_scatter", type: CollectiveCommType.REDUCE_SCATTER },
} as const;

/**
 * The Chakra node's comm_size for a cell's collective. The suite's `bytes` is the full buffer
 * (zzz/system/collective.ts): the reduced vector for all-reduce and reduce-scatter, the gathered result
 * for all-gather. ASTRA-sim's ring (astra-sim/system/astraccl/native_collectives/
 * collective_algorithm/Ring.cc, constructor, astra-sim@4f387bcd) takes comm_size as
 *   All_Reduce:     final_data_size = data_size,       msg_size = data_size / n
 *   Reduce_Scatter: final_data_size = data_size / n,   msg_size = data_size / n
 *   All_Gather:     final_data_size = data_size * n,   msg_size = data_size
 * i.e. the input per NPU in each case; for all-gather that is bytes / n.
 */
export function commSizeBytes(op: "all-reduce" | "all-gather" | "reduce-scatter" | "send-recv", bytes: number, n: number): number {
  if (op !== "all-gather") return bytes;
  if (bytes % n !== 0) throw new Error(`all-gather of ${bytes} bytes over ${n} NPUs: bytes must be a multiple of the NPU count`);
  return bytes / n;
}

export function supports(cell: Cell, suite: Suite): Support {
  const w = cell.workload;
  if (w.kind === "training") return supportsTraining(cell, suite);
  if (w.kind !== "collective") return { ok: false, reason: NO_TRACE_REASON };
  if (cell.metric !== "latency") return { ok: false, reason: `ASTRA-sim reports the time of the collective; metric ${cell.metric} is not derived in this adapter` };
  const hw = suite.hardware.get(cell.hardware);
  if (!hw) return { ok: false, reason: `unknown hardware ${cell.hardware}` };
  if (!networkConfig(hw)) return { ok: false, reason: `no ASTRA-sim network config for ${hw.id} in this artifact (only h100-sxm5-80gb and a100-sxm4-80gb)` };
  if (w.n_devices < 2) return { ok: false, reason: "a collective on one device involves no network" };
  if (w.n_devices > hw.node.devices_per_node)
    return { ok: false, reason: "multi-node collectives need a multi-dimensional network config (not built in this artifact)" };
  if (w.op === "send-recv" && w.n_devices !== 2) return { ok: false, reason: "send-recv is modelled as one pair of NPUs only" };
  return { ok: true };
}

/** Training steps: the cells with a plan in training-plan.ts (compute times from ZZZ, communication simulated). */
export function supportsTraining(cell: Cell, suite: Suite): Support {
  const w = cell.workload;
  if (w.kind !== "training") return { ok: false, reason: NO_TRACE_REASON };
  if (w.scope === "time-to-train") return { ok: false, reason: TIME_TO_TRAIN_REASON };
  if (!TRAINING_PLANS[cell.id]) return { ok: false, reason: NO_PLAN_REASON };
  if (cell.metric !== "latency") return { ok: false, reason: `ASTRA-sim reports the step time; metric ${cell.metric} is not derived in this adapter` };
  if (!suite.models.get(w.model)) return { ok: false, reason: `unknown model ${w.model}` };
  if (cell.hardware !== "h100-sxm5-80gb") return { ok: false, reason: `no ASTRA-sim training network config for ${cell.hardware} (only h100-sxm5-80gb)` };
  return { ok: true };
}

export interface Prepared {
  /** The cell's directory (inputs). */
  dir: string;
  /** The binary's working directory, dir/out: it writes log/log.log there. */
  runDir: string;
  /** NPU count: one 'finished' line per NPU is expected. */
  npus: number;
  workload: string;
  args: string[];
  /** Inputs the binary reads (mounted read-only by the Docker launcher). */
  inputs: string[];
  /** The text input files (for the runner's lines-of-input count; the ETs are binary protobuf). */
  textInputs: string[];
}

/** The analytical backend's network YAML (same keys and layout as HGX-H100-validated.yml). */
export function networkYaml(net: NetworkConfig, npus: number): string {
  const doc = new Document({ topology: [net.topology], npus_count: [npus], bandwidth: [net.bandwidth_gb_per_s], latency: [net.latency_ns] });
  // Block mapping of one-element flow sequences (one per network dimension), as upstream writes it.
  for (const pair of (doc.contents as YAMLMap<Scalar, YAMLSeq>).items) pair.value!.flow = true;
  return doc.toString();
}

export function systemJson(net: NetworkConfig, dims = 1): string {
  const impl = (x: readonly string[]) => Array.from({ length: dims }, () => x[0]!);
  return (
    JSON.stringify(
      {
        ...SYSTEM_H100,
        // one collective implementation per network dimension (Sys.cc reads a list, one per dimension)
        "all-reduce-implementation": impl(SYSTEM_H100["all-reduce-implementation"]),
        "all-gather-implementation": impl(SYSTEM_H100["all-gather-implementation"]),
        "reduce-scatter-implementation": impl(SYSTEM_H100["reduce-scatter-implementation"]),
        "all-to-all-implementation": impl(SYSTEM_H100["all-to-all-implementation"]),
        "local-mem-bw": net.local_mem_bw_gb_per_s,
      },
      null,
      2,
    ) + "\n"
  );
}

/** A multi-dimensional analytical network: one Switch per dimension (same layout as networkYaml). */
export function multiDimNetworkYaml(dims: { size: number; link: LinkConfig }[]): string {
  const doc = new Document({
    topology: dims.map(() => "Switch"),
    npus_count: dims.map((d) => d.size),
    bandwidth: dims.map((d) => d.link.bandwidth_bytes_per_s / ASTRA_GB),
    latency: dims.map((d) => d.link.latency_ns),
  });
  for (const pair of (doc.contents as YAMLMap<Scalar, YAMLSeq>).items) pair.value!.flow = true;
  return doc.toString();
}

/**
 * Inputs of a training-step cell: the network has one dimension per parallel axis of size > 1
 * (tp, dp, pp; training-et.ts), each a Switch with the axis's link (training-plan.ts); system.json is
 * the HGX-H100-validated one with one ring per dimension; one ET per NPU, `step.<rank>.et`.
 */
export function writeTrainingInputs(cell: Cell, suite: Suite, cellDir: string): Prepared {
  const w = cell.workload;
  if (w.kind !== "training") throw new Error(NO_TRACE_REASON);
  const model = suite.models.get(w.model);
  const hw = suite.hardware.get(cell.hardware);
  if (!model || !hw) throw new Error(`unknown model or hardware for ${cell.id}`);
  const built = buildStep(cell, model, hw);
  const dims = stepDims(built.spec).map((d) => ({ size: d.size, link: built.links[d.axis]! }));
  const dir = resolve(cellDir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "et"), { recursive: true });
  mkdirSync(join(dir, "out"), { recursive: true });
  writeFileSync(join(dir, "network.yml"), multiDimNetworkYaml(dims));
  writeFileSync(join(dir, "system.json"), systemJson({ ...networkConfig(hw)! }, dims.length));
  writeFileSync(join(dir, "remote_memory.json"), JSON.stringify({ "memory-type": "NO_MEMORY_EXPANSION" }, null, 2) + "\n");
  const cache = new Map<string, Buffer>();
  for (let rank = 0; rank < cell.n_devices; rank++) writeFileSync(join(dir, "et", `step.${rank}.et`), rankEt(built.spec, rank, cache));
  return preparedRun(dir, cell.n_devices, join(dir, "et", "step"));
}

/** Write the inputs of one cell under dir; returns the command-line arguments for the binary. */
export function writeInputs(cell: Cell, suite: Suite, cellDir: string): Prepared {
  const w = cell.workload;
  if (w.kind === "training") return writeTrainingInputs(cell, suite, cellDir);
  // Absolute paths: the binary runs with cwd = dir.
  const dir = resolve(cellDir);
  if (w.kind !== "collective") throw new Error(NO_TRACE_REASON);
  const net = networkConfig(suite.hardware.get(cell.hardware)!);
  if (!net) throw new Error(`no network config for ${cell.hardware}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "et"), { recursive: true });
  mkdirSync(join(dir, "out"), { recursive: true });
  writeFileSync(join(dir, "network.yml"), networkYaml(net, w.n_devices));
  writeFileSync(join(dir, "system.json"), systemJson(net));
  writeFileSync(join(dir, "remote_memory.json"), JSON.stringify({ "memory-type": "NO_MEMORY_EXPANSION" }, null, 2) + "\n");
  const stem = w.op === "send-recv" ? "send_recv" : COLLECTIVES[w.op].name;
  const nodeName = `${stem}_${w.n_devices}npus_${w.bytes}B`;
  for (let rank = 0; rank < w.n_devices; rank++) {
    const et =
      w.op === "send-recv"
        ? sendRecvEt(rank, 0, 1, w.bytes, nodeName)
        : collectiveEt(rank, COLLECTIVES[w.op].type, commSizeBytes(w.op, w.bytes, w.n_devices), nodeName);
    writeFileSync(join(dir, "et", `${stem}.${rank}.et`), et);
  }
  return preparedRun(dir, w.n_devices, join(dir, "et", stem));
}

/** The run of one cell whose inputs are written under dir: the three configuration files and the ETs (workload prefix). */
function preparedRun(dir: string, npus: number, workload: string): Prepared {
  const textInputs = ["network.yml", "system.json", "remote_memory.json"].map((f) => join(dir, f));
  return {
    dir,
    runDir: join(dir, "out"),
    npus,
    workload,
    inputs: [...textInputs, join(dir, "et")],
    textInputs,
    args: [
      `--workload-configuration=${workload}`,
      `--system-configuration=${join(dir, "system.json")}`,
      `--network-configuration=${join(dir, "network.yml")}`,
      `--remote-memory-configuration=${join(dir, "remote_memory.json")}`,
    ],
  };
}

/**
 * 1 cycle = 1 ns in the analytical backend (astra-sim@4f387bcd):
 *  - the line is written by Workload::report() (astra-sim/workload/Workload.cc:418-422) with
 *    curr_tick = Sys::boostedTick() and exposed communication = curr_tick - tics_gpu_ops;
 *  - Sys::boostedTick() (astra-sim/system/Sys.cc:541-553) returns comm_NI->sim_get_time().time_val
 *    / CLOCK_PERIOD (Sys.cc:552), and CLOCK_PERIOD = 1 ("// 1ns", astra-sim/system/Common.hh:16);
 *  - the analytical frontend's sim_get_time() (astra-sim/network_frontend/analytical/common/
 *    CommonNetworkApi.cc:71-77) returns {NS, event_queue->get_current_time()}, and the analytical
 *    backend's event times are in ns (astra-network-analytical@599a0473,
 *    include/astra-network-analytical/common/Type.h:30-31 "Event time in ns", :27-28 "Latency in
 *    ns"; bandwidths become B/ns in bw_GBps_to_Bpns, common/NetworkFunction.cpp:11-16).
 */
export const CYCLE_S = 1e-9;

const FINISHED = /sys\[(\d+)\] finished, (\d+) cycles(?:, exposed communication (\d+) cycles)?/g;

export interface RankResult {
  rank: number;
  /** Tick (= ns) at which the rank finished its workload. */
  finish_cycles: number;
  /**
   * Exposed communication: finish tick minus the ticks spent in compute nodes
   * (Workload::report: curr_tick - hw_resource->tics_gpu_ops). Equal to finish_cycles for a
   * workload without compute nodes (the collective cells).
   */
  exposed_comm_cycles?: number;
}

export interface RunResult {
  ranks: RankResult[];
  /** Max over ranks of the finish tick: the iteration (or collective) time, in ns. */
  finish_ns: number;
  /** Exposed communication of the rank that finished last (max over ranks on a tie), ns. */
  exposed_comm_ns?: number;
}

/** Every rank's line, requiring one per rank 0..n-1; the run's time is the max over ranks. */
export function parseRun(raw: string, nRanks: number): RunResult {
  const byRank = new Map<number, RankResult>();
  for (const m of raw.matchAll(FINISHED)) {
    const r: RankResult = { rank: Number(m[1]), finish_cycles: Number(m[2]) };
    if (m[3] !== undefined) r.exposed_comm_cycles = Number(m[3]);
    byRank.set(r.rank, r);
  }
  const missing = [...Array(nRanks).keys()].filter((r) => !byRank.has(r));
  if (missing.length > 0)
    throw new Error(`ASTRA-sim output lacks 'sys[i] finished, T cycles' for rank(s) ${missing.length > 8 ? `${missing.slice(0, 8).join(", ")}, ...` : missing.join(", ")} of ${nRanks}`);
  const extra = [...byRank.keys()].filter((r) => r >= nRanks);
  if (extra.length > 0) throw new Error(`ASTRA-sim output has 'finished' lines for rank(s) ${extra.join(", ")}, beyond the ${nRanks} NPUs of the cell`);
  const ranks = [...byRank.values()].sort((a, b) => a.rank - b.rank);
  const finish_ns = Math.max(...ranks.map((r) => r.finish_cycles));
  const last = ranks.filter((r) => r.finish_cycles === finish_ns);
  const exposed = last.map((r) => r.exposed_comm_cycles).filter((x): x is number => x !== undefined);
  return { ranks, finish_ns, exposed_comm_ns: exposed.length ? Math.max(...exposed) : undefined };
}

/** Max over ranks of the finish tick (ns), requiring one line per rank 0..n-1. */
export function parseFinishNs(raw: string, nRanks: number): number {
  return parseRun(raw, nRanks).finish_ns;
}

export function availability(env: NodeJS.ProcessEnv = process.env) {
  return toolAvailability(metadata, ENV_BIN, env);
}

export const astraSimAdapter: ToolAdapter<Prepared> = {
  metadata,
  recordRaw: true,
  timeLimit: (derived) => timeoutS(process.env, derived),
  async availability() {
    return availability();
  },
  supports: (cell, ctx) => supports(cell, ctx.suite),
  async prepare(cell: Cell, ctx: ToolContext) {
    return writeInputs(cell, ctx.suite, join(ctx.workDir, cell.id));
  },
  inputFiles: (prepared) => prepared.textInputs,
  async invoke(prepared, _cell, ctx) {
    // cwd = out/: the binary writes log/log.log relative to it.
    const r = await runProcess(metadata, {
      program: PROGRAM,
      localBin: process.env[ENV_BIN],
      args: prepared.args,
      cwd: prepared.runDir,
      readOnly: prepared.inputs,
      writable: [prepared.runDir],
      timeout_s: timeoutS(process.env, ctx.timeout_s),
    });
    // Garbage or truncated output fails here, not as a recorded raw file.
    parseRun(r.stdout, prepared.npus);
    return r.stdout.endsWith("\n") ? r.stdout : r.stdout + "\n";
  },
  parse(raw, cell) {
    const w = cell.workload;
    if (w.kind === "training") return { value: parseRun(raw, cell.n_devices).finish_ns * CYCLE_S, unit: "s" };
    if (w.kind !== "collective") throw new Error(NO_TRACE_REASON);
    return { value: parseRun(raw, w.n_devices).finish_ns * CYCLE_S, unit: "s" };
  },
};
