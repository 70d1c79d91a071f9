#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * Writes suite/cells/single-device.yaml: the suite's single-device cells (issue 2), expanded from
 * the small sweep tables below. The YAML is the suite; this script only saves typing and keeps the
 * id convention in one place. `make check-suite` fails if the committed file is out of date.
 *
 *   tsx pipeline/gen-cells.ts          # rewrite the file
 *   tsx pipeline/gen-cells.ts --check  # exit 1 if the committed file differs
 */
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { writeFileAtomic } from "./lib/io.ts";

export const SINGLE_DEVICE_HARDWARE = ["a100-sxm4-80gb", "h100-sxm5-80gb", "h200-sxm-141gb"] as const;
export const PRECISION = "bf16";
export const OUT = "suite/cells/single-device.yaml";

type W = Record<string, unknown> & { kind: string };
interface Proto {
  key: string; // the cell id without the `.{hw}.{precision}` suffix
  level: "operator" | "model";
  workload: W;
}

/** GEMM shapes (N, K) of y = x W^T per model, at the token counts M listed. */
const GEMMS: { model: string; ms: number[]; nk: [number, number, string][] }[] = [
  {
    model: "llama-2-7b",
    ms: [1, 32, 512, 2048],
    nk: [
      [12288, 4096, "qkv"],
      [4096, 4096, "o"],
      [22016, 4096, "gate_up"],
      [4096, 11008, "down"],
      [32000, 4096, "lm_head"],
    ],
  },
  {
    model: "bert-base",
    ms: [512, 4096],
    nk: [
      [2304, 768, "qkv"],
      [768, 768, "o"],
      [3072, 768, "fc1"],
      [768, 3072, "fc2"],
    ],
  },
  {
    model: "gpt-2",
    ms: [1024],
    nk: [
      [2304, 768, "qkv"],
      [768, 768, "o"],
      [3072, 768, "fc1"],
      [768, 3072, "fc2"],
      [50257, 768, "lm_head"],
    ],
  },
];

export function protos(): Proto[] {
  const out: Proto[] = [];
  for (const b of [1, 8, 32, 128, 256])
    out.push({ key: `resnet-50.infer.b${b}`, level: "model", workload: { kind: "inference", model: "resnet-50", batch: b } });
  for (const s of [128, 512])
    for (const b of [1, 8, 32])
      out.push({ key: `bert-base.infer.s${s}.b${b}`, level: "model", workload: { kind: "inference", model: "bert-base", batch: b, seq_len: s } });
  for (const s of [128, 512, 1024])
    out.push({ key: `gpt-2.prefill.s${s}.b1`, level: "model", workload: { kind: "prefill", model: "gpt-2", batch: 1, seq_len: s } });
  out.push({ key: "gpt-2.decode.c512.b1", level: "model", workload: { kind: "decode-step", model: "gpt-2", batch: 1, context_len: 512 } });
  for (const s of [128, 512, 2048])
    out.push({ key: `llama-2-7b.prefill.s${s}.b1`, level: "model", workload: { kind: "prefill", model: "llama-2-7b", batch: 1, seq_len: s } });
  for (const c of [512, 2048])
    for (const b of [1, 8, 32, 64])
      out.push({
        key: `llama-2-7b.decode.c${c}.b${b}`,
        level: "model",
        workload: { kind: "decode-step", model: "llama-2-7b", batch: b, context_len: c },
      });

  // Operators: the GEMMs these models contain, deduplicated by shape.
  const seen = new Set<string>();
  for (const g of GEMMS)
    for (const m of g.ms)
      for (const [n, k] of g.nk) {
        const key = `gemm.m${m}.n${n}.k${k}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ key, level: "operator", workload: { kind: "gemm", m, n, k, batch: 1, from_model: g.model } });
      }
  // Attention of the Llama-2-7B shape (32 heads of 128).
  for (const s of [512, 2048])
    out.push({
      key: `attn-prefill.llama-2-7b.b1.s${s}`,
      level: "operator",
      workload: { kind: "attention-prefill", batch: 1, seq_len: s, n_heads: 32, n_kv_heads: 32, head_dim: 128, causal: true, from_model: "llama-2-7b" },
    });
  for (const b of [1, 8, 32, 64])
    for (const c of [512, 2048])
      out.push({
        key: `attn-decode.llama-2-7b.b${b}.c${c}`,
        level: "operator",
        workload: { kind: "attention-decode", batch: b, context_len: c, n_heads: 32, n_kv_heads: 32, head_dim: 128, from_model: "llama-2-7b" },
      });
  // Norms, softmax, GELU.
  for (const r of [512, 2048])
    for (const c of [768, 4096]) {
      out.push({ key: `layernorm.r${r}.c${c}`, level: "operator", workload: { kind: "norm", norm: "layernorm", rows: r, cols: c } });
      out.push({ key: `rmsnorm.r${r}.c${c}`, level: "operator", workload: { kind: "norm", norm: "rmsnorm", rows: r, cols: c } });
      out.push({ key: `softmax.r${r}.c${c}`, level: "operator", workload: { kind: "softmax", rows: r, cols: c } });
    }
  out.push({ key: `gelu.n${2048 * 11008}`, level: "operator", workload: { kind: "elementwise", op: "gelu", elements: 2048 * 11008 } });
  return out;
}

export function singleDeviceCells() {
  const cells = [];
  for (const p of protos())
    for (const hw of SINGLE_DEVICE_HARDWARE)
      cells.push({
        id: `${p.key}.${hw}.${PRECISION}`,
        level: p.level,
        workload: p.workload,
        hardware: hw,
        n_devices: 1,
        parallelism: { tp: 1, pp: 1, dp: 1 },
        precision: PRECISION,
        engine: "pytorch-eager",
        metric: "latency",
        unit: "s",
      });
  cells.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return cells;
}

export function render(): string {
  const header =
    "# GENERATED by pipeline/gen-cells.ts: the suite's single-device cells (latency, bf16, PyTorch eager).\n" +
    "# Edit the sweep tables in that script, then run `node_modules/.bin/tsx pipeline/gen-cells.ts`.\n";
  return header + stringify({ cells: singleDeviceCells() }, { lineWidth: 0, aliasDuplicateObjects: false });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = render();
  if (process.argv.includes("--check")) {
    let old = "";
    try {
      old = readFileSync(OUT, "utf8");
    } catch {
      /* missing */
    }
    if (old !== text) {
      console.error(`${OUT} is out of date: run node_modules/.bin/tsx pipeline/gen-cells.ts`);
      process.exit(1);
    }
  } else {
    writeFileAtomic(OUT, text);
    console.log(`wrote ${OUT}: ${singleDeviceCells().length} cells`);
  }
}
