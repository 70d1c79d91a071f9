/**
 * Eyeriss (Chen et al., JSSC 2017) measured CONV-layer latencies -> suite cells and published ground
 * truth. See README.md.
 *   node_modules/.bin/tsx suite/ground-truth/published/eyeriss-jssc2017/import.ts
 *
 * Reads data/fodlam-eyeriss-{alexnet,vgg16}.csv (cucapra/fodlam@cde53fd5, MIT: Tables V and VI of
 * the paper, OCR'd from the table images and proofread by that repository's author), checks them
 * against the paper's text and totals, and writes
 *   suite/cells/published-eyeriss-jssc2017.yaml   the 5 AlexNet + 13 VGG-16 CONV layer cells
 *   ground-truth.csv                               the Processing Latency of each layer, ms
 * The layer shapes are this script's (LAYERS); their MACs must match each table's MAC column.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { parse as parseCsv } from "csv-parse/sync";
import { stringify as stringifyYaml } from "yaml";
import { writeCsvAtomic, writeFileAtomic, fmt } from "../../../../pipeline/lib/io.ts";
import { GROUND_TRUTH_COLUMNS } from "../../../../pipeline/lib/schema.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, "../../../..");
export const FODLAM_COMMIT = "cde53fd55661a65f81dca4b917f807f909cc4792";
const HW = "eyeriss-65nm";
const BIB = "chen2017eyeriss";

interface Conv {
  c: number;
  hw: number;
  k: number;
  r: number;
  stride: number;
  padding: number;
  groups: number;
}
interface Net {
  table: string;
  page: number;
  batch: number;
  file: string;
  /** Table row label -> [cell id part, layer shape]. */
  layers: [string, string, Conv][];
  totalLabel: string;
  caption: string;
  shapes: string;
}

const conv3 = (c: number, hw: number, k: number): Conv => ({ c, hw, k, r: 3, stride: 1, padding: 1, groups: 1 });

export const NETS: Net[] = [
  {
    table: "Table V",
    page: 136,
    batch: 4,
    file: "fodlam-eyeriss-alexnet.csv",
    caption: "AlexNet, N = 4, 1 V, core/link clocks 200/60 MHz",
    shapes: "BVLC/caffe@310574f2 models/bvlc_alexnet/deploy.prototxt (227 x 227 input)",
    totalLabel: "Total",
    layers: [
      ["CONV1", "alexnet-conv1", { c: 3, hw: 227, k: 96, r: 11, stride: 4, padding: 0, groups: 1 }],
      ["CONV2", "alexnet-conv2", { c: 96, hw: 27, k: 256, r: 5, stride: 1, padding: 2, groups: 2 }],
      ["CONV3", "alexnet-conv3", { c: 256, hw: 13, k: 384, r: 3, stride: 1, padding: 1, groups: 1 }],
      ["CONV4", "alexnet-conv4", { c: 384, hw: 13, k: 384, r: 3, stride: 1, padding: 1, groups: 2 }],
      ["CONV5", "alexnet-conv5", { c: 384, hw: 13, k: 256, r: 3, stride: 1, padding: 1, groups: 2 }],
    ],
  },
  {
    table: "Table VI",
    page: 137,
    batch: 3,
    file: "fodlam-eyeriss-vgg16.csv",
    caption: "VGG-16, N = 3, 1 V, core/link clocks 200/60 MHz",
    shapes: "VGG-16 = configuration D of Simonyan and Zisserman, arXiv:1409.1556, Table 1 (224 x 224 input, 3 x 3 filters, stride 1, padding 1)",
    totalLabel: "Total",
    layers: [
      ["CONV1-1", "vgg16-conv1-1", conv3(3, 224, 64)],
      ["CONV1-2", "vgg16-conv1-2", conv3(64, 224, 64)],
      ["CONV2-1", "vgg16-conv2-1", conv3(64, 112, 128)],
      ["CONV2-2", "vgg16-conv2-2", conv3(128, 112, 128)],
      ["CONV3-1", "vgg16-conv3-1", conv3(128, 56, 256)],
      ["CONV3-2", "vgg16-conv3-2", conv3(256, 56, 256)],
      ["CONV3-3", "vgg16-conv3-3", conv3(256, 56, 256)],
      ["CONV4-1", "vgg16-conv4-1", conv3(256, 28, 512)],
      ["CONV4-2", "vgg16-conv4-2", conv3(512, 28, 512)],
      ["CONV4-3", "vgg16-conv4-3", conv3(512, 28, 512)],
      ["CONV5-1", "vgg16-conv5-1", conv3(512, 14, 512)],
      ["CONV5-2", "vgg16-conv5-2", conv3(512, 14, 512)],
      ["CONV5-3", "vgg16-conv5-3", conv3(512, 14, 512)],
    ],
  },
];

export const cellId = (net: Net, part: string) => `eyeriss.${part}.n${net.batch}.${HW}`;

export function macs(batch: number, l: Conv): number {
  const out = Math.floor((l.hw + 2 * l.padding - l.r) / l.stride) + 1;
  return batch * out * out * l.k * (l.c / l.groups) * l.r * l.r;
}

const num = (s: string | undefined, what: string): number => {
  const v = Number((s ?? "").trim());
  if (!Number.isFinite(v) || (s ?? "").trim() === "") throw new Error(`${what}: not a number ('${s}')`);
  return v;
};

export interface Imported {
  cells: Record<string, unknown>[];
  gt: Record<string, string>[];
  /** Checks against the tables' totals and the paper's text, for the README and the tests. */
  checks: string[];
}

/** dataDir: where the fodlam CSVs are (data/ here; tests pass altered copies). */
export function build(dataDir: string = path.join(here, "data")): Imported {
  const cells: Record<string, unknown>[] = [];
  const gt: Record<string, string>[] = [];
  const checks: string[] = [];
  for (const net of NETS) {
    const rows = parseCsv(readFileSync(path.join(dataDir, net.file), "utf8"), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
    const col = (r: Record<string, string>, ...prefixes: string[]) => {
      const key = Object.keys(r).find((k) => prefixes.some((p) => k.startsWith(p)));
      if (!key) throw new Error(`${net.file}: no column starting with ${prefixes.map((p) => `'${p}'`).join(" or ")}`);
      return r[key];
    };
    const byLabel = new Map(rows.map((r) => [r.Layer!, r]));
    let sumProc = 0;
    let sumTotal = 0;
    for (const [label, part, l] of net.layers) {
      const r = byLabel.get(label);
      if (!r) throw new Error(`${net.file}: no row '${label}'`);
      const proc = num(col(r, "Processing Latency"), `${label} processing latency`);
      const total = num(col(r, "Total Latency"), `${label} total latency`);
      if (!(proc <= total)) throw new Error(`${net.file} ${label}: processing latency ${proc} ms exceeds total latency ${total} ms`);
      const tableG = num(col(r, "Num. of MACs", "MACs"), `${label} MACs`);
      const m = macs(net.batch, l) / 1e9;
      if (Math.abs(m - tableG) > 0.006) throw new Error(`${label}: the shape gives ${m.toFixed(3)} G MACs, ${net.table} says ${tableG} G`);
      sumProc += proc;
      sumTotal += total;
      const id = cellId(net, part);
      const groups = l.groups > 1 ? ` (${l.groups} groups)` : "";
      cells.push({
        id,
        level: "operator",
        workload: { kind: "conv2d", n: net.batch, c: l.c, h: l.hw, w: l.hw, k: l.k, r: l.r, s: l.r, stride: l.stride, padding: l.padding, groups: l.groups },
        hardware: HW,
        precision: "int16",
        engine: "eyeriss-rs",
        metric: "latency",
        unit: "ms",
        notes: `${net.table} ${label}${groups}; ${net.caption}; shape: ${net.shapes}`,
      });
      gt.push({
        gt_id: `${id}.processing`,
        cell_id: id,
        value: fmt(proc),
        unit: "ms",
        source_kind: "published",
        bib: BIB,
        place: `${net.table} (p. ${net.page}; ${net.caption}), ${label} Processing Latency`,
        notes:
          `measured on the chip; Processing Latency = the layer's time with DRAM traffic fully overlapped with processing (Sec. VI-A); ` +
          `batch of ${net.batch} frames; value read from cucapra/fodlam@${FODLAM_COMMIT.slice(0, 8)} data/${net.file.replace("fodlam-", "")} (OCR of the table image, proofread), checked against the table's totals and the paper's text (README)`,
      });
    }
    const totalRow = byLabel.get(net.totalLabel);
    if (!totalRow) throw new Error(`${net.file}: no '${net.totalLabel}' row`);
    const tp = num(col(totalRow, "Processing Latency"), "total processing latency");
    const tt = num(col(totalRow, "Total Latency"), "total latency");
    if (Math.abs(sumProc - tp) > 0.15) throw new Error(`${net.file}: processing latencies sum to ${sumProc.toFixed(1)} ms, the table's total is ${tp} ms`);
    if (Math.abs(sumTotal - tt) > 0.65) throw new Error(`${net.file}: total latencies sum to ${sumTotal.toFixed(1)} ms, the table's total is ${tt} ms`);
    const fps = (net.batch / tt) * 1e3;
    checks.push(
      `${net.table}: processing latencies sum to ${sumProc.toFixed(1)} ms (table total ${tp}); total latencies sum to ${sumTotal.toFixed(1)} ms (table total ${tt}) = ${fps.toFixed(1)} frames/s for ${net.batch} frames`,
    );
  }
  cells.sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1));
  gt.sort((a, b) => (a.gt_id! < b.gt_id! ? -1 : 1));
  return { cells, gt, checks };
}

const HEADER = `# Generated by suite/ground-truth/published/eyeriss-jssc2017/import.ts: do not edit by hand.
# The CONV layers of AlexNet (batch 4) and VGG-16 (batch 3) as run on the Eyeriss chip (Chen et al.,
# JSSC 2017, Tables V and VI); ground truth: the chip's measured Processing Latency per layer
# (suite/ground-truth/published/eyeriss-jssc2017/). precision int16 = the chip's 16-bit fixed point.
`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { cells, gt, checks } = build();
  writeFileAtomic(path.join(ROOT, "suite/cells/published-eyeriss-jssc2017.yaml"), HEADER + stringifyYaml({ cells }, { lineWidth: 0 }));
  writeCsvAtomic(path.join(here, "ground-truth.csv"), GROUND_TRUTH_COLUMNS, gt);
  for (const c of checks) console.log(c);
  console.log(`${cells.length} cells, ${gt.length} ground-truth values`);
}
