import sys, json
from GenZ import prefill_moddeling, decode_moddeling
system = sys.argv[1]
p = prefill_moddeling(model="meta-llama/Llama-3.1-8B", batch_size=1, input_tokens=512, system_name=system, bits="bf16", tensor_parallel=1, pipeline_parallel=1)
d = decode_moddeling(model="meta-llama/Llama-3.1-8B", batch_size=1, input_tokens=512, output_tokens=0, Bb=1, system_name=system, bits="bf16", tensor_parallel=1, pipeline_parallel=1)
print(json.dumps({"system": system, "prefill_s512_b1_ms": float(p["Latency"]), "decode_c512_b1_ms": float(d["Latency"])}))
