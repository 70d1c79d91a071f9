/**
 * The measurement pipeline: the schema of measure.py's outputs, the mapping of measured rows onto
 * suite cells (on a recorded sample of the H200 set), and a tiny-shape CPU run of the script itself.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseCsv } from "csv-parse/sync";
import { GroundTruthRow } from "../../pipeline/lib/schema.ts";
import {
  MEASUREMENT_COLUMNS,
  MeasurementRow,
  cellIdFor,
  cpuHardware,
  cpuHardwareId,
  hardwareIdFor,
  mapMeasuredSet,
  workloadForKey,
  type ModelShape,
} from "../../pipeline/lib/measured.ts";
import { fileSet, knownWorkloads, loadSet, unknownOptions } from "../../pipeline/measure.ts";

const FIX = path.join(import.meta.dirname, "fixtures");
const H200 = path.join(FIX, "h200-sample");
const tmps: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), "measure-test-"));
  tmps.push(d);
  return d;
};
afterAll(() => tmps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const LLAMA: ModelShape = { n_heads: 32, n_kv_heads: 32, d_model: 4096 };
const MODELS = new Map<string, ModelShape>([
  ["llama-2-7b", LLAMA],
  ["resnet-50", { n_heads: 0, n_kv_heads: 0, d_model: 0 }],
]);

describe("measurements.csv and provenance.json schema", () => {
  it("accepts the recorded H200 sample", () => {
    const set = loadSet(H200);
    expect(set.rows).toHaveLength(10);
    expect(set.provenance.device_name).toBe("NVIDIA H200");
    expect(set.rows.every((r) => r.n_reps >= 20)).toBe(true);
  });

  it("rejects bad rows and a bad provenance, naming each problem", () => {
    const d = tmp();
    cpSync(H200, d, { recursive: true });
    const csvPath = path.join(d, "measurements.csv");
    const lines = readFileSync(csvPath, "utf8").trimEnd().split("\n");
    const cols = MEASUREMENT_COLUMNS as readonly string[];
    const bad = (line: string, col: string, v: string) => {
      const rec = (parseCsv(line) as string[][])[0]!;
      rec[cols.indexOf(col)] = v;
      return rec.map((x) => (/[",]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x)).join(",");
    };
    lines[1] = bad(lines[1]!, "n_reps", "5"); // too few repetitions
    lines[2] = bad(lines[2]!, "engine", "tensorrt"); // not an engine of the script
    lines[3] = bad(lines[3]!, "latency_s", "9"); // median above p90/max
    writeFileSync(csvPath, lines.join("\n") + "\n");
    const prov = JSON.parse(readFileSync(path.join(d, "provenance.json"), "utf8"));
    delete prov.script_sha256;
    writeFileSync(path.join(d, "provenance.json"), JSON.stringify(prov));
    let msg = "";
    try {
      loadSet(d);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/4 problem/);
    expect(msg).toMatch(/measurements\.csv:2: n_reps/);
    expect(msg).toMatch(/measurements\.csv:3: engine/);
    expect(msg).toMatch(/measurements\.csv:4: latency_s/);
    expect(msg).toMatch(/provenance\.json: script_sha256/);
  });

  it("rejects a CSV whose header is not the script's", () => {
    const d = tmp();
    cpSync(H200, d, { recursive: true });
    const csvPath = path.join(d, "measurements.csv");
    writeFileSync(csvPath, readFileSync(csvPath, "utf8").replace("latency_s,", "latency_ms,"));
    expect(() => loadSet(d)).toThrow(/header is/);
  });

  it("row schema: median must sit between p10 and p90", () => {
    const base = { workload_key: "gemm.m1.n2.k3", engine: "pytorch-eager", group: "gemm", precision: "bf16", p10_s: "1", p90_s: "3", min_s: "1", max_s: "4", n_reps: "20", calls_per_rep: "1", n_warmup: "6", n_rotating_inputs: "2", impl: "F.linear", flops: "", bytes: "", notes: "" };
    expect(MeasurementRow.safeParse({ ...base, latency_s: "2" }).success).toBe(true);
    expect(MeasurementRow.safeParse({ ...base, latency_s: "0.5" }).success).toBe(false);
  });
});

describe("hardware ids", () => {
  it("maps the GPU device names and names CPU hosts for what they are", () => {
    const p = loadSet(H200).provenance;
    expect(hardwareIdFor(p)).toEqual({ id: "h200-sxm-141gb" });
    expect(hardwareIdFor({ ...p, device_name: "NVIDIA H100 80GB HBM3" })).toEqual({ id: "h100-sxm5-80gb" });
    expect(hardwareIdFor({ ...p, device_name: "NVIDIA A100-SXM4-80GB" })).toEqual({ id: "a100-sxm4-80gb" });
    const unknown = hardwareIdFor({ ...p, device_name: "NVIDIA L4" });
    expect("error" in unknown && unknown.error).toMatch(/NVIDIA L4.*DEVICE_HARDWARE/);
    const cpu = { ...p, device_type: "cpu" as const, torch_num_threads: 2, cpu: { ...p.cpu, model_name: "AMD EPYC", cpu_family: "25", model: "17", logical_cpus: 2 } };
    expect(cpuHardwareId(cpu)).toBe("cpu-2core-amd-epyc-fam25-model17");
    expect(hardwareIdFor(cpu)).toEqual({ id: "cpu-2core-amd-epyc-fam25-model17" });
  });
});

describe("mapping measured rows onto suite cells", () => {
  const set = loadSet(H200);
  const existing = new Set([
    "gemm.m1.n4096.k4096.h200-sxm-141gb.bf16",
    "llama-2-7b.decode.c512.b1.h200-sxm-141gb.bf16",
    "resnet-50.infer.b1.h200-sxm-141gb.bf16",
    "attn-prefill.llama-2-7b.b1.s2048.h200-sxm-141gb.bf16",
  ]);
  const res = mapMeasuredSet({
    rows: set.rows,
    provenance: set.provenance,
    hardware: "h200-sxm-141gb",
    setFile: "suite/ground-truth/measured/h200-sxm-141gb/2026-11-26/measurements.csv",
    existingCells: existing,
    models: MODELS,
    known: knownWorkloads(),
  });

  it("gives one valid measured ground-truth row per eager and CUDA-graph measurement", () => {
    expect(res.groundTruth).toHaveLength(8);
    for (const r of res.groundTruth) expect(GroundTruthRow.safeParse(r).success).toBe(true);
    const byCell = new Map(res.groundTruth.map((r) => [r.cell_id, r]));
    const eager = byCell.get("llama-2-7b.decode.c512.b1.h200-sxm-141gb.bf16")!;
    const row = set.rows.find((r) => r.workload_key === "llama-2-7b.decode.c512.b1" && r.engine === "pytorch-eager")!;
    expect(eager.value).toBe(row.latency_s);
    expect(eager.source_kind).toBe("measured");
    expect(eager.script).toBe("suite/measure/measure.py@sha256:3c117853db6650b1");
    expect(eager.versions).toMatch(/torch 2\.11\.0\+cu130; .*CUDA 13\.0; .*driver 580\.159\.04/);
    expect(eager.date).toBe(set.provenance.date_utc);
    expect(byCell.has("llama-2-7b.decode.c512.b1.cudagraph.h200-sxm-141gb.bf16")).toBe(true);
    expect(new Set(res.groundTruth.map((r) => r.gt_id)).size).toBe(8);
  });

  it("generates cells only for what no other file defines, with the suite's workloads", () => {
    expect(res.cells.map((c) => c.id)).toEqual([
      "attn-prefill.llama-2-7b.b1.s2048.cudagraph.h200-sxm-141gb.bf16",
      "gemm.m1.n4096.k4096.cudagraph.h200-sxm-141gb.bf16",
      "llama-2-7b.decode.c512.b1.cudagraph.h200-sxm-141gb.bf16",
      "resnet-50.infer.b1.cudagraph.h200-sxm-141gb.bf16",
    ]);
    const g = res.cells.find((c) => c.id.startsWith("gemm."))!;
    expect(g.workload).toEqual({ kind: "gemm", m: 1, n: 4096, k: 4096, batch: 1, from_model: "llama-2-7b" });
    expect(g.engine).toBe("pytorch-cudagraph");
    const a = res.cells.find((c) => c.id.startsWith("attn-prefill"))!;
    expect(a.workload).toMatchObject({ kind: "attention-prefill", seq_len: 2048, n_heads: 32, head_dim: 128, causal: true });
  });

  it("lists the ceilings as rows that are no cell", () => {
    expect(res.unmapped.map((u) => u.workload_key)).toEqual(["ceiling.copy.bytes2147483648", "ceiling.gemm.m8192.n8192.k8192"]);
    expect(res.unmapped.every((u) => /measured ceiling/.test(u.reason))).toBe(true);
  });

  it("parses keys the suite does not define yet, and refuses unknown models", () => {
    expect(workloadForKey("rmsnorm.r2048.c4096", MODELS)).toEqual({ level: "operator", workload: { kind: "norm", norm: "rmsnorm", rows: 2048, cols: 4096 } });
    expect(workloadForKey("llama-2-7b.prefill.s128.b1", MODELS)?.workload).toEqual({ kind: "prefill", model: "llama-2-7b", batch: 1, seq_len: 128 });
    expect(workloadForKey("attn-decode.llama-2-7b.b8.c512", MODELS)?.workload).toMatchObject({ batch: 8, context_len: 512, head_dim: 128 });
    expect(workloadForKey("llama-2-7b-2layer.prefill.s128.b1", MODELS)).toBeUndefined();
    expect(workloadForKey("ceiling.gemm.m64.n64.k64", MODELS)).toBeUndefined();
    expect(cellIdFor("gemm.m1.n2.k3", "h200-sxm-141gb", "bf16", "pytorch-cudagraph")).toBe("gemm.m1.n2.k3.cudagraph.h200-sxm-141gb.bf16");
  });

  it("derives a CPU hardware entry from the measured ceilings", () => {
    const p = { ...set.provenance, device_type: "cpu" as const, torch_num_threads: 2, cpu: { ...set.provenance.cpu, model_name: "AMD EPYC", cpu_family: "25", model: "17", logical_cpus: 2, mem_total_bytes: 25e9 } };
    const hw = cpuHardware(p, set.rows, "suite/ground-truth/measured/x/2026-11-26");
    if ("error" in hw) throw new Error(hw.error);
    const g = set.rows.find((r) => r.workload_key.startsWith("ceiling.gemm") && r.engine === "pytorch-eager")!;
    const achieved = g.flops! / g.latency_s;
    expect(Math.abs(hw.peak_flops_per_s.bf16!.value / achieved - 1)).toBeLessThan(1e-3); // 4 significant digits
    expect(hw.compute_units.value).toBe(2);
    expect(hw.mem_bandwidth_bytes_per_s.source.file).toBe("suite/ground-truth/measured/x/2026-11-26/measurements.csv");
    expect("error" in cpuHardware(p, set.rows.filter((r) => !r.workload_key.startsWith("ceiling.")), "x")).toBe(true);
  });
});

// ---------------------------------------------------------------- the script itself

const PY = "/usr/bin/python3";
const hasTorch = spawnSync(PY, ["-c", "import torch, torchvision"], { stdio: "ignore" }).status === 0;
// In CI (.ci/run installs python3-torch) a missing torch is a failure, not a skip.
const runScript = hasTorch || !!process.env.CI;

describe.skipIf(!runScript)("measure.py --tiny on this CPU", () => {
  it("measures every group with tiny shapes and writes a valid set with Vidur profiles", () => {
    const out = tmp();
    const script = path.join(import.meta.dirname, "../../suite/measure/measure.py");
    execFileSync(PY, [script, "--tiny", "--device", "cpu", "--threads", "1", "--out", out], { stdio: "pipe", timeout: 50_000 });
    const set = loadSet(out);
    const keys = new Set(set.rows.map((r) => r.workload_key));
    for (const k of ["tiny.gemm.m16.n32.k64", "tiny.attn-prefill.tiny.b1.s32", "tiny.attn-decode.tiny.b2.c64", "tiny.rmsnorm.r8.c64", "tiny.softmax.r8.c64", "tiny.gelu.n4096", "tiny.llama-tiny.prefill.s16.b1", "tiny.llama-tiny.decode.c32.b2", "tiny.gpt-2-tiny.decode.c32.b1", "tiny.bert-tiny.infer.s16.b1", "tiny.resnet-50-32px.infer.b1"])
      expect(keys, k).toContain(k);
    expect(set.rows.every((r) => r.engine === "pytorch-eager" && r.n_reps >= 20)).toBe(true);
    const p = set.provenance;
    expect(p.scale).toBe("tiny");
    expect(p.torch_num_threads).toBe(1);
    expect(p.timer).toBe("time.perf_counter");
    const attn = set.rows.find((r) => r.workload_key === "tiny.attn-prefill.tiny.b1.s32")!;
    expect(attn.impl).toBe(p.sdpa_available ? "sdpa" : "explicit");
    const mlp = parseCsv(readFileSync(path.join(out, "vidur/mlp.csv"), "utf8"), { columns: true }) as Record<string, string>[];
    expect(mlp.map((r) => r.num_tokens)).toEqual(["1", "8", "32"]);
    expect(Object.keys(mlp[0]!)).toEqual(expect.arrayContaining(["time_stats.attn_pre_proj.median", "time_stats.mlp_up_proj.median", "n_embd", "n_expanded_embd", "use_gated_mlp", "num_tensor_parallel_workers"]));
    const at = parseCsv(readFileSync(path.join(out, "vidur/attention.csv"), "utf8"), { columns: true }) as Record<string, string>[];
    expect(at.filter((r) => r.is_prefill === "False").every((r) => Number(r["time_stats.attn_decode.median"]) > 0)).toBe(true);
    expect(at.filter((r) => r.is_prefill === "True").every((r) => Number(r["time_stats.attn_prefill.median"]) > 0)).toBe(true);
    // a smoke test is never filed as a measured set
    expect(() => fileSet(tmp(), out)).toThrow(/--tiny run is a smoke test/);
  }, 60_000);
});

describe("measure.ts command line", () => {
  it("names options it does not know instead of starting a measurement (a stray --help once started a 10-minute run)", () => {
    expect(unknownOptions(["--bogus"])).toEqual(["--bogus"]);
    expect(unknownOptions(["--import", "/tmp/x", "--note", "lent H200", "--remap"])).toEqual([]);
    expect(unknownOptions(["--budget-s", "60"])).toEqual(["--budget-s", "60"]);
  });
  it("--help prints the usage and exits 0; an unknown option exits 2 without measuring", () => {
    const tsx = path.join(process.cwd(), "node_modules/.bin/tsx");
    const help = spawnSync(tsx, ["pipeline/measure.ts", "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: tsx pipeline\/measure.ts/);
    const bad = spawnSync(tsx, ["pipeline/measure.ts", "--budget-s", "1"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown option --budget-s, 1 (arguments for the script go after --)");
  });
});
