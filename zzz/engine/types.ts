/** Engine-layer types: the prediction of a whole graph as a framework runs it. */
import type { MemoryFootprint, OpPrediction } from "../device/types.ts";

export interface Prediction {
  total_latency_s: number;
  ops: OpPrediction[];
  memory: MemoryFootprint;
}
