/**
 * ../shared/ground-truth/published.csv (44 rows; verbatim copy in data/published.csv) -> an explicit
 * mapping of every row to the suite (mapping.csv), plus cells and ground truth for the verified rows that
 * no other importer covers and that map honestly onto a cell.
 *
 * Each row of published.csv gets one status:
 *   - imported:         a cell and a ground-truth row are made here (suite/cells/published-shared-csv.yaml,
 *                       ground-truth.csv beside this file); the value is re-read from the upstream lines
 *                       committed in data/upstream-lines.csv, not from published.csv;
 *   - already-imported: another importer of suite/ground-truth/published/ holds the same value; the gt_id
 *                       is named and the value is checked against published.csv here;
 *   - not-mapped:       with the reason.
 *   node_modules/.bin/tsx suite/ground-truth/published/shared-csv/import.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { loadGroundTruthFiles } from "../../../../pipeline/lib/ground-truth.ts";
import { REPO_ROOT, fmt, readCsv, writeSource, type CellIn, type GtIn } from "../lib.ts";

export const SOURCE = "shared-csv";
const here = path.dirname(fileURLToPath(import.meta.url));
const data = (rel: string) => path.join(here, "data", rel);
export const MAPPING_PATH = path.join(here, "mapping.csv");
export const MAPPING_COLUMNS = ["shared_id", "verified", "status", "gt_id", "cell_id", "reason"] as const;
export type MappingRow = Record<(typeof MAPPING_COLUMNS)[number], string>;

const INF40 = "mlcommons/inference_results_v4.0";
const INF40_RESULTS = "3c4a1cf196b70175cfe7c59e067cd1d923aa4f3f";
const INF40_LLAMA_CFG = "8121a811542bfc693e201dc55d63f580a17124e0";
const INF40_BIB = "mlcommons2024inferencev40results";
const MEGATRON = "NVIDIA/Megatron-LM";
const MEGATRON_SCRIPT_COMMIT = "cf547dea839f709ec2f147da0679d663da3c20da";

// ------------------------------------------------------------------ agreement of values

/** Decimal numbers written in a published.csv value cell ("15.0087 ms / 293.0334" -> two). */
export function numbersIn(text: string): string[] {
  return [...text.matchAll(/\d[\d,]*(?:\.\d+)?/g)].map((m) => m[0].replace(/,/g, ""));
}

/** Significant digits as written ("756960.0" -> 7, "0.0481" -> 3, "163" -> 3). */
function sigDigits(num: string): number {
  const digits = num.replace(".", "").replace(/^0+/, "");
  return Math.max(1, digits.length);
}

/**
 * True when `value` rounds to one of the numbers written in `shared` at the precision written there
 * (published.csv rounds some values; our rows keep the source's full precision).
 */
export function agreesWithShared(shared: string, value: number): boolean {
  return numbersIn(shared).some((n) => Number(value.toPrecision(Math.min(21, sigDigits(n)))) === Number(n));
}

// ------------------------------------------------------------------ upstream lines

type UpLine = { repo: string; commit: string; path: string; line: string };

function upstreamLines(): UpLine[] {
  // no trimming: the Python lines keep their indentation, as upstream
  return parse(fs.readFileSync(data("upstream-lines.csv"), "utf8"), { columns: true, skip_empty_lines: true }) as UpLine[];
}

function makeReader(lines: UpLine[]) {
  const need = (repo: string, commit: string, file: string, text: string): string => {
    if (!lines.some((l) => l.repo === repo && l.commit === commit && l.path === file && l.line === text))
      throw new Error(`data/upstream-lines.csv lacks ${repo}@${commit}:${file} line '${text}'`);
    return text;
  };
  /** The number after ':' on the single line of `file` that starts with `key` (mlperf_log_summary.txt). */
  const logValue = (file: string, key: string): { value: string; line: string } => {
    const hits = lines.filter((l) => l.repo === INF40 && l.commit === INF40_RESULTS && l.path === file && l.line.startsWith(key));
    if (hits.length !== 1) throw new Error(`${file}: expected one line starting '${key}', found ${hits.length}`);
    const m = /:\s*([0-9.]+)\s*$/.exec(hits[0]!.line);
    if (!m) throw new Error(`${file}: no number in '${hits[0]!.line}'`);
    return { value: m[1]!, line: hits[0]!.line };
  };
  return { need, logValue };
}

// ------------------------------------------------------------------ MLPerf Inference v4.0 (NVIDIA, closed)

const RES = "closed/NVIDIA/results";
const GPTJ_LOG = `${RES}/DGX-H100_H100-SXM-80GBx1_TRT/gptj-99.9/Offline/performance/run_1/mlperf_log_summary.txt`;
const LL_OFF_LOG = `${RES}/DGX-H100_H100-SXM-80GBx8_TRT/llama2-70b-99.9/Offline/performance/run_1/mlperf_log_summary.txt`;
const LL_SRV_LOG = `${RES}/DGX-H100_H100-SXM-80GBx8_TRT/llama2-70b-99.9/Server/performance/run_1/mlperf_log_summary.txt`;
const GPTJ_CFG = "closed/NVIDIA/configs/gptj/Offline/__init__.py";
const LL_OFF_CFG = "closed/NVIDIA/configs/llama2-70b/Offline/__init__.py";
const LL_SRV_CFG = "closed/NVIDIA/configs/llama2-70b/Server/__init__.py";
const BUILDER_COMMIT = "920148447684d8a0db7c3c73076c9b73ac362751";
const ONLY_FP8 = 'raise NotImplementedError(f"Only fp8 supported as of now. Set precision to FP16 and use_fp8 to True. If you need to perform quantization, please refer to README.md")';

function buildInf40(r: ReturnType<typeof makeReader>): { cells: CellIn[]; rows: GtIn[] } {
  const cells: CellIn[] = [];
  const rows: GtIn[] = [];
  const at = (commit: string, file: string) => `${INF40}@${commit.slice(0, 12)}:${file}`;
  for (const log of [GPTJ_LOG, LL_OFF_LOG, LL_SRV_LOG]) r.need(INF40, INF40_RESULTS, log, "Result is : VALID");
  r.need(INF40, BUILDER_COMMIT, "closed/NVIDIA/code/gptj/tensorrt/builder.py", `                ${ONLY_FP8}`);
  r.need(INF40, BUILDER_COMMIT, "closed/NVIDIA/code/llama2-70b/tensorrt/builder.py", `            ${ONLY_FP8}`);

  // GPT-J-6B, gptj-99.9, Offline, 1x H100-SXM-80GB
  {
    for (const t of [
      "class OfflineGPUBaseConfig(GPUBaseConfig):",
      "    tensor_parallelism = 1",
      '    precision = "fp16"',
      "class H100_SXM_80GBx1(OfflineGPUBaseConfig):",
      "    system = KnownSystem.H100_SXM_80GBx1",
      "    use_fp8 = True",
      "    offline_expected_qps = 30",
      "@ConfigRegistry.register(HarnessType.Custom, AccuracyTarget.k_99_9, PowerSetting.MaxP)",
      "class H100_SXM_80GBx1_HighAccuracy(H100_SXM_80GBx1):",
    ])
      r.need(INF40, INF40_RESULTS, GPTJ_CFG, t);
    r.need(INF40, INF40_RESULTS, GPTJ_LOG, "target_qps : 30");
    const v = r.logValue(GPTJ_LOG, "Samples per second");
    const id = "mlperf-inf40.gpt-j-6b.acc99.9.offline.h100-sxm5-80gb.x1";
    cells.push({
      id,
      level: "serving",
      workload: { kind: "serving", model: "gpt-j-6b", scenario: "offline" },
      hardware: "h100-sxm5-80gb",
      n_devices: 1,
      parallelism: { tp: 1, pp: 1, dp: 1 },
      precision: "fp8",
      engine: "tensorrt-llm",
      metric: "throughput",
      unit: "samples/s",
      notes:
        `MLPerf Inference v4.0 closed, NVIDIA, DGX-H100_H100-SXM-80GBx1_TRT, gptj-99.9 Offline (samples/s was GPT-J's official unit in v4.0). ` +
        `Config class H100_SXM_80GBx1_HighAccuracy (registered k_99_9, MaxP) inherits H100_SXM_80GBx1 (use_fp8 = True, offline_expected_qps = 30) and OfflineGPUBaseConfig (precision = "fp16", tensor_parallelism = 1), ${at(INF40_RESULTS, GPTJ_CFG)}; ` +
        `the run's 'target_qps : 30' matches offline_expected_qps = 30. FP8: the GPT-J builder (${at(BUILDER_COMMIT, "closed/NVIDIA/code/gptj/tensorrt/builder.py")}) accepts only precision fp16 with use_fp8 on non-Orin systems and builds from the FP8-quantized checkpoint.`,
    });
    rows.push({
      gt_id: `${id}.run1`,
      cell_id: id,
      value: String(Number(v.value)),
      unit: "samples/s",
      bib: INF40_BIB,
      place: `${at(INF40_RESULTS, GPTJ_LOG)} '${v.line}'`,
      notes: "performance run_1 of the submission (Result is : VALID); precision and parallelism evidence in the cell notes",
    });
  }

  // Llama-2-70B, llama2-70b-99.9, Offline and Server, 8x H100-SXM-80GB (TP 2 x 4 replicas)
  const llama = (scenario: "Offline" | "Server") => {
    const cfg = scenario === "Offline" ? LL_OFF_CFG : LL_SRV_CFG;
    const base = scenario === "Offline" ? "OfflineGPUBaseConfig" : "ServerGPUBaseConfig";
    const qps = scenario === "Offline" ? "    offline_expected_qps = 19 * 4" : "    server_target_qps = 17.8 * 4";
    const target = scenario === "Offline" ? "target_qps : 76" : "target_qps : 71.2";
    const log = scenario === "Offline" ? LL_OFF_LOG : LL_SRV_LOG;
    for (const t of [
      `class ${base}(GPUBaseConfig):`,
      "    tensor_parallelism = 2",
      "    pipeline_parallelism = 1",
      '    precision = "fp16"',
      `class H100_SXM_80GB_TP2x1(${base}):`,
      "    use_fp8 = True",
      "class H100_SXM_80GB_TP2x4(H100_SXM_80GB_TP2x2):",
      "    system = KnownSystem.H100_SXM_80GBx8",
      qps,
      "class H100_SXM_80GB_TP2x4_HighAccuracy(H100_SXM_80GB_TP2x4):",
    ])
      r.need(INF40, INF40_LLAMA_CFG, cfg, t);
    r.need(INF40, INF40_RESULTS, log, target);
    const common = {
      level: "serving" as const,
      workload: { kind: "serving", model: "llama-2-70b", scenario: scenario.toLowerCase() },
      hardware: "h100-sxm5-80gb",
      n_devices: 8,
      parallelism: { tp: 2, pp: 1, dp: 4 },
      precision: "fp8" as const,
      engine: "tensorrt-llm",
    };
    const note =
      `MLPerf Inference v4.0 closed, NVIDIA, DGX-H100_H100-SXM-80GBx8_TRT, llama2-70b-99.9 ${scenario}; whole-system result over 8 GPUs. ` +
      `Config class H100_SXM_80GB_TP2x4_HighAccuracy inherits H100_SXM_80GB_TP2x4 (system H100_SXM_80GBx8, '${qps.trim()}') and H100_SXM_80GB_TP2x1 (use_fp8 = True) and ${base} (precision = "fp16", tensor_parallelism = 2, pipeline_parallelism = 1), ` +
      `${at(INF40_LLAMA_CFG, cfg)} (the version of the config file the search index holds; the results are at ${INF40_RESULTS.slice(0, 12)}): ` +
      `the run's '${target}' equals that expected QPS, which ties the run to this class. FP8: the Llama-2 builder (${at(BUILDER_COMMIT, "closed/NVIDIA/code/llama2-70b/tensorrt/builder.py")}) accepts only precision fp16 with use_fp8 and builds from the FP8-quantized checkpoint. dp = 8 / (tp 2 x pp 1) = 4 engine replicas.`;
    const out: { cells: CellIn[]; rows: GtIn[] } = { cells: [], rows: [] };
    const tput = r.logValue(log, scenario === "Offline" ? "Tokens per second" : "Completed tokens per second");
    const id = `mlperf-inf40.llama-2-70b.acc99.9.${scenario.toLowerCase()}.h100-sxm5-80gb.x8`;
    out.cells.push({ id, ...common, metric: "throughput", unit: "tokens/s", notes: note });
    out.rows.push({
      gt_id: `${id}.run1`,
      cell_id: id,
      value: String(Number(tput.value)),
      unit: "tokens/s",
      bib: INF40_BIB,
      place: `${at(INF40_RESULTS, log)} '${tput.line}'`,
      notes: "performance run_1 of the submission (Result is : VALID); precision and parallelism evidence in the cell notes",
    });
    if (scenario === "Server")
      for (const k of [
        { metric: "ttft_p50", key: "50.00 percentile first token latency (ns)", label: "ttft-p50" },
        { metric: "ttft_p99", key: "99.00 percentile first token latency (ns)", label: "ttft-p99" },
        { metric: "tpot_p50", key: "50.00 percentile time to output token (ns)", label: "tpot-p50" },
        { metric: "tpot_p99", key: "99.00 percentile time to output token (ns)", label: "tpot-p99" },
      ] as const) {
        const v = r.logValue(log, k.key);
        const lid = `${id}.${k.label}`;
        out.cells.push({ id: lid, ...common, metric: k.metric, unit: "ms", notes: `${note} Latency statistic of the same performance run.` });
        out.rows.push({
          gt_id: `${lid}.run1`,
          cell_id: lid,
          value: String(Number((Number(v.value) / 1e6).toPrecision(9))),
          unit: "ms",
          bib: INF40_BIB,
          place: `${at(INF40_RESULTS, log)} '${v.line}'`,
          notes: `${v.value} ns in the log, converted to ms`,
        });
      }
    return out;
  };
  for (const s of ["Offline", "Server"] as const) {
    const o = llama(s);
    cells.push(...o.cells);
    rows.push(...o.rows);
  }
  return { cells, rows };
}

// ------------------------------------------------------------------ Megatron-LM SC21, GPT 1T

function buildMegatron1T(r: ReturnType<typeof makeReader>): { cells: CellIn[]; rows: GtIn[] } {
  const script = "examples/sc21/run_table_1.sh";
  const cfg: Record<string, number> = {};
  r.need(MEGATRON, MEGATRON_SCRIPT_COMMIT, script, 'elif [ ${MODEL_SIZE} == "1T" ]; then');
  for (const [k, v] of [["TP", 8], ["PP", 64], ["MBS", 1], ["GBS", 3072], ["NLS", 128], ["HS", 25600], ["NAH", 160], ["NNODES", 384]] as const) {
    r.need(MEGATRON, MEGATRON_SCRIPT_COMMIT, script, `    ${k}=${v}`);
    cfg[k] = v;
  }
  const gpus = cfg.NNODES! * 8; // "Each cluster node has 8 NVIDIA 80GB A100 GPUs" (Megatron-LM README)
  if (gpus !== 3072) throw new Error(`1T: ${gpus} GPUs, the abstract says 3072`);
  const aggregatePflops = 502; // abstract: "1 trillion parameters at 502 petaFLOP/s on 3072 GPUs"
  const perGpuTflops = (aggregatePflops * 1e3) / gpus;
  const id = "megatron-sc21.gpt-1t.train-iter.a100-sxm4-80gb.x3072";
  const cells: CellIn[] = [
    {
      id,
      level: "multi-gpu",
      workload: { kind: "training", model: "megatron-gpt-1t", global_batch: cfg.GBS!, seq_len: 2048, scope: "iteration", micro_batch: cfg.MBS!, recompute: "full" },
      hardware: "a100-sxm4-80gb",
      n_devices: gpus,
      parallelism: { tp: cfg.TP!, pp: cfg.PP!, dp: gpus / (cfg.TP! * cfg.PP!) },
      precision: "fp16",
      engine: "megatron-lm",
      metric: "achieved_flops_per_device",
      unit: "TFLOP/s",
      notes:
        `Megatron-LM SC21 (narayanan2021megatron), GPT 1T on 3072 A100 80GB (Selene, 384 nodes x 8 GPUs), end-to-end training iterations. ` +
        `Configuration from the authors' reproduction script for Table 1, ${MEGATRON}@${MEGATRON_SCRIPT_COMMIT.slice(0, 12)}:${script} (1T: TP=8, PP=64, MBS=1, GBS=3072, NNODES=384, --activations-checkpoint-method uniform, i.e. full recomputation, and no --num-layers-per-virtual-pipeline-stage, i.e. no interleaving), so dp = 3072/(8x64) = 6. ` +
        `FLOPs are counted by the paper's formula for a GPT iteration, which includes the recomputed forward pass (activation recomputation is on); a tool must count the same way. ` +
        `Precision: 'half precision' per the Megatron-LM README ('more than 43% half precision utilization'); fp16 vs bf16 is not stated there; the A100 dense peak is 312 TFLOP/s for both.`,
    },
  ];
  const rows: GtIn[] = [
    {
      gt_id: `${id}.abstract`,
      cell_id: id,
      value: fmt(perGpuTflops),
      unit: "TFLOP/s",
      bib: "narayanan2021megatron",
      place: "arXiv:2104.04473 abstract: 'training iterations on a model with 1 trillion parameters at 502 petaFLOP/s on 3072 GPUs with achieved per-GPU throughput of 52% of theoretical peak'",
      notes: `502 PFLOP/s aggregate / 3072 GPUs = ${fmt(perGpuTflops)} TFLOP/s per GPU (52% of 312 TFLOP/s = 162 TFLOP/s agrees). Table 1 of the paper was not read (see suite/ground-truth/published/megatron/README.md); shared/ground-truth/published.csv row megatron_sc21_1T.`,
    },
  ];
  return { cells, rows };
}

// ------------------------------------------------------------------ the mapping of every published.csv row

type Decision = { status: "imported" | "already-imported"; gt_id: string; reason: string } | { status: "not-mapped"; reason: string };

const V41_NOTE =
  "value also in suite/ground-truth/published/mlperf-inf41 (official summary_results.json at commit 4a0c8741; published.csv read the same file at 1e5a50f0); values agree";
const inf41 = (gt: string): Decision => ({ status: "already-imported", gt_id: `mlperf-inf41.${gt}.result`, reason: V41_NOTE });
const SECONDARY = "secondary source";
const INF40_IMPORTED = "MLPerf Inference v4.0 NVIDIA closed run log at 3c4a1cf1; precision fp8 and tp 2 / pp 1 (Llama-2) or tp 1 (GPT-J) from NVIDIA's v4.0 config classes and builders (cell notes)";

/** shared id -> what happens to it. Every row of published.csv must appear here exactly once. */
export const DECISIONS: Record<string, Decision> = {
  mlperf_inf41_h200x8_llama2_off: inf41("llama-2-70b.offline.h200-sxm-141gb.x8"),
  mlperf_inf41_h200x8_llama2_srv: inf41("llama-2-70b.server.h200-sxm-141gb.x8"),
  mlperf_inf41_h200x8_gptj_off: inf41("gpt-j-6b.offline.h200-sxm-141gb.x8"),
  mlperf_inf41_h200x8_gptj_srv: inf41("gpt-j-6b.server.h200-sxm-141gb.x8"),
  mlperf_inf41_h200x8_bert_off: inf41("bert-large.acc99.offline.h200-sxm-141gb.x8"),
  mlperf_inf41_h200x8_bert_srv: inf41("bert-large.acc99.server.h200-sxm-141gb.x8"),
  mlperf_inf41_h200x8_rn50_off: inf41("resnet-50.offline.h200-sxm-141gb.x8"),
  mlperf_inf41_h200x8_rn50_srv: inf41("resnet-50.server.h200-sxm-141gb.x8"),
  mlperf_inf41_h200x1_gptj_off: inf41("gpt-j-6b.offline.h200-sxm-141gb.x1"),
  mlperf_inf41_h200x1_gptj_srv: inf41("gpt-j-6b.server.h200-sxm-141gb.x1"),
  mlperf_inf41_h200ctsx1_llama2_off: inf41("llama-2-70b.offline.h200-sxm-141gb-cts.x1"),
  mlperf_inf41_h200ctsx1_llama2_srv: inf41("llama-2-70b.server.h200-sxm-141gb-cts.x1"),
  mlperf_inf41_h200ctsx8_llama2_off: inf41("llama-2-70b.offline.h200-sxm-141gb-cts.x8"),
  mlperf_inf41_h200ctsx8_llama2_srv: inf41("llama-2-70b.server.h200-sxm-141gb-cts.x8"),
  mlperf_inf41_gh200x1_llama2_off: { status: "not-mapped", reason: "GH200-144GB: no suite hardware entry with verified specs (also skipped by mlperf-inf41)" },
  mlperf_inf41_gh200x1_gptj_off: { status: "not-mapped", reason: "GH200-144GB: no suite hardware entry with verified specs (also skipped by mlperf-inf41)" },
  mlperf_inf40_h100x1_rn50_off: {
    status: "not-mapped",
    reason:
      "precision not verifiable: NVIDIA's v4.0 closed/NVIDIA/configs/resnet50/ is not in the search index and the 1.4 GB v4.0 snapshot exceeds the 500 MB fetch limit; the value itself (88714.3 samples/s) was not imported",
  },
  mlperf_inf40_h100x1_bert_off: {
    status: "not-mapped",
    reason:
      "precision not verifiable: NVIDIA's v4.0 closed/NVIDIA/configs/bert/ is not in the search index and the 1.4 GB v4.0 snapshot exceeds the 500 MB fetch limit (bert-99 ran int8 in v4.1, but v4.0 is not v4.1)",
  },
  mlperf_inf40_h100x1_gptj_off: { status: "imported", gt_id: "mlperf-inf40.gpt-j-6b.acc99.9.offline.h100-sxm5-80gb.x1.run1", reason: INF40_IMPORTED },
  mlperf_inf40_h100x8_llama2_off: { status: "imported", gt_id: "mlperf-inf40.llama-2-70b.acc99.9.offline.h100-sxm5-80gb.x8.run1", reason: INF40_IMPORTED },
  mlperf_inf40_h100x8_llama2_srv: { status: "imported", gt_id: "mlperf-inf40.llama-2-70b.acc99.9.server.h100-sxm5-80gb.x8.run1", reason: INF40_IMPORTED },
  mlperf_inf40_h100x8_llama2_srv_ttft_p99: {
    status: "imported",
    gt_id: "mlperf-inf40.llama-2-70b.acc99.9.server.h100-sxm5-80gb.x8.ttft-p99.run1",
    reason: `${INF40_IMPORTED}; 568284028 ns in the log (published.csv rounds to 568.284 ms)`,
  },
  mlperf_inf40_h100x8_llama2_srv_tpot_p99: {
    status: "imported",
    gt_id: "mlperf-inf40.llama-2-70b.acc99.9.server.h100-sxm5-80gb.x8.tpot-p99.run1",
    reason: `${INF40_IMPORTED}; 156076924 ns in the log (published.csv rounds to 156.077 ms)`,
  },
  mlperf_tr40_h100x1024_lora_run0: {
    status: "not-mapped",
    reason: "Llama-2-70B LoRA fine-tuning is not expressible in the 'training' workload (a tool would model full fine-tuning); also a single run, not the official score (skipped by mlperf-tr40 for the same reason)",
  },
  mlperf_tr51_quanta_h200x8_lora: {
    status: "not-mapped",
    reason: "Llama-2-70B LoRA fine-tuning is not expressible in the 'training' workload (a tool would model full fine-tuning)",
  },
  mlperf_tr51_quanta_h200x8_dlrm: { status: "not-mapped", reason: "no suite model: DLRM-DCNv2 (embedding tables + interaction) has no arch in the model schema" },
  mlperf_tr51_quanta_h200x8_retinanet: { status: "not-mapped", reason: "no suite model: RetinaNet is not a network of the model schema (only resnet50 among CNNs)" },
  mlperf_tr51_quanta_h200x8_rgat: { status: "not-mapped", reason: "no suite model: R-GAT (graph neural network) has no arch in the model schema" },
  mlperf_tr31_tpuv5e4096_gpt3: { status: "not-mapped", reason: "no suite hardware entry for TPU v5e (the suite holds NVIDIA GPUs only)" },
  mlperf_tr30_h100x3584_gpt3: { status: "not-mapped", reason: SECONDARY },
  mlperf_tr31_h100x10752_gpt3: { status: "not-mapped", reason: SECONDARY },
  mlperf_tr31_h100x1024_sd: { status: "not-mapped", reason: SECONDARY },
  mlperf_tr31_h100_bert: { status: "not-mapped", reason: SECONDARY },
  mlperf_tr40_h100x11616_gpt3: { status: "not-mapped", reason: SECONDARY },
  mlperf_tr40_h100x8_lora: { status: "not-mapped", reason: SECONDARY },
  megatron_sc21_1T: {
    status: "imported",
    gt_id: "megatron-sc21.gpt-1t.train-iter.a100-sxm4-80gb.x3072.abstract",
    reason:
      "abstract value (502 PFLOP/s on 3072 GPUs) divided by 3072 = 163.411 TFLOP/s per GPU; configuration (TP 8, PP 64, GBS 3072, 128 layers, hidden 25600, 160 heads) from the authors' examples/sc21/run_table_1.sh; Table 1 itself not read",
  },
  megatron_readme_h100_weak: {
    status: "not-mapped",
    reason: "MFU is not a suite metric, and the model configurations (2B-462B) and GPU counts per point are in an image of the README, not in text",
  },
  megatron_readme_h100_strong: {
    status: "not-mapped",
    reason: "MFU is not a suite metric, and the per-point GPU counts and parallelism between 96 and 4608 GPUs are in an image of the README, not in text",
  },
  fa3_fp16: {
    status: "not-mapped",
    reason: "an abstract headline (best over a sweep of sequence lengths and head dims); no attention shape (batch, seq_len, heads, head_dim, causal) to define an attention-prefill cell",
  },
  fa3_fp8: {
    status: "not-mapped",
    reason: "an abstract headline (~1.2 PFLOP/s, approximate, best over a sweep); no attention shape to define a cell",
  },
  fa2_on_h100: { status: "not-mapped", reason: "a utilization percentage quoted in the FA3 abstract, without an attention shape; not a suite metric" },
  llmcompass_a100_gemm_8192x16384x16384: {
    status: "already-imported",
    gt_id: "llmcompass.gemm.m8192.n16384.k16384.a100-sxm4-80gb.median",
    reason: "value in suite/ground-truth/published/llmcompass (matmul_A100.csv at b95c6c95 row M=8192 N=16384 K=16384, 15.0087 ms); the 293.0334 TFLOP/s of published.csv is derived from it; values agree",
  },
  astrasim_h100_ar_8gpu: {
    status: "not-mapped",
    reason: "tool-claimed accuracy (ASTRA-sim's geomean error against its own measurements), not a measured value; belongs to the claimed-accuracy table",
  },
  astrasim_h100_busbw_max: {
    status: "not-mapped",
    reason: "a maximum over a message-size sweep without the message size, stated as bidirectional bandwidth; a collective cell needs bytes and the suite's bus_bandwidth definition",
  },
};

export function buildMapping(
  shared: Record<string, string>[],
  own: GtIn[],
  others: { gt_id: string; cell_id: string; value: number }[],
): { mapping: MappingRow[]; problems: string[] } {
  const problems: string[] = [];
  const seen = new Set<string>();
  const mapping: MappingRow[] = [];
  for (const s of shared) {
    const id = s.id!;
    if (seen.has(id)) problems.push(`published.csv: duplicate id ${id}`);
    seen.add(id);
    const d = DECISIONS[id];
    if (!d) {
      problems.push(`published.csv row ${id} has no decision in DECISIONS (import.ts): map it or say why not`);
      continue;
    }
    if (d.status === "not-mapped") {
      mapping.push({ shared_id: id, verified: s.verified!, status: d.status, gt_id: "", cell_id: "", reason: d.reason });
      continue;
    }
    if (!/^yes/.test(s.verified!)) problems.push(`${id}: status ${d.status} but published.csv says verified='${s.verified}'`);
    const hit =
      d.status === "imported"
        ? own.filter((g) => g.gt_id === d.gt_id).map((g) => ({ gt_id: g.gt_id, cell_id: g.cell_id, value: Number(g.value) }))
        : others.filter((g) => g.gt_id === d.gt_id);
    if (hit.length !== 1) {
      problems.push(`${id}: ${d.status} gt_id ${d.gt_id} found ${hit.length} times (expected once)`);
      continue;
    }
    if (!agreesWithShared(s.value!, hit[0]!.value)) problems.push(`${id}: published.csv value '${s.value}' does not agree with ${d.gt_id} = ${hit[0]!.value}`);
    mapping.push({ shared_id: id, verified: s.verified!, status: d.status, gt_id: d.gt_id, cell_id: hit[0]!.cell_id, reason: d.reason });
  }
  for (const k of Object.keys(DECISIONS)) if (!seen.has(k)) problems.push(`DECISIONS names ${k}, which is not a row of published.csv`);
  return { mapping, problems };
}

export function renderMapping(mapping: MappingRow[]): string {
  return stringify(mapping, { header: true, columns: [...MAPPING_COLUMNS] });
}

/** Ground-truth rows of the other published sources (the ones this importer does not write). */
function otherPublishedRows(): { gt_id: string; cell_id: string; value: number }[] {
  const own = path.join("suite", "ground-truth", "published", SOURCE) + path.sep;
  return loadGroundTruthFiles(REPO_ROOT)
    .rows.filter((r) => r.file.startsWith(path.join("suite", "ground-truth", "published")) && !r.file.startsWith(own))
    .map((r) => ({ gt_id: r.gt_id, cell_id: r.cell_id, value: r.value }));
}

export function build(): { cells: CellIn[]; rows: GtIn[]; mapping: MappingRow[] } {
  const reader = makeReader(upstreamLines());
  const a = buildInf40(reader);
  const b = buildMegatron1T(reader);
  const cells = [...a.cells, ...b.cells];
  const rows = [...a.rows, ...b.rows];
  const shared = readCsv(data("published.csv"));
  const { mapping, problems } = buildMapping(shared, rows, otherPublishedRows());
  if (problems.length) throw new Error(`${SOURCE}: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  return { cells, rows, mapping };
}

export function run(): Record<string, number> {
  const { cells, rows, mapping } = build();
  const counts = writeSource(SOURCE, cells, rows);
  const tmp = `${MAPPING_PATH}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, renderMapping(mapping));
  fs.renameSync(tmp, MAPPING_PATH);
  const by: Record<string, number> = {};
  for (const m of mapping) by[m.status] = (by[m.status] ?? 0) + 1;
  console.log(`${SOURCE}: mapping of ${mapping.length} published.csv rows: ${Object.entries(by).sort().map(([k, n]) => `${k} ${n}`).join(", ")}`);
  return counts;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) console.log(SOURCE, run());
