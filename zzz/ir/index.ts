/** ir/: the operator graph (ops with kinds, shapes, dtypes, FLOPs, bytes) and the model builders. */
export * from "./types.ts";
export * from "./builders.ts";
export { opFromSpec } from "./spec.ts";
