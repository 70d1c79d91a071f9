/** Every tool under test, in the order `make evaluate` runs them. Each implements pipeline/lib/tool.ts. */
import type { ToolAdapter } from "../pipeline/lib/tool.ts";
import { zzzAdapter } from "./zzz/adapter.ts";
import { astraSimAdapter } from "./astra-sim/adapter.ts";
import { vidurAdapter } from "./vidur/adapter.ts";
import { timeloopAdapter } from "./timeloop/adapter.ts";
import { calculonAdapter } from "./calculon/adapter.ts";
import { scaleSimAdapter } from "./scale-sim/adapter.ts";
import { maestroAdapter } from "./maestro/adapter.ts";
import { genzAdapter } from "./genz/adapter.ts";
import { llmViewerAdapter } from "./llm-viewer/adapter.ts";
import { llmServingSimAdapter } from "./llmservingsim/adapter.ts";
import { llmcompassAdapter } from "./llmcompass/adapter.ts";

export const TOOLS: ToolAdapter<any>[] = [zzzAdapter, astraSimAdapter, vidurAdapter, timeloopAdapter, calculonAdapter, scaleSimAdapter, maestroAdapter, genzAdapter, llmViewerAdapter, llmcompassAdapter, llmServingSimAdapter];
