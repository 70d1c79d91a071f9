/** System-layer types: collectives, links, topologies. */

export type CollectiveOp = "all-reduce" | "all-gather" | "reduce-scatter" | "send-recv" | "all-to-all";

export interface LinkSpec {
  /** Per-device one-direction bandwidth, bytes/s. */
  bandwidth_bytes_per_s: number;
  latency_s: number;
}

/** GPU generation, as NCCL's tuner indexes its constants (compute capability 7.x, 8.x, 9.x, 10.x). */
export type GpuGeneration = "volta" | "ampere" | "hopper" | "blackwell";

/** One tier of a hierarchical topology. */
export interface TierSpec {
  kind: "nvlink" | "pcie" | "net";
  /** Per-device one-direction bandwidth of this tier, bytes/s (datasheet value). */
  bandwidth_bytes_per_s: number;
  /** Physical links per device in this tier (NVLink), used for NCCL's per-link bandwidth; absent: unknown. */
  n_links?: number;
  /** Extra per-hop latency of this tier beyond NCCL's own constants, seconds (0 when not known). */
  latency_s: number;
  /** NVSwitch multicast/reduction (NVLink SHARP), which enables NCCL's NVLS algorithm. */
  nvls?: boolean;
}

/** A cluster: nodes of devices_per_node GPUs, an intra-node tier and (for more than one node) an inter-node tier. */
export interface Topology {
  name: string;
  generation: GpuGeneration;
  devices_per_node: number;
  intra: TierSpec;
  inter?: TierSpec;
}
