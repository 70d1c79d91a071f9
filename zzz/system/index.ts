/** system/: parallelism plans, collectives on topologies, multi-device steps. */
export * from "./types.ts";
export * from "./collective.ts";
export * from "./nccl.ts";
export * from "./plan.ts";
export * from "./step.ts";
export * from "./training.ts";
export * from "./inference.ts";
