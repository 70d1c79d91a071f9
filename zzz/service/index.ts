/** service/: serving simulation (workloads, schedulers, KV paging, replicas, tail latencies). */
export * from "./workload.ts";
export * from "./sim.ts";
export * from "./metrics.ts";
