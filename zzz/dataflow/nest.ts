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

  // ---- per level: first loop, boundary (outermost) loop, spatial master (outermost spatial) loop
  const first = new Array<number>(nLevels).fill(-1);
  const last = new Array<number>(nLevels).fill(-1);
  const masterOf = new Array<number>(nLevels).fill(-1);
  for (let i = 0; i < n; i++) {
    const l = loops[i]!;
    if (first[l.level] === -1) first[l.level] = i;
    last[l.level] = i;
    if (l.spatial !== "") masterOf[l.level] = i;
  }
  for (let lv = 0; lv < nLevels; lv++) if (first[lv] === -1) throw new Error(`level ${arch.levels[lv]!.name} has no loops`);
  if (loops[first[0]!]!.spatial !== "") throw new Error(`level ${arch.levels[0]!.name}: spatial loops below the innermost storage level are not modelled`);

  // ---- index strides and the extent of the loops at and below each loop (InitPerLevelDimScales)
  const vstride: number[] = new Array(n); // stride of loop i in its own dimension
  const moldHigh: number[][] = [];
  {
    const scale = new Array<number>(ND).fill(1);
    for (let i = 0; i < n; i++) {
      vstride[i] = scale[loops[i]!.dim]!;
      scale[loops[i]!.dim]! *= loops[i]!.end;
      moldHigh.push(scale.map((x) => x - 1));
    }
  }
  /** lengths of the box of data space ds touched by the loops at and below loop i */
  const tileLen = (ds: number, i: number): number[] => {
    const rows = coefs[ds]!;
    const mh = moldHigh[i]!;
    const out = new Array<number>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      let s = 1;
      const row = rows[r]!;
      for (let d = 0; d < ND; d++) s += row[d]! * mh[d]!;
      out[r] = s;
    }
    return out;
  };
  const prod = (xs: number[]) => {
    let p = 1;
    for (const x of xs) p *= x;
    return p;
  };

  // ---- what each level receives (see the header)
  const temporal: number[] = [];
  for (let i = 0; i < n; i++) if (loops[i]!.spatial === "" && loops[i]!.end > 1) temporal.push(i);
  function receives(b: number, ds: number): number {
    const above = temporal.filter((i) => i > b);
    const len = tileLen(ds, b);
    const size = prod(len);
    const rows = coefs[ds]!;
    let total = size;
    let times = 1;
    for (const i of above) times *= loops[i]!.end;
    // carry at above[k]: advances (end - 1) x (product of the ends outside it) times
    const wrap = new Array<number>(ND).fill(0); // index displacement of the loops inside the carry, wrapping back
    for (let k = 0; k < above.length; k++) {
      const c = loops[above[k]!]!;
      times /= c.end;
      const advances = (c.end - 1) * times;
      let overlap = 1;
      for (let r = 0; r < rows.length && overlap > 0; r++) {
        const row = rows[r]!;
        let shift = row[c.dim]! * vstride[above[k]!]!;
        for (let d = 0; d < ND; d++) shift -= row[d]! * wrap[d]!;
        overlap *= Math.max(0, len[r]! - Math.abs(shift));
      }
      // partial reuse only from the innermost loop above; after a wrap a moved tile comes whole
      total += advances * (k > 0 ? (overlap === size ? 0 : size) : size - overlap);
      wrap[c.dim]! += (c.end - 1) * vstride[above[k]!]!;
    }
    return total;
  }

  const computeSteps = temporal.reduce((p, i) => p * loops[i]!.end, 1);
  const numSpatialAbove = (i: number) => {
    let p = 1;
    for (let j = i + 1; j < n; j++) if (loops[j]!.spatial !== "") p *= loops[j]!.end;
    return p;
  };

  const levels: Partial<Record<DataSpace, DataSpaceLevelStats>>[] = arch.levels.map(() => ({}));
  for (let ds = 0; ds < NDS; ds++) {
    const name = DATA_SPACES[ds]!;
    // per level: tile size, accesses from the level below as [multicast, words], fan-out, ...
    const size: number[] = [];
    const access: [number, number][][] = [];
    const content: number[] = [];
    const fan: number[] = [];
    const innerSize: number[] = [];
    const replication: number[] = [];
    for (let lv = 0; lv < nLevels; lv++) {
      size.push(prod(tileLen(ds, last[lv]!)));
      replication.push(numSpatialAbove(last[lv]!));
      const m = masterOf[lv]!;
      innerSize.push(m >= 0 ? prod(tileLen(ds, m)) : 0);
      let acc: [number, number][];
      if (lv === 0) acc = [[1, computeSteps]];
      else {
        const f = receives(first[lv]! - 1, ds);
        if (m < 0) acc = [[1, f]];
        else if (f === 0) acc = [];
        else {
          // instances whose deltas are translations by the same vector share one multicast
          const rows = coefs[ds]!;
          const group: { dim: number; end: number; stride: number }[] = [];
          for (let j = first[lv]!; j <= m; j++) group.push({ dim: loops[j]!.dim, end: loops[j]!.end, stride: vstride[j]! });
          // key: the translation vector in mixed radix (each coordinate's shift is < its radix)
          const radix = rows.map((row) => 1 + group.reduce((t, g) => t + (g.end - 1) * g.stride * row[g.dim]!, 0));
          const counts = new Map<number, number>();
          const idx = new Array<number>(group.length).fill(0);
          for (;;) {
            let key = 0;
            for (let r = 0; r < rows.length; r++) {
              const row = rows[r]!;
              let t = 0;
              for (let g = 0; g < group.length; g++) t += idx[g]! * group[g]!.stride * row[group[g]!.dim]!;
              key = key * radix[r]! + t;
            }
            counts.set(key, (counts.get(key) ?? 0) + 1);
            let k = 0;
            while (k < group.length && ++idx[k]! >= group[k]!.end) idx[k++] = 0;
            if (k === group.length) break;
          }
          const byMc = new Map<number, number>();
          for (const mc of counts.values()) byMc.set(mc, (byMc.get(mc) ?? 0) + f);
          acc = [...byMc.entries()];
        }
      }
      access.push(acc);
      content.push(acc.reduce((s, [, a]) => s + a, 0));
      fan.push(m >= 0 ? group_product(loops, first[lv]!, m) : 1);
    }
    // partition sizes (ComputePartitionSizes)
    const partition = new Array<number>(nLevels).fill(0);
    let part = size[nLevels - 1]!;
    partition[nLevels - 1] = part;
    for (let lv = nLevels - 2; lv >= 0; lv--) {
      const denom = masterOf[lv + 1]! >= 0 ? innerSize[lv + 1]! : size[lv]!;
      if (denom !== 0) part = Math.floor((part * size[lv]!) / denom);
      partition[lv] = part;
    }
    // each level's share of its parent's reads (ComputeParentAccessShare)
    const pas = new Array<number>(nLevels).fill(0);
    for (let lv = 0; lv < nLevels; lv++) {
      if (size[lv] === 0) continue;
      let o = lv + 1;
      while (o < nLevels && size[o] === 0) o++;
      if (o === nLevels) continue;
      for (const [mc, a] of access[o]!) pas[lv]! += (a * mc) / fan[o]!;
    }
    // bypassed levels fold into their parent (MaskTiles)
    const keeps = arch.levels.map((l, lv) => (mapping[lv]!.keep ?? l.keeps).includes(name));
    for (let lv = 0; lv < nLevels; lv++) {
      if (size[lv] === 0 || keeps[lv]) continue;
      let o = lv + 1;
      while (o < nLevels && size[o] === 0) o++;
      const zero = () => {
        size[lv] = 0;
        partition[lv] = 0;
        content[lv] = 0;
        pas[lv] = 0;
      };
      if (o === nLevels) {
        zero();
        break;
      }
      const weighted = access[o]!.reduce((s, [mc, a]) => s + a * mc, 0);
      const factor = weighted > 0 ? (content[lv]! * fan[o]!) / weighted : 0;
      access[o] = access[o]!.map(([mc, a]) => [mc, a * factor]);
      content[o] = access[o]!.reduce((s, [, a]) => s + a, 0);
      zero();
    }
    for (let lv = nLevels - 1; lv >= 0; lv--) {
      if (keeps[lv]) {
        pas[lv] = 0; // the outermost kept level receives nothing from a parent
        break;
      }
    }
    for (let lv = 0; lv < nLevels; lv++) {
      if (size[lv] === 0) continue;
      let outermost = true;
      for (let o = lv + 1; o < nLevels; o++) if (size[o]! > 0) outermost = false;
      let reads: number, updates: number, fills: number, trs: number;
      if (name === "Outputs") {
        updates = Math.round(content[lv]!);
        reads = Math.round(content[lv]! - partition[lv]!);
        trs = reads;
        fills = outermost ? Math.round(pas[lv]!) : Math.round(pas[lv]! - partition[lv]!);
      } else {
        reads = Math.round(content[lv]!);
        updates = 0;
        trs = 0;
        fills = pas[lv]!;
      }
      if (outermost) fills = 0; // the backing store is not filled
      levels[lv]![name] = { utilized_capacity: size[lv]!, utilized_instances: replication[lv]!, partition_size: partition[lv]!, reads, fills, updates, temporal_reductions: trs };
    }
  }
  const utilized = loops.reduce((p, l) => (l.spatial !== "" ? p * l.end : p), 1);
  return { loops, levels, compute_cycles: computeSteps, utilized_macs: utilized };
}

function group_product(loops: NestLoop[], from: number, to: number): number {
  let p = 1;
  for (let j = from; j <= to; j++) p *= loops[j]!.end;
  return p;
}
