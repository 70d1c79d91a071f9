/**
 * ZZZ on the suite's accelerator cells: suite data -> zzz/dataflow types, and Timeloop's recorded
 * stats (results/raw/timeloop/) -> the mapping Timeloop chose and its per-level counts, for the
 * identical-mapping comparison. The architecture is the hardware file's `dataflow` block, the
 * same one the Timeloop adapter translates (tools-under-test/timeloop/adapter.ts); the layer is the
 * same cnn-layer problem (problemOf there).
 */
import type { Cell, DataflowArch, Hardware } from "../../pipeline/lib/schema.ts";
import { problemOf } from "../timeloop/adapter.ts";
import {
  DATA_SPACES,
  DIMS,
  type Arch,
  type DataSpace,
  type DataSpaceLevelStats,
  type Dim,
  type LoopNestWorkload,
  type Mapping,
  type SpatialLoop,
  type TemporalLoop,
  searchMapping,
} from "../../zzz/dataflow/index.ts";

/** The hardware file's dataflow block as a zzz/dataflow architecture (no energies: see energyOf). */
export function archOf(hw: Hardware): Arch {
  const d: DataflowArch | undefined = hw.dataflow;
  if (!d) throw new Error(`${hw.id} has no dataflow block`);
  const all = [...DATA_SPACES];
  return {
    name: hw.id,
    compute: { instances: d.compute.instances, mesh_x: d.compute.mesh_x ?? d.compute.instances },
    levels: d.levels.map((l) => ({
      name: l.name,
      kind: l.class,
      entries: l.class === "dram" ? undefined : l.entries,
      instances: l.instances,
      mesh_x: l.mesh_x ?? l.instances,
      word_bits: l.word_bits,
      block_size_words: l.block_size_words ?? 1,
      read_bandwidth_words_per_cycle: l.read_bandwidth_words_per_cycle,
      write_bandwidth_words_per_cycle: l.write_bandwidth_words_per_cycle,
      shared_bandwidth_words_per_cycle: l.shared_bandwidth_words_per_cycle,
      // Timeloop's default: a level keeps every data space it does not bypass.
      keeps: all.filter((ds) => !l.bypass.includes(ds)),
      // The backing store holds everything; elsewhere Timeloop's mapper decides what the
      // architecture's constraints leave open.
      may_bypass: l.class === "dram" ? [] : all.filter((ds) => !l.bypass.includes(ds) && !l.keep.includes(ds)),
    })),
    constraints: d.constraints.map((c) => ({
      level: c.target,
      kind: c.type,
      factors: Object.fromEntries([...(c.factors ?? "").matchAll(/([CKRSPQN])(\d+)/g)].map((m) => [m[1]!, Number(m[2])])) as Partial<Record<Dim, number>>,
      permutation: c.permutation === undefined ? undefined : ([...c.permutation.replace(/ /g, "")] as Dim[]),
      split: c.split,
    })),
  };
}

/** The cell's layer as a loop nest: exactly the cnn-layer problem the Timeloop adapter writes. */
export function workloadOf(cell: Cell): LoopNestWorkload {
  const p = problemOf(cell).problem as Record<string, number>;
  const bounds = Object.fromEntries(DIMS.map((d) => [d, p[d]!])) as Record<Dim, number>;
  return {
    name: cell.id,
    bounds,
    w_stride: p.Wstride!,
    h_stride: p.Hstride!,
    w_dilation: p.Wdilation!,
    h_dilation: p.Hdilation!,
    repeats: cell.workload.kind === "conv2d" ? cell.workload.groups : 1,
  };
}

// ---------------------------------------------------------------- Timeloop's recorded stats

/** One level block of a timeloop-mapper.stats.txt: its name, loop nest and per-data-space stats. */
export interface TimeloopLevel {
  name: string;
  temporal: TemporalLoop[];
  spatial: SpatialLoop[];
  cycles?: number;
  data: Partial<Record<DataSpace, DataSpaceLevelStats & { energy_per_access_pj: number }>>;
  /** MAC block: compute energy per MAC */
  compute_energy_pj?: number;
}

function num(block: string, label: string): number | undefined {
  const m = new RegExp(`^\\s*${label.replace(/[()]/g, "\\$&")}\\s*: ([0-9.eE+-]+)`, "m").exec(block);
  return m ? Number(m[1]) : undefined;
}

/** The "Buffer and Arithmetic Levels" section of a stats file, level by level (MACs first). */
export function parseTimeloopLevels(raw: string): TimeloopLevel[] {
  const start = raw.indexOf("Buffer and Arithmetic Levels");
  const end = raw.indexOf("\nNetworks\n");
  if (start < 0 || end < 0) throw new Error("Timeloop stats lack the 'Buffer and Arithmetic Levels' or 'Networks' section");
  const body = raw.slice(start, end);
  const blocks = body.split(/^Level \d+\n-+\n/m).slice(1);
  return blocks.map((b) => {
    const name = /^=== (\S+) ===/m.exec(b)?.[1];
    if (!name) throw new Error("Timeloop stats: a level block without '=== name ==='");
    const level: TimeloopLevel = { name, temporal: [], spatial: [], data: {} };
    const nest = /Loop nest:\n([\s\S]*?)\n\s*\n/.exec(b);
    if (nest) {
      for (const line of nest[1]!.split("\n")) {
        const m = /for (\w) in \[0:(\d+)\)(?: \(Spatial-([XY])\))?/.exec(line);
        if (!m) continue;
        const dim = m[1] as Dim;
        if (!DIMS.includes(dim)) throw new Error(`Timeloop stats: unknown loop dimension ${m[1]} in level ${name}`);
        if (m[3]) level.spatial.push({ dim, bound: Number(m[2]), axis: m[3] as "X" | "Y" });
        else level.temporal.push({ dim, bound: Number(m[2]) });
      }
    }
    level.cycles = num(b, "Cycles");
    level.compute_energy_pj = num(b, "Compute energy");
    for (const ds of DATA_SPACES) {
      const at = b.search(new RegExp(`^    ${ds}:\\n`, "m"));
      if (at < 0) continue;
      const rest = b.slice(at + ds.length + 6);
      const stop = rest.search(/^    \S/m);
      const blk = stop < 0 ? rest : rest.slice(0, stop);
      const get = (l: string) => {
        const v = num(blk, l);
        if (v === undefined) throw new Error(`Timeloop stats: level ${name} ${ds} lacks '${l}'`);
        return v;
      };
      level.data[ds] = {
        utilized_capacity: get("Utilized capacity"),
        utilized_instances: get("Utilized instances (max)"),
        partition_size: get("Partition size"),
        reads: get("Scalar reads (per-instance)"),
        fills: get("Scalar fills (per-instance)"),
        updates: get("Scalar updates (per-instance)"),
        temporal_reductions: get("Temporal reductions (per-instance)"),
        energy_per_access_pj: get("Energy (per-scalar-access)"),
      };
    }
    return level;
  });
}

/** The mapping Timeloop chose, in zzz/dataflow's form (storage levels only, MACs dropped). */
export function timeloopMapping(raw: string, arch: Arch): Mapping {
  const levels = parseTimeloopLevels(raw).slice(1);
  const names = levels.map((l) => l.name);
  const expected = arch.levels.map((l) => l.name);
  if (names.join(",") !== expected.join(","))
    throw new Error(`Timeloop stats levels (${names.join(", ")}) differ from architecture ${arch.name} (${expected.join(", ")})`);
  return levels.map((l) => ({ temporal: l.temporal, spatial: l.spatial, keep: DATA_SPACES.filter((ds) => l.data[ds] !== undefined) }));
}

// ---------------------------------------------------------------- ZZZ's prediction of an accelerator cell

export interface DataflowEstimate {
  value: number;
  unit: string;
  flops: number;
  bytes: number;
  latency_s: number;
  bound: "compute" | "memory";
  detail: string;
}

/** Whether ZZZ's dataflow layer predicts the cell (its hardware has a dataflow block), and why not. */
export function dataflowSupports(cell: Cell, hw: Hardware): { ok: true } | { ok: false; reason: string } {
  if (!hw.dataflow) return { ok: false, reason: `${hw.id} has no dataflow architecture` };
  if (!hw.boost_clock_hz) return { ok: false, reason: `${hw.id} has no clock (boost_clock_hz): cycles cannot be turned into seconds` };
  const w = cell.workload;
  if (w.kind !== "gemm" && w.kind !== "conv2d") return { ok: false, reason: `ZZZ's dataflow layer maps conv2d and GEMM layers; workload '${w.kind}' is not one` };
  if (cell.metric !== "latency") return { ok: false, reason: `ZZZ's dataflow layer predicts the latency of one layer, not ${cell.metric}` };
  if (cell.n_devices !== 1) return { ok: false, reason: "ZZZ's dataflow layer models one accelerator" };
  return { ok: true };
}

const MAPPING_TEXT = (m: Mapping, arch: Arch) =>
  m
    .map((l, lv) => {
      const t = l.temporal.map((x) => `${x.dim}${x.bound}`).join(" ");
      const s = l.spatial.map((x) => `${x.dim}${x.bound}${x.axis}`).join(" ");
      return `${arch.levels[lv]!.name}[${[t, s && `s:${s}`].filter(Boolean).join(" ")}]`;
    })
    .join(" ");

/**
 * The mapping search is deterministic in (cell, hardware) and is the costliest estimate in the
 * suite (~0.1-0.6 s a layer); evaluate's ablation and cross-device passes ask for the same layers
 * again, so results are kept per loaded cell and hardware object (a reloaded suite searches anew).
 */
let memo = new WeakMap<Cell, WeakMap<Hardware, DataflowEstimate>>();

/** Forget the kept searches (make bench times the search itself). */
export function clearDataflowCache(): void {
  memo = new WeakMap();
}

/** ZZZ's own mapper on the cell's layer; latency = cycles x groups / clock. */
export function dataflowEstimate(cell: Cell, hw: Hardware): DataflowEstimate {
  let byHw = memo.get(cell);
  if (!byHw) memo.set(cell, (byHw = new WeakMap()));
  const hit = byHw.get(hw);
  if (hit) return hit;
  const r = Object.freeze(searchDataflow(cell, hw));
  byHw.set(hw, r);
  return r;
}

function searchDataflow(cell: Cell, hw: Hardware): DataflowEstimate {
  const arch = archOf(hw);
  const w = workloadOf(cell);
  const r = searchMapping(w, arch);
  const e = r.evaluation;
  const latency = (e.cycles * w.repeats) / hw.boost_clock_hz!.value;
  const backing = e.levels[e.levels.length - 1]!;
  const words = DATA_SPACES.reduce((s, ds) => {
    const d = backing.data[ds];
    return s + (d ? (d.reads + d.updates) * d.utilized_instances : 0);
  }, 0);
  const wordBytes = arch.levels[arch.levels.length - 1]!.word_bits / 8;
  return {
    value: latency,
    unit: "s",
    flops: 2 * e.macs * w.repeats,
    bytes: words * wordBytes * w.repeats,
    latency_s: latency,
    bound: e.bound_by === backing.name ? "memory" : "compute",
    detail: `cycles ${e.cycles} x ${w.repeats}; utilization ${e.utilization.toFixed(3)}; bound by ${e.bound_by}; ${r.evaluated} mappings evaluated${r.exhaustive ? "" : " (sampled)"}; ${MAPPING_TEXT(r.mapping, arch)}`,
  };
}
