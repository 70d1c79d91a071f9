/** engine/: fusion, host dispatch and the host/device timeline of a framework running a graph. */
export * from "./types.ts";
export * from "./predict.ts";
export * from "./engines.ts";
export * from "./timeline.ts";
export * from "./predict-v2.ts";
