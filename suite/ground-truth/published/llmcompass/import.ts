/**
 * LLMCompass' measured A100 operators (Figure 5 artifact, committed copies in data/) -> suite cells
 * and published ground truth. See README.md.
 *   node_modules/.bin/tsx suite/ground-truth/published/llmcompass/import.ts
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, readCsvRows, writeSource, type CellIn, type GtIn } from "../lib.ts";

export const SOURCE = "llmcompass";
const COMMIT = "b95c6c95a80071414d31da8ba8d2e62334753f3d";
const BIB = "zhang2024llmcompass";
const HW = "a100-sxm4-80gb";
const here = path.dirname(fileURLToPath(import.meta.url));

const HW_NOTE =
  "GPU named 'A100' in the artifact; LLMCompass models it as A100_80GB with 2,039 GB/s (hardware_model/io_module.py), i.e. the SXM4 80GB part";
const TIMING_NOTE = "host wall-clock around one call with torch.cuda.synchronize(), median of the iterations, 3 warm-up calls (includes launch overhead)";

type Spec = {
  file: string;
  upstream: string;
  script: string;
  /** Parse one line (array of trimmed fields) into a cell id part, a workload and a latency in ms. */
  parse: (f: string[]) => { key: string; workload: Record<string, unknown>; latencyMs: number; raw: string };
  engine: string;
  what: string;
};

const n = (s: string | undefined): number => {
  const v = Number(s);
  if (s === undefined || !Number.isFinite(v)) throw new Error(`not a number: '${s}'`);
  return v;
};

const SPECS: Spec[] = [
  {
    file: "matmul_A100.csv",
    upstream: "ae/figure5/ab/real_hardware/matmul_A100.csv",
    script: "ae/figure5/ab/test_matmul.py --gpu; software_model/matmul.py run_on_gpu (torch.bmm, fp16)",
    engine: "pytorch-eager",
    what: "GEMM [M,K]x[K,N] as torch.bmm with batch 1",
    parse: (f) => {
      const [m, nn, k, ms] = [n(f[0]), n(f[1]), n(f[2]), f[3] ?? ""];
      if (!ms.endsWith("ms")) throw new Error(`matmul: expected '<x>ms' in column 4, got '${ms}'`);
      return { key: `gemm.m${m}.n${nn}.k${k}`, workload: { kind: "gemm", m, n: nn, k, batch: 1 }, latencyMs: n(ms.slice(0, -2)), raw: `${ms} (as printed, 4 decimals)` };
    },
  },
  {
    file: "softmax_A100.csv",
    upstream: "ae/figure5/cf/real_hardware/softmax_A100.csv",
    script: "ae/figure5/cf/test_softmax.py --gpu; software_model/softmax.py run_on_gpu (torch.softmax over the last dim, fp16)",
    engine: "pytorch-eager",
    what: "softmax over the last dimension of an [M,N] fp16 tensor",
    parse: (f) => {
      const [m, c, gps] = [n(f[0]), n(f[1]), n(f[2])];
      return { key: `softmax.r${m}.c${c}`, workload: { kind: "softmax", rows: m, cols: c }, latencyMs: ((m * c) / (gps * 1e9)) * 1e3, raw: `${f[2]} G elements/s` };
    },
  },
  {
    file: "layernorm_A100.csv",
    upstream: "ae/figure5/de/real_hardware/layernorm_A100.csv",
    script: "ae/figure5/de/test_layernorm.py --gpu; software_model/layernorm.py run_on_gpu (torch.layer_norm under torch.compile, fp16)",
    engine: "pytorch-compile",
    what: "LayerNorm over the last dimension of an [M,N] fp16 tensor, no affine parameters",
    parse: (f) => {
      const [m, c, gps] = [n(f[0]), n(f[1]), n(f[2])];
      return { key: `layernorm.r${m}.c${c}`, workload: { kind: "norm", norm: "layernorm", rows: m, cols: c }, latencyMs: ((m * c) / (gps * 1e9)) * 1e3, raw: `${f[2]} G elements/s` };
    },
  },
  {
    file: "gelu_A100.csv",
    upstream: "ae/figure5/g/real_hardware/gelu_A100.csv",
    script: "ae/figure5/g/test_gelu.py --gpu; software_model/gelu.py run_on_gpu (F.gelu approximate='tanh' under torch.compile, fp16)",
    engine: "pytorch-compile",
    what: "GELU (tanh approximation) on a 1-D fp16 tensor",
    parse: (f) => {
      const [e, gps] = [n(f[0]), n(f[1])];
      return { key: `gelu.e${e}`, workload: { kind: "elementwise", op: "gelu", elements: e }, latencyMs: (e / (gps * 1e9)) * 1e3, raw: `${f[1]} G elements/s` };
    },
  },
];

export function build(): { cells: CellIn[]; rows: GtIn[]; skipped: string[] } {
  const cells: CellIn[] = [];
  const rows: GtIn[] = [];
  const skipped: string[] = [];
  for (const spec of SPECS) {
    const lines = readCsvRows(path.join(here, "data", spec.file));
    const seen = new Map<string, number>();
    lines.forEach((f, i) => {
      const line = i + 1;
      const p = spec.parse(f.map((s) => s.trim()));
      const id = `llmcompass.${p.key}.${HW}`;
      const first = seen.get(id);
      if (first !== undefined) {
        skipped.push(`${spec.file} line ${line}: same shape as line ${first} (measured twice); the first is imported`);
        return;
      }
      seen.set(id, line);
      cells.push({
        id,
        level: "operator",
        workload: p.workload,
        hardware: HW,
        n_devices: 1,
        parallelism: { tp: 1, pp: 1, dp: 1 },
        precision: "fp16",
        engine: spec.engine,
        metric: "latency",
        unit: "ms",
        notes: `${spec.what}; measured by LLMCompass' authors (${spec.script}); ${TIMING_NOTE}. ${HW_NOTE}.`,
      });
      rows.push({
        gt_id: `${id}.median`,
        cell_id: id,
        value: fmt(p.latencyMs),
        unit: "ms",
        bib: BIB,
        place: `PrincetonUniversity/LLMCompass@${COMMIT.slice(0, 12)}:${spec.upstream} line ${line} (Figure 5)`,
        notes: spec.file.startsWith("matmul")
          ? `latency as written in the file: ${p.raw}`
          : `latency = elements / throughput; the file holds ${p.raw} (elements/latency/1e9, see the test script)`,
      });
    });
  }
  return { cells, rows, skipped };
}

export function run(): Record<string, number> {
  const { cells, rows, skipped } = build();
  for (const s of skipped) console.log(`${SOURCE}: skipped ${s}`);
  return writeSource(SOURCE, cells, rows);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) console.log(SOURCE, run());
