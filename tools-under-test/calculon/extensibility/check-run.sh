PYTHONPATH=. /usr/bin/python3 ./bin/calculon llm models/megatron-22B.json examples/3072_t4_p64_d12_mbs4_full.json systems/h200_141g_nvl8.json out.json
