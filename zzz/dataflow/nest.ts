/**
 * Access counts of a mapping, with the semantics of Timeloop's tile-delta analysis (NVlabs/timeloop
 * v3.0.3, src/loop-analysis/nest-analysis.cpp and tiling.cpp) so that ZZZ and Timeloop count the
 * same thing for the same mapping; computed in closed form instead of by walking the iterations.
 *
 * The nest is a list of loops, innermost first; each storage level owns its spatial loops (inner)
 * and its temporal loops (outer). The tile a level holds, per data space, is the box of data the
 * loops at and below its outermost loop touch. What a level receives (its fills = its parent's
 * reads) is the first tile plus, each time a temporal loop above it advances, the part of the new
 * tile its previous tile did not hold. Two rules follow Timeloop:
 *  - partial reuse of an overlapping tile (a sliding window of inputs) counts only between
 *    consecutive iterations of the innermost non-trivial loop above the level; when an outer loop
 *    advances (the inner ones wrap), a tile that moved at all is received whole. This is the
 *    heuristic nest-analysis.cpp states: "discard any residual state if the tile shape changes the
 *    magnitude or direction of its stride", "with the specific exception of an entire tile staying
 *    resident across ancestor iterations";
 *  - of a spatial fan-out, instance 0 is analysed and the others are its translations; instances
 *    whose deltas are the same data are served by one multicast read (exact equality, as
 *    ComputeAccurateMulticastedAccesses).
 * Then per data space (CollapseDataMovementNest): partition sizes, each level's share of its
 * parent's reads, bypassed levels folded into their parent (MaskTiles), and read-modify-write
 * outputs with the first read of each output elided (Timeloop's default, legacy RMW path).
 *
 * Assumed, as in the recorded Timeloop runs: perfect factorization, no skew, no link transfers,
 * dense (uncompressed) tensors, no fan-out between the innermost storage level and the MACs.
 */
import { DATA_SPACES, DIMS, type Arch, type DataSpace, type DataSpaceLevelStats, type LoopNestWorkload, type Mapping } from "./types.ts";
import { projections } from "./workload.ts";

const ND = DIMS.length;

const NDS = DATA_SPACES.length;

export interface NestLoop {
  /** index into DIMS */
  dim: number;
  end: number;
  spatial: "" | "X" | "Y";
  /** storage level that owns the loop */
  level: number;
}

/** The mapping as Timeloop's loop nest: per level spatial loops (inner) then temporal loops (outer). */
export function nestOf(mapping: Mapping): NestLoop[] {
  const out: NestLoop[] = [];
  mapping.forEach((lm, level) => {
    for (const s of [...lm.spatial].reverse()) if (s.bound > 1) out.push({ dim: DIMS.indexOf(s.dim), end: s.bound, spatial: s.axis, level });
    const temporal = [...lm.temporal].reverse().filter((t) => t.bound > 1);
    // Timeloop adds a trivial temporal loop to a level without one, so every level has a boundary.
    if (temporal.length === 0) out.push({ dim: ND - 1, end: 1, spatial: "", level });
    for (const t of temporal) out.push({ dim: DIMS.indexOf(t.dim), end: t.bound, spatial: "", level });
  });
  return out;
}

/** accesses at one multicast factor; scatter = how many distinct deliveries */
interface AccessEntry {
  accesses: number;
  scatter: number;
}
type AccessStats = Map<number, AccessEntry>;

function addAccess(s: AccessStats, multicast: number, accesses: number, scatter: number): void {
  const e = s.get(multicast);
  if (e) {
    e.accesses += accesses;
    e.scatter += scatter;
  } else s.set(multicast, { accesses, scatter });
}

export interface NestAnalysis {
  loops: NestLoop[];
  /** per storage level and data space: Timeloop's per-instance stats (absent when bypassed) */
  levels: Partial<Record<DataSpace, DataSpaceLevelStats>>[];
  /** MAC steps of one MAC unit */
  compute_cycles: number;
  /** MAC units used */
  utilized_macs: number;
}

export function analyzeNest(w: LoopNestWorkload, arch: Arch, mapping: Mapping): NestAnalysis {
  const loops = nestOf(mapping);
  const n = loops.length;
  const nLevels = arch.levels.length;
  const proj = projections(w);
  const coefs = DATA_SPACES.map((ds) => proj[ds]);

  // ---- nest properties (InitNumSpatialElems, InitStorageBoundaries, InitSpatialFanouts, InitPerLevelDimScales)
  const boundary = loops.map((l, i) => i === n - 1 || loops[i + 1]!.level !== l.level);
  const master = loops.map((l, i) => l.spatial !== "" && (i === n - 1 || loops[i + 1]!.spatial === "" || loops[i + 1]!.level !== l.level));
  const numSpatialElems = new Array<number>(n);
  {
    let product = 1;
    for (let i = n - 1; i >= 0; i--) {
      numSpatialElems[i] = product;
      if (loops[i]!.spatial !== "") product *= loops[i]!.end;
    }
  }
  const fanout = loops.map((l, i) => {
    if (!master[i]) return 1;
    let f = 1;
    for (let j = i; j >= 0 && loops[j]!.spatial !== "" && loops[j]!.level === l.level; j--) f *= loops[j]!.end;
    return f;
  });
  const vstride: number[][] = [];
  const moldHigh: number[][] = [];
  {
    const scale = new Array<number>(ND).fill(1);
    for (let i = 0; i < n; i++) {
      vstride.push([...scale]);
      scale[loops[i]!.dim]! *= loops[i]!.end;
      moldHigh.push(scale.map((s) => s - 1));
    }
  }

  // ---- tiles and their deltas
  // The working set at loop i is the box of loop indices [0, moldHigh[i]] placed by the loops
  // above; it projects to one box per data space. Along the iterations of the temporal loops
  // above a boundary loop b, consecutive working sets differ by a translation that depends only on
  // the loop that advances (the "carry" loop c: one step of c, the loops between b and c back to
  // 0), so the words a level receives are its first tile plus, per carry loop, (times c advances)
  // x |T \ (T + shift)|. This counts every iteration, as Timeloop's delta analysis does.
  const project = (ds: number, hiIncl: number[]): { lo: number[]; len: number[] } => {
    const rows = coefs[ds]!;
    const len = rows.map((r) => r.reduce((s, c, d) => s + c * hiIncl[d]!, 0) + 1);
    return { lo: rows.map(() => 0), len };
  };
  const sizeOf = (len: number[]) => len.reduce((p, l) => p * l, 1);
  const tileSize = (i: number): number[] => DATA_SPACES.map((_, ds) => sizeOf(project(ds, moldHigh[i]!).len));

  /** Words of each data space the level whose boundary loop is b receives over the whole run (per instance). */
  function receives(b: number): number[] {
    const above = loops.map((l, i) => ({ ...l, i })).filter((l) => l.i > b && l.spatial === "");
    const out: number[] = [];
    for (let ds = 0; ds < NDS; ds++) {
      const rows = coefs[ds]!;
      const len = project(ds, moldHigh[b]!).len;
      let total = sizeOf(len);
      // outer product of ends of the loops outside c
      for (let k = 0; k < above.length; k++) {
        const c = above[k]!;
        let times = c.end - 1;
        for (let m = k + 1; m < above.length; m++) times *= above[m]!.end;
        if (times === 0) continue;
        // displacement in loop-index space: +1 step of c, -(end-1) steps of each loop between b and c
        const disp = new Array<number>(ND).fill(0);
        disp[c.dim]! += vstride[c.i]![c.dim]!;
        for (let m = 0; m < k; m++) disp[above[m]!.dim]! -= (above[m]!.end - 1) * vstride[above[m]!.i]![above[m]!.dim]!;
        let overlap = 1;
        for (let r = 0; r < rows.length; r++) {
          const shift = Math.abs(rows[r]!.reduce((s, cf, d) => s + cf * disp[d]!, 0));
          overlap *= Math.max(0, len[r]! - shift);
        }
        // Reuse of a partly overlapping tile only from the innermost loop above (see the header).
        const wraps = above.slice(0, k).some((m) => m.end > 1);
        total += times * (wraps && overlap < sizeOf(len) ? sizeOf(len) : sizeOf(len) - overlap);
      }
      out.push(total);
    }
    return out;
  }

  const computeSteps = loops.reduce((p, l) => (l.spatial === "" ? p * l.end : p), 1);
  type Access = { access: AccessStats[]; maxSize: number[] };
  const st: Access[] = loops.map(() => ({ access: DATA_SPACES.map(() => new Map()), maxSize: new Array(NDS).fill(0) }));
  for (let i = 0; i < n; i++) if (boundary[i] || master[i]) st[i]!.maxSize = tileSize(i);
  for (let lv = 0; lv < nLevels; lv++) {
    const first = loops.findIndex((l) => l.level === lv);
    if (lv === 0) {
      if (loops[first]!.spatial !== "") throw new Error(`level ${arch.levels[0]!.name}: spatial loops below the innermost storage level are not modelled`);
      for (let ds = 0; ds < NDS; ds++) addAccess(st[first]!.access[ds]!, 1, computeSteps, 1);
      continue;
    }
    const b = first - 1; // boundary loop of the level below
    const f = receives(b);
    if (loops[first]!.spatial === "") {
      for (let ds = 0; ds < NDS; ds++) addAccess(st[first]!.access[ds]!, 1, f[ds]!, 1);
      continue;
    }
    // spatial fan-out: instances whose deltas are translations by the same vector get one multicast
    let mi = first;
    while (mi + 1 < n && loops[mi + 1]!.spatial !== "" && loops[mi + 1]!.level === lv) mi++;
    const j = first;
    const group = loops.slice(j, mi + 1).map((l, k) => ({ ...l, stride: vstride[j + k]![l.dim]! }));
    for (let ds = 0; ds < NDS; ds++) {
      if (f[ds]! === 0) continue;
      const rows = coefs[ds]!;
      const counts = new Map<string, number>();
      const idx = new Array<number>(group.length).fill(0);
      for (;;) {
        const t = rows.map((r) => group.reduce((s, g, k) => s + idx[k]! * g.stride * r[g.dim]!, 0));
        const key = t.join(",");
        counts.set(key, (counts.get(key) ?? 0) + 1);
        let k = 0;
        while (k < group.length && ++idx[k]! >= group[k]!.end) idx[k++] = 0;
        if (k === group.length) break;
      }
      for (const m of counts.values()) addAccess(st[mi]!.access[ds]!, m, f[ds]!, 1);
    }
  }
  const state = st;

  // ---- collapse per data space into storage levels (CollapseDataMovementNest, legacy RMW)
  const levels: Partial<Record<DataSpace, DataSpaceLevelStats>>[] = arch.levels.map(() => ({}));
  const valid = loops.map((l, i) => l.spatial === "" || master[i]);
  for (let ds = 0; ds < NDS; ds++) {
    const name = DATA_SPACES[ds]!;
    type Tile = { size: number; access: AccessStats; content: number; replication: number; fanout: number; innerMaster: boolean; innerSize: number; partition: number; pas: number };
    const tiles: Tile[] = [];
    for (let lv = 0; lv < nLevels; lv++) {
      const idxs = loops.map((_, i) => i).filter((i) => loops[i]!.level === lv && valid[i]);
      const inner = idxs[0]!;
      const outer = idxs[idxs.length - 1]!;
      const access = new Map([...state[inner]!.access[ds]!].map(([k, v]) => [k, { ...v }]));
      tiles.push({
        size: state[outer]!.maxSize[ds]!,
        access,
        content: [...access.values()].reduce((s, e) => s + e.accesses, 0),
        replication: numSpatialElems[outer]!,
        fanout: fanout[inner]!,
        innerMaster: master[inner]!,
        innerSize: state[inner]!.maxSize[ds]!,
        partition: 0,
        pas: 0,
      });
    }
    // partition sizes
    let part = tiles[nLevels - 1]!.size;
    tiles[nLevels - 1]!.partition = part;
    for (let lv = nLevels - 2; lv >= 0; lv--) {
      const parent = tiles[lv + 1]!;
      const denom = parent.innerMaster ? parent.innerSize : tiles[lv]!.size;
      if (denom !== 0) part = Math.floor((part * tiles[lv]!.size) / denom);
      tiles[lv]!.partition = part;
    }
    // parent access share
    for (let lv = 0; lv < nLevels; lv++) {
      const t = tiles[lv]!;
      if (t.size === 0) continue;
      let o = lv + 1;
      while (o < nLevels && tiles[o]!.size === 0) o++;
      if (o === nLevels) continue;
      for (const [mc, e] of tiles[o]!.access) t.pas += (e.accesses * mc) / tiles[o]!.fanout;
    }
    // masking (bypass)
    const keeps = arch.levels.map((l, lv) => (mapping[lv]!.keep ?? l.keeps).includes(name));
    for (let lv = 0; lv < nLevels; lv++) {
      const t = tiles[lv]!;
      if (t.size === 0 || keeps[lv]) continue;
      let o = lv + 1;
      while (o < nLevels && tiles[o]!.size === 0) o++;
      if (o === nLevels) {
        Object.assign(t, { size: 0, partition: 0, content: 0, pas: 0 });
        break;
      }
      const out = tiles[o]!;
      const weighted = [...out.access].reduce((s, [mc, e]) => s + e.accesses * mc, 0);
      const factor = weighted > 0 ? (t.content * out.fanout) / weighted : 0;
      for (const e of out.access.values()) if (e.accesses !== 0) e.accesses *= factor;
      out.content = [...out.access.values()].reduce((s, e) => s + e.accesses, 0);
      Object.assign(t, { size: 0, partition: 0, content: 0, pas: 0 });
    }
    // the outermost kept level receives nothing from a parent
    for (let lv = nLevels - 1; lv >= 0; lv--) {
      if (keeps[lv]) {
        tiles[lv]!.pas = 0;
        break;
      }
    }
    const rmw = name === "Outputs";
    for (let lv = 0; lv < nLevels; lv++) {
      const t = tiles[lv]!;
      if (t.size === 0) continue;
      const outermost = tiles.slice(lv + 1).every((u) => u.size === 0);
      let reads: number, updates: number, fills: number, trs: number;
      if (rmw) {
        updates = Math.round(t.content);
        reads = Math.round(t.content - t.partition);
        trs = reads;
        fills = outermost ? Math.round(t.pas) : Math.round(t.pas - t.partition);
      } else {
        reads = Math.round(t.content);
        updates = 0;
        trs = 0;
        fills = t.pas;
      }
      if (outermost) fills = 0; // the backing store is not filled
      levels[lv]![name] = { utilized_capacity: t.size, utilized_instances: t.replication, partition_size: t.partition, reads, fills, updates, temporal_reductions: trs };
    }
  }
  const utilized = loops.reduce((p, l) => (l.spatial !== "" ? p * l.end : p), 1);
  return { loops, levels, compute_cycles: computeSteps, utilized_macs: utilized };
}
