/**
 * dataflow/: loop nests on spatial accelerators (buffer hierarchy + PE array + NoC).
 *
 * The problem is the seven-dimensional convolution loop nest used by Timeloop's `cnn-layer` shape
 * (Parashar et al., ISPASS 2019, `parashar2019timeloop`) and by the Eyeriss papers: R (filter
 * width), S (filter height), P (output width), Q (output height), C (input channels), K (output
 * channels), N (batch). A GEMM and a depthwise convolution are special cases (workload.ts).
 * Three data spaces: Weights[C,K,R,S], Inputs[N,C,W = P*Wstride + R*Wdilation, H = Q*Hstride +
 * S*Hdilation], Outputs[N,K,Q,P] (read-modify-write).
 */

/** The loop dimensions, in the order ZZZ stores them (Timeloop's cnn-layer order). */
export const DIMS = ["R", "S", "P", "Q", "C", "K", "N"] as const;
export type Dim = (typeof DIMS)[number];
export type DimBounds = Record<Dim, number>;

export const DATA_SPACES = ["Weights", "Inputs", "Outputs"] as const;
export type DataSpace = (typeof DATA_SPACES)[number];

/** One layer as a loop nest: the loop bounds and the input-index coefficients. */
export interface LoopNestWorkload {
  name: string;
  bounds: DimBounds;
  w_stride: number;
  h_stride: number;
  w_dilation: number;
  h_dilation: number;
  /** How many times the nest runs one after another (groups of a grouped/depthwise convolution). */
  repeats: number;
}

/** One storage level of the hierarchy (innermost first in `Arch.levels`). */
export interface StorageLevel {
  name: string;
  /** regfile/sram: on-chip storage; dram: backing store; fanout: a multicast point without storage. */
  kind: "regfile" | "sram" | "dram" | "fanout";
  /** Capacity in words (undefined = unbounded, the backing store). */
  entries?: number;
  instances: number;
  /** Instances along X of a 2-D array (instances / mesh_x along Y). */
  mesh_x: number;
  word_bits: number;
  block_size_words: number;
  read_bandwidth_words_per_cycle?: number;
  write_bandwidth_words_per_cycle?: number;
  shared_bandwidth_words_per_cycle?: number;
  /** Data spaces this level holds when the mapping does not say; the others bypass it. */
  keeps: DataSpace[];
  /** Of `keeps`, those a mapping may choose to bypass (the mapper's choice); the rest are always held. */
  may_bypass: DataSpace[];
  /** Energy of one scalar access (read, fill or update), pJ; undefined = not known. */
  energy_per_access_pj?: number;
}

/**
 * A restriction of the mapspace at one level (Timeloop's mapspace constraints): fixed factors
 * (0 = whatever remains of that dimension), a loop order (innermost first; unlisted dimensions are
 * free, outside the listed ones) and, for spatial loops, which dimensions go along X (the first
 * `split` of the permutation) and which along Y.
 */
export interface MapspaceConstraint {
  level: string;
  kind: "temporal" | "spatial";
  factors: Partial<Record<Dim, number>>;
  permutation?: Dim[];
  split?: number;
}

export interface Arch {
  name: string;
  /** MAC units: instances and their X extent. */
  compute: { instances: number; mesh_x: number; energy_per_mac_pj?: number };
  /** Storage levels from the MACs outwards; the last one is the backing store. */
  levels: StorageLevel[];
  /** What mappings the dataflow allows (the mapper searches inside these). */
  constraints: MapspaceConstraint[];
}

export type SpatialAxis = "X" | "Y";
export interface TemporalLoop {
  dim: Dim;
  bound: number;
}
export interface SpatialLoop {
  dim: Dim;
  bound: number;
  axis: SpatialAxis;
}

/**
 * A mapping: for each storage level (same order as Arch.levels), its temporal loops (outermost
 * first) and the spatial loops that distribute its tiles over the instances of the level below
 * (outermost first; X loops and Y loops in any order). Loops of bound 1 may be omitted.
 */
export interface LevelMapping {
  temporal: TemporalLoop[];
  spatial: SpatialLoop[];
  /** Data spaces held at this level (default: the level's `keeps`); only `may_bypass` ones may be left out. */
  keep?: DataSpace[];
}
export type Mapping = LevelMapping[];

/** Per-instance access counts of one data space at one level (Timeloop's per-instance scalars). */
export interface DataSpaceLevelStats {
  /** Words of this data space held by one instance (the tile). */
  utilized_capacity: number;
  /** Instances holding a tile. */
  utilized_instances: number;
  /** Words of the data space this instance's tiles cover over the whole run. */
  partition_size: number;
  reads: number;
  fills: number;
  updates: number;
  temporal_reductions: number;
}

export interface LevelStats {
  name: string;
  /** Per data space held at this level (absent = bypassed). */
  data: Partial<Record<DataSpace, DataSpaceLevelStats>>;
  /** Cycles this level needs at its bandwidths (>= the compute cycles). */
  cycles: number;
  /** Compute cycles / this level's cycles (1 = not bandwidth-bound). */
  throttling: number;
  /** Energy over all instances, pJ (undefined when the level has no energy per access). */
  energy_pj?: number;
}

export interface Evaluation {
  /** MACs of one run of the nest. */
  macs: number;
  /** MAC units used. */
  utilized_macs: number;
  /** MAC steps of one MAC unit (cycles if nothing is bandwidth-bound). */
  compute_cycles: number;
  /** max over levels of their cycles: one run of the nest. */
  cycles: number;
  /** macs / (cycles x MAC instances). */
  utilization: number;
  /** Name of the level that sets the cycles ("compute" when none is bandwidth-bound). */
  bound_by: string;
  levels: LevelStats[];
  /** Total energy, pJ, when every level and the MAC have an energy per access. */
  energy_pj?: number;
}
