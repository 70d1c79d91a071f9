#!/usr/bin/env python3
"""Measurement script v2: calibration sweeps, serving runs, run-to-run variance and energy.

v2 runs beside v1 (suite/measure/measure.py, kept byte-identical; the committed v1 sets record its
sha256). v2 imports v1's models, timing loop and helpers and adds:

  calibration sweeps   role "calibration", keys "cal.*": GEMM grid (bf16, fp16, fp8 where the
                       device has it), copy / read / write bandwidth, empty-kernel launch, per-kernel
                       host dispatch (eager) versus graph replay, attention prefill/decode sweeps,
                       elementwise and norm throughput. Disjoint by construction from every
                       evaluation point: a sweep point whose shape equals an evaluation shape is
                       dropped (and counted in provenance.json).
  serving runs         a minimal continuous-batching server written in this script (named
                       "measure-v2-minimal-cb" in provenance: it is not vLLM or SGLang), run over
                       Poisson arrivals at three rates and one saturating burst, fixed and lognormal
                       lengths, on a Llama-2-7B-shaped model with random weights.
  variance             every timed point is measured in --trials independent trials (fresh warm-up
                       each); variance.csv records the trial medians' median, min, max and CV.
  energy               NVML total-energy counter (GPU) or RAPL (CPU, when readable) around a
                       sustained loop of model-step and GEMM points; otherwise skipped with the reason.

Outputs in --out (v1 contracts kept; new files beside them):
  measurements.csv     evaluation rows, v1's MEASUREMENT_COLUMNS (pooled over the trials)
  variance.csv         VARIANCE_COLUMNS, one row per timed point (evaluation and calibration)
  calibration.csv      CALIBRATION_COLUMNS, role calibration only
  energy.csv           ENERGY_COLUMNS
  serving/runs.csv     SERVING_RUN_COLUMNS, one row per serving run (workload + engine configuration)
  serving/requests.csv SERVING_REQUEST_COLUMNS, one row per request
  vidur/*.csv          as v1
  provenance.json      schema measure-provenance/2: v1's fields plus v2's script, both scripts' sha256

    /usr/bin/python3 suite/measure/measure_v2.py --tiny --out /tmp/m       # seconds, any host
    /usr/bin/python3 suite/measure/measure_v2.py --smoke --out /tmp/m      # under 60 s
    python3 suite/measure/measure_v2.py --device cuda --out $OUT --budget-s 420   # one GPU call

Sections run in order of value, so that a budget stop loses the least: calibration, serving,
evaluation groups, Vidur profiles, energy.
"""
import argparse
import ctypes
import datetime
import hashlib
import importlib.util
import json
import math
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("measure_v1", os.path.join(HERE, "measure.py"))
v1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(v1)

torch, F = v1.torch, v1.F

ROLE_CAL, ROLE_EVAL = "calibration", "evaluation"
SERVER_NAME = "measure-v2-minimal-cb"
VARIANCE_COLUMNS = ["workload_key", "engine", "role", "group", "precision", "n_trials", "reps_per_trial",
                    "median_of_trials_s", "trial_min_s", "trial_max_s", "cv"]
CALIBRATION_COLUMNS = ["workload_key", "role", "engine", "group", "kind", "precision", "m", "n", "k", "batch",
                       "seq_len", "context_len", "heads", "head_dim", "elements", "latency_s", "min_s", "max_s",
                       "cv", "n_trials", "calls_per_rep", "impl", "flops", "bytes", "notes"]
ENERGY_COLUMNS = ["workload_key", "engine", "precision", "calls", "duration_s", "energy_j", "energy_j_per_call",
                  "avg_power_w", "method"]
SERVING_RUN_COLUMNS = ["run_id", "server", "model", "n_layers", "precision", "arrival", "rate_per_s", "n_requests",
                       "length_dist", "prompt_tokens", "output_tokens", "seed", "max_num_seqs", "max_model_len",
                       "prefill", "kv_cache", "duration_s", "completed", "notes"]
SERVING_REQUEST_COLUMNS = ["run_id", "request_id", "arrival_s", "scheduled_s", "first_token_s", "finish_s",
                           "prompt_tokens", "output_tokens"]
SECTIONS = ["calibration", "serving", "evaluation", "vidur", "energy"]
CAL_GROUPS = ["cal-gemm", "cal-copy", "cal-launch", "cal-attention", "cal-pointwise"]


class Budget(v1.BudgetExhausted):
    pass


class SectionOver(Exception):
    """A section used up its share of --budget-s; the run goes on with the next section."""


# Shares of --budget-s a section may use before the next one starts (the rest goes to evaluation,
# Vidur profiles and energy, which stop at the overall budget).
SECTION_SHARE = {"calibration": 0.25, "serving": 0.35}


def section_check(ctx, where):
    d = getattr(ctx, "section_deadline", None)
    if d is not None and time.perf_counter() > d:
        raise SectionOver(where)


# ------------------------------------------------------------------ statistics
def cv_of(xs):
    """Coefficient of variation (sample standard deviation / mean) of the trial medians; 0 for one trial."""
    if len(xs) < 2:
        return 0.0
    m = sum(xs) / len(xs)
    var = sum((x - m) ** 2 for x in xs) / (len(xs) - 1)
    return math.sqrt(var) / m if m > 0 else 0.0


def trial_stats(trials):
    """trials: list of lists of per-call seconds -> pooled v1 stats plus across-trial statistics."""
    pooled = sorted(t for tr in trials for t in tr)
    meds = [v1.pct(sorted(tr), 0.5) for tr in trials]
    return {
        "pooled": pooled,
        "median_of_trials_s": v1.pct(sorted(meds), 0.5),
        "trial_min_s": min(meds), "trial_max_s": max(meds), "cv": cv_of(meds),
        "n_trials": len(trials), "reps_per_trial": min(len(tr) for tr in trials),
    }


# ------------------------------------------------------------------ energy
class Energy:
    """GPU: NVML nvmlDeviceGetTotalEnergyConsumption (mJ since driver load) through ctypes, no Python
    package needed. CPU: Linux RAPL (/sys/class/powercap/intel-rapl:0/energy_uj) when readable."""

    def __init__(self, ctx):
        self.method, self.reason, self._read = None, None, None
        if ctx.cuda:
            try:
                lib = ctypes.CDLL("libnvidia-ml.so.1")
                if lib.nvmlInit_v2() != 0:
                    raise OSError("nvmlInit_v2 failed")
                h = ctypes.c_void_p()
                if lib.nvmlDeviceGetHandleByIndex_v2(ctx.device.index or 0, ctypes.byref(h)) != 0:
                    raise OSError("nvmlDeviceGetHandleByIndex_v2 failed")
                mj = ctypes.c_ulonglong()

                def read():
                    if lib.nvmlDeviceGetTotalEnergyConsumption(h, ctypes.byref(mj)) != 0:
                        raise OSError("nvmlDeviceGetTotalEnergyConsumption not supported")
                    return mj.value / 1e3
                read()
                self._read, self.method = read, "nvml-total-energy"
            except Exception as e:  # noqa: BLE001
                self.reason = f"NVML energy counter unavailable: {type(e).__name__}: {e}"
        else:
            p = "/sys/class/powercap/intel-rapl:0/energy_uj"
            try:
                with open(p) as f:
                    int(f.read())

                def read():
                    with open(p) as f:
                        return int(f.read()) / 1e6
                self._read, self.method = read, "rapl-package-0"
            except Exception as e:  # noqa: BLE001
                self.reason = f"no readable CPU energy counter ({p}): {type(e).__name__}"

    def joules(self):
        return self._read()


# ------------------------------------------------------------------ calibration sweeps
def eval_gemm_shapes():
    """Every (m, n, k) an evaluation point of v1 times, at any scale."""
    shapes = set()
    for scale in ("full", "cpu-small"):
        for m, n, k, _, _ in v1.gemm_points(scale, False):
            shapes.add((m, n, k))
    shapes.add((8192, 8192, 8192))
    shapes.add((2048, 2048, 2048))
    return shapes


def cal_gemm_grid(ctx):
    a = ctx.args
    if a.tiny:
        return [(8, 16, 32), (33, 17, 64)]
    if not ctx.cuda:
        dims = [64, 256, 1024] if not a.smoke else [64, 256]
        odd = [(1000, 1000, 1000), (127, 4095, 511)] if not a.smoke else [(127, 255, 63)]
    elif a.smoke:
        dims, odd = [256, 4096], [(1000, 3000, 5000)]
    else:
        dims = [128, 1024, 4096, 16384]
        odd = [(1000, 1000, 1000), (3000, 5000, 7000), (127, 4095, 4095), (4095, 127, 4095), (4095, 4095, 127),
               (1, 50000, 1024), (16, 50000, 1024), (777, 11000, 4096), (96, 96, 9600), (2049, 2049, 2049)]
    grid = [(m, n, k) for m in dims for n in dims for k in dims] + odd
    if ctx.cuda and not a.smoke:  # keep the grid within budget: drop the largest cube corners
        grid = [g for g in grid if g[0] * g[1] * g[2] <= 16384 * 4096 * 4096]
    return grid


def fp8_supported(ctx):
    if not ctx.cuda or not hasattr(torch, "float8_e4m3fn") or not hasattr(torch, "_scaled_mm"):
        return False, "torch has no float8_e4m3fn / _scaled_mm" if ctx.cuda else "fp8 GEMM needs a CUDA device"
    major, minor = torch.cuda.get_device_capability(ctx.device)
    if (major, minor) < (8, 9):
        return False, f"compute capability {major}.{minor} < 8.9 has no fp8 tensor cores"
    return True, ""


def do_cal_gemm(ctx, P):
    evals = eval_gemm_shapes()
    dts = ["bf16", "fp16"] if ctx.cuda else ["fp32"]
    if ctx.args.tiny:
        dts = [ctx.prec]
    ok8, why8 = fp8_supported(ctx)
    if ctx.cuda and not ctx.args.tiny:
        dts.append("fp8")
    for m, n, k in cal_gemm_grid(ctx):
        if (m, n, k) in evals:
            ctx.dropped_collisions += 1
            continue
        for dt in dts:
            key = f"{P}cal.gemm.{dt}.m{m}.n{n}.k{k}"
            if dt == "fp8" and not ok8:
                ctx.skipped.append({"workload_key": key, "reason": why8})
                continue
            yield key, dict(kind="gemm", m=m, n=n, k=k, batch=1, precision=dt), (lambda m=m, n=n, k=k, dt=dt: _cal_gemm(ctx, m, n, k, dt))


def _cal_gemm(ctx, m, n, k, dt):
    if dt == "fp8":
        el = 1
        r = ctx.n_rot((m * k + n * k) * el)
        xs = [(torch.randn(m, k, device=ctx.device).to(torch.float8_e4m3fn),
               torch.randn(n, k, device=ctx.device).to(torch.float8_e4m3fn)) for _ in range(r)]
        one = torch.ones((), device=ctx.device)
        fn = lambda p: torch._scaled_mm(p[0], p[1].t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
        return fn, xs, dict(impl="torch._scaled_mm(e4m3, out bf16)", flops=2 * m * n * k,
                            nbytes=m * k + n * k + 2 * m * n, notes="fp8 e4m3 inputs, unit scales, bf16 output")
    dtype = v1.DTYPES[dt]
    el = torch.tensor([], dtype=dtype).element_size()
    r = ctx.n_rot((m * k + n * k) * el)
    xs = [(v1.rand(ctx, m, k, dtype=dtype), v1.rand(ctx, n, k, dtype=dtype)) for _ in range(r)]
    return (lambda p: F.linear(p[0], p[1])), xs, dict(impl="F.linear", flops=2 * m * n * k, nbytes=(m * k + n * k + m * n) * el,
                                                      notes="calibration GEMM sweep; y = x W^T")


def do_cal_copy(ctx, P):
    a = ctx.args
    if a.tiny:
        sizes = [1 << 16, 1 << 20]
    elif not ctx.cuda:
        sizes = [1 << 20, 16 << 20] if a.smoke else [1 << 20, 8 << 20, 64 << 20]
    else:
        sizes = [1 << 20, 16 << 20, 256 << 20] if a.smoke else [1 << 20, 4 << 20, 16 << 20, 64 << 20, 256 << 20, 1 << 30]
    for nb in sizes:
        numel = nb // ctx.elem
        for mode in ("copy", "read", "write"):
            def mk(numel=numel, mode=mode, nb=nb):
                src = [v1.rand(ctx, numel) for _ in range(ctx.n_rot(nb, cap=4))]
                dst = torch.empty(numel, device=ctx.device, dtype=ctx.dtype)
                if mode == "copy":
                    return (lambda x: dst.copy_(x)), src, dict(impl="tensor.copy_", nbytes=2 * nb, notes="bytes = read + write")
                if mode == "read":
                    return (lambda x: x.sum()), src, dict(impl="tensor.sum", nbytes=nb, notes="read bandwidth: one reduction")
                return (lambda x: x.fill_(1.0)), src, dict(impl="tensor.fill_", nbytes=nb, notes="write bandwidth: fill")
            yield f"{P}cal.{mode}.bytes{nb}", dict(kind=mode, elements=numel, precision=ctx.prec), mk


def do_cal_launch(ctx, P):
    """Empty-kernel launch: a 1-element add. Eager timing = host dispatch + launch + kernel; graph
    replay / R = the per-kernel device floor. `cal.dispatch` times only the host issuing 256
    kernels back to back without synchronisation (per-kernel host dispatch cost)."""
    def mk_empty():
        xs = [torch.zeros(1, device=ctx.device, dtype=ctx.dtype) for _ in range(2)]
        return (lambda x: x.add_(1.0)), xs, dict(impl="tensor.add_(1 element)", nbytes=2 * ctx.elem, notes="empty kernel")
    yield f"{P}cal.launch.empty", dict(kind="launch", elements=1, precision=ctx.prec), mk_empty
    for nk in ([8] if ctx.args.tiny else [16, 256]):
        def mk_dispatch(nk=nk):
            x = torch.zeros(1, device=ctx.device, dtype=ctx.dtype)
            def issue(_):
                for _i in range(nk):
                    x.add_(1.0)
            return issue, [None, None], dict(impl=f"{nk} x tensor.add_ per call", nbytes=None, host_only=True, per_call=nk,
                                             notes=f"host time to issue {nk} tiny kernels without a sync, per kernel")
        yield f"{P}cal.dispatch.k{nk}", dict(kind="dispatch", elements=1, precision=ctx.prec), mk_dispatch


def do_cal_attention(ctx, P):
    a = ctx.args
    H, D = (4, 16) if a.tiny else (32, 128)
    if a.tiny:
        pre, dec = [(1, 24)], [(3, 48)]
    elif not ctx.cuda:
        pre = [(1, 256)] if a.smoke else [(1, 128), (1, 256), (2, 256)]
        dec = [(2, 256)] if a.smoke else [(2, 256), (4, 1024), (16, 256)]
    else:
        pre = [(1, 256), (1, 1024), (1, 4096)] if a.smoke else [(1, 128), (1, 256), (1, 1024), (1, 4096), (4, 1024), (2, 8192)]
        dec = [(4, 1024)] if a.smoke else [(2, 256), (4, 1024), (16, 256), (16, 4096), (128, 1024), (256, 512)]
    for b, s in pre:
        def mk(b=b, s=s):
            per = 3 * b * s * H * D * ctx.elem
            xs = [tuple(v1.rand(ctx, b, H, s, D) for _ in range(3)) for _ in range(ctx.n_rot(per))]
            return (lambda p: v1.attention(p[0], p[1], p[2], causal=True)), xs, dict(
                impl=v1.attn_impl(), flops=2 * b * H * s * (s + 1) * D, nbytes=4 * b * s * H * D * ctx.elem,
                notes="calibration causal prefill sweep; flops = 4*b*h*d*s(s+1)/2")
        yield f"{P}cal.attn-prefill.h{H}.d{D}.b{b}.s{s}", dict(kind="attention-prefill", batch=b, seq_len=s, heads=H, head_dim=D, precision=ctx.prec), mk
    for b, c in dec:
        def mk(b=b, c=c):
            per = (2 * c + 1) * b * H * D * ctx.elem
            xs = [(v1.rand(ctx, b, H, 1, D), v1.rand(ctx, b, H, c, D), v1.rand(ctx, b, H, c, D)) for _ in range(ctx.n_rot(per))]
            return (lambda p: v1.attention(p[0], p[1], p[2], causal=False)), xs, dict(
                impl=v1.attn_impl(), flops=4 * b * H * c * D, nbytes=(2 * c + 2) * b * H * D * ctx.elem,
                notes="calibration decode sweep over a contiguous KV cache")
        yield f"{P}cal.attn-decode.h{H}.d{D}.b{b}.c{c}", dict(kind="attention-decode", batch=b, context_len=c, heads=H, head_dim=D, precision=ctx.prec), mk


def do_cal_pointwise(ctx, P):
    a = ctx.args
    if a.tiny:
        rc, ns = [(4, 32)], [1 << 12]
    elif not ctx.cuda:
        rc = [(256, 1024)] if a.smoke else [(256, 1024), (1024, 2048)]
        ns = [1 << 20] if a.smoke else [1 << 18, 1 << 22]
    else:
        rc = [(1024, 2048)] if a.smoke else [(256, 1024), (1024, 2048), (8192, 8192), (4096, 1024), (16384, 4096)]
        ns = [1 << 24] if a.smoke else [1 << 16, 1 << 20, 1 << 24, 1 << 27]
    for r_, c_ in rc:
        per = r_ * c_ * ctx.elem
        for op in ("layernorm", "rmsnorm", "softmax"):
            def mk(r_=r_, c_=c_, per=per, op=op):
                xs = [v1.rand(ctx, r_, c_) for _ in range(ctx.n_rot(per))]
                w, b = v1.rand(ctx, c_), v1.rand(ctx, c_)
                fn = {"layernorm": lambda x: F.layer_norm(x, (c_,), w, b, 1e-5),
                      "rmsnorm": lambda x: v1.rms_norm(x, w, 1e-5),
                      "softmax": lambda x: torch.softmax(x, dim=-1)}[op]
                return fn, xs, dict(impl=op, nbytes=2 * per, notes="calibration pointwise sweep")
            yield f"{P}cal.{op}.r{r_}.c{c_}", dict(kind=op, m=r_, n=c_, elements=r_ * c_, precision=ctx.prec), mk
    for n in ns:
        for op in ("add", "gelu", "silu"):
            def mk(n=n, op=op):
                xs = [v1.rand(ctx, n) for _ in range(ctx.n_rot(n * ctx.elem))]
                fn = {"add": lambda x: x + x, "gelu": lambda x: F.gelu(x), "silu": lambda x: F.silu(x)}[op]
                return fn, xs, dict(impl=op, nbytes=2 * n * ctx.elem, notes="calibration elementwise sweep")
            yield f"{P}cal.{op}.n{n}", dict(kind=op, elements=n, precision=ctx.prec), mk


CAL_FN = {"cal-gemm": do_cal_gemm, "cal-copy": do_cal_copy, "cal-launch": do_cal_launch,
          "cal-attention": do_cal_attention, "cal-pointwise": do_cal_pointwise}


# ------------------------------------------------------------------ timing with trials
def host_bench(ctx, fn, reps):
    """Host-only timing (no device sync inside the loop): seconds per call."""
    fn(None)
    ctx.sync()
    out = []
    for _ in range(reps):
        a = time.perf_counter()
        fn(None)
        out.append(time.perf_counter() - a)
        ctx.sync()
    return out


def timed_trials(ctx, fn, inputs, meta, graph):
    trials = []
    for _ in range(ctx.args.trials):
        if meta.get("host_only"):
            per = meta.get("per_call", 1)
            trials.append([t / per for t in host_bench(ctx, fn, ctx.reps_per_trial)])
            ctx.last_calls, ctx.last_warmup = per, 1
        elif graph:
            est = v1.pct(sorted(ctx.bench(fn, inputs, min_reps=ctx.reps_per_trial, target_s=0.0)), 0.5)
            trials.append(ctx.bench_graph(fn, inputs, est, min_reps=ctx.reps_per_trial, target_s=ctx.trial_target_s))
        else:
            trials.append(ctx.bench(fn, inputs, min_reps=ctx.reps_per_trial, target_s=ctx.trial_target_s))
    return trial_stats(trials)


def record(ctx, key, role, group, engine, st, k, meta, shape=None):
    s = st["pooled"]
    ctx.variance.append({"workload_key": key, "engine": engine, "role": role, "group": group,
                         "precision": (shape or {}).get("precision", ctx.prec), "n_trials": st["n_trials"],
                         "reps_per_trial": st["reps_per_trial"], "median_of_trials_s": st["median_of_trials_s"],
                         "trial_min_s": st["trial_min_s"], "trial_max_s": st["trial_max_s"], "cv": st["cv"]})
    if role == ROLE_EVAL:
        ctx.rows.append({
            "workload_key": key, "engine": engine, "group": group, "precision": ctx.prec,
            "latency_s": v1.pct(s, 0.5), "p10_s": v1.pct(s, 0.1), "p90_s": v1.pct(s, 0.9), "min_s": s[0], "max_s": s[-1],
            "n_reps": len(s), "calls_per_rep": ctx.last_calls, "n_warmup": ctx.last_warmup, "n_rotating_inputs": k,
            "impl": meta["impl"], "flops": meta.get("flops") or "", "bytes": meta.get("nbytes") or "",
            "notes": (meta.get("notes", "") + f"; {st['n_trials']} trials, trial-median CV {st['cv']:.3g}").lstrip("; "),
        })
    else:
        row = {c: "" for c in CALIBRATION_COLUMNS}
        row.update({k_: v for k_, v in (shape or {}).items() if k_ in row})
        row.update({"workload_key": key, "role": ROLE_CAL, "engine": engine, "group": group,
                    "latency_s": st["median_of_trials_s"], "min_s": s[0], "max_s": s[-1], "cv": st["cv"],
                    "n_trials": st["n_trials"], "calls_per_rep": ctx.last_calls, "impl": meta["impl"],
                    "flops": meta.get("flops") or "", "bytes": meta.get("nbytes") or "", "notes": meta.get("notes", "")})
        ctx.calibration.append(row)


def run_points(ctx, group, role, points, energy_ok=False):
    for key, shape, mk in points:
        if key is None:
            mk()
            ctx.free()
            continue
        rem = ctx.remaining()
        if rem is not None and rem < ctx.reserve_s:
            raise Budget(f"before {key}")
        section_check(ctx, f"before {key}")
        built = None
        try:
            built = mk()
            fn, inputs, meta = built
            st = timed_trials(ctx, fn, inputs, meta, graph=False)
            record(ctx, key, role, group, v1.ENGINE_EAGER, st, len(inputs), meta, shape)
            print(f"  [{ctx.elapsed():6.1f}s] {key}: {st['median_of_trials_s'] * 1e3:.4g} ms, CV {st['cv']:.3f} "
                  f"({st['n_trials']} trials x {st['reps_per_trial']})", flush=True)
            if ctx.graph and not meta.get("host_only") and group != "ceiling" and not (
                    role == ROLE_CAL and (meta.get("flops") or 0) > 1e10):
                try:
                    gst = timed_trials(ctx, fn, inputs, meta, graph=True)
                    record(ctx, key, role, group, v1.ENGINE_GRAPH, gst, len(inputs),
                           dict(meta, notes=(meta.get("notes", "") + f"; CUDA graph of {ctx.last_calls} calls").lstrip("; ")), shape)
                except v1.BudgetExhausted:
                    raise
                except Exception as e:  # noqa: BLE001 - the eager row stands
                    ctx.skipped.append({"workload_key": key + ":cudagraph", "reason": f"{type(e).__name__}: {e}"[:300]})
            if energy_ok:
                ctx.energy_points.append((key, mk))
        except v1.BudgetExhausted:
            raise
        except Exception as e:  # noqa: BLE001 - recorded, the run goes on
            ctx.skipped.append({"workload_key": key, "reason": f"{type(e).__name__}: {e}"[:300]})
            print(f"  SKIP {key}: {type(e).__name__}: {str(e)[:200]}", flush=True)
        finally:
            built = fn = inputs = None
            ctx.free()
        ctx.flush(None)


# ------------------------------------------------------------------ serving
class CBServer:
    """A minimal continuous-batching server (iteration-level scheduling, as in Orca/vLLM):
    each iteration admits waiting requests up to max_num_seqs (FCFS), runs each new request's
    prefill alone (first token), then one batched decode step for every running sequence. KV cache:
    one contiguous slot of max_model_len per sequence (no paging); decode attends over the longest
    running context with a per-sequence mask. Times are wall-clock (device synchronised)."""

    def __init__(self, ctx, cfg, max_num_seqs, max_model_len):
        self.ctx, self.cfg = ctx, cfg
        torch.manual_seed(0)
        self.model = v1.Llama(dict(cfg, max_pos=max_model_len), ctx.device, ctx.dtype).eval()
        self.B, self.L = max_num_seqs, max_model_len
        hkv, hd = cfg["n_kv_heads"], cfg["d"] // cfg["n_heads"]
        self.caches = [(torch.zeros(self.B, hkv, self.L, hd, device=ctx.device, dtype=ctx.dtype),
                        torch.zeros(self.B, hkv, self.L, hd, device=ctx.device, dtype=ctx.dtype)) for _ in range(cfg["n_layers"])]

    def prefill(self, slot, n):
        ids = torch.randint(0, self.cfg["vocab"], (1, n), device=self.ctx.device)
        caches = [(kc[slot:slot + 1], vc[slot:slot + 1]) for kc, vc in self.caches]
        self.model(ids, 0, caches)

    def decode(self, slots, pos):
        """One token for each slot; pos[i] = tokens already in slot i's cache."""
        m, c = self.model, self.cfg
        b = len(slots)
        idx = torch.tensor(slots, device=self.ctx.device)
        p = torch.tensor(pos, device=self.ctx.device)
        T = max(pos) + 1
        x = m.embed(torch.randint(0, c["vocab"], (b, 1), device=self.ctx.device))
        cos, sin = m.cos[p].unsqueeze(1).unsqueeze(1), m.sin[p].unsqueeze(1).unsqueeze(1)
        mask = (torch.arange(T, device=self.ctx.device).unsqueeze(0) <= p.unsqueeze(1)).view(b, 1, 1, T)
        for layer, (kc, vc) in zip(m.layers, self.caches):
            h, hkv, hd = layer.h, layer.hkv, layer.hd
            qkv = layer.qkv(layer.norm1(x))
            q, k, v = qkv.split([h * hd, hkv * hd, hkv * hd], dim=-1)
            q = v1.apply_rope(q.view(b, 1, h, hd).transpose(1, 2), cos, sin)
            k = v1.apply_rope(k.view(b, 1, hkv, hd).transpose(1, 2), cos, sin)
            v = v.view(b, 1, hkv, hd).transpose(1, 2)
            kc[idx, :, p] = k[:, :, 0]
            vc[idx, :, p] = v[:, :, 0]
            o = v1.attention(q, kc[idx, :, :T], vc[idx, :, :T], causal=False, attn_mask=mask)
            x = x + layer.o(o.transpose(1, 2).reshape(b, 1, h * hd))
            g, u = layer.gate_up(layer.norm2(x)).chunk(2, dim=-1)
            x = x + layer.down(F.silu(g) * u)
        m.lm_head(m.norm(x))

    def run(self, reqs):
        """reqs: list of (arrival_s, prompt, output) sorted by arrival. Returns per-request times (s from start)."""
        ctx, now = self.ctx, time.perf_counter
        t0 = now()
        waiting, running, out = list(range(len(reqs))), [], {}
        free_slots = list(range(self.B))
        state = {}
        while waiting or running:
            t = now() - t0
            if not running and waiting and reqs[waiting[0]][0] > t:
                time.sleep(min(reqs[waiting[0]][0] - t, 0.05))
                continue
            while waiting and free_slots and reqs[waiting[0]][0] <= now() - t0:
                r = waiting.pop(0)
                slot = free_slots.pop(0)
                sched = now() - t0
                self.prefill(slot, reqs[r][1])
                ctx.sync()
                ft = now() - t0
                state[r] = {"slot": slot, "pos": reqs[r][1], "left": reqs[r][2] - 1}
                out[r] = {"scheduled_s": sched, "first_token_s": ft, "finish_s": ft}
                if state[r]["left"] <= 0:
                    free_slots.append(slot)
                    del state[r]
                else:
                    running.append(r)
            if running:
                self.decode([state[r]["slot"] for r in running], [state[r]["pos"] for r in running])
                ctx.sync()
                t = now() - t0
                still = []
                for r in running:
                    s = state[r]
                    s["pos"] += 1
                    s["left"] -= 1
                    out[r]["finish_s"] = t
                    if s["left"] <= 0:
                        free_slots.append(s["slot"])
                        del state[r]
                    else:
                        still.append(r)
                running = still
            rem = ctx.remaining()
            if rem is not None and rem < ctx.reserve_s:
                raise Budget("inside a serving run")
            section_check(ctx, "inside a serving run")
        return out, now() - t0


def serving_plan(ctx):
    """(model name, config, max_num_seqs, max_model_len, requests per run, (prompt, output) medians)."""
    a = ctx.args
    if a.tiny:
        cfg = dict(v1.LLAMA_2_7B, d=64, n_layers=2, n_heads=4, n_kv_heads=4, d_ff=128, vocab=256)
        return "llama-tiny", cfg, 4, 128, 8, (8, 4)
    if not ctx.cuda:
        cfg = dict(v1.LLAMA_2_7B, d=256, n_layers=2, n_heads=4, n_kv_heads=4, d_ff=688, vocab=2048)
        return "llama-2-7b-shape-d256-2layer", cfg, 8, 256, (12 if a.smoke else 24), (32, 8)
    return "llama-2-7b", v1.LLAMA_2_7B, 64, 2048, (100 if a.smoke else 200), (512, 128)


RATE_FRACTIONS = (0.25, 0.5, 0.75)


def make_requests(rng, n, rate, dist, pl, ol, L):
    t, reqs = 0.0, []
    for _ in range(n):
        if math.isfinite(rate):
            t += rng.expovariate(rate)
        if dist == "fixed":
            p, o = pl, ol
        else:  # lognormal with the fixed lengths as medians, sigma 0.5, clipped to the slot
            p = max(1, min(L // 2, int(round(pl * math.exp(rng.gauss(0, 0.5))))))
            o = max(1, min(L - p - 1, int(round(ol * math.exp(rng.gauss(0, 0.5))))))
        reqs.append((t if math.isfinite(rate) else 0.0, p, o))
    return reqs


def do_serving(ctx):
    """Per length distribution: first a saturating burst (every request at t = 0), whose completed
    requests per second define the capacity; then Poisson arrivals at 0.25, 0.5 and 0.75 of that
    capacity (below saturation by construction). --smoke: fixed lengths only, burst + one rate;
    --tiny: both length distributions, burst + one rate."""
    name, cfg, B, L, n_req, (pl, ol) = serving_plan(ctx)
    try:
        server = CBServer(ctx, cfg, B, L)
        server.prefill(0, 8)
        server.decode([0], [8])
        ctx.sync()
    except Exception as e:  # noqa: BLE001
        ctx.skipped.append({"workload_key": "serving", "reason": f"{type(e).__name__}: {e}"[:300]})
        return
    dists = ["fixed"] if ctx.args.smoke else ["fixed", "lognormal"]
    fracs = (0.5,) if (ctx.args.smoke or ctx.args.tiny) else RATE_FRACTIONS
    seed = 1000
    for dist in dists:
        capacity = None
        for frac in (None,) + fracs:
            rate = math.inf if frac is None else float("%.3g" % (frac * capacity))
            seed += 1
            reqs = make_requests(random.Random(seed), n_req, rate, dist, pl, ol, L)
            arrival = "burst" if frac is None else "poisson"
            run_id = f"serve.{name}.{dist}.p{pl}.o{ol}.{'burst' if frac is None else 'poisson-r%g' % rate}.n{n_req}"
            d = getattr(ctx, "section_deadline", None)
            if d is not None and reqs[-1][0] > d - time.perf_counter():
                ctx.skipped.append({"workload_key": run_id, "reason": f"its last arrival ({reqs[-1][0]:.0f} s) is beyond the serving section's share of --budget-s"})
                print(f"  SKIP {run_id}: beyond the serving section's budget", flush=True)
                continue
            print(f"  [{ctx.elapsed():6.1f}s] serving {run_id}", flush=True)
            try:
                out, dur = server.run(reqs)
            except v1.BudgetExhausted:
                raise
            except SectionOver:
                ctx.skipped.append({"workload_key": run_id, "reason": "stopped: the serving section used its share of --budget-s"})
                print(f"  STOP serving {run_id}: section budget", flush=True)
                del server
                ctx.free()
                return
            except Exception as e:  # noqa: BLE001
                ctx.skipped.append({"workload_key": run_id, "reason": f"{type(e).__name__}: {e}"[:300]})
                break
            if frac is None:
                capacity = len(out) / dur
            ctx.serving_runs.append({
                "run_id": run_id, "server": SERVER_NAME, "model": name, "n_layers": cfg["n_layers"], "precision": ctx.prec,
                "arrival": arrival, "rate_per_s": "" if frac is None else rate, "n_requests": n_req, "length_dist": dist,
                "prompt_tokens": pl, "output_tokens": ol, "seed": seed, "max_num_seqs": B, "max_model_len": L,
                "prefill": "one request per prefill, prefill-first", "kv_cache": "contiguous slot per sequence",
                "duration_s": dur, "completed": len(out),
                "notes": ("saturating burst; capacity %.4g req/s" % capacity) if frac is None else
                         (f"rate = {frac} x the burst's capacity" + ("; lognormal lengths: medians as fixed, sigma 0.5" if dist == "lognormal" else ""))})
            for r, (arr, p, o) in enumerate(reqs):
                if r in out:
                    ctx.serving_requests.append(dict(run_id=run_id, request_id=r, arrival_s=arr, prompt_tokens=p, output_tokens=o, **out[r]))
            ctx.flush(None)
    del server
    ctx.free()


# ------------------------------------------------------------------ energy pass
def do_energy(ctx):
    en = Energy(ctx)
    if en.method is None:
        ctx.skipped.append({"workload_key": "energy", "reason": en.reason})
        print(f"  SKIP energy: {en.reason}", flush=True)
        return
    hold = 0.05 if ctx.args.tiny else (0.3 if not ctx.cuda else 0.5)
    for key, mk in ctx.energy_points:
        rem = ctx.remaining()
        if rem is not None and rem < ctx.reserve_s + 2 * hold:
            raise Budget(f"energy before {key}")
        built = None
        try:
            built = mk()
            fn, inputs, meta = built
            fn(inputs[0])
            ctx.sync()
            e0, t0, calls = en.joules(), time.perf_counter(), 0
            while time.perf_counter() - t0 < hold or calls < 3:
                fn(inputs[calls % len(inputs)])
                calls += 1
                if calls % 16 == 0:
                    ctx.sync()
            ctx.sync()
            dt, de = time.perf_counter() - t0, en.joules() - e0
            if de <= 0:
                raise ValueError(f"energy counter did not advance in {dt:.3f}s")
            ctx.energy.append({"workload_key": key, "engine": v1.ENGINE_EAGER, "precision": ctx.prec, "calls": calls,
                               "duration_s": dt, "energy_j": de, "energy_j_per_call": de / calls,
                               "avg_power_w": de / dt, "method": en.method})
        except v1.BudgetExhausted:
            raise
        except Exception as e:  # noqa: BLE001
            ctx.skipped.append({"workload_key": key + ":energy", "reason": f"{type(e).__name__}: {e}"[:300]})
        finally:
            built = None
            ctx.free()
    ctx.flush(None)


# ------------------------------------------------------------------ main
def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    ap.add_argument("--tiny", action="store_true", help="seconds-long run with tiny shapes (keys prefixed 'tiny.')")
    ap.add_argument("--smoke", action="store_true", help="a reduced run that finishes in under 60 s")
    ap.add_argument("--budget-s", type=float, default=None, help="stop cleanly before this many seconds (sections run most valuable first)")
    ap.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated subset of " + ",".join(SECTIONS))
    ap.add_argument("--groups", default=None, help="v1 evaluation groups (default: v1's, minus vidur)")
    ap.add_argument("--trials", type=int, default=5, help="independent trials per timed point (>= 5 for the variance columns)")
    ap.add_argument("--precision", choices=sorted(v1.DTYPES), default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--no-cuda-graph", dest="cuda_graph", action="store_false")
    ap.add_argument("--commit", default=None, help="git commit of the scripts, when not run from a git checkout")
    a = ap.parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    device = torch.device("cuda:0" if a.device == "auto" and torch.cuda.is_available() else ("cpu" if a.device == "auto" else a.device))
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda:0")
    prec = a.precision or ("bf16" if device.type == "cuda" else "fp32")
    if device.type == "cpu":
        torch.set_num_threads(a.threads or os.cpu_count() or 1)
    # v1's Ctx reads these fields
    a.scale = "full" if device.type == "cuda" and not a.smoke else "cpu-small"
    a.warmup, a.min_reps, a.max_reps, a.target_s, a.rotate_bytes = None, 20, None, None, None
    sections = [s for s in a.sections.split(",") if s]
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        ap.error(f"unknown section(s) {bad}; expected a subset of {SECTIONS}")
    groups = [g for g in (a.groups or ",".join(g for g in v1.GROUPS if g != "vidur")).split(",") if g]
    if [g for g in groups if g not in v1.GROUP_FN]:
        ap.error(f"unknown v1 group(s) in --groups; expected a subset of {sorted(v1.GROUP_FN)}")
    if a.trials < 1:
        ap.error("--trials must be >= 1")
    if a.smoke and a.budget_s is None:
        a.budget_s = 55.0
    ctx = v1.Ctx(a, device, v1.DTYPES[prec], prec)
    ctx.variance, ctx.calibration, ctx.energy, ctx.serving_runs, ctx.serving_requests = [], [], [], [], []
    ctx.energy_points, ctx.dropped_collisions = [], 0
    ctx.elapsed = lambda: time.perf_counter() - ctx.t0
    # per trial: enough reps that the pooled count meets v1's minimum of 20
    ctx.reps_per_trial = max(4, math.ceil(20 / a.trials))
    ctx.trial_target_s = 0.0 if not ctx.cuda else (0.02 if a.smoke else 0.05)
    ctx.max_reps = 200 if ctx.cuda else ctx.reps_per_trial
    P = "tiny." if a.tiny else ""
    os.makedirs(os.path.join(a.out, "serving"), exist_ok=True)

    def flush(stopped):
        W = v1.write_csv_atomic
        W(os.path.join(a.out, "measurements.csv"), v1.MEASUREMENT_COLUMNS, sorted(ctx.rows, key=lambda r: (r["workload_key"], r["engine"])))
        W(os.path.join(a.out, "variance.csv"), VARIANCE_COLUMNS, sorted(ctx.variance, key=lambda r: (r["workload_key"], r["engine"])))
        W(os.path.join(a.out, "calibration.csv"), CALIBRATION_COLUMNS, sorted(ctx.calibration, key=lambda r: (r["workload_key"], r["engine"])))
        W(os.path.join(a.out, "energy.csv"), ENERGY_COLUMNS, sorted(ctx.energy, key=lambda r: r["workload_key"]))
        W(os.path.join(a.out, "serving", "runs.csv"), SERVING_RUN_COLUMNS, sorted(ctx.serving_runs, key=lambda r: r["run_id"]))
        W(os.path.join(a.out, "serving", "requests.csv"), SERVING_REQUEST_COLUMNS,
          sorted(ctx.serving_requests, key=lambda r: (r["run_id"], r["request_id"])))
        v1.write_vidur(ctx, a.out)
        try:
            prov = v1.provenance(ctx, a, started, ctx.elapsed(), stopped)
        except Exception as e:  # noqa: BLE001 - never lose the measurements over provenance
            prov = {"error": f"{type(e).__name__}: {e}", "argv": sys.argv[1:], "skipped": ctx.skipped,
                    "date_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ")}
        sha_v1, commit, _ = v1.script_identity()
        prov.update({
            "schema": "measure-provenance/2", "script": "suite/measure/measure_v2.py",
            "script_sha256": sha256_of(os.path.abspath(__file__)), "v1_script_sha256": sha_v1,
            "git_commit": a.commit or commit, "scale": "tiny" if a.tiny else ("smoke" if a.smoke else a.scale),
            "sections": sections, "groups": groups, "trials": a.trials, "reps_per_trial": ctx.reps_per_trial,
            "trial_target_s": ctx.trial_target_s, "serving_server": SERVER_NAME,
            "calibration_points_dropped_as_evaluation_shapes": ctx.dropped_collisions,
            "n_calibration_rows": len(ctx.calibration), "n_serving_runs": len(ctx.serving_runs),
            "n_energy_rows": len(ctx.energy), "energy_method": Energy(ctx).method if sections and "energy" in sections else None,
        })
        tmp = os.path.join(a.out, "provenance.json.tmp")
        with open(tmp, "w") as f:
            json.dump(prov, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, os.path.join(a.out, "provenance.json"))

    ctx.flush = flush
    print(f"measure_v2.py: device={device} precision={prec} scale={'tiny' if a.tiny else ('smoke' if a.smoke else a.scale)} "
          f"trials={a.trials} sections={','.join(sections)} torch={torch.__version__}", flush=True)
    v1.sample_clocks(ctx, "start")
    stopped = None
    summary = []
    with torch.inference_mode():
        try:
            for sec in sections:
                t_sec, n0 = ctx.elapsed(), len(ctx.variance)
                print(f"[{ctx.elapsed():7.1f}s] section {sec}", flush=True)
                ctx.section_deadline = (time.perf_counter() + SECTION_SHARE[sec] * a.budget_s) if (a.budget_s and sec in SECTION_SHARE) else None
                if sec == "calibration":
                    try:
                        for g in CAL_GROUPS:
                            run_points(ctx, g, ROLE_CAL, list(CAL_FN[g](ctx, P)), energy_ok=(g == "cal-gemm"))
                    except SectionOver as e:
                        ctx.skipped.append({"workload_key": "section:calibration", "reason": f"stopped {e}: the section used its share of --budget-s"})
                        print(f"  STOP calibration: section budget ({e})", flush=True)
                elif sec == "serving":
                    do_serving(ctx)
                elif sec == "evaluation":
                    for g in groups:
                        pts = [(k, None, mk) for k, mk in v1.GROUP_FN[g](ctx, P)]
                        run_points(ctx, g, ROLE_EVAL, pts, energy_ok=g in ("gemm", "llama", "gpt2", "bert", "resnet"))
                elif sec == "vidur":
                    v1.run_vidur(ctx, P, a.out)
                elif sec == "energy":
                    do_energy(ctx)
                ctx.section_deadline = None
                v1.sample_clocks(ctx, sec)
                flush(None)
                summary.append((sec, ctx.elapsed() - t_sec, len(ctx.variance) - n0))
        except v1.BudgetExhausted as e:
            stopped = f"budget exhausted ({e})"
            print("STOP: " + stopped, flush=True)
    flush(stopped)
    cvs = sorted(r["cv"] for r in ctx.variance)
    print("\nsection        seconds  timed points")
    for sec, s, n in summary:
        print(f"{sec:<14} {s:7.1f}  {n}")
    print(f"done: {len(ctx.rows)} evaluation rows, {len(ctx.calibration)} calibration rows, {len(ctx.serving_runs)} serving runs "
          f"({len(ctx.serving_requests)} requests), {len(ctx.energy)} energy rows, {len(ctx.skipped)} skipped; "
          f"median CV {v1.pct(cvs, 0.5) if cvs else float('nan'):.3g}; {ctx.elapsed():.1f}s -> {a.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
