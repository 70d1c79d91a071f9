/**
 * measure_v2.py: v1 kept byte-identical, the v2 files' schemas and cross-checks, and a tiny CPU run
 * of the script itself (calibration sweeps, serving runs, trials with CV, energy skipped with reason).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CALIBRATION_COLUMNS, SERVING_REQUEST_COLUMNS, SERVING_RUN_COLUMNS, VARIANCE_COLUMNS, noiseByKey, parseV2 } from "../../pipeline/lib/measured-v2.ts";
import { fileSet, loadSet } from "../../pipeline/measure.ts";

const ROOT = path.join(import.meta.dirname, "../..");
const tmps: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), "measure-v2-test-"));
  tmps.push(d);
  return d;
};
afterAll(() => tmps.forEach((d) => rmSync(d, { recursive: true, force: true })));
const sha256 = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");

describe("v1 stays byte-identical", () => {
  it("suite/measure/measure.py hashes to the sha256 every committed v1 set records", () => {
    const base = path.join(ROOT, "suite/ground-truth/measured");
    const recorded = new Set<string>();
    for (const hw of readdirSync(base))
      for (const d of readdirSync(path.join(base, hw))) {
        const p = JSON.parse(readFileSync(path.join(base, hw, d, "provenance.json"), "utf8"));
        if (p.schema === "measure-provenance/1") recorded.add(p.script_sha256);
      }
    expect(recorded.size).toBe(1);
    expect([...recorded][0]).toBe(sha256(path.join(ROOT, "suite/measure/measure.py")));
  });
});

const csv = (cols: readonly string[], rows: Record<string, string | number>[]) =>
  [cols.join(","), ...rows.map((r) => cols.map((c) => String(r[c] ?? "")).join(","))].join("\n") + "\n";

describe("v2 files: schema and cross-checks", () => {
  const good = {
    "variance.csv": csv(VARIANCE_COLUMNS, [
      { workload_key: "cal.gemm.bf16.m128.n128.k128", engine: "pytorch-eager", role: "calibration", group: "cal-gemm", precision: "bf16", n_trials: 5, reps_per_trial: 4, median_of_trials_s: 2e-5, trial_min_s: 1.9e-5, trial_max_s: 2.2e-5, cv: 0.05 },
      { workload_key: "gemm.m1.n4096.k4096", engine: "pytorch-eager", role: "evaluation", group: "gemm", precision: "bf16", n_trials: 5, reps_per_trial: 4, median_of_trials_s: 3e-5, trial_min_s: 2.9e-5, trial_max_s: 3.3e-5, cv: 0.04 },
    ]),
    "calibration.csv": csv(CALIBRATION_COLUMNS, [
      { workload_key: "cal.gemm.bf16.m128.n128.k128", role: "calibration", engine: "pytorch-eager", group: "cal-gemm", kind: "gemm", precision: "bf16", m: 128, n: 128, k: 128, batch: 1, latency_s: 2e-5, min_s: 1.8e-5, max_s: 2.5e-5, cv: 0.05, n_trials: 5, calls_per_rep: 1, impl: "F.linear", flops: 4194304, bytes: 98304, notes: "" },
    ]),
    "energy.csv": "workload_key,engine,precision,calls,duration_s,energy_j,energy_j_per_call,avg_power_w,method\n",
    "serving/runs.csv": csv(SERVING_RUN_COLUMNS, [
      { run_id: "serve.m.fixed.p8.o4.burst.n2", server: "measure-v2-minimal-cb", model: "m", n_layers: 2, precision: "bf16", arrival: "burst", rate_per_s: "", n_requests: 2, length_dist: "fixed", prompt_tokens: 8, output_tokens: 4, seed: 1, max_num_seqs: 4, max_model_len: 128, prefill: "p", kv_cache: "c", duration_s: 0.1, completed: 2, notes: "" },
    ]),
    "serving/requests.csv": csv(SERVING_REQUEST_COLUMNS, [
      { run_id: "serve.m.fixed.p8.o4.burst.n2", request_id: 0, arrival_s: 0, scheduled_s: 0, first_token_s: 0.01, finish_s: 0.05, prompt_tokens: 8, output_tokens: 4 },
      { run_id: "serve.m.fixed.p8.o4.burst.n2", request_id: 1, arrival_s: 0, scheduled_s: 0.01, first_token_s: 0.02, finish_s: 0.05, prompt_tokens: 8, output_tokens: 4 },
    ]),
  } as Record<string, string>;

  it("accepts consistent files and exposes the evaluation rows' noise", () => {
    const r = parseV2("set", (f) => good[f], { measuredKeys: new Set(["gemm.m1.n4096.k4096\u0000pytorch-eager"]) });
    expect(r.problems).toEqual([]);
    expect(r.files.calibration).toHaveLength(1);
    expect([...noiseByKey(r.files.variance).entries()]).toEqual([["gemm.m1.n4096.k4096\u0000pytorch-eager", 0.04]]);
  });

  it("names file, row and column of every problem, including calibration rows that are evaluation cells", () => {
    const bad = { ...good };
    bad["calibration.csv"] = good["calibration.csv"]!.replace("calibration,pytorch-eager,cal-gemm", "evaluation,pytorch-eager,cal-gemm");
    bad["serving/requests.csv"] = good["serving/requests.csv"]!.replace("1,0,0.01,0.02,0.05", "1,0,0.01,0.005,0.05");
    bad["serving/runs.csv"] = good["serving/runs.csv"]!.replace(",0.1,2,", ",0.1,3,");
    delete bad["energy.csv"];
    const r = parseV2("set", (f) => bad[f], {
      cellIds: new Set(["cal.gemm.bf16.m128.n128.k128.h100-sxm5-80gb.bf16"]),
      measuredKeys: new Set(),
    });
    const joined = r.problems.join("\n");
    expect(joined).toMatch(/set\/calibration\.csv:2: role: calibration\.csv holds role 'calibration' rows only/);
    expect(joined).toMatch(/set\/serving\/requests\.csv:3: first_token_s: expected arrival_s <= scheduled_s <= first_token_s <= finish_s/);
    expect(joined).toMatch(/set\/serving\/runs\.csv:2: completed: 3, but serving\/requests\.csv has 1 rows/);
    expect(joined).toMatch(/set\/energy\.csv: missing/);
    expect(joined).toMatch(/set\/variance\.csv:3: workload_key: 'gemm\.m1\.n4096\.k4096' \(pytorch-eager\) has no row in measurements\.csv/);
    expect(r.problems).toHaveLength(5);
  });

  it("refuses a calibration key that names a suite cell", () => {
    const r = parseV2("set", (f) => good[f], { cellIds: new Set(["cal.gemm.bf16.m128.n128.k128.h200-sxm-141gb.bf16"]), measuredKeys: new Set(["gemm.m1.n4096.k4096\u0000pytorch-eager"]) });
    expect(r.problems).toEqual([
      "set/calibration.csv:2: workload_key: 'cal.gemm.bf16.m128.n128.k128' names the suite cell 'cal.gemm.bf16.m128.n128.k128.h200-sxm-141gb.bf16'; calibration must be disjoint from evaluation",
    ]);
  });
});

const PY = "/usr/bin/python3";
const hasTorch = spawnSync(PY, ["-c", "import torch, torchvision"], { stdio: "ignore" }).status === 0;
const runScript = hasTorch || !!process.env.CI;

describe.skipIf(!runScript)("measure_v2.py --tiny on this CPU", () => {
  it("runs every section with tiny shapes and writes a valid v2 set", () => {
    const out = tmp();
    const script = path.join(ROOT, "suite/measure/measure_v2.py");
    const log = execFileSync(PY, [script, "--tiny", "--device", "cpu", "--threads", "1", "--groups", "ceiling,gemm,attention,llama", "--out", out], {
      encoding: "utf8",
      timeout: 110_000,
    });
    expect(log).toMatch(/section +seconds +timed points/);
    const set = loadSet(out);
    const p = set.provenance as Record<string, unknown>;
    expect(p.schema).toBe("measure-provenance/2");
    expect(p.script).toBe("suite/measure/measure_v2.py");
    expect(p.script_sha256).toBe(sha256(script));
    expect(p.v1_script_sha256).toBe(sha256(path.join(ROOT, "suite/measure/measure.py")));
    expect(p.trials).toBe(5);
    const v2 = set.v2!;
    // calibration: every group, keys cal.*, disjoint from the evaluation rows
    expect(new Set(v2.calibration.map((c) => c.group))).toEqual(new Set(["cal-gemm", "cal-copy", "cal-launch", "cal-attention", "cal-pointwise"]));
    expect(v2.calibration.every((c) => c.workload_key.startsWith("tiny.cal.") && c.n_trials === 5)).toBe(true);
    expect(set.rows.some((r) => r.workload_key.includes(".cal."))).toBe(false);
    const dispatch = v2.calibration.find((c) => c.kind === "dispatch")!;
    expect(dispatch.calls_per_rep).toBe(8);
    // variance: one row per timed point, 5 trials, pooled reps >= 20 in measurements.csv
    expect(v2.variance.length).toBe(set.rows.length + v2.calibration.length);
    expect(v2.variance.every((v) => v.n_trials === 5 && v.cv >= 0)).toBe(true);
    expect(set.rows.every((r) => r.n_reps >= 20 && /5 trials, trial-median CV/.test(r.notes))).toBe(true);
    // serving: burst + one Poisson rate below the burst's capacity, for both length distributions
    const runs = v2.servingRuns;
    expect(runs.map((r) => `${r.length_dist}/${r.arrival}`).sort()).toEqual(["fixed/burst", "fixed/poisson", "lognormal/burst", "lognormal/poisson"]);
    for (const r of runs) expect(r.completed).toBe(r.n_requests);
    const burst = runs.find((r) => r.length_dist === "fixed" && r.arrival === "burst")!;
    const pois = runs.find((r) => r.length_dist === "fixed" && r.arrival === "poisson")!;
    expect(pois.rate_per_s!).toBeCloseTo(Number((0.5 * (burst.completed / burst.duration_s)).toPrecision(3)), 6);
    const fixedReqs = v2.servingRequests.filter((q) => q.run_id === burst.run_id);
    expect(fixedReqs.every((q) => q.arrival_s === 0 && q.prompt_tokens === 8 && q.output_tokens === 4)).toBe(true);
    // energy: no counter in this container, recorded as skipped with the reason
    expect(v2.energy).toEqual([]);
    expect((p.skipped as { workload_key: string; reason: string }[]).some((s) => s.workload_key === "energy" && /counter/.test(s.reason))).toBe(true);
    // a tiny run is never filed as a measured set
    expect(() => fileSet(tmp(), out)).toThrow(/--tiny run is a smoke test/);
  }, 120_000);
});
