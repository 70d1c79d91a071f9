/**
 * ZZZ: a layered, pure performance-modeling engine (see zzz/README.md). No file, network or
 * process I/O, no clock, no unseeded randomness. Layers, bottom to top:
 *   ir/ -> device/ -> engine/ -> system/ -> service/      and  ir/ -> dataflow/
 * Each layer imports only the layers below it (test/zzz/layers.test.ts enforces this).
 */
export * from "./ir/index.ts";
export * from "./device/index.ts";
export * from "./engine/index.ts";
export * from "./system/index.ts";
export * from "./service/index.ts";
