"""Runs LLMCompass (PrincetonUniversity/LLMCompass) on one suite cell: the artifact's thin driver, not
part of LLMCompass.

usage: python3 driver.py input.json   (cwd: the LLMCompass checkout, on PYTHONPATH with SCALE-Sim v2)

input.json (written by adapter.ts from suite/ values, README.md "Translation"):
  op:      "matmul" | "bmm" | "softmax" | "layernorm" | "gelu" | "prefill" | "decode"
  shape:   operator dims (matmul: m, n, k; bmm: batch, m, n, k; softmax/layernorm: rows, cols;
           gelu: elements; prefill: batch, seq_len; decode: batch, context_len)
  model:   prefill/decode only: d_model, n_heads, n_layers
  device:  {"builtin": "A100_80GB_fp16"} (LLMCompass' own hardware_model/device.py entry) or a
           description built from suite/hardware (core_count, clock_hz, systolic array, vector unit,
           SRAM, L2, memory bandwidth and capacity); overheads are LLMCompass' A100 constants
  tp:      device count of the transformer block (1 here)
Prints one JSON object. Operators: compile_and_simulate(device, "heuristic-GPU") plus LLMCompass'
per-kernel overhead of that operator (compute_module.overhead, the constants ae/figure5 adds);
prefill/decode: n_layers x TransformerBlock{InitComputation,AutoRegression}TP.compile_and_simulate
(system, "heuristic-GPU"), which adds the overheads itself; its per-operator log is kept.
"""
import json
import sys
import time

from hardware_model.compute_module import ComputeModule, Core, SystolicArray, VectorUnit, overhead_dict
from hardware_model.device import Device, device_dict
from hardware_model.interconnect import interconnect_module_dict
from hardware_model.io_module import IOModule
from hardware_model.memory_module import MemoryModule
from hardware_model.system import System
from software_model.gelu import GeLU
from software_model.layernorm import LayerNorm
from software_model.matmul import BatchedMatmul, Matmul
from software_model.softmax import Softmax
from software_model.transformer import TransformerBlockAutoRegressionTP, TransformerBlockInitComputationTP
from software_model.utils import Tensor, data_type_dict

MODE = "heuristic-GPU"


def build_device(spec):
    if "builtin" in spec:
        return device_dict[spec["builtin"]]
    va = spec["vector_unit"]
    sa = spec["systolic_array"]
    vector = VectorUnit(va["flops_per_cycle"], va["word_size"], va["flops_per_exp"], va["vector_width"], va["vector_count"])
    array = SystolicArray(sa["height"], sa["width"], sa["mac_per_cycle"], sa["input_word_size"], sa["output_word_size"])
    core = Core(vector, array, spec["systolic_arrays_per_core"], spec["sram_bytes_per_core"])
    compute = ComputeModule(core, spec["core_count"], spec["clock_hz"], spec["l2_bytes"], spec["l2_bytes_per_cycle"], overhead_dict[spec["overhead"]])
    return Device(compute, IOModule(spec["mem_bandwidth_bytes_per_s"], spec["io_latency_s"]), MemoryModule(spec["mem_capacity_bytes"]))


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    fp16 = data_type_dict["fp16"]
    device = build_device(spec["device"])
    op, s = spec["op"], spec["shape"]
    t0 = time.perf_counter()
    out = {"op": op}
    if op in ("matmul", "bmm"):
        if op == "matmul":
            m = Matmul(fp16)
            m(Tensor([s["m"], s["k"]], fp16), Tensor([s["k"], s["n"]], fp16))
        else:
            m = BatchedMatmul(fp16)
            m(Tensor([s["batch"], s["m"], s["k"]], fp16), Tensor([s["batch"], s["k"], s["n"]], fp16))
        sim = m.compile_and_simulate(device, MODE)
        overhead = device.compute_module.overhead.matmul
    elif op in ("softmax", "layernorm"):
        m = Softmax(fp16) if op == "softmax" else LayerNorm(fp16)
        m(Tensor([s["rows"], s["cols"]], fp16))
        sim = m.compile_and_simulate(device, MODE)
        overhead = getattr(device.compute_module.overhead, op)
    elif op == "gelu":
        m = GeLU(fp16)
        m(Tensor([s["elements"]], fp16))
        sim = m.compile_and_simulate(device, MODE)
        overhead = device.compute_module.overhead.gelu
    elif op in ("prefill", "decode"):
        md = spec["model"]
        system = System(device, interconnect_module_dict[spec["interconnect"]])
        if op == "prefill":
            block = TransformerBlockInitComputationTP(md["d_model"], md["n_heads"], spec["tp"], fp16)
            block(Tensor([s["batch"], s["seq_len"], md["d_model"]], fp16))
        else:
            block = TransformerBlockAutoRegressionTP(md["d_model"], md["n_heads"], spec["tp"], fp16)
            block(Tensor([s["batch"], 1, md["d_model"]], fp16), s["context_len"])
        per_layer = block.compile_and_simulate(system, MODE)
        out["block_latency_s"] = per_layer
        out["n_layers"] = md["n_layers"]
        # LLMCompass' log order: qkv, q_mul_k, a_mul_v, h_matmul0, h1_matmul1, h2_matmul2, softmax,
        # layernorm, layernorm, gelu, allreduce, allreduce (seconds, overheads included)
        out["block_log_s"] = [float(x) for x in block.simluate_log.split(", ")]
        sim = per_layer * md["n_layers"]
        overhead = 0.0
    else:
        raise SystemExit(f"driver.py: unknown op {op!r}")
    out["simulated_s"] = sim
    out["overhead_s"] = overhead
    out["latency_s"] = sim + overhead
    out["search_s"] = round(time.perf_counter() - t0, 3)
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
