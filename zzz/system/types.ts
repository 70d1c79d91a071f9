/** System-layer types: collectives and links. */

export type CollectiveOp = "all-reduce" | "all-gather" | "reduce-scatter" | "send-recv";

export interface LinkSpec {
  /** Per-device one-direction bandwidth, bytes/s. */
  bandwidth_bytes_per_s: number;
  latency_s: number;
}
