/**
 * Vidur's measured operator and collective profiles (committed excerpts in data/) -> suite cells and
 * published ground truth. See README.md for origin, units and the operator mapping.
 *   node_modules/.bin/tsx suite/ground-truth/published/vidur/import.ts
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, readCsv, writeSource, type CellIn, type GtIn } from "../lib.ts";

export const SOURCE = "vidur";
const COMMIT = "7d47513363ec447a741ac5e47241580b47724fbf";
const BIB = "agrawal2024vidur";
const here = path.dirname(fileURLToPath(import.meta.url));

/** Vidur device folder -> suite hardware id (README of Vidur: "A100 80GB DGX", "H100 DGX"). */
const DEVICES = { a100: "a100-sxm4-80gb", h100: "h100-sxm5-80gb" } as const;
const NODES = { a100_dgx: "a100-sxm4-80gb", h100_dgx: "h100-sxm5-80gb" } as const;
/** Model folder -> suite model id, and the tensor-parallel degrees imported. */
const MODELS = [
  { folder: "Llama-2-7b-hf", model: "llama-2-7b", tps: [1] },
  { folder: "Llama-2-70b-hf", model: "llama-2-70b", tps: [8] },
] as const;
const TOKENS = [1, 16, 128, 512, 4096];
/** Every power-of-two size in the excerpt (data/network/): 2 KiB and 1 MiB to 64 MiB. */
const SIZES_BYTES = [2048, 1 << 20, 1 << 21, 1 << 22, 1 << 23, 1 << 24, 1 << 25, 1 << 26];
const ENGINE_OPS = "pytorch+sarathi-kernels";
const ENGINE_NCCL = "nccl(torch.distributed)";

type Row = Record<string, string>;
const num = (r: Row, k: string): number => {
  const v = Number(r[k]);
  if (!Number.isFinite(v)) throw new Error(`column ${k} is not a number: '${r[k]}'`);
  return v;
};

/** First row for each key, plus the medians of later duplicates (reported in notes). */
function firstByKey(rows: Row[], key: (r: Row) => string): Map<string, { row: Row; line: number; dups: Row[] }> {
  const m = new Map<string, { row: Row; line: number; dups: Row[] }>();
  rows.forEach((r, i) => {
    const k = key(r);
    const e = m.get(k);
    if (e) e.dups.push(r);
    else m.set(k, { row: r, line: i + 2, dups: [] });
  });
  return m;
}

/** Per operator: how to read the time and how to build the per-worker workload. */
type OpSpec = { op: string; kind: string; build: (cfg: Cfg, t: number) => Record<string, unknown> };
type Cfg = { nEmbd: number; nHead: number; nKv: number; ffn: number; tp: number; headDim: number; model: string };

const OPS: OpSpec[] = [
  { op: "attn_pre_proj", kind: "gemm", build: (c, t) => ({ kind: "gemm", m: t, n: ((c.nHead + 2 * c.nKv) * c.headDim) / c.tp, k: c.nEmbd, batch: 1, from_model: c.model }) },
  { op: "attn_post_proj", kind: "gemm", build: (c, t) => ({ kind: "gemm", m: t, n: c.nEmbd, k: (c.nHead * c.headDim) / c.tp, batch: 1, from_model: c.model }) },
  { op: "mlp_up_proj", kind: "gemm", build: (c, t) => ({ kind: "gemm", m: t, n: (2 * c.ffn) / c.tp, k: c.nEmbd, batch: 1, from_model: c.model }) },
  { op: "mlp_down_proj", kind: "gemm", build: (c, t) => ({ kind: "gemm", m: t, n: c.nEmbd, k: c.ffn / c.tp, batch: 1, from_model: c.model }) },
  { op: "mlp_act", kind: "elementwise", build: (c, t) => ({ kind: "elementwise", op: "silu-mul", elements: (t * c.ffn) / c.tp, from_model: c.model }) },
  { op: "attn_rope", kind: "elementwise", build: (c, t) => ({ kind: "elementwise", op: "rope", elements: (t * (c.nHead + c.nKv) * c.headDim) / c.tp, from_model: c.model }) },
  { op: "add", kind: "elementwise", build: (c, t) => ({ kind: "elementwise", op: "add", elements: t * c.nEmbd, from_model: c.model }) },
  { op: "input_layernorm", kind: "norm", build: (c, t) => ({ kind: "norm", norm: "rmsnorm", rows: t, cols: c.nEmbd, from_model: c.model }) },
  { op: "post_attention_layernorm", kind: "norm", build: (c, t) => ({ kind: "norm", norm: "rmsnorm", rows: t, cols: c.nEmbd, from_model: c.model }) },
];

export function build(): { cells: CellIn[]; rows: GtIn[] } {
  const cells: CellIn[] = [];
  const rows: GtIn[] = [];
  for (const [dev, hw] of Object.entries(DEVICES))
    for (const { folder, model, tps } of MODELS) {
      const rel = `data/compute/${dev}/${folder}/mlp.csv`;
      const data = readCsv(path.join(here, rel));
      const byKey = firstByKey(data, (r) => `${r.num_tokens}/${r.num_tensor_parallel_workers}`);
      for (const tp of tps)
        for (const t of TOKENS) {
          const e = byKey.get(`${t}/${tp}`);
          if (!e) throw new Error(`${rel}: no row for num_tokens=${t}, tp=${tp}`);
          const r = e.row;
          if (r.use_gated_mlp !== "True") throw new Error(`${rel}: expected a gated MLP (Llama)`);
          const nEmbd = num(r, "n_embd");
          const nHead = num(r, "n_head");
          const cfg: Cfg = { nEmbd, nHead, nKv: num(r, "n_kv_head"), ffn: num(r, "n_expanded_embd"), tp, headDim: nEmbd / nHead, model };
          for (const spec of OPS) {
            const id = `vidur.${model}.${spec.op}.t${t}.tp${tp}.${hw}`;
            const median = r[`time_stats.${spec.op}.median`];
            if (median === undefined || median === "") throw new Error(`${rel}: no time_stats.${spec.op}.median`);
            cells.push({
              id,
              level: "operator",
              workload: spec.build(cfg, t),
              hardware: hw,
              n_devices: 1,
              parallelism: { tp: 1, pp: 1, dp: 1 },
              precision: "fp16",
              engine: ENGINE_OPS,
              metric: "latency",
              unit: "ms",
              notes:
                `Vidur profile of '${spec.op}' for ${folder}` +
                (tp > 1 ? `, the per-GPU shard of a tensor-parallel-${tp} layer (shape above is per GPU)` : "") +
                `; fp16; timed by Vidur's profiler (record_function/CUDA time, ms).`,
            });
            const dupNote = duplicatesNote(e.dups, spec.op);
            rows.push({
              gt_id: `${id}.median`,
              cell_id: id,
              value: fmt(Number(median)),
              unit: "ms",
              bib: BIB,
              place: `microsoft/vidur@${COMMIT.slice(0, 12)}:data/profiling/compute/${dev}/meta-llama/${folder}/mlp.csv (num_tokens=${t}, num_tensor_parallel_workers=${tp}, time_stats.${spec.op}.median)`,
              notes: `median of Vidur's repetitions; mean ${fmt(num(r, `time_stats.${spec.op}.mean`))} ms, std ${r[`time_stats.${spec.op}.std`]} ms.${dupNote}`,
            });
          }
        }
    }

  for (const [node, hw] of Object.entries(NODES))
    for (const coll of ["all_reduce", "send_recv"] as const) {
      const rel = `data/network/${node}/${coll}.csv`;
      const data = readCsv(path.join(here, rel));
      // single-node groups only: the cell has no field for the node topology
      const single = data.filter((r) => r.devices_per_node === r.num_workers);
      const byKey = firstByKey(single, (r) => `${r.num_workers}/${r.size}`);
      const workers = [...new Set(single.map((r) => Number(r.num_workers)))].sort((a, b) => a - b);
      for (const w of workers)
        for (const bytes of SIZES_BYTES) {
          const e = byKey.get(`${w}/${bytes}`);
          if (!e) throw new Error(`${rel}: no row for num_workers=${w}, size=${bytes}`);
          const r = e.row;
          const op = coll === "all_reduce" ? "all-reduce" : "send-recv";
          const id = `vidur.${op}.b${bytes}.x${w}.${hw}`;
          const median = r[`time_stats.${coll}.median`]!;
          cells.push({
            id,
            level: "multi-gpu",
            workload: { kind: "collective", op, bytes, n_devices: w },
            hardware: hw,
            n_devices: w,
            parallelism: { tp: w, pp: 1, dp: 1 },
            precision: "fp16",
            engine: ENGINE_NCCL,
            metric: "latency",
            unit: "ms",
            notes: `Vidur's NCCL ${coll} profile within one ${node === "a100_dgx" ? "DGX A100" : "DGX H100"} node (${w} GPUs, NVLink/NVSwitch); fp16 buffer of ${bytes} bytes; Kineto CUDA time, ms. tp = the group size.`,
          });
          const dupNote = duplicatesNote(e.dups, coll);
          rows.push({
            gt_id: `${id}.median`,
            cell_id: id,
            value: fmt(Number(median)),
            unit: "ms",
            bib: BIB,
            place: `microsoft/vidur@${COMMIT.slice(0, 12)}:data/profiling/network/${node}/${coll}.csv (num_workers=${w}, devices_per_node=${w}, size=${bytes}, time_stats.${coll}.median)`,
            notes: `median of Vidur's repetitions; mean ${fmt(num(r, `time_stats.${coll}.mean`))} ms.${dupNote}`,
          });
        }
    }
  return { cells, rows };
}

export function run(): Record<string, number> {
  const { cells, rows } = build();
  return writeSource(SOURCE, cells, rows);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) console.log(SOURCE, run());

/** The note on a profile point that Vidur's file lists more than once (the first row is used). */
function duplicatesNote(dups: Row[], op: string): string {
  return dups.length ? ` Vidur's file has ${dups.length + 1} rows for this point; the first is used (others' medians: ${dups.map((d) => d[`time_stats.${op}.median`]).join(", ")} ms).` : "";
}
