/**
 * Host/device timeline. The host issues kernels one after another (host cost per kernel); a kernel
 * starts when both the host has issued it and the previous kernel has finished:
 *   issue_i = issue_{i-1} + host_per_kernel
 *   start_i = max(issue_i, end_{i-1}),  end_i = start_i + device_i
 * so a chain of short kernels under eager PyTorch is host-bound and the same chain in a CUDA graph
 * (host cost 0) is device-bound.
 *
 * What the measured number includes depends on how it was timed (`Timing`):
 * - "events": measure.py's eager timing: calls issued back to back without synchronizing, each
 *   bracketed by CUDA events; the latency is the device-time span between a call's two events. Three
 *   calls are simulated and the last one reported (the queue has reached its steady state).
 * - "graph": a CUDA-graph replay: no host cost; the kernels run back to back.
 * - "kernel": a profiler's CUDA time of the kernels themselves (Vidur profiles): the sum of
 *   device times.
 * - "host-sync": host wall clock around one call followed by torch.cuda.synchronize() (LLMCompass'
 *   operator timings): per-call host cost, then the timeline from an idle device, then the sync.
 * - "serial": a CPU device: host dispatch and the op's work run on the same cores, one after the
 *   other (host wall clock per call).
 */
export type Timing = "events" | "graph" | "kernel" | "host-sync" | "serial";
export const TIMINGS: readonly Timing[] = ["events", "graph", "kernel", "host-sync", "serial"];

export interface TimelineKernel {
  device_s: number;
  count: number;
}

export interface TimelineResult {
  latency_s: number;
  /** Device busy time of one call (sum of kernel device times). */
  device_s: number;
  /** Host issue time of one call. */
  host_s: number;
  kernels: number;
  /** latency_s - device_s (time the device waits for the host, or host-side costs), >= 0. */
  host_exposed_s: number;
}

/**
 * Expand runs of consecutive kernels with the same count c > 1 into c repetitions of the run (the
 * per-layer kernels of a model repeat layer by layer, in order).
 */
export function expandRuns(ks: TimelineKernel[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < ks.length; ) {
    const c = ks[i]!.count;
    let j = i + 1;
    while (j < ks.length && ks[j]!.count === c) j++;
    const reps = Math.max(0, c); // count 0: nothing
    for (let r = 0; r < reps; r++) for (let t = i; t < j; t++) out.push(ks[t]!.device_s);
    i = j;
  }
  return out;
}

/** Issue the kernels of one call (runs of equal count repeated in order) from host time `issue` with the device free at `end`. */
function issueCall(ks: TimelineKernel[], hostPerKernel: number, issue: number, end: number): { issue: number; end: number } {
  for (let i = 0; i < ks.length; ) {
    const c = ks[i]!.count;
    let j = i + 1;
    while (j < ks.length && ks[j]!.count === c) j++;
    for (let r = 0; r < c; r++)
      for (let t = i; t < j; t++) {
        issue += hostPerKernel;
        end = (issue > end ? issue : end) + ks[t]!.device_s;
      }
    i = j;
  }
  return { issue, end };
}

export function runTimeline(ks: TimelineKernel[], hostPerKernel: number, hostPerCall: number, timing: Timing, sync_s: number): TimelineResult {
  let device_s = 0;
  let kernels = 0;
  for (const k of ks) {
    const c = Math.max(0, k.count);
    device_s += k.device_s * c;
    kernels += c;
  }
  const host_s = hostPerCall + hostPerKernel * kernels;
  let latency_s: number;
  switch (timing) {
    case "graph":
    case "kernel":
      latency_s = device_s;
      break;
    case "serial":
      latency_s = host_s + device_s;
      break;
    case "host-sync": {
      const r = issueCall(ks, hostPerKernel, hostPerCall, 0);
      latency_s = Math.max(r.issue, r.end) + sync_s;
      break;
    }
    case "events": {
      let issue = 0;
      let end = 0;
      let span = 0;
      for (let rep = 0; rep < 3; rep++) {
        issue += hostPerCall;
        const startEvent = Math.max(issue, end); // the start event runs when the device reaches it
        const r = issueCall(ks, hostPerKernel, issue, startEvent);
        issue = r.issue;
        end = r.end;
        span = end - startEvent;
      }
      latency_s = span;
      break;
    }
  }
  return { latency_s, device_s, host_s, kernels, host_exposed_s: Math.max(0, latency_s - device_s) };
}
