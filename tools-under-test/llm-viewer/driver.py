"""Runs LLM-Viewer on one suite cell: the artifact's thin driver, not part of LLM-Viewer.

usage: python3 driver.py input.json   (cwd: the cell's work directory, which holds the generated
model_params/suite.py; the LLM-Viewer checkout is on PYTHONPATH)

input.json (written by adapter.ts from suite/ values, README.md "Translation"):
  model_id, config_file ("configs/Llama.py": LLM-Viewer's own layer description)
  hardware: name and LLM-Viewer's hardware_params entry {bandwidth, FP16, INT8, onchip_buffer}
  stage: "prefill" | "decode"; batch, seqlen; w_bit, a_bit, kv_bit; use_flashattention
It adds the hardware entry to LLM-Viewer's hardware_params dict (as editing hardwares/hardware_params.py
would), builds LLM-Viewer's ModelAnalyzer with source="suite" (model_params/suite.py, the same
mechanism as its model_params/DiT.py) and calls ModelAnalyzer.analyze(). Prints one JSON object:
the total_results of both stages and the per-layer rows of the stage asked for.
"""
import json
import sys

from hardwares.hardware_params import hardware_params
from model_analyzer import ModelAnalyzer


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    hw = spec["hardware"]
    hardware_params[hw["name"]] = hw["params"]
    analyzer = ModelAnalyzer(spec["model_id"], hw["name"], config_file=spec["config_file"], source="suite")
    res = analyzer.analyze(seqlen=spec["seqlen"], batchsize=spec["batch"], w_bit=spec["w_bit"], a_bit=spec["a_bit"],
                           kv_bit=spec["kv_bit"], use_flashattention=spec["use_flashattention"])
    stage = spec["stage"]
    layers = {k: {"OPs": v["OPs"], "memory_access": v["memory_access"], "bound": v["bound"], "inference_time": v["inference_time"]}
              for k, v in res[stage].items()}
    print(json.dumps({"stage": stage, "total_results": res["total_results"], "layers": layers}, sort_keys=True))


if __name__ == "__main__":
    main()
