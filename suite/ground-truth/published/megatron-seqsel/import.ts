/**
 * Megatron-LM end-to-end iteration times with full recomputation and with sequence parallelism plus
 * selective recomputation (Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
 * Transformer Models", Table 5), as transcribed by Calculon's authors for Calculon's own validation
 * -> the 8 training cells of suite/cells/training-megatron.yaml and ground-truth.csv. See README.md.
 *
 * Reads data/ (Calculon @ caa4b11f, Apache-2.0, copied unchanged by extract.ts):
 *   calculon/llm/validation.py        Validation.seqsel_tab5: kModels, kModes, kProfile (seconds)
 *   validation/seqsel/tab5/<m>_<mode>.json  the execution of each point (procs, tp, pp, dp, batch,
 *                                     micro-batch, recompute, sequence parallelism, interleaving)
 *   models/<m>.json                   the model shape, checked against suite/models/<id>.yaml
 * Every value is checked (one list of problems, naming file and field) before anything is written.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { Model } from "../../../../pipeline/lib/schema.ts";
import { REPO_ROOT, fmt, writeSource, type CellIn, type GtIn } from "../lib.ts";

export const SOURCE = "megatron-seqsel";
export const CALCULON_COMMIT = "caa4b11f8fe1fee3ba57adaacb7590d7deabd053";
const BIB = "korthikanti2022reducing";
const HW = "a100-sxm4-80gb";
const here = path.dirname(fileURLToPath(import.meta.url));

/** Calculon model file -> suite model id. */
export const MODELS: Record<string, string> = {
  "megatron-22B": "megatron-gpt-22b",
  "gpt3-175B": "gpt-3-175b",
  "turing-530B": "megatron-gpt-530b",
  "megatron-1T": "megatron-gpt-1t",
};
/** Calculon mode -> cell id part and what it means in Megatron-LM terms. */
export const MODES: Record<string, { part: string; recompute: "full" | "selective"; sequence_parallel: boolean; column: string }> = {
  full: { part: "full-recompute", recompute: "full", sequence_parallel: false, column: "full recompute" },
  seqsel: { part: "seqpar-selective", recompute: "selective", sequence_parallel: true, column: "present work (sequence parallelism + selective recompute)" },
};
/** Calculon's activation_recompute value expected for each mode. */
const CALCULON_RECOMPUTE: Record<string, string> = { full: "full", seqsel: "attn_only" };

export const cellId = (model: string, mode: string, n: number) => `${SOURCE}.${MODELS[model]}.${MODES[mode]!.part}.${HW}.x${n}`;

/** The transcribed Table 5: model -> mode -> seconds, from Validation.seqsel_tab5's kProfile. */
export function parseTab5(py: string): { models: string[]; modes: string[]; profile: Record<string, Record<string, number>>; comment: string } {
  const start = py.indexOf("def seqsel_tab5(");
  if (start < 0) throw new Error("validation.py: no 'def seqsel_tab5('");
  const end = py.indexOf("def get_files", start);
  const block = py.slice(start, end < 0 ? undefined : end);
  const list = (name: string): string[] => {
    const m = new RegExp(`${name} = \\[([^\\]]*)\\]`).exec(block);
    if (!m) throw new Error(`validation.py seqsel_tab5: no ${name} list`);
    return [...m[1]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!);
  };
  const models = list("kModels");
  const modes = list("kModes");
  const comment = [...block.matchAll(/^\s*# (.*)$/gm)].map((m) => m[1]!.trim()).join(" ");
  const at = block.indexOf("kProfile = {");
  if (at < 0) throw new Error("validation.py seqsel_tab5: no kProfile");
  const profile: Record<string, Record<string, number>> = {};
  for (const m of block.slice(at).matchAll(/'([^']+)': \{([^}]*)\}/g)) {
    const entries = [...m[2]!.matchAll(/'([^']+)': ([0-9.]+)/g)];
    profile[m[1]!] = Object.fromEntries(entries.map((e) => [e[1]!, Number(e[2])]));
  }
  return { models, modes, profile, comment };
}

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, "utf8")) as Record<string, unknown>;

export function build(dataDir: string = path.join(here, "data")): { cells: CellIn[]; rows: GtIn[] } {
  const problems: string[] = [];
  const py = fs.readFileSync(path.join(dataDir, "calculon/llm/validation.py"), "utf8");
  const { models, modes, profile, comment } = parseTab5(py);
  if (!/Table 5/.test(comment) || !/2205\.05198/.test(comment)) problems.push(`validation.py seqsel_tab5: the comment above kProfile should name arXiv 2205.05198 and Table 5 (found '${comment}')`);
  for (const m of models) if (!MODELS[m]) problems.push(`validation.py seqsel_tab5: model '${m}' has no suite model in MODELS`);
  for (const m of modes) if (!MODES[m]) problems.push(`validation.py seqsel_tab5: mode '${m}' is not in MODES`);
  const cells: CellIn[] = [];
  const rows: GtIn[] = [];
  for (const model of models) {
    const suiteId = MODELS[model];
    if (!suiteId) continue;
    const appFile = `models/${model}.json`;
    const app = readJson(path.join(dataDir, appFile));
    const suiteModel = Model.parse(YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "suite/models", `${suiteId}.yaml`), "utf8")));
    const a = suiteModel.arch;
    if (a.kind === "cnn") {
      problems.push(`suite/models/${suiteId}.yaml: expected a transformer`);
      continue;
    }
    const expect: [string, number][] = [
      ["hidden", a.d_model],
      ["feedforward", a.d_ff],
      ["attn_heads", a.n_heads],
      ["attn_size", a.d_model / a.n_heads],
      ["num_blocks", a.n_layers],
      ["seq_size", a.max_seq_len],
    ];
    for (const [k, v] of expect) if (app[k] !== v) problems.push(`${appFile}: ${k} = ${app[k]}, but suite/models/${suiteId}.yaml gives ${v}`);
    for (const mode of modes) {
      const spec = MODES[mode];
      if (!spec) continue;
      const seconds = profile[model]?.[mode];
      if (!(typeof seconds === "number" && seconds > 0)) {
        problems.push(`validation.py seqsel_tab5 kProfile: no positive value for ${model} / ${mode}`);
        continue;
      }
      const exeFile = `validation/seqsel/tab5/${model}_${mode}.json`;
      const exe = readJson(path.join(dataDir, exeFile));
      const n = exe.num_procs as number;
      const tp = exe.tensor_par as number;
      const pp = exe.pipeline_par as number;
      const dp = exe.data_par as number;
      if (tp * pp * dp !== n) problems.push(`${exeFile}: tensor_par x pipeline_par x data_par = ${tp * pp * dp} != num_procs ${n}`);
      if (exe.datatype !== "float16") problems.push(`${exeFile}: datatype ${exe.datatype}, expected float16`);
      if (exe.training !== true) problems.push(`${exeFile}: training is not true`);
      if (exe.activation_recompute !== CALCULON_RECOMPUTE[mode]) problems.push(`${exeFile}: activation_recompute ${exe.activation_recompute}, expected ${CALCULON_RECOMPUTE[mode]} for mode ${mode}`);
      const seqPar = exe.tensor_par_comm_type === "rs_ag";
      if (seqPar !== spec.sequence_parallel) problems.push(`${exeFile}: tensor_par_comm_type ${exe.tensor_par_comm_type} does not match mode ${mode}`);
      const batch = exe.batch_size as number;
      const mb = exe.microbatch_size as number;
      const v = exe.pipeline_interleaving as number;
      const id = cellId(model, mode, n);
      const interleave = v > 1 ? `, interleaved schedule with ${v} model chunks per GPU` : "";
      cells.push({
        id,
        level: "multi-gpu",
        workload: {
          kind: "training",
          model: suiteId,
          global_batch: batch,
          seq_len: app.seq_size as number,
          scope: "iteration",
          micro_batch: mb,
          recompute: spec.recompute,
          sequence_parallel: spec.sequence_parallel,
          ...(v > 1 ? { virtual_stages: v } : {}),
        },
        hardware: HW,
        n_devices: n,
        parallelism: { tp, pp, dp },
        precision: "fp16",
        engine: "megatron-lm",
        metric: "latency",
        unit: "s",
        notes:
          `One training iteration of ${suiteId} on ${n} A100 80GB GPUs of NVIDIA's Selene (DGX A100 nodes), Megatron-LM, ` +
          `${spec.column}: tp ${tp} x pp ${pp} x dp ${dp}, global batch ${batch}, micro-batch ${mb}${interleave}, fp16, sequence length ${app.seq_size}. ` +
          `Korthikanti et al. 2022 (${BIB}), Table 5; the configuration is Calculon's transcription for its own validation, ` +
          `calculon-ai/calculon@${CALCULON_COMMIT.slice(0, 8)}:${exeFile} (copy in suite/ground-truth/published/${SOURCE}/data/).`,
      });
      rows.push({
        gt_id: `${id}.tab5`,
        cell_id: id,
        value: fmt(seconds),
        unit: "s",
        bib: BIB,
        place: `Table 5 (end-to-end iteration time), ${model}, ${spec.column}; as transcribed in calculon-ai/calculon@${CALCULON_COMMIT.slice(0, 8)}:calculon/llm/validation.py (Validation.seqsel_tab5, kProfile)`,
        notes: `measured by the paper's authors on Selene (A100 80GB); the value is Calculon's transcription of the table (the paper's table itself was not read in this session, README)`,
      });
    }
  }
  if (problems.length) throw new Error(`${SOURCE}: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  return { cells, rows };
}

export function run(): Record<string, number> {
  const { cells, rows } = build();
  return writeSource(SOURCE, cells, rows);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) console.log(SOURCE, run());
