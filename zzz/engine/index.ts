/** engine/: fusion, host dispatch and the host/device timeline of a framework running a graph. */
export * from "./types.ts";
export * from "./predict.ts";
