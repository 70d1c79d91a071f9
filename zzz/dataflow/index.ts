/** dataflow/: loop nests, architectures, mappings, the analytic model and the mapper (uses ir/ only). */
export * from "./types.ts";
export * from "./workload.ts";
export { analyzeNest, nestOf } from "./nest.ts";
export type { NestAnalysis, NestLoop } from "./nest.ts";
export { evaluateMapping, mappingProblems, fanoutOf, MappingError } from "./model.ts";
export { searchMapping } from "./mapper.ts";
export type { MapperOptions, MapperResult } from "./mapper.ts";
