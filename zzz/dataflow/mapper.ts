/**
 * The mapper: a search over the mapspace the architecture's constraints leave open.
 *
 * Every dimension's bound is split into factors over the slots that may hold it (each level's
 * temporal loops, and its spatial fan-out along X and Y). The split is a depth-first search, one
 * dimension after another, pruned as soon as a partial split exceeds a fan-out or a buffer (tile
 * sizes only grow as more dimensions are placed, so a partial tile that does not fit never will).
 * At every complete split the choices the constraints leave (which data spaces a level may bypass)
 * are enumerated and the mapping is evaluated with the analytic model (model.ts). Loop orders the
 * constraints leave free are first taken in a fixed order, then improved for the best mappings by
 * trying the orders of their non-trivial loops, level by level.
 *
 * Objective: fewest cycles, then fewest words moved at the outermost level, then at the next
 * inner one, and so on (a stand-in for energy that needs no energy table). The search is
 * exhaustive up to `max_evaluations`; past it, complete splits are sampled with a seeded generator,
 * so the result is deterministic for a given seed. The result says how many mappings it evaluated.
 */
import { DATA_SPACES, DIMS, type Arch, type DataSpace, type Dim, type Evaluation, type LevelMapping, type LoopNestWorkload, type Mapping, type SpatialAxis } from "./types.ts";
import { evaluateMapping, fanoutOf, MappingError } from "./model.ts";
import { macsOf, projections } from "./workload.ts";

export interface MapperOptions {
  /** Mappings evaluated by the exhaustive search before it switches to seeded sampling (default 3000; sampling evaluates as many again). */
  max_evaluations?: number;
  /** Seed of the sampler (default 1). */
  seed?: number;
  /** Mappings whose free loop orders are then optimized (default 4). */
  reorder_best?: number;
}

export interface MapperResult {
  mapping: Mapping;
  evaluation: Evaluation;
  /** Mappings evaluated with the model (valid or not). */
  evaluated: number;
  /** Of those, valid ones. */
  valid: number;
  /** Whether every split of the (pruned) space was evaluated. */
  exhaustive: boolean;
}

type SlotKind = "T" | SpatialAxis;
interface Slot {
  level: number;
  kind: SlotKind;
  /** max product of this slot's factors (the fan-out along the axis; temporal: unbounded) */
  limit: number;
}

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}

/** All ways to write n as an ordered product of `k` factors (each a divisor). */
function splits(n: number, k: number): number[][] {
  if (k === 0) return n === 1 ? [[]] : [];
  if (k === 1) return [[n]];
  const out: number[][] = [];
  for (const d of divisors(n)) for (const rest of splits(n / d, k - 1)) out.push([d, ...rest]);
  return out;
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** Order key: cycles, then words at the outermost level, then inward. Smaller is better. */
function score(e: Evaluation): number[] {
  const words = e.levels.map((l) => DATA_SPACES.reduce((s, ds) => {
    const d = l.data[ds];
    return s + (d ? (d.reads + d.fills + d.updates) * d.utilized_instances : 0);
  }, 0));
  return [e.cycles, ...words.reverse()];
}
function better(a: number[], b: number[] | undefined): boolean {
  if (!b) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

export function searchMapping(w: LoopNestWorkload, arch: Arch, opts: MapperOptions = {}): MapperResult {
  const maxEval = opts.max_evaluations ?? 3000;
  const nLevels = arch.levels.length;
  const levelIndex = new Map(arch.levels.map((l, i) => [l.name, i]));
  for (const c of arch.constraints) if (!levelIndex.has(c.level)) throw new Error(`constraint names unknown level '${c.level}'`);

  // ---- slots and, per dimension, which slots may hold it (fixed factors, remainders)
  const slots: Slot[] = [];
  for (let lv = 0; lv < nLevels; lv++) {
    const f = fanoutOf(arch, lv);
    if (f.total > 1) {
      if (f.x > 1) slots.push({ level: lv, kind: "X", limit: f.x });
      if (f.y > 1) slots.push({ level: lv, kind: "Y", limit: f.y });
    }
    slots.push({ level: lv, kind: "T", limit: Number.POSITIVE_INFINITY });
  }
  const constraintOf = (lv: number, kind: "temporal" | "spatial") => arch.constraints.find((c) => c.kind === kind && levelIndex.get(c.level) === lv);
  type DimPlan = { free: number[]; remainder: number; fixed: Map<number, number> };
  const plans = new Map<Dim, DimPlan>();
  for (const d of DIMS) {
    const fixed = new Map<number, number>();
    const free: number[] = [];
    let remainder = -1;
    slots.forEach((s, si) => {
      const c = constraintOf(s.level, s.kind === "T" ? "temporal" : "spatial");
      if (s.kind !== "T" && c?.permutation && c.split !== undefined) {
        const pos = c.permutation.indexOf(d);
        const axis: SpatialAxis = pos >= 0 && pos < c.split ? "X" : pos >= 0 ? "Y" : slots.some((o) => o.level === s.level && o.kind === "X") ? "X" : "Y";
        if (axis !== s.kind) return fixed.set(si, 1);
      }
      const v = c?.factors[d];
      if (v === undefined) free.push(si);
      else if (v === 0) remainder = si;
      else fixed.set(si, v);
    });
    if (remainder < 0) {
      // no slot takes the remainder: the outermost free temporal slot does
      const t = [...free].reverse().find((si) => slots[si]!.kind === "T");
      if (t === undefined) throw new Error(`dimension ${d}: the constraints leave no slot for its bound ${w.bounds[d]}`);
      remainder = t;
    }
    plans.set(d, { free: free.filter((si) => si !== remainder), remainder, fixed });
  }

  // ---- pruning helpers: fan-out per slot, tile size lower bounds per level
  const proj = projections(w);
  const mustKeep = arch.levels.map((l) => l.keeps.filter((ds) => !l.may_bypass.includes(ds)));
  const factor: number[][] = slots.map(() => DIMS.map(() => 1)); // factor[slot][dim]
  const slotProduct = (si: number) => factor[si]!.reduce((p, x) => p * x, 1);
  const ext = new Array<number>(DIMS.length).fill(1);
  const fits = (keep: DataSpace[][]): boolean => {
    ext.fill(1);
    let si = 0;
    for (let lv = 0; lv < nLevels; lv++) {
      for (; si < slots.length && slots[si]!.level === lv; si++) {
        const f = factor[si]!;
        for (let d = 0; d < DIMS.length; d++) ext[d]! *= f[d]!;
      }
      const entries = arch.levels[lv]!.entries;
      if (entries === undefined) continue;
      let used = 0;
      for (const ds of keep[lv]!) {
        let size = 1;
        for (const row of proj[ds]) {
          let len = 1;
          for (let d = 0; d < DIMS.length; d++) len += row[d]! * (ext[d]! - 1);
          size *= len;
        }
        used += size;
      }
      if (used > entries) return false;
    }
    return true;
  };

  // ---- keep choices (subsets of may_bypass per level)
  const keepChoices: DataSpace[][][] = [[]];
  for (let lv = 0; lv < nLevels; lv++) {
    const l = arch.levels[lv]!;
    const opts2 = l.may_bypass.length === 0 ? [l.keeps] : Array.from({ length: 1 << l.may_bypass.length }, (_, mask) => l.keeps.filter((ds) => !l.may_bypass.includes(ds) || (mask >> l.may_bypass.indexOf(ds)) & 1));
    const next: DataSpace[][][] = [];
    for (const prefix of keepChoices) for (const k of opts2) next.push([...prefix, k]);
    keepChoices.splice(0, keepChoices.length, ...next);
  }

  const mappingOf = (keep: DataSpace[][], orders?: Dim[][]): Mapping => {
    const m: LevelMapping[] = arch.levels.map(() => ({ temporal: [], spatial: [] }));
    for (let lv = 0; lv < nLevels; lv++) {
      const perm = constraintOf(lv, "temporal")?.permutation ?? [];
      const order = orders?.[lv] ?? [...perm, ...DIMS.filter((d) => !perm.includes(d))];
      const t = slots.findIndex((s) => s.level === lv && s.kind === "T");
      // order is innermost first; LevelMapping.temporal is outermost first
      m[lv]!.temporal = [...order].reverse().map((d) => ({ dim: d, bound: factor[t]![DIMS.indexOf(d)]! })).filter((x) => x.bound > 1);
      slots.forEach((s, si) => {
        if (s.level !== lv || s.kind === "T") return;
        DIMS.forEach((d, di) => {
          if (factor[si]![di]! > 1) m[lv]!.spatial.push({ dim: d, bound: factor[si]![di]!, axis: s.kind as SpatialAxis });
        });
      });
      if (arch.levels[lv]!.may_bypass.length > 0) m[lv]!.keep = keep[lv];
    }
    return m;
  };

  let evaluated = 0;
  let valid = 0;
  const top: { s: number[]; mapping: Mapping; e: Evaluation; f: number[][]; keep: DataSpace[][] }[] = [];
  const keepTop = Math.max(1, opts.reorder_best ?? 4);
  const consider = (keep: DataSpace[][]) => {
    const mapping = mappingOf(keep);
    evaluated++;
    let e: Evaluation;
    try {
      e = evaluateMapping(w, arch, mapping);
    } catch (err) {
      if (err instanceof MappingError) return;
      throw err;
    }
    valid++;
    const s = score(e);
    if (top.length < keepTop || better(s, top[top.length - 1]!.s)) {
      top.push({ s, mapping, e, f: factor.map((r) => [...r]), keep });
      top.sort((a, b) => (better(a.s, b.s) ? -1 : better(b.s, a.s) ? 1 : 0));
      if (top.length > keepTop) top.pop();
    }
  };

  // ---- depth-first over dimensions
  const dimOrder = [...DIMS].sort((a, b) => w.bounds[b] - w.bounds[a]);
  const choices = dimOrder.map((d) => {
    const p = plans.get(d)!;
    const fixedProduct = [...p.fixed.values()].reduce((x, y) => x * y, 1);
    if (w.bounds[d] % fixedProduct !== 0) throw new Error(`dimension ${d}: fixed factors ${fixedProduct} do not divide its bound ${w.bounds[d]}`);
    const left = w.bounds[d] / fixedProduct;
    const opts3: number[][] = [];
    for (const sp of splits(left, p.free.length + 1)) opts3.push(sp); // last entry = remainder slot
    // try splits that put more of the dimension in space first (high utilization is found early)
    const spatialShare = (sp: number[]) => [...p.free, p.remainder].reduce((acc, si, j) => (slots[si]!.kind === "T" ? acc : acc * sp[j]!), 1);
    opts3.sort((a, b) => spatialShare(b) - spatialShare(a));
    const touched = [...p.free, p.remainder, ...p.fixed.keys()];
    const maxSpatial = opts3.reduce((mx, sp) => Math.max(mx, spatialShare(sp)), 1);
    return { d, di: DIMS.indexOf(d), p, opts: opts3, slotsTouched: touched, maxSpatial };
  });
  const minKeep = mustKeep;
  let leaves = 0;
  let pruned = 0;
  const macs = macsOf(w);
  let exhaustive = true;
  const random = rng(opts.seed ?? 1);
  const visit = (k: number): void => {
    if (evaluated >= maxEval) {
      exhaustive = false;
      return;
    }
    if (k === choices.length) {
      leaves++;
      // cycles >= MAC steps of one unit = MACs / units used: a split that cannot beat the best is skipped
      const used = slots.reduce((p, s, si) => (s.kind === "T" ? p : p * slotProduct(si)), 1);
      if (top.length > 0 && macs / used > top[0]!.e.cycles) {
        pruned++;
        return;
      }
      for (const keep of keepChoices) if (fits(keep)) consider(keep);
      return;
    }
    const c = choices[k]!;
    const set = (sp: number[] | undefined) => {
      for (const [si, v] of c.p.fixed) factor[si]![c.di] = v;
      c.p.free.forEach((si, j) => (factor[si]![c.di] = sp ? sp[j]! : 1));
      factor[c.p.remainder]![c.di] = sp ? sp[sp.length - 1]! : 1;
    };
    for (const sp of c.opts) {
      set(sp);
      let over = false;
      for (const si of c.slotsTouched) if (slotProduct(si) > slots[si]!.limit) over = true;
      if (over) continue;
      if (top.length > 0) {
        // the most MAC units this subtree can use: placed spatial factors x what the rest could add
        let used = 1;
        for (let si = 0; si < slots.length; si++) if (slots[si]!.kind !== "T") used *= slotProduct(si);
        for (let m = k + 1; m < choices.length; m++) used *= choices[m]!.maxSpatial;
        if (macs / Math.min(used, arch.compute.instances) > top[0]!.e.cycles) {
          pruned++;
          continue;
        }
      }
      if (!fits(minKeep)) continue;
      visit(k + 1);
      if (evaluated >= maxEval) {
        exhaustive = false;
        break;
      }
    }
    set(undefined);
  };
  visit(0);
  if (!exhaustive) {
    // seeded sampling of complete splits beyond the exhaustive budget
    for (let tries = 0; tries < 100 * maxEval && evaluated < 2 * maxEval; tries++) {
      for (const c of choices) {
        const sp = c.opts[Math.floor(random() * c.opts.length)]!;
        for (const [si, v] of c.p.fixed) factor[si]![c.di] = v;
        c.p.free.forEach((si, j) => (factor[si]![c.di] = sp[j]!));
        factor[c.p.remainder]![c.di] = sp[sp.length - 1]!;
      }
      if (slots.some((s, si) => slotProduct(si) > s.limit)) continue;
      for (const keep of keepChoices) if (fits(keep)) consider(keep);
    }
  }
  if (top.length === 0) throw new Error(`no valid mapping of ${w.name} on ${arch.name} (${evaluated} evaluated)`);

  // ---- free loop orders: per level, try the orders of its non-trivial free loops
  let best = top[0]!;
  for (const cand of top) {
    cand.f.forEach((r, si) => (factor[si] = [...r]));
    const orders: Dim[][] = arch.levels.map((_, lv) => {
      const perm = constraintOf(lv, "temporal")?.permutation ?? [];
      return [...perm, ...DIMS.filter((d) => !perm.includes(d))];
    });
    let cur = cand;
    for (let lv = 0; lv < nLevels; lv++) {
      const perm = constraintOf(lv, "temporal")?.permutation ?? [];
      const t = slots.findIndex((s) => s.level === lv && s.kind === "T");
      const freeDims = DIMS.filter((d) => !perm.includes(d) && factor[t]![DIMS.indexOf(d)]! > 1);
      if (freeDims.length < 2) continue;
      const fixedInner = perm;
      const trivial = DIMS.filter((d) => !perm.includes(d) && !freeDims.includes(d));
      for (const p of permutations(freeDims)) {
        const trial = orders.map((o) => [...o]);
        trial[lv] = [...fixedInner, ...p, ...trivial];
        const mapping = mappingOf(cur.keep, trial);
        evaluated++;
        try {
          const e = evaluateMapping(w, arch, mapping);
          valid++;
          const s = score(e);
          if (better(s, cur.s)) {
            cur = { ...cur, s, mapping, e };
            orders[lv] = trial[lv]!;
          }
        } catch (err) {
          if (!(err instanceof MappingError)) throw err;
        }
      }
    }
    if (better(cur.s, best.s)) best = cur;
  }
  return { mapping: best.mapping, evaluation: best.e, evaluated, valid, exhaustive };
}
