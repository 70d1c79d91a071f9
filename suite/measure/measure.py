#!/usr/bin/env python3
"""Measure the suite's single-device cells on this host (CPU or one CUDA GPU).

One script for CPU hosts and GPU hosts. It builds every model from its configuration with
random weights and downloads nothing. It writes, into --out:

  measurements.csv   one row per measured point (MEASUREMENT_COLUMNS below)
  provenance.json    device, driver, CUDA, torch, python, threads, clocks, date, script hash, argv
  vidur/mlp.csv      Vidur-format per-layer operator profile of the Llama-shaped model
  vidur/attention.csv Vidur-format attention profile of the Llama-shaped model

Method: warm-up first, then at least --min-reps timed repetitions (CUDA events on a GPU,
time.perf_counter on a CPU), median reported with p10/p90/min/n. Inputs rotate over several
buffers whose total size exceeds the last-level cache, so that cache reuse does not flatter
small operators. `workload_key` is the suite cell id without its `.{hardware}.{precision}` suffix.

Scales: `full` (the suite's shapes; default on a GPU), `cpu-small` (default on a CPU: the
subset of the suite's shapes a 2-core host measures in minutes, plus a 2-layer Llama-2-7B
named `llama-2-7b-2layer`), and `--tiny` (seconds-long smoke test; keys prefixed `tiny.`).

Works with torch 1.13 (CPU, no F.scaled_dot_product_attention: explicit attention is used and
recorded in the `impl` column) and with current PyTorch 2.x on CUDA.
"""
import argparse
import csv
import datetime
import gc
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MEASUREMENT_COLUMNS = [
    "workload_key", "engine", "group", "precision", "latency_s", "p10_s", "p90_s", "min_s", "max_s",
    "n_reps", "calls_per_rep", "n_warmup", "n_rotating_inputs", "impl", "flops", "bytes", "notes",
]
ENGINE_EAGER = "pytorch-eager"
ENGINE_GRAPH = "pytorch-cudagraph"
VIDUR_MLP_OPS = [
    "emb", "input_layernorm", "attn_pre_proj", "attn_rope", "attn_post_proj",
    "post_attention_layernorm", "mlp_up_proj", "mlp_act", "mlp_down_proj", "add",
]
VIDUR_MLP_META = ["n_head", "n_kv_head", "n_embd", "n_expanded_embd", "vocab_size",
                  "use_gated_mlp", "num_tokens", "num_tensor_parallel_workers"]
VIDUR_ATTN_OPS = ["attn_kv_cache_save", "attn_prefill", "attn_decode"]
VIDUR_ATTN_META = ["n_embd", "n_q_head", "n_kv_head", "block_size", "num_tensor_parallel_workers",
                   "max_model_len", "batch_size", "prefill_chunk_size", "kv_cache_size",
                   "is_prefill", "attention_backend"]
VIDUR_STATS = ["min", "max", "mean", "median", "std"]

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
HAS_RMS_NORM = hasattr(F, "rms_norm")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


class BudgetExhausted(Exception):
    pass


# ------------------------------------------------------------------ model configurations
# Sources of the configurations: Llama-2-7B (Touvron et al. 2023, HF config meta-llama/Llama-2-7b-hf),
# GPT-2 small (HF config gpt2), BERT-base-uncased (HF config bert-base-uncased), ResNet-50 (torchvision).
LLAMA_2_7B = dict(d=4096, n_layers=32, n_heads=32, n_kv_heads=32, d_ff=11008, vocab=32000, max_pos=4096, eps=1e-5, theta=10000.0)
GPT2_CFG = dict(d=768, n_layers=12, n_heads=12, d_ff=3072, vocab=50257, max_pos=1024, eps=1e-5)
BERT_CFG = dict(d=768, n_layers=12, n_heads=12, d_ff=3072, vocab=30522, max_pos=512, type_vocab=2, eps=1e-12)
# Vidur's model config for meta-llama/Llama-2-7b-hf declares vocab_size 32768 (vidur/config/model_config.py);
# its predictor filters profiles on that value, so the Vidur files carry it.
VIDUR_LLAMA_2_7B_VOCAB = 32768


# ------------------------------------------------------------------ building blocks
def attention(q, k, v, causal, attn_mask=None):
    """q [B,H,Tq,D], k/v [B,Hkv,Tk,D] -> [B,H,Tq,D]. Causal masks align the last query with the last key."""
    if k.shape[1] != q.shape[1]:
        rep = q.shape[1] // k.shape[1]
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
    tq, tk = q.shape[2], k.shape[2]
    if HAS_SDPA:
        if attn_mask is not None:
            return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        return F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal and tq > 1 and tq == tk))
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float("-inf"))
    elif causal and tq > 1:
        mask = torch.ones(tq, tk, dtype=torch.bool, device=q.device).triu(tk - tq + 1)
        scores = scores.masked_fill(mask, float("-inf"))
    p = torch.softmax(scores.float(), dim=-1).to(q.dtype)
    return torch.matmul(p, v)


def attn_impl(masked=False):
    if HAS_SDPA:
        return "sdpa-mask" if masked else "sdpa"
    return "explicit"


def rms_norm(x, weight, eps):
    if HAS_RMS_NORM:
        return F.rms_norm(x, (x.shape[-1],), weight, eps)
    xf = x.float()
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return weight * xf.to(x.dtype)


def rms_impl():
    return "F.rms_norm" if HAS_RMS_NORM else "composite-rmsnorm"


def rope_tables(max_pos, head_dim, theta, device, dtype):
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim))
    t = torch.arange(max_pos, device=device, dtype=torch.float32)
    freqs = torch.outer(t, inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def apply_rope(x, cos, sin):
    return x * cos + rotate_half(x) * sin


class RMSNorm(nn.Module):
    def __init__(self, d, eps, device, dtype):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d, device=device, dtype=dtype))
        self.eps = eps

    def forward(self, x):
        return rms_norm(x, self.weight, self.eps)


class LlamaLayer(nn.Module):
    def __init__(self, c, device, dtype):
        super().__init__()
        self.h, self.hkv, self.hd = c["n_heads"], c["n_kv_heads"], c["d"] // c["n_heads"]
        lin = lambda i, o: nn.Linear(i, o, bias=False, device=device, dtype=dtype)
        self.norm1 = RMSNorm(c["d"], c["eps"], device, dtype)
        self.qkv = lin(c["d"], (self.h + 2 * self.hkv) * self.hd)
        self.o = lin(self.h * self.hd, c["d"])
        self.norm2 = RMSNorm(c["d"], c["eps"], device, dtype)
        self.gate_up = lin(c["d"], 2 * c["d_ff"])
        self.down = lin(c["d_ff"], c["d"])

    def forward(self, x, pos, cache, cos, sin):
        b, t, _ = x.shape
        qkv = self.qkv(self.norm1(x))
        q, k, v = qkv.split([self.h * self.hd, self.hkv * self.hd, self.hkv * self.hd], dim=-1)
        q = q.view(b, t, self.h, self.hd).transpose(1, 2)
        k = k.view(b, t, self.hkv, self.hd).transpose(1, 2)
        v = v.view(b, t, self.hkv, self.hd).transpose(1, 2)
        c_, s_ = cos[pos:pos + t], sin[pos:pos + t]
        q, k = apply_rope(q, c_, s_), apply_rope(k, c_, s_)
        kc, vc = cache
        kc[:, :, pos:pos + t] = k
        vc[:, :, pos:pos + t] = v
        o = attention(q, kc[:, :, :pos + t], vc[:, :, :pos + t], causal=True)
        x = x + self.o(o.transpose(1, 2).reshape(b, t, self.h * self.hd))
        g, u = self.gate_up(self.norm2(x)).chunk(2, dim=-1)
        return x + self.down(F.silu(g) * u)


class Llama(nn.Module):
    """Llama-2-shaped decoder: RMSNorm, RoPE, SwiGLU, no biases, untied embeddings, static KV cache."""

    def __init__(self, c, device, dtype):
        super().__init__()
        self.c = c
        self.embed = nn.Embedding(c["vocab"], c["d"], device=device, dtype=dtype)
        self.layers = nn.ModuleList([LlamaLayer(c, device, dtype) for _ in range(c["n_layers"])])
        self.norm = RMSNorm(c["d"], c["eps"], device, dtype)
        self.lm_head = nn.Linear(c["d"], c["vocab"], bias=False, device=device, dtype=dtype)
        self.cos, self.sin = rope_tables(c["max_pos"] + 1, c["d"] // c["n_heads"], c["theta"], device, dtype)

    def cache_bytes(self, batch, length, elem):
        c = self.c
        return 2 * c["n_layers"] * batch * c["n_kv_heads"] * length * (c["d"] // c["n_heads"]) * elem

    def alloc_cache(self, batch, length, device, dtype):
        c = self.c
        shape = (batch, c["n_kv_heads"], length, c["d"] // c["n_heads"])
        out = []
        for _ in range(c["n_layers"]):
            kc = torch.empty(shape, device=device, dtype=dtype).normal_(0, 1)
            vc = torch.empty(shape, device=device, dtype=dtype).normal_(0, 1)
            out.append((kc, vc))
        return out

    def forward(self, ids, pos, caches):
        x = self.embed(ids)
        for layer, cache in zip(self.layers, caches):
            x = layer(x, pos, cache, self.cos, self.sin)
        return self.lm_head(self.norm(x[:, -1:]))  # logits of the last position only


class GPT2Block(nn.Module):
    def __init__(self, c, device, dtype):
        super().__init__()
        d = c["d"]
        self.h, self.hd = c["n_heads"], d // c["n_heads"]
        self.ln1 = nn.LayerNorm(d, eps=c["eps"], device=device, dtype=dtype)
        self.qkv = nn.Linear(d, 3 * d, device=device, dtype=dtype)
        self.proj = nn.Linear(d, d, device=device, dtype=dtype)
        self.ln2 = nn.LayerNorm(d, eps=c["eps"], device=device, dtype=dtype)
        self.fc = nn.Linear(d, c["d_ff"], device=device, dtype=dtype)
        self.fc2 = nn.Linear(c["d_ff"], d, device=device, dtype=dtype)

    def forward(self, x, pos, cache):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q = q.view(b, t, self.h, self.hd).transpose(1, 2)
        k = k.view(b, t, self.h, self.hd).transpose(1, 2)
        v = v.view(b, t, self.h, self.hd).transpose(1, 2)
        kc, vc = cache
        kc[:, :, pos:pos + t] = k
        vc[:, :, pos:pos + t] = v
        o = attention(q, kc[:, :, :pos + t], vc[:, :, :pos + t], causal=True)
        x = x + self.proj(o.transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT2(nn.Module):
    """GPT-2 small: learned positions, pre-LayerNorm, GELU (tanh), tied embeddings, static KV cache."""

    def __init__(self, c, device, dtype):
        super().__init__()
        self.c = c
        self.wte = nn.Embedding(c["vocab"], c["d"], device=device, dtype=dtype)
        self.wpe = nn.Embedding(c["max_pos"], c["d"], device=device, dtype=dtype)
        self.blocks = nn.ModuleList([GPT2Block(c, device, dtype) for _ in range(c["n_layers"])])
        self.ln_f = nn.LayerNorm(c["d"], eps=c["eps"], device=device, dtype=dtype)

    def alloc_cache(self, batch, length, device, dtype):
        c = self.c
        shape = (batch, c["n_heads"], length, c["d"] // c["n_heads"])
        return [(torch.randn(shape, device=device, dtype=dtype), torch.randn(shape, device=device, dtype=dtype))
                for _ in range(c["n_layers"])]

    def forward(self, ids, pos, caches):
        t = ids.shape[1]
        x = self.wte(ids) + self.wpe.weight[pos:pos + t]
        for blk, cache in zip(self.blocks, caches):
            x = blk(x, pos, cache)
        return F.linear(self.ln_f(x[:, -1:]), self.wte.weight)  # tied lm head, last position only


class BertLayer(nn.Module):
    def __init__(self, c, device, dtype):
        super().__init__()
        d = c["d"]
        self.h, self.hd = c["n_heads"], d // c["n_heads"]
        self.qkv = nn.Linear(d, 3 * d, device=device, dtype=dtype)
        self.o = nn.Linear(d, d, device=device, dtype=dtype)
        self.ln1 = nn.LayerNorm(d, eps=c["eps"], device=device, dtype=dtype)
        self.fc = nn.Linear(d, c["d_ff"], device=device, dtype=dtype)
        self.fc2 = nn.Linear(c["d_ff"], d, device=device, dtype=dtype)
        self.ln2 = nn.LayerNorm(d, eps=c["eps"], device=device, dtype=dtype)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=-1)
        q = q.view(b, t, self.h, self.hd).transpose(1, 2)
        k = k.view(b, t, self.h, self.hd).transpose(1, 2)
        v = v.view(b, t, self.h, self.hd).transpose(1, 2)
        o = attention(q, k, v, causal=False)
        x = self.ln1(x + self.o(o.transpose(1, 2).reshape(b, t, d)))
        return self.ln2(x + self.fc2(F.gelu(self.fc(x))))


class Bert(nn.Module):
    """BERT-base encoder: post-LayerNorm, exact GELU, fused QKV projection, pooler; no task head."""

    def __init__(self, c, device, dtype):
        super().__init__()
        d = c["d"]
        self.word = nn.Embedding(c["vocab"], d, device=device, dtype=dtype)
        self.pos = nn.Embedding(c["max_pos"], d, device=device, dtype=dtype)
        self.typ = nn.Embedding(c["type_vocab"], d, device=device, dtype=dtype)
        self.ln = nn.LayerNorm(d, eps=c["eps"], device=device, dtype=dtype)
        self.layers = nn.ModuleList([BertLayer(c, device, dtype) for _ in range(c["n_layers"])])
        self.pool = nn.Linear(d, d, device=device, dtype=dtype)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.ln(self.word(ids) + self.pos.weight[:t] + self.typ.weight[0])
        for layer in self.layers:
            x = layer(x)
        return x, torch.tanh(self.pool(x[:, 0]))


# ------------------------------------------------------------------ host information
def run_cmd(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""


NVSMI_FIELDS = ["name", "driver_version", "clocks.sm", "clocks.max.sm", "clocks.mem", "clocks.max.mem",
                "power.draw", "power.limit", "temperature.gpu", "pstate", "memory.total"]


def nvidia_smi(index):
    out = run_cmd(["nvidia-smi", "-i", str(index), "--query-gpu=" + ",".join(NVSMI_FIELDS), "--format=csv,noheader"])
    if not out:
        return None
    vals = [v.strip() for v in out.splitlines()[0].split(",")]
    return dict(zip(NVSMI_FIELDS, vals))


def cpu_info():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            txt = f.read()
        first = txt.split("\n\n")[0]
        for line in first.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                info[k.strip()] = v.strip()
        mhz = [float(l.split(":")[1]) for l in txt.splitlines() if l.startswith("cpu MHz")]
    except OSError:
        mhz = []
    flags = info.get("flags", "").split()
    keep = [f for f in flags if f.startswith(("avx", "fma", "amx", "sse4"))]
    out = {
        "model_name": info.get("model name", platform.processor()),
        "vendor_id": info.get("vendor_id"),
        "cpu_family": info.get("cpu family"),
        "model": info.get("model"),
        "stepping": info.get("stepping"),
        "cpu_mhz": mhz,
        "simd_flags": keep,
        "logical_cpus": os.cpu_count(),
    }
    for idx in range(4):
        p = f"/sys/devices/system/cpu/cpu0/cache/index{idx}"
        try:
            with open(p + "/level") as f:
                lvl = f.read().strip()
            with open(p + "/size") as f:
                size = f.read().strip()
            with open(p + "/type") as f:
                typ = f.read().strip()
            out[f"cache_L{lvl}_{typ.lower()}"] = size
        except OSError:
            pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    out["mem_total_bytes"] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return out


def loaded_blas():
    """The BLAS/LAPACK/oneDNN libraries this process has mapped (torch's CPU GEMMs go through them)."""
    try:
        a = torch.randn(64, 64)
        _ = a @ a  # make sure the BLAS is loaded
        libs = set()
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                base = os.path.basename(path).lower()
                if any(t in base for t in ("blas", "lapack", "mkl", "dnnl", "mkldnn")):
                    libs.add(os.path.realpath(path))
        return sorted(libs)
    except Exception:  # noqa: BLE001
        return None


def parse_size(s):
    s = (s or "").strip().upper()
    mult = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
    if s and s[-1] in mult:
        return int(float(s[:-1]) * mult[s[-1]])
    try:
        return int(s)
    except ValueError:
        return 0


def script_identity():
    path = os.path.abspath(__file__)
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    d = os.path.dirname(path)
    commit = run_cmd(["git", "-C", d, "rev-parse", "--verify", "-q", "HEAD"])
    if not (len(commit) == 40 and all(ch in "0123456789abcdef" for ch in commit)):
        commit = ""
    dirty = None
    if commit:
        dirty = bool(run_cmd(["git", "-C", d, "status", "--porcelain", "--", path]))
    return sha, commit or None, dirty


# ------------------------------------------------------------------ timing
def pct(sorted_vals, q):
    if len(sorted_vals) == 1:
        return sorted_vals[0]
    pos = (len(sorted_vals) - 1) * q
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


class Ctx:
    def __init__(self, args, device, dtype, prec):
        self.args = args
        self.device = device
        self.cuda = device.type == "cuda"
        self.dtype = dtype
        self.prec = prec
        self.t0 = time.perf_counter()
        self.deadline = self.t0 + args.budget_s if args.budget_s else None
        self.reserve_s = min(5.0, 0.1 * args.budget_s) if args.budget_s else 0.0
        self.rows = []
        self.skipped = []
        self.vidur_mlp = []
        self.vidur_attn = []
        self.clock_samples = []
        self.loadavg_start = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        self.graph = self.cuda and args.cuda_graph
        self.vidur_timing = set()
        self.last_calls = 1
        self.elem = torch.tensor([], dtype=dtype).element_size()
        self.warmup = args.warmup if args.warmup is not None else (5 if self.cuda else 2)
        self.min_reps = args.min_reps
        self.max_reps = args.max_reps if args.max_reps else (200 if self.cuda else args.min_reps)
        self.target_s = args.target_s if args.target_s else (0.25 if self.cuda else 0.0)
        if self.cuda:
            props = torch.cuda.get_device_properties(device)
            l2 = getattr(props, "L2_cache_size", 0) or 64 * 1024 ** 2
            self.llc_bytes = l2
        else:
            self.llc_bytes = max(parse_size(cpu_info().get("cache_L3_unified", "")), 32 * 1024 ** 2)
        self.rotate_bytes = args.rotate_bytes or 4 * self.llc_bytes

    def remaining(self):
        return None if self.deadline is None else self.deadline - time.perf_counter()

    def n_rot(self, bytes_per_input, cap=8):
        if bytes_per_input <= 0:
            return 2
        return int(max(1, min(cap, math.ceil(self.rotate_bytes / bytes_per_input))))

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def bench(self, fn, inputs, min_reps=None, target_s=None):
        """Returns a list of per-call latencies in seconds."""
        min_reps = min_reps or self.min_reps
        target_s = self.target_s if target_s is None else target_s
        k = len(inputs)
        # first call separately (allocations, autotuning, lazy init), then timed warm-up
        fn(inputs[0])
        self.sync()
        t = time.perf_counter()
        nw = max(1, self.warmup)
        for i in range(nw):
            fn(inputs[(i + 1) % k])
        self.sync()
        est = (time.perf_counter() - t) / nw
        n = max(min_reps, min(self.max_reps, int(target_s / max(est, 1e-9))))
        rem = self.remaining()
        if rem is not None:
            if rem - self.reserve_s < est * min_reps:
                raise BudgetExhausted(f"needs ~{est * min_reps:.1f}s, {rem:.1f}s left")
            n = max(min_reps, min(n, int((rem - self.reserve_s) / max(est, 1e-9) / 4)))
        times = []
        if self.cuda:
            starts = [torch.cuda.Event(enable_timing=True) for _ in range(n)]
            ends = [torch.cuda.Event(enable_timing=True) for _ in range(n)]
            for i in range(n):
                inp = inputs[(i + nw + 1) % k]
                starts[i].record()
                fn(inp)
                ends[i].record()
            torch.cuda.synchronize(self.device)
            times = [s.elapsed_time(e) / 1e3 for s, e in zip(starts, ends)]
        else:
            pc = time.perf_counter
            for i in range(n):
                inp = inputs[(i + nw + 1) % k]
                a = pc()
                fn(inp)
                times.append(pc() - a)
        self.last_warmup = nw + 1
        self.last_calls = 1
        return times

    def bench_graph(self, fn, inputs, est_s, min_reps=None, target_s=None):
        """CUDA-graph timing: capture R back-to-back calls (cycling the rotating inputs) in one graph,
        time each replay with CUDA events, and report replay time / R per call. This removes the
        host's kernel-launch gaps that eager timing of short kernels includes."""
        min_reps = min_reps or self.min_reps
        target_s = self.target_s if target_s is None else target_s
        k = len(inputs)
        r = int(max(1, min(64, math.ceil(2e-3 / max(est_s, 1e-7)))))
        dev = self.device
        side = torch.cuda.Stream(dev)
        side.wait_stream(torch.cuda.current_stream(dev))
        with torch.cuda.stream(side):
            for i in range(2):
                fn(inputs[i % k])
        torch.cuda.current_stream(dev).wait_stream(side)
        torch.cuda.synchronize(dev)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            for i in range(r):
                fn(inputs[i % k])
        g.replay()
        torch.cuda.synchronize(dev)
        t = time.perf_counter()
        nw = 3
        for _ in range(nw):
            g.replay()
        torch.cuda.synchronize(dev)
        est = (time.perf_counter() - t) / nw
        n = max(min_reps, min(self.max_reps, int(target_s / max(est, 1e-9))))
        rem = self.remaining()
        if rem is not None:
            if rem - self.reserve_s < est * min_reps:
                raise BudgetExhausted(f"needs ~{est * min_reps:.1f}s, {rem:.1f}s left")
            n = max(min_reps, min(n, int((rem - self.reserve_s) / max(est, 1e-9) / 4)))
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(n)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(n)]
        for i in range(n):
            starts[i].record()
            g.replay()
            ends[i].record()
        torch.cuda.synchronize(dev)
        times = [a.elapsed_time(b) / 1e3 / r for a, b in zip(starts, ends)]
        del g
        self.last_warmup = nw + 3
        self.last_calls = r
        return times

    def record(self, key, group, times, k, impl, flops=None, nbytes=None, notes="", precision=None, engine=ENGINE_EAGER):
        s = sorted(times)
        self.rows.append({
            "workload_key": key, "engine": engine, "group": group, "precision": precision or self.prec,
            "latency_s": pct(s, 0.5), "p10_s": pct(s, 0.1), "p90_s": pct(s, 0.9), "min_s": s[0], "max_s": s[-1],
            "n_reps": len(s), "calls_per_rep": self.last_calls, "n_warmup": self.last_warmup, "n_rotating_inputs": k, "impl": impl,
            "flops": flops if flops else "", "bytes": nbytes if nbytes else "", "notes": notes,
        })

    def free(self):
        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()


def fmt(v):
    if isinstance(v, float):
        return "%.6g" % v
    return v


def write_csv_atomic(path, columns, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: fmt(r.get(c, "")) for c in columns})
    os.replace(tmp, path)


# ------------------------------------------------------------------ workloads
def rand(ctx, *shape, dtype=None):
    return torch.randn(*shape, device=ctx.device, dtype=dtype or ctx.dtype)


def gemm_points(scale, tiny):
    """(M, N, K, model, role) for the suite's GEMM shapes."""
    if tiny:
        return [(16, 32, 64, "tiny", "tiny"), (1, 64, 32, "tiny", "tiny")]
    llama = [(12288, 4096, "qkv"), (4096, 4096, "o"), (22016, 4096, "gate+up"), (4096, 11008, "down"), (32000, 4096, "lm_head")]
    bert = [(2304, 768, "qkv"), (768, 768, "o"), (3072, 768, "fc1"), (768, 3072, "fc2")]
    gpt2 = bert + [(50257, 768, "lm_head")]
    pts = []
    llama_m = [1, 32, 512, 2048] if scale == "full" else [1, 32]
    for m in llama_m:
        pts += [(m, n, k, "llama-2-7b", r) for n, k, r in llama]
    for m in [512, 4096] if scale == "full" else [512]:
        pts += [(m, n, k, "bert-base", r) for n, k, r in bert]
    pts += [(1024, n, k, "gpt-2", r) for n, k, r in (gpt2 if scale == "full" else bert)]
    return pts


def do_ceilings(ctx, P):
    """Measured ceilings: a large GEMM (FLOP/s) and a large device copy (bytes/s)."""
    n = 64 if ctx.args.tiny else (8192 if ctx.cuda else 2048)
    key = f"{P}ceiling.gemm.m{n}.n{n}.k{n}"
    yield key, lambda: _gemm_fn(ctx, n, n, n, f"measured {ctx.prec} GEMM ceiling")
    nbytes = 1 << 20 if ctx.args.tiny else ((2 << 30) if ctx.cuda else (256 << 20))
    def mk():
        numel = nbytes // ctx.elem
        src = [rand(ctx, numel) for _ in range(2)]
        dst = torch.empty(numel, device=ctx.device, dtype=ctx.dtype)
        return (lambda x: dst.copy_(x)), src, dict(impl="tensor.copy_", flops=None, nbytes=2 * numel * ctx.elem,
                                                    notes="measured copy ceiling; bytes = read + write")
    yield f"{P}ceiling.copy.bytes{nbytes}", mk


def _gemm_fn(ctx, m, n, k, notes):
    per = (m * k + n * k) * ctx.elem
    r = ctx.n_rot(per)
    xs = [(rand(ctx, m, k), rand(ctx, n, k)) for _ in range(r)]
    fn = lambda p: F.linear(p[0], p[1])
    return fn, xs, dict(impl="F.linear", flops=2 * m * n * k, nbytes=(m * k + n * k + m * n) * ctx.elem, notes=notes)


def do_gemm(ctx, P):
    for m, n, k, model, role in gemm_points(ctx.args.scale, ctx.args.tiny):
        yield (f"{P}gemm.m{m}.n{n}.k{k}",
               (lambda m=m, n=n, k=k, model=model, role=role: _gemm_fn(ctx, m, n, k, f"{model} {role}; y = x W^T, x [M,K], W [N,K]")))


def do_attention(ctx, P):
    tiny, full = ctx.args.tiny, ctx.args.scale == "full"
    H, D, model = (4, 16, "tiny") if tiny else (32, 128, "llama-2-7b")
    pre_s = [32] if tiny else ([512, 2048] if full else [512])
    dec = [(2, 64)] if tiny else [(b, c) for c in (512, 2048) for b in (1, 8, 32, 64)]
    for s in pre_s:
        def mk(s=s):
            per = 3 * s * H * D * ctx.elem
            r = ctx.n_rot(per)
            xs = [tuple(rand(ctx, 1, H, s, D) for _ in range(3)) for _ in range(r)]
            return (lambda p: attention(p[0], p[1], p[2], causal=True)), xs, dict(
                impl=attn_impl(), flops=2 * 2 * H * s * s * D // 2, nbytes=4 * s * H * D * ctx.elem,
                notes=f"{model} causal prefill attention, {H} heads x {D}; q,k,v [B,H,S,D]; flops counts the causal half")
        yield f"{P}attn-prefill.{model}.b1.s{s}", mk
    for b, c in dec:
        def mk(b=b, c=c):
            per = (2 * c + 1) * b * H * D * ctx.elem
            r = ctx.n_rot(per)
            xs = [(rand(ctx, b, H, 1, D), rand(ctx, b, H, c, D), rand(ctx, b, H, c, D)) for _ in range(r)]
            return (lambda p: attention(p[0], p[1], p[2], causal=False)), xs, dict(
                impl=attn_impl(), flops=2 * 2 * b * H * c * D, nbytes=(2 * c + 2) * b * H * D * ctx.elem,
                notes=f"{model} decode attention: one query per sequence over a contiguous KV cache of {c}")
        yield f"{P}attn-decode.{model}.b{b}.c{c}", mk


def do_pointwise(ctx, P):
    rows_cols = [(8, 64)] if ctx.args.tiny else [(r, c) for r in (512, 2048) for c in (768, 4096)]
    for r_, c_ in rows_cols:
        per = r_ * c_ * ctx.elem
        def mk_ln(r_=r_, c_=c_, per=per):
            k = ctx.n_rot(per)
            w, b = rand(ctx, c_), rand(ctx, c_)
            xs = [rand(ctx, r_, c_) for _ in range(k)]
            return (lambda x: F.layer_norm(x, (c_,), w, b, 1e-5)), xs, dict(impl="F.layer_norm", nbytes=2 * per, notes="")
        def mk_rms(r_=r_, c_=c_, per=per):
            k = ctx.n_rot(per)
            w = rand(ctx, c_)
            xs = [rand(ctx, r_, c_) for _ in range(k)]
            return (lambda x: rms_norm(x, w, 1e-5)), xs, dict(impl=rms_impl(), nbytes=2 * per, notes="")
        def mk_sm(r_=r_, c_=c_, per=per):
            k = ctx.n_rot(per)
            xs = [rand(ctx, r_, c_) for _ in range(k)]
            return (lambda x: torch.softmax(x, dim=-1)), xs, dict(impl="torch.softmax", nbytes=2 * per, notes="softmax over the last dim")
        yield f"{P}layernorm.r{r_}.c{c_}", mk_ln
        yield f"{P}rmsnorm.r{r_}.c{c_}", mk_rms
        yield f"{P}softmax.r{r_}.c{c_}", mk_sm
    n = 4096 if ctx.args.tiny else 2048 * 11008
    def mk_gelu(n=n):
        k = ctx.n_rot(n * ctx.elem)
        xs = [rand(ctx, n) for _ in range(k)]
        return (lambda x: F.gelu(x)), xs, dict(impl="F.gelu(exact)", nbytes=2 * n * ctx.elem, notes="erf GELU")
    yield f"{P}gelu.n{n}", mk_gelu


def _ids(ctx, vocab, b, t, k):
    return [torch.randint(0, vocab, (b, t), device=ctx.device) for _ in range(k)]


def do_llama(ctx, P):
    a = ctx.args
    if a.tiny:
        cfg, name = dict(LLAMA_2_7B, d=64, n_layers=2, n_heads=4, n_kv_heads=4, d_ff=128, vocab=256, max_pos=128), "llama-tiny"
        pre, dec = [16], [(32, 2)]
    elif a.scale == "full":
        cfg, name = LLAMA_2_7B, "llama-2-7b"
        pre = [128, 512, 2048]
        dec = [(c, b) for c in (512, 2048) for b in (1, 8, 32, 64)]
    else:
        cfg, name = dict(LLAMA_2_7B, n_layers=2), "llama-2-7b-2layer"
        pre = [32, 128]
        dec = [(512, 1), (512, 8), (2048, 1)]
    holder = {}
    def model():
        if "m" not in holder:
            torch.manual_seed(0)
            holder["m"] = Llama(cfg, ctx.device, ctx.dtype).eval()
        return holder["m"]
    note = f"{cfg['n_layers']} layers, d {cfg['d']}, {cfg['n_heads']} heads, d_ff {cfg['d_ff']}, vocab {cfg['vocab']}; static KV cache; logits of the last position only"
    for s in pre:
        def mk(s=s):
            m = model()
            caches = m.alloc_cache(1, s, ctx.device, ctx.dtype)
            xs = _ids(ctx, cfg["vocab"], 1, s, 4)
            return (lambda ids: m(ids, 0, caches)), xs, dict(impl=attn_impl(), notes="prefill (writes the KV cache); " + note)
        yield f"{P}{name}.prefill.s{s}.b1", mk
    for c, b in dec:
        def mk(c=c, b=b):
            m = model()
            need = m.cache_bytes(b, c + 1, ctx.elem)
            if ctx.cuda:
                free = torch.cuda.mem_get_info(ctx.device)[0]
                if need > free - (2 << 30):
                    raise MemoryError(f"KV cache needs {need / 2**30:.1f} GiB, {free / 2**30:.1f} GiB free")
            caches = m.alloc_cache(b, c + 1, ctx.device, ctx.dtype)
            xs = _ids(ctx, cfg["vocab"], b, 1, 4)
            return (lambda ids: m(ids, c, caches)), xs, dict(
                impl=attn_impl(), notes=f"one decode step: {b} sequences, each attending over {c} cached tokens + itself; " + note)
        yield f"{P}{name}.decode.c{c}.b{b}", mk
    yield None, lambda: holder.clear()


def do_gpt2(ctx, P):
    a = ctx.args
    if a.tiny:
        cfg, pre, dec = dict(GPT2_CFG, d=64, n_layers=2, n_heads=4, d_ff=256, vocab=512, max_pos=128), [16], [(32, 1)]
    elif a.scale == "full":
        cfg, pre, dec = GPT2_CFG, [128, 512, 1024], [(512, 1)]
    else:
        cfg, pre, dec = GPT2_CFG, [128], [(512, 1)]
    name = "gpt-2-tiny" if a.tiny else "gpt-2"
    holder = {}
    def model():
        if "m" not in holder:
            torch.manual_seed(0)
            holder["m"] = GPT2(cfg, ctx.device, ctx.dtype).eval()
        return holder["m"]
    note = "GPT-2 small (124M) from its configuration; static KV cache; logits of the last position only"
    for s in pre:
        def mk(s=s):
            m = model()
            caches = m.alloc_cache(1, s, ctx.device, ctx.dtype)
            return (lambda ids: m(ids, 0, caches)), _ids(ctx, cfg["vocab"], 1, s, 4), dict(impl=attn_impl(), notes="prefill; " + note)
        yield f"{P}{name}.prefill.s{s}.b1", mk
    for c, b in dec:
        def mk(c=c, b=b):
            m = model()
            caches = m.alloc_cache(b, c + 1, ctx.device, ctx.dtype)
            return (lambda ids: m(ids, c, caches)), _ids(ctx, cfg["vocab"], b, 1, 4), dict(
                impl=attn_impl(), notes=f"one decode step over {c} cached tokens; " + note)
        yield f"{P}{name}.decode.c{c}.b{b}", mk
    yield None, lambda: holder.clear()


def do_bert(ctx, P):
    a = ctx.args
    if a.tiny:
        cfg, pts = dict(BERT_CFG, d=64, n_layers=2, n_heads=4, d_ff=256, vocab=512, max_pos=64), [(16, 1)]
    elif a.scale == "full":
        cfg, pts = BERT_CFG, [(s, b) for s in (128, 512) for b in (1, 8, 32)]
    else:
        cfg, pts = BERT_CFG, [(128, 1), (512, 1)]
    name = "bert-tiny" if a.tiny else "bert-base"
    holder = {}
    def model():
        if "m" not in holder:
            torch.manual_seed(0)
            holder["m"] = Bert(cfg, ctx.device, ctx.dtype).eval()
        return holder["m"]
    for s, b in pts:
        def mk(s=s, b=b):
            m = model()
            return (lambda ids: m(ids)), _ids(ctx, cfg["vocab"], b, s, 4), dict(
                impl=attn_impl(), notes="BERT-base encoder (110M) + pooler, no task head, no padding mask")
        yield f"{P}{name}.infer.s{s}.b{b}", mk
    yield None, lambda: holder.clear()


def do_resnet(ctx, P):
    import torchvision
    a = ctx.args
    size = 32 if a.tiny else 224
    bs = [1] if a.tiny else ([1, 8, 32, 128, 256] if a.scale == "full" else [1, 8])
    name = "resnet-50-32px" if a.tiny else "resnet-50"
    holder = {}
    def model():
        if "m" not in holder:
            torch.manual_seed(0)
            holder["m"] = torchvision.models.resnet50(weights=None).eval().to(device=ctx.device, dtype=ctx.dtype)
        return holder["m"]
    for b in bs:
        def mk(b=b):
            m = model()
            per = b * 3 * size * size * ctx.elem
            xs = [rand(ctx, b, 3, size, size) for _ in range(ctx.n_rot(per, cap=4))]
            return (lambda x: m(x)), xs, dict(impl="torchvision.resnet50", notes=f"torchvision {torchvision.__version__} resnet50(weights=None), NCHW, {size}x{size}")
        yield f"{P}{name}.infer.b{b}", mk
    yield None, lambda: holder.clear()


# ------------------------------------------------------------------ Vidur profiles
def vidur_stats(times_s):
    ms = [t * 1e3 for t in times_s]
    s = sorted(ms)
    mean = sum(ms) / len(ms)
    std = math.sqrt(sum((x - mean) ** 2 for x in ms) / len(ms))
    return {"min": s[0], "max": s[-1], "mean": mean, "median": pct(s, 0.5), "std": std}


def vidur_profiles(ctx, P):
    """Per-operator profiles of one Llama layer (mlp.csv) and attention (attention.csv), times in ms,
    in the column schema of microsoft/vidur's profiling outputs."""
    a = ctx.args
    if a.tiny:
        c = dict(LLAMA_2_7B, d=64, n_heads=4, n_kv_heads=4, d_ff=128, vocab=256)
        toks = [1, 8, 32]
        pre = [(32, 0), (16, 16)]
        dec = [(b, kv) for b in (1, 2) for kv in (32, 64)]
        vocab_col = c["vocab"]
    else:
        c = LLAMA_2_7B
        vocab_col = VIDUR_LLAMA_2_7B_VOCAB
        if ctx.cuda:
            toks = [1, 2, 4, 8, 16, 32, 64, 128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096]
            pre = [(p, 0) for p in (64, 128, 256, 512, 1024, 1536, 2048, 3072, 4096)]
            pre += [(p, kv) for p in (256, 512, 1024) for kv in (512, 1024, 2048) if p + kv <= 4096]
            dec = [(b, kv) for b in (1, 2, 4, 8, 16, 32, 64, 128) for kv in (128, 256, 512, 1024, 2048, 3072, 4096)]
        else:
            toks = [1, 2, 4, 8, 16, 32, 64, 128]
            pre = [(p, 0) for p in (64, 128, 256, 512)] + [(128, 128), (128, 384)]
            dec = [(b, kv) for b in (1, 2, 4, 8) for kv in (128, 512, 1024)]
    d, H, Hkv, D, ff = c["d"], c["n_heads"], c["n_kv_heads"], c["d"] // c["n_heads"], c["d_ff"]
    torch.manual_seed(0)
    W = {
        "emb": rand(ctx, c["vocab"], d) * 0.02, "n1": rand(ctx, d), "n2": rand(ctx, d),
        "qkv": rand(ctx, (H + 2 * Hkv) * D, d) * 0.02, "o": rand(ctx, d, H * D) * 0.02,
        "gu": rand(ctx, 2 * ff, d) * 0.02, "down": rand(ctx, d, ff) * 0.02,
    }
    cos, sin = rope_tables(max(4096, max(toks)) + 1, D, c["theta"], ctx.device, ctx.dtype)
    tmin = 0.0 if not ctx.cuda else 0.05
    meta_mlp = {"n_head": H, "n_kv_head": Hkv, "n_embd": d, "n_expanded_embd": ff, "vocab_size": vocab_col,
                "use_gated_mlp": "True", "num_tensor_parallel_workers": 1}

    # Vidur's attention profiles use paged KV blocks of 16; this profile uses a contiguous cache and
    # writes block_size 16 only so that Vidur's predictor (which filters on block_size) accepts the file.
    ctx._vidur_meta = (meta_mlp, {"n_embd": d, "n_q_head": H, "n_kv_head": Hkv, "block_size": 16,
                                  "num_tensor_parallel_workers": 1, "max_model_len": 4096})
    ctx._vidur_tmin = tmin

    def rot(per):
        return ctx.n_rot(per, cap=4)

    for T in toks:
        def mk(T=T):
            k = rot(T * ff * 2 * ctx.elem)
            xs = [rand(ctx, T, d) for _ in range(k)]
            ops = {}
            ids = [torch.randint(0, c["vocab"], (T,), device=ctx.device) for _ in range(k)]
            ops["emb"] = (lambda i: F.embedding(i, W["emb"]), ids)
            ops["input_layernorm"] = (lambda x: rms_norm(x, W["n1"], 1e-5), xs)
            ops["attn_pre_proj"] = (lambda x: F.linear(x, W["qkv"]), xs)
            qk = [rand(ctx, T, H + Hkv, D) for _ in range(k)]
            cs, sn = cos[:T].unsqueeze(1), sin[:T].unsqueeze(1)
            ops["attn_rope"] = (lambda t: (apply_rope(t[:, :H], cs, sn), apply_rope(t[:, H:], cs, sn)), qk)
            ops["attn_post_proj"] = (lambda x: F.linear(x, W["o"]), xs)
            ops["post_attention_layernorm"] = (lambda x: rms_norm(x, W["n2"], 1e-5), xs)
            ops["mlp_up_proj"] = (lambda x: F.linear(x, W["gu"]), xs)
            gus = [rand(ctx, T, 2 * ff) for _ in range(k)]
            ops["mlp_act"] = (lambda g: F.silu(g[:, :ff]) * g[:, ff:], gus)
            hs = [rand(ctx, T, ff) for _ in range(k)]
            ops["mlp_down_proj"] = (lambda h: F.linear(h, W["down"]), hs)
            ys = [(xs[i], xs[(i + 1) % k]) for i in range(k)]
            ops["add"] = (lambda p: p[0] + p[1], ys)
            return ops
        yield ("vidur-mlp", T), mk

    for p, kv in pre:
        def mk(p=p, kv=kv):
            total = p + kv
            k = rot(3 * total * Hkv * D * ctx.elem)
            caches = [(rand(ctx, 1, Hkv, total, D), rand(ctx, 1, Hkv, total, D)) for _ in range(k)]
            qs = [(rand(ctx, 1, H, p, D), cc[0], cc[1]) for cc in caches]
            mask = None
            if kv > 0:
                mask = torch.ones(p, total, dtype=torch.bool, device=ctx.device).tril(kv)
            new_kv = [(rand(ctx, 1, Hkv, p, D), rand(ctx, 1, Hkv, p, D), cc[0], cc[1]) for cc in caches]
            def save(t, kv=kv, p=p):
                t[2][:, :, kv:kv + p] = t[0]
                t[3][:, :, kv:kv + p] = t[1]
            ops = {"attn_prefill": (lambda t: attention(t[0], t[1], t[2], causal=True, attn_mask=mask), qs),
                   "attn_kv_cache_save": (save, new_kv)}
            return ops, {"batch_size": 1, "prefill_chunk_size": p, "kv_cache_size": kv, "is_prefill": "True",
                         "attention_backend": attn_impl(masked=kv > 0)}
        yield ("vidur-attn", (p, kv)), mk

    for b, kv in dec:
        def mk(b=b, kv=kv):
            k = rot(2 * b * kv * Hkv * D * ctx.elem)
            caches = [(rand(ctx, b, Hkv, kv + 1, D), rand(ctx, b, Hkv, kv + 1, D)) for _ in range(k)]
            qs = [(rand(ctx, b, H, 1, D), cc[0], cc[1]) for cc in caches]
            new_kv = [(rand(ctx, b, Hkv, 1, D), rand(ctx, b, Hkv, 1, D), cc[0], cc[1]) for cc in caches]
            def save(t, kv=kv):
                t[2][:, :, kv:kv + 1] = t[0]
                t[3][:, :, kv:kv + 1] = t[1]
            ops = {"attn_decode": (lambda t: attention(t[0], t[1], t[2], causal=False), qs),
                   "attn_kv_cache_save": (save, new_kv)}
            return ops, {"batch_size": b, "prefill_chunk_size": 0, "kv_cache_size": kv, "is_prefill": "False",
                         "attention_backend": attn_impl()}
        yield ("vidur-attn", (b, kv, "decode")), mk



def run_vidur(ctx, P, out_dir):
    gen = vidur_profiles(ctx, P)
    mlp_rows, attn_rows = ctx.vidur_mlp, ctx.vidur_attn
    for (kind, ident), mk in gen:
        if ctx.remaining() is not None and ctx.remaining() < ctx.reserve_s:
            raise BudgetExhausted("vidur profiles")
        try:
            built = mk()
            if kind == "vidur-mlp":
                ops, meta = built, {"num_tokens": ident}
            else:
                ops, meta = built
            row = {}
            for op, (fn, inputs) in ops.items():
                tmin = ctx._vidur_tmin if hasattr(ctx, "_vidur_tmin") else 0.0
                times = ctx.bench(fn, inputs, target_s=tmin)
                if ctx.graph:
                    try:
                        times = ctx.bench_graph(fn, inputs, pct(sorted(times), 0.5), target_s=tmin)
                        ctx.vidur_timing.add(ENGINE_GRAPH)
                    except BudgetExhausted:
                        raise
                    except Exception as e:  # noqa: BLE001 - keep the eager timing, say so
                        ctx.vidur_timing.add(ENGINE_EAGER)
                        ctx.skipped.append({"workload_key": f"{kind}:{ident}:{op}:cudagraph", "reason": f"{type(e).__name__}: {e}"[:300]})
                else:
                    ctx.vidur_timing.add(ENGINE_EAGER)
                for st, v in vidur_stats(times).items():
                    row[f"time_stats.{op}.{st}"] = v
            row.update(meta)
            (mlp_rows if kind == "vidur-mlp" else attn_rows).append(row)
            print(f"  {kind} {ident}: " + ", ".join(f"{k.split('.')[1]}={v:.4g}ms" for k, v in row.items()
                                                       if k.endswith(".median")), flush=True)
        except BudgetExhausted:
            raise
        except Exception as e:  # noqa: BLE001 - recorded, the run goes on
            ctx.skipped.append({"workload_key": f"{kind}:{ident}", "reason": f"{type(e).__name__}: {e}"[:300]})
            print(f"  SKIP {kind} {ident}: {e}", flush=True)
        finally:
            built = None
            ctx.free()


def write_vidur(ctx, out_dir):
    if not hasattr(ctx, "_vidur_meta"):
        return
    meta_mlp, meta_attn = ctx._vidur_meta
    vd = os.path.join(out_dir, "vidur")
    os.makedirs(vd, exist_ok=True)
    mlp_cols = [f"time_stats.{op}.{s}" for op in VIDUR_MLP_OPS for s in VIDUR_STATS] + VIDUR_MLP_META
    rows = [dict(r, **meta_mlp) for r in sorted(ctx.vidur_mlp, key=lambda r: r["num_tokens"])]
    if rows:
        write_csv_atomic(os.path.join(vd, "mlp.csv"), mlp_cols, rows)
    attn_cols = [f"time_stats.{op}.{s}" for op in VIDUR_ATTN_OPS for s in VIDUR_STATS] + VIDUR_ATTN_META
    rows = [dict(r, **meta_attn) for r in sorted(
        ctx.vidur_attn, key=lambda r: (r["is_prefill"] != "True", r["batch_size"], r["prefill_chunk_size"], r["kv_cache_size"]))]
    if rows:
        write_csv_atomic(os.path.join(vd, "attention.csv"), attn_cols, rows)


# ------------------------------------------------------------------ main
GROUPS = ["ceiling", "gemm", "attention", "pointwise", "vidur", "llama", "gpt2", "bert", "resnet"]
GROUP_FN = {"ceiling": do_ceilings, "gemm": do_gemm, "attention": do_attention, "pointwise": do_pointwise,
            "llama": do_llama, "gpt2": do_gpt2, "bert": do_bert, "resnet": do_resnet}


def provenance(ctx, args, started, wall_s, stopped):
    sha, commit, dirty = script_identity()
    dev = ctx.device
    p = {
        "schema": "measure-provenance/1",
        "date_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "script": "suite/measure/measure.py",
        "script_sha256": sha,
        "git_commit": args.commit or commit,
        "git_script_dirty": dirty if not args.commit else None,
        "argv": sys.argv[1:],
        "scale": "tiny" if args.tiny else args.scale,
        "precision": ctx.prec,
        "device_type": dev.type,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": _tv_version(),
        "torch_num_threads": torch.get_num_threads(),
        "sdpa_available": HAS_SDPA,
        "attention_impl": attn_impl(),
        "rms_norm_impl": rms_impl(),
        "os": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "cpu": cpu_info(),
        "blas_loaded": loaded_blas(),
        "torch_build_blas": _blas_info(),
        "timer": "torch.cuda.Event" if ctx.cuda else "time.perf_counter",
        "min_reps": ctx.min_reps, "warmup": ctx.warmup, "target_s_per_point": ctx.target_s,
        "rotate_bytes": ctx.rotate_bytes, "llc_bytes": ctx.llc_bytes,
        "budget_s": args.budget_s, "wall_s": round(wall_s, 1), "stopped_early": stopped,
        "n_rows": len(ctx.rows), "skipped": ctx.skipped,
        "engines": sorted({r["engine"] for r in ctx.rows}),
        "vidur_profile_timing": sorted(ctx.vidur_timing),
        "clock_samples": ctx.clock_samples,
        "loadavg_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "loadavg_at_start": ctx.loadavg_start,
    }
    if ctx.cuda:
        props = torch.cuda.get_device_properties(dev)
        smi = nvidia_smi(dev.index or 0) or {}
        p.update({
            "device_name": torch.cuda.get_device_name(dev),
            "driver": smi.get("driver_version"),
            "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(),
            "sm_count": props.multi_processor_count,
            "compute_capability": f"{props.major}.{props.minor}",
            "device_memory_bytes": props.total_memory,
            "nvidia_smi": smi,
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        })
    else:
        p.update({"device_name": "CPU " + str(cpu_info().get("model_name")), "driver": None, "cuda": None})
    return p


def _blas_info():
    try:
        cfg = torch.__config__.show()
        for part in cfg.replace("\n", ",").split(","):
            if "BLAS_INFO" in part:
                return part.strip()
    except Exception:  # noqa: BLE001
        pass
    return None


def _tv_version():
    try:
        import torchvision
        return torchvision.__version__
    except Exception:
        return None


def sample_clocks(ctx, label):
    if ctx.cuda:
        smi = nvidia_smi(ctx.device.index or 0)
        if smi:
            ctx.clock_samples.append({"after": label, "clocks.sm": smi.get("clocks.sm"), "clocks.mem": smi.get("clocks.mem"),
                                      "power.draw": smi.get("power.draw"), "temperature.gpu": smi.get("temperature.gpu")})
    else:
        ctx.clock_samples.append({"after": label, "cpu_mhz": cpu_info().get("cpu_mhz")})


def list_points(gen):
    """Generators only define closures (models are built lazily inside them), so listing is cheap."""
    return list(gen)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    ap.add_argument("--scale", choices=["full", "cpu-small"], default=None, help="default: full on CUDA, cpu-small on CPU")
    ap.add_argument("--tiny", action="store_true", help="seconds-long smoke test with tiny shapes (keys prefixed 'tiny.')")
    ap.add_argument("--precision", choices=sorted(DTYPES), default=None, help="default: bf16 on CUDA, fp32 on CPU")
    ap.add_argument("--budget-s", type=float, default=None, help="stop cleanly (writing what was measured) before this many seconds")
    ap.add_argument("--groups", default=",".join(GROUPS), help="comma-separated subset of " + ",".join(GROUPS))
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU); default: os.cpu_count()")
    ap.add_argument("--min-reps", type=int, default=20)
    ap.add_argument("--max-reps", type=int, default=None)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--target-s", type=float, default=None, help="timed seconds per point (GPU default 0.25)")
    ap.add_argument("--rotate-bytes", type=int, default=None, help="total bytes of rotating inputs (default 4x last-level cache)")
    ap.add_argument("--no-cuda-graph", dest="cuda_graph", action="store_false",
                    help="on CUDA, skip the second timing of every point inside a CUDA graph (engine pytorch-cudagraph)")
    ap.add_argument("--commit", default=None, help="git commit of this script, when not run from a git checkout")
    args = ap.parse_args(argv)

    started = datetime.datetime.now(datetime.timezone.utc)
    if args.device == "auto":
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda:0")
    if args.scale is None:
        args.scale = "full" if device.type == "cuda" else "cpu-small"
    prec = args.precision or ("bf16" if device.type == "cuda" else "fp32")
    if device.type == "cpu":
        torch.set_num_threads(args.threads or os.cpu_count() or 1)
    elif args.threads:
        torch.set_num_threads(args.threads)
    ctx = Ctx(args, device, DTYPES[prec], prec)
    P = "tiny." if args.tiny else ""
    groups = [g for g in args.groups.split(",") if g]
    bad = [g for g in groups if g not in GROUPS]
    if bad:
        ap.error(f"unknown group(s) {bad}; expected a subset of {GROUPS}")
    os.makedirs(args.out, exist_ok=True)
    csv_path = os.path.join(args.out, "measurements.csv")
    print(f"measure.py: device={device} precision={prec} scale={'tiny' if args.tiny else args.scale} "
          f"torch={torch.__version__} threads={torch.get_num_threads()} sdpa={HAS_SDPA}", flush=True)
    sample_clocks(ctx, "start")

    def flush(stopped):
        rows = sorted(ctx.rows, key=lambda r: (r["workload_key"], r["engine"]))
        write_csv_atomic(csv_path, MEASUREMENT_COLUMNS, rows)
        write_vidur(ctx, args.out)
        try:
            prov = provenance(ctx, args, started, time.perf_counter() - ctx.t0, stopped)
        except Exception as e:  # noqa: BLE001 - never lose the measurements over provenance
            prov = {"schema": "measure-provenance/1", "error": f"{type(e).__name__}: {e}", "argv": sys.argv[1:],
                    "date_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "skipped": ctx.skipped}
        tmp = os.path.join(args.out, "provenance.json.tmp")
        with open(tmp, "w") as f:
            json.dump(prov, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, os.path.join(args.out, "provenance.json"))

    stopped = None
    with torch.inference_mode():
        try:
            for g in groups:
                print(f"[{time.perf_counter() - ctx.t0:7.1f}s] group {g}", flush=True)
                if g == "vidur":
                    try:
                        run_vidur(ctx, P, args.out)
                    except BudgetExhausted:
                        raise
                    except Exception as e:  # noqa: BLE001
                        ctx.skipped.append({"workload_key": "group:vidur", "reason": f"{type(e).__name__}: {e}"[:300]})
                        print(f"  SKIP group vidur: {e}", flush=True)
                    sample_clocks(ctx, g)
                    flush(None)
                    continue
                try:
                    points = list_points(GROUP_FN[g](ctx, P))
                except Exception as e:  # noqa: BLE001
                    ctx.skipped.append({"workload_key": f"group:{g}", "reason": f"{type(e).__name__}: {e}"[:300]})
                    print(f"  SKIP group {g}: {e}", flush=True)
                    continue
                for key, mk in points:
                    if key is None:  # group teardown
                        mk()
                        ctx.free()
                        continue
                    rem = ctx.remaining()
                    if rem is not None and rem < ctx.reserve_s:
                        raise BudgetExhausted(f"before {key}")
                    built = None
                    try:
                        built = mk()
                        fn, inputs, meta = built
                        times = ctx.bench(fn, inputs)
                        ctx.record(key, g, times, len(inputs), meta["impl"], meta.get("flops"), meta.get("nbytes"), meta.get("notes", ""))
                        r = ctx.rows[-1]
                        print(f"  {key}: median {r['latency_s'] * 1e3:.4g} ms (n={r['n_reps']}, rot={r['n_rotating_inputs']})", flush=True)
                        if ctx.graph and g != "ceiling":
                            try:
                                gt = ctx.bench_graph(fn, inputs, r["latency_s"])
                                ctx.record(key, g, gt, len(inputs), meta["impl"], meta.get("flops"), meta.get("nbytes"),
                                           (meta.get("notes", "") + f"; CUDA graph of {ctx.last_calls} calls, latency = replay time / {ctx.last_calls}").lstrip("; "),
                                           engine=ENGINE_GRAPH)
                                r = ctx.rows[-1]
                                print(f"  {key} [cudagraph x{ctx.last_calls}]: median {r['latency_s'] * 1e3:.4g} ms (n={r['n_reps']})", flush=True)
                            except BudgetExhausted:
                                raise
                            except Exception as e:  # noqa: BLE001 - recorded, the eager row stands
                                ctx.skipped.append({"workload_key": key + ":cudagraph", "reason": f"{type(e).__name__}: {e}"[:300]})
                                print(f"  SKIP {key} [cudagraph]: {type(e).__name__}: {str(e)[:200]}", flush=True)
                    except BudgetExhausted:
                        raise
                    except Exception as e:  # noqa: BLE001 - recorded, the run goes on
                        ctx.skipped.append({"workload_key": key, "reason": f"{type(e).__name__}: {e}"[:300]})
                        print(f"  SKIP {key}: {type(e).__name__}: {str(e)[:200]}", flush=True)
                    finally:
                        built = fn = inputs = None
                        ctx.free()
                    flush(None)
                sample_clocks(ctx, g)
        except BudgetExhausted as e:
            stopped = f"budget exhausted ({e})"
            print("STOP: " + stopped, flush=True)
    flush(stopped)
    print(f"done: {len(ctx.rows)} rows, {len(ctx.skipped)} skipped, {time.perf_counter() - ctx.t0:.1f}s -> {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
