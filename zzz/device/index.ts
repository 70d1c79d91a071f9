/** device/: op -> time on one device (method and inputs recorded per op), and memory footprint. */
export * from "./types.ts";
export * from "./roofline.ts";
export * from "./memory.ts";
export * from "./params.ts";
