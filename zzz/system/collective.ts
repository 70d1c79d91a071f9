/**
 * Collective latency on n devices with per-device one-direction link bandwidth B and per-step
 * latency alpha (the alpha-beta / Hockney model [hockney1994communication]), using the ring
 * algorithms analysed for MPICH [thakur2005mpich]. `bytes` is the size of the full buffer: the
 * reduced vector for all-reduce and reduce-scatter (input per device), the gathered result for
 * all-gather (output per device), the message for send-recv.
 *   all-reduce     (ring: reduce-scatter + all-gather): 2(n-1)/n * bytes/B + 2(n-1) * alpha
 *   all-gather, reduce-scatter (ring):                   (n-1)/n * bytes/B +  (n-1) * alpha
 *   send-recv (point to point):                                    bytes/B +          alpha
 *   all-to-all (pairwise exchange):                  (n-1)/n * bytes/B +  (n-1) * alpha
 * The reduction arithmetic of all-reduce/reduce-scatter is not charged. One device: 0 s.
 */
import type { CollectiveOp, LinkSpec } from "./types.ts";

export function collectiveLatency(op: CollectiveOp, bytes: number, n_devices: number, link: LinkSpec): number {
  if (n_devices <= 1) return 0;
  const n = n_devices;
  const transfer = bytes / link.bandwidth_bytes_per_s;
  switch (op) {
    case "all-reduce":
      return ((2 * (n - 1)) / n) * transfer + 2 * (n - 1) * link.latency_s;
    case "all-gather":
    case "reduce-scatter":
      return ((n - 1) / n) * transfer + (n - 1) * link.latency_s;
    case "send-recv":
      return transfer + link.latency_s;
    case "all-to-all":
      return ((n - 1) / n) * transfer + (n - 1) * link.latency_s;
  }
}
