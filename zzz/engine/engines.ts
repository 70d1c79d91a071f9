/**
 * Engines: how a framework runs a graph. Each engine says which graph the builders emit for it
 * (the kernels it actually launches), which fusion rules it applies, what each kernel and each call
 * cost on the host, and whether the graph is captured (CUDA graphs: no per-kernel host cost).
 *
 * | engine            | graph | fusion rules                          | host per kernel      | host per call   |
 * |-------------------|-------|---------------------------------------|----------------------|-----------------|
 * | pytorch-eager     | eager | none                                  | eager_dispatch_s     | 0               |
 * | pytorch-cudagraph | eager | none (the eager kernels, captured)    | 0 (replayed)         | 0               |
 * | pytorch-compile   | eager | group (pointwise chains), add+norm    | compiled_dispatch_s  | compile_call_s  |
 * | fused             | fused | add+norm (fused QKV/gate-up, fused attention and folded BN come from the fused builder) | compiled_dispatch_s | 0 |
 *
 * Fusion rules:
 * - `group`: consecutive non-tensor kernels of one logical operator (same `group`, same count), e.g.
 *   RoPE's ten kernels, silu + mul, the two cache writes, conv's BN + ReLU, become one kernel.
 * - `add-norm`: a residual add followed by a normalization becomes one kernel (vLLM's
 *   fused_add_rms_norm, Inductor's reduction fusion).
 * A fused kernel reads each input once and writes its last output: its bytes are those of its
 * largest member; its FLOPs are the sum.
 */
import type { Op } from "../ir/types.ts";
import type { HostCalibration } from "../device/calibration.ts";

export type EngineName = "pytorch-eager" | "pytorch-cudagraph" | "pytorch-compile" | "fused";
export const ENGINE_NAMES: readonly EngineName[] = ["pytorch-eager", "pytorch-cudagraph", "pytorch-compile", "fused"];

export interface Engine {
  name: EngineName;
  graph: "eager" | "fused";
  fuseGroups: boolean;
  fuseAddNorm: boolean;
  captured: boolean;
  hostPerKernel(h: HostCalibration): number;
  hostPerCall(h: HostCalibration): number;
}

export const ENGINES: Record<EngineName, Engine> = {
  "pytorch-eager": { name: "pytorch-eager", graph: "eager", fuseGroups: false, fuseAddNorm: false, captured: false, hostPerKernel: (h) => h.eager_dispatch_s.value, hostPerCall: () => 0 },
  "pytorch-cudagraph": { name: "pytorch-cudagraph", graph: "eager", fuseGroups: false, fuseAddNorm: false, captured: true, hostPerKernel: () => 0, hostPerCall: () => 0 },
  "pytorch-compile": {
    name: "pytorch-compile",
    graph: "eager",
    fuseGroups: true,
    fuseAddNorm: true,
    captured: false,
    hostPerKernel: (h) => h.compiled_dispatch_s.value,
    hostPerCall: (h) => h.compile_call_s.value,
  },
  fused: { name: "fused", graph: "fused", fuseGroups: false, fuseAddNorm: true, captured: false, hostPerKernel: (h) => h.compiled_dispatch_s.value, hostPerCall: () => 0 },
};

/**
 * A suite cell's `engine` field -> the engine that runs it. Serving engines (TensorRT-LLM, vLLM,
 * Sarathi-Serve, TensorRT, MXNet with TensorRT in MLPerf) run fused graphs; Vidur's operator
 * profiles (`pytorch+sarathi-kernels`) are per-kernel device times of eager kernels.
 */
const CELL_ENGINE: Array<[RegExp, EngineName]> = [
  [/^pytorch-eager$/, "pytorch-eager"],
  [/^pytorch-cudagraph$/, "pytorch-cudagraph"],
  [/^pytorch-compile$/, "pytorch-compile"],
  [/^pytorch\+sarathi-kernels$/, "pytorch-eager"],
  [/^(tensorrt-llm|tensorrt|vllm|sarathi-serve|mxnet)/, "fused"],
  [/^any$/, "fused"],
];

export function engineForCell(cellEngine: string): EngineName | undefined {
  return CELL_ENGINE.find(([re]) => re.test(cellEngine))?.[1];
}

export function supportedCellEngines(): string {
  return CELL_ENGINE.map(([re]) => re.source.replace(/[\^$\\]/g, "")).join(", ");
}

const TENSOR_KINDS = new Set(["gemm", "bgemm", "conv2d", "attention-prefill", "attention-decode"]);

function merge(members: Op[], name: string): Op {
  const norm = members.find((m) => m.kind === "norm");
  const base = norm ?? members[0]!;
  const biggest = members.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return {
    ...base,
    name,
    flops: members.reduce((s, m) => s + m.flops, 0),
    bytes: biggest.bytes,
    param_elems: members.reduce((s, m) => s + m.param_elems, 0),
    weight_bytes: members.reduce((s, m) => s + (m.weight_bytes ?? 0), 0),
    role: members.find((m) => m.role)?.role,
  };
}

/** Apply an engine's fusion rules to a kernel list (order kept). */
export function fuseGraph(ops: Op[], e: Pick<Engine, "fuseGroups" | "fuseAddNorm">): Op[] {
  let out = ops;
  if (e.fuseGroups) {
    const res: Op[] = [];
    for (let i = 0; i < out.length; ) {
      const o = out[i]!;
      let j = i + 1;
      if (o.group && !TENSOR_KINDS.has(o.kind))
        while (j < out.length && out[j]!.group === o.group && out[j]!.count === o.count && !TENSOR_KINDS.has(out[j]!.kind)) j++;
      res.push(j - i > 1 ? merge(out.slice(i, j), o.group!) : o);
      i = j;
    }
    out = res;
  }
  if (e.fuseAddNorm) {
    const res: Op[] = [];
    for (let i = 0; i < out.length; i++) {
      const a = out[i]!;
      const b = out[i + 1];
      const isAdd = a.kind === "elementwise" && /add|residual/.test(a.name);
      if (b && isAdd && b.kind === "norm" && b.count === a.count) {
        res.push({ ...merge([a, b], `${a.name}+${b.name}`), group: b.group });
        i++;
      } else res.push(a);
    }
    out = res;
  }
  return out;
}
