/** system/: parallelism plans, collectives on topologies, multi-device steps. */
export * from "./types.ts";
export * from "./collective.ts";
