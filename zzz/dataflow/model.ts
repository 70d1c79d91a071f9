/**
 * The analytic model of one mapping: validity (factors, fan-out, capacity), accesses per level
 * (nest.ts), cycles (compute-bound, or bound by a level's read/write/shared bandwidth, as Timeloop's
 * BufferLevel::ComputePerformance), utilization and energy (accesses x energy per access, when the
 * architecture gives them).
 */
import { DATA_SPACES, DIMS, type Arch, type Dim, type Evaluation, type LevelStats, type LoopNestWorkload, type Mapping } from "./types.ts";
import { analyzeNest } from "./nest.ts";
import { macsOf } from "./workload.ts";

/** Instances of the level below `level` (the MACs below level 0) that its spatial loops fan out to, along X and Y. */
export function fanoutOf(arch: Arch, level: number): { x: number; y: number; total: number } {
  const here = arch.levels[level]!;
  const below = level === 0 ? { instances: arch.compute.instances, mesh_x: arch.compute.mesh_x } : arch.levels[level - 1]!;
  const total = Math.floor(below.instances / here.instances);
  const x = Math.max(1, Math.floor(below.mesh_x / here.mesh_x));
  return { x, y: Math.max(1, Math.floor(total / x)), total };
}

/**
 * Every problem of a mapping, root cause first: wrong number of levels, factors that do not
 * multiply to the loop bounds (naming the dimension), spatial factors beyond a level's fan-out
 * (naming the level and the axis). Capacity is checked by `capacityProblems` (it needs the tiles).
 */
export function mappingProblems(w: LoopNestWorkload, arch: Arch, mapping: Mapping): string[] {
  const out: string[] = [];
  if (mapping.length !== arch.levels.length) {
    out.push(`mapping has ${mapping.length} levels; architecture ${arch.name} has ${arch.levels.length} (${arch.levels.map((l) => l.name).join(", ")})`);
    return out;
  }
  const product = Object.fromEntries(DIMS.map((d) => [d, 1])) as Record<Dim, number>;
  mapping.forEach((lm, lv) => {
    const name = arch.levels[lv]!.name;
    for (const l of [...lm.temporal, ...lm.spatial]) {
      if (!Number.isInteger(l.bound) || l.bound < 1) out.push(`level ${name}: loop ${l.dim} has bound ${l.bound}; expected a positive integer`);
      else product[l.dim] *= l.bound;
    }
    const lvl = arch.levels[lv]!;
    if (lm.keep) {
      for (const ds of lm.keep) if (!lvl.keeps.includes(ds)) out.push(`level ${name}: keeps ${ds}, which this level always bypasses`);
      for (const ds of lvl.keeps) if (!lm.keep.includes(ds) && !lvl.may_bypass.includes(ds)) out.push(`level ${name}: bypasses ${ds}, which this level must hold`);
    }
    const f = fanoutOf(arch, lv);
    const xs = lm.spatial.filter((s) => s.axis === "X").reduce((p, s) => p * s.bound, 1);
    const ys = lm.spatial.filter((s) => s.axis === "Y").reduce((p, s) => p * s.bound, 1);
    if (lm.spatial.length > 0 && f.total <= 1) out.push(`level ${name}: has spatial loops (${lm.spatial.map((s) => s.dim).join(", ")}) but no fan-out to the level below`);
    else {
      if (xs > f.x) out.push(`level ${name}: spatial X factors (${lm.spatial.filter((s) => s.axis === "X").map((s) => `${s.dim}${s.bound}`).join(" ")}) = ${xs} exceed its X fan-out ${f.x}`);
      if (ys > f.y) out.push(`level ${name}: spatial Y factors (${lm.spatial.filter((s) => s.axis === "Y").map((s) => `${s.dim}${s.bound}`).join(" ")}) = ${ys} exceed its Y fan-out ${f.y}`);
    }
  });
  for (const d of DIMS)
    if (product[d] !== w.bounds[d]) out.push(`dimension ${d}: factors over all levels multiply to ${product[d]}, but the workload's bound is ${w.bounds[d]}`);
  return out;
}

export class MappingError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid mapping: ${problems.join("; ")}`);
  }
}

/** Evaluate a mapping. Throws MappingError naming the level and dimension when it is invalid. */
export function evaluateMapping(w: LoopNestWorkload, arch: Arch, mapping: Mapping): Evaluation {
  const problems = mappingProblems(w, arch, mapping);
  if (problems.length > 0) throw new MappingError(problems);
  const a = analyzeNest(w, arch, mapping);
  const cap = capacityProblemsOf(arch, a.levels);
  if (cap.length > 0) throw new MappingError(cap);
  return finish(w, arch, a);
}

function capacityProblemsOf(arch: Arch, levels: ReturnType<typeof analyzeNest>["levels"]): string[] {
  const out: string[] = [];
  arch.levels.forEach((l, lv) => {
    if (l.entries === undefined) return;
    const used = DATA_SPACES.reduce((s, ds) => s + (levels[lv]![ds]?.utilized_capacity ?? 0), 0);
    if (used > l.entries) {
      const parts = DATA_SPACES.filter((ds) => levels[lv]![ds]).map((ds) => `${ds} ${levels[lv]![ds]!.utilized_capacity}`);
      out.push(`level ${l.name}: tiles need ${used} words (${parts.join(", ")}) but it holds ${l.entries}`);
    }
  });
  return out;
}

function finish(w: LoopNestWorkload, arch: Arch, a: ReturnType<typeof analyzeNest>): Evaluation {
  const compute = a.compute_cycles;
  let cycles = compute;
  let boundBy = "compute";
  let energyKnown = arch.compute.energy_per_mac_pj !== undefined;
  const macs = macsOf(w);
  let energy = (arch.compute.energy_per_mac_pj ?? 0) * macs;
  const levels: LevelStats[] = arch.levels.map((l, lv) => {
    const data = a.levels[lv]!;
    let reads = 0;
    let writes = 0;
    let accessesAll = 0;
    for (const ds of DATA_SPACES) {
      const d = data[ds];
      if (!d) continue;
      reads += d.reads;
      writes += d.fills + d.updates;
      accessesAll += (d.reads + d.fills + d.updates) * d.utilized_instances;
    }
    const rbw = reads / compute;
    const wbw = writes / compute;
    let slowdown = 1;
    if (l.read_bandwidth_words_per_cycle !== undefined && l.read_bandwidth_words_per_cycle < rbw) slowdown = Math.min(slowdown, l.read_bandwidth_words_per_cycle / rbw);
    if (l.write_bandwidth_words_per_cycle !== undefined && l.write_bandwidth_words_per_cycle < wbw) slowdown = Math.min(slowdown, l.write_bandwidth_words_per_cycle / wbw);
    if (l.shared_bandwidth_words_per_cycle !== undefined && l.shared_bandwidth_words_per_cycle < rbw + wbw)
      slowdown = Math.min(slowdown, l.shared_bandwidth_words_per_cycle / (rbw + wbw));
    const c = Math.ceil(compute / slowdown);
    if (c > cycles) {
      cycles = c;
      boundBy = l.name;
    }
    let e: number | undefined;
    if (l.energy_per_access_pj !== undefined) e = accessesAll * l.energy_per_access_pj;
    else if (accessesAll > 0) energyKnown = false;
    if (e !== undefined) energy += e;
    return { name: l.name, data, cycles: c, throttling: slowdown, energy_pj: e };
  });
  return {
    macs,
    utilized_macs: a.utilized_macs,
    compute_cycles: compute,
    cycles,
    utilization: macs / (cycles * arch.compute.instances),
    bound_by: boundBy,
    levels,
    energy_pj: energyKnown ? energy : undefined,
  };
}
