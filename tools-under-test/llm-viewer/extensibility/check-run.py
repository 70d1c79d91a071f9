import sys, json
from model_analyzer import ModelAnalyzer
a = ModelAnalyzer("meta-llama/Llama-3.1-8B", sys.argv[1], config_file="configs/Llama.py", source="llama31")
r = a.analyze(seqlen=512, batchsize=1, w_bit=16, a_bit=16, kv_bit=16, use_flashattention=True)
print(json.dumps({"hardware": sys.argv[1], "prefill_s512_b1_s": r["total_results"]["prefill"]["inference_time"], "decode_s": r["total_results"]["decode"]["inference_time"]}))
