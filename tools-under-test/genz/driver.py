"""Runs GenZ (GenZ-LLM-Analyzer) on one suite cell: the artifact's thin driver, not part of GenZ.

usage: python3 driver.py input.json   (cwd: the GenZ checkout, on PYTHONPATH)

input.json (written by adapter.ts from suite/ values, README.md "Translation"):
  model:  keyword arguments of GenZ.ModelConfig (hidden_size, num_attention_heads, ...)
  system: GenZ's system dict (Flops in TFLOP/s, Memory_BW in GiB/s, Memory_size in GiB, ICN, ICN_LL, real_values)
  phase:  "prefill" | "decode"; batch, tokens (prefill: input tokens; decode: KV length), tp, bits
Prints one JSON object: GenZ's latency (ms), throughput, summary table and per-operator rows.
It calls GenZ's public functions prefill_moddeling / decode_moddeling with GenZ's defaults for
everything the input does not name (system_eff=1, collective_strategy 'GenZ').
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")
from GenZ import ModelConfig, decode_moddeling, prefill_moddeling  # noqa: E402


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    model = ModelConfig(**spec["model"])
    common = dict(model=model, batch_size=spec["batch"], input_tokens=spec["tokens"], system_name=spec["system"],
                  bits=spec["bits"], tensor_parallel=spec["tp"], pipeline_parallel=1)
    try:
        if spec["phase"] == "prefill":
            out = prefill_moddeling(**common)
        else:
            out = decode_moddeling(output_tokens=0, Bb=1, **common)
    except ValueError as e:  # GenZ's own verdict, e.g. "All params would not fit on chip"
        print("GENZ-ERROR: " + " ".join(str(e).split()))
        return
    df = out["model_df"]
    ops = []
    for _, r in df.iterrows():
        ops.append({"name": str(r["Layer Name"]), "type": str(r["Op Type"]), "dims": str(r["Dimension"]),
                    "bound": str(r["Bound"]), "latency_ms": float(r["Latency (msec)"])})
    summary = {k: float(v) for k, v in out["summary_table"].iloc[0].items()}
    print(json.dumps({"latency_ms": float(out["Latency"]), "throughput": float(out["Throughput"]),
                      "summary": summary, "ops": ops}, sort_keys=True))


if __name__ == "__main__":
    main()
