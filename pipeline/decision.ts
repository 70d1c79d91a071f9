#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * results/decision-fidelity.csv (written after `make evaluate`): per tool and job with several
 * measured configurations, the tool's pick, the measured best, top-1 agreement and regret
 * (pipeline/lib/decision.ts). Prints the per-tool summary (jobs, top-1 rate, median and max regret).
 */
import { readCsv, writeCsvAtomic } from "./lib/io.ts";
import { decisionFidelity } from "./lib/decision.ts";
import { loadSuite } from "./lib/suite.ts";

const suite = loadSuite(".", { groundTruth: false });
const acc = readCsv("results/accuracy.csv").map((a) => ({ tool: a.tool!, cell_id: a.cell_id!, measured: Number(a.measured), predicted: Number(a.predicted) }));
const rows = decisionFidelity(acc, suite.cells);
writeCsvAtomic("results/decision-fidelity.csv", ["tool", "job", "metric", "configurations", "tool_pick", "measured_best", "top1", "regret"], rows as unknown as Record<string, unknown>[]);
const tools = [...new Set(rows.map((r) => r.tool))].sort();
console.table(
  tools.map((t) => {
    const r = rows.filter((x) => x.tool === t);
    const reg = r.map((x) => x.regret).sort((a, b) => a - b);
    return { tool: t, jobs: r.length, top1_pct: Number(((100 * r.filter((x) => x.top1).length) / r.length).toFixed(1)), median_regret_pct: Number((100 * reg[Math.floor((reg.length - 1) / 2)]!).toFixed(2)), max_regret_pct: Number((100 * reg[reg.length - 1]!).toFixed(2)) };
  }),
);
console.log(`decision fidelity: ${rows.length} (tool, job) rows -> results/decision-fidelity.csv`);
