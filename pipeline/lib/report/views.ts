/**
 * The views of results/report.html: pure functions from result rows to Vega-Lite specs, each with
 * the CSV it comes from. No I/O here (pipeline/report.ts reads the CSVs and writes the page).
 */
import type { TopLevelSpec } from "vega-lite";

export interface View {
  id: string;
  title: string;
  /** The results/ files the view is computed from (shown under the view). */
  sources: string[];
  description: string;
  spec: TopLevelSpec;
}

/** One ground-truth comparison (results/accuracy.csv joined with the cell's engine). */
export interface AccRow {
  tool: string;
  cell_id: string;
  level: string;
  hardware: string;
  engine: string;
  metric: string;
  tier: string;
  measured: number;
  predicted: number;
  abs_pct_error: number;
  signed_pct_error: number;
}

export interface PredRow {
  tool: string;
  cell_id: string;
  level: string;
  status: string;
  reason: string;
}

export interface ToolRow {
  tool: string;
  setup_steps: number;
  failed_steps: number;
  setup_minutes: number;
  wall_s_per_cell: number;
  input_lines_per_cell: number;
  cells_ok: number;
}

export interface ClaimRow {
  tool: string;
  tier: string;
  n: number;
  mape_pct: number;
  claimed_error: string;
  claim_bib: string;
}

export interface MatrixRow {
  row: string;
  col: string;
  count: number;
}

const round = (x: number, d = 2) => Number(x.toFixed(d));
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Tool x level: n, MAPE and bias (mean signed error) on the cells that have ground truth, and the
 * cells a tool did not run (with the most common reason). */
export function headToHead(acc: readonly AccRow[], preds: readonly PredRow[]): Record<string, string | number>[] {
  const tools = [...new Set(preds.map((p) => p.tool))].sort();
  const levels = [...new Set(preds.map((p) => p.level))].sort();
  const withGt = new Set(acc.map((a) => a.cell_id));
  const out: Record<string, string | number>[] = [];
  for (const tool of tools)
    for (const level of levels) {
      const a = acc.filter((r) => r.tool === tool && r.level === level);
      const notRun = preds.filter((p) => p.tool === tool && p.level === level && p.status !== "ok" && withGt.has(p.cell_id));
      if (a.length) {
        const mape = mean(a.map((r) => r.abs_pct_error));
        const bias = mean(a.map((r) => r.signed_pct_error));
        out.push({ tool, level, n: a.length, mape: round(mape, 1), bias: round(bias, 1), label: `${mape.toFixed(1)}% (n ${a.length})`, state: "predicted" });
      } else if (notRun.length) {
        const reasons = new Map<string, number>();
        for (const p of notRun) reasons.set(p.reason, (reasons.get(p.reason) ?? 0) + 1);
        const top = [...reasons.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]![0];
        out.push({ tool, level, n: 0, mape: null as unknown as number, bias: null as unknown as number, label: `not run (${notRun.length})`, state: "cannot express / not run", reason: top });
      }
    }
  return out;
}

export function buildViews(input: {
  acc: readonly AccRow[];
  preds: readonly PredRow[];
  tools: readonly ToolRow[];
  claims: readonly ClaimRow[];
  taxonomy: readonly MatrixRow[];
}): View[] {
  const { acc, preds, tools, claims, taxonomy } = input;
  const h2h = headToHead(acc, preds);
  const options = (xs: string[]) => ["all", ...[...new Set(xs)].sort()];
  const scatterData = acc.map((r) => ({ ...r, measured: r.measured, predicted: r.predicted }));
  const perTool = [...new Set(acc.map((a) => a.tool))].sort().map((tool) => {
    const a = acc.filter((r) => r.tool === tool);
    const t = tools.find((x) => x.tool === tool);
    return { tool, n: a.length, mape: round(mean(a.map((r) => r.abs_pct_error)), 1), wall_s_per_cell: t?.wall_s_per_cell ?? null };
  });
  const coverage = [...new Set(preds.map((p) => `${p.tool}\u0000${p.level}\u0000${p.status}`))].sort().map((k) => {
    const [tool, level, status] = k.split("\u0000") as [string, string, string];
    return { tool, level, status, cells: preds.filter((p) => p.tool === tool && p.level === level && p.status === status).length };
  });
  const ease = tools.flatMap((t) => [
    { tool: t.tool, measure: "setup minutes", value: t.setup_minutes },
    { tool: t.tool, measure: "setup steps", value: t.setup_steps },
    { tool: t.tool, measure: "failed setup steps", value: t.failed_steps },
    { tool: t.tool, measure: "input lines per cell", value: t.input_lines_per_cell },
  ]);
  const claimData = claims.map((c) => ({ ...c, claimed_first_pct: Number((/([0-9.]+)\s*%/.exec(c.claimed_error) ?? [])[1] ?? NaN) || null, label: `${c.tool} (${c.tier})` }));

  return [
    {
      id: "head-to-head",
      title: "Head-to-head: MAPE per tool and cell level",
      sources: ["results/accuracy.csv", "results/predictions.csv"],
      description: "Mean absolute percentage error (and n) of each tool on the cells of each level that have ground truth; grey cells are cells with ground truth that the tool did not run (cannot express, or inputs not generated), with their most common reason in the tooltip.",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: { values: h2h },
        width: 420,
        height: { step: 28 },
        layer: [
          {
            mark: { type: "rect", stroke: "white" },
            encoding: {
              x: { field: "level", type: "nominal", title: "cell level" },
              y: { field: "tool", type: "nominal" },
              color: {
                condition: { test: "datum.mape === null", value: "#dddddd" },
                field: "mape",
                type: "quantitative",
                title: "MAPE %",
                scale: { scheme: "orangered", domainMin: 0 },
              },
              tooltip: [{ field: "tool" }, { field: "level" }, { field: "n" }, { field: "mape", title: "MAPE %" }, { field: "bias", title: "bias (mean signed error) %" }, { field: "state" }, { field: "reason" }],
            },
          },
          { mark: { type: "text", fontSize: 10 }, encoding: { x: { field: "level", type: "nominal" }, y: { field: "tool", type: "nominal" }, text: { field: "label" } } },
        ],
      },
    },
    {
      id: "predicted-vs-measured",
      title: "Predicted versus measured, per tool",
      sources: ["results/accuracy.csv", "suite/cells/*.yaml (engine)"],
      description: "Each point is one (tool, cell, ground-truth value); the diagonal is a perfect prediction. Filter by device, level, engine and tool.",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: { values: scatterData },
        width: 460,
        height: 460,
        params: [
          { name: "device", value: "all", bind: { input: "select", options: options(acc.map((a) => a.hardware)), name: "device " } },
          { name: "level", value: "all", bind: { input: "select", options: options(acc.map((a) => a.level)), name: "level " } },
          { name: "engine", value: "all", bind: { input: "select", options: options(acc.map((a) => a.engine)), name: "engine " } },
          { name: "toolsel", value: "all", bind: { input: "select", options: options(acc.map((a) => a.tool)), name: "tool " } },
        ],
        transform: [
          { filter: "(device == 'all' || datum.hardware == device) && (level == 'all' || datum.level == level) && (engine == 'all' || datum.engine == engine) && (toolsel == 'all' || datum.tool == toolsel)" },
        ],
        layer: [
          {
            mark: { type: "point", filled: true, opacity: 0.6, size: 30 },
            encoding: {
              x: { field: "measured", type: "quantitative", scale: { type: "log" }, title: "measured (cell unit)" },
              y: { field: "predicted", type: "quantitative", scale: { type: "log" }, title: "predicted (cell unit)" },
              color: { field: "tool", type: "nominal" },
              tooltip: [{ field: "tool" }, { field: "cell_id" }, { field: "engine" }, { field: "tier", title: "ground-truth tier" }, { field: "measured" }, { field: "predicted" }, { field: "signed_pct_error", title: "signed error %" }],
            },
          },
        ],
      },
    },
    {
      id: "accuracy-vs-runtime",
      title: "Accuracy versus run time per cell",
      sources: ["results/accuracy.csv", "results/tools.csv"],
      description: "MAPE over all of a tool's cells with ground truth against its wall time per cell (log scale); lower-left is better.",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: { values: perTool.filter((p) => p.wall_s_per_cell !== null && p.wall_s_per_cell > 0) },
        width: 420,
        height: 300,
        layer: [
          {
            mark: { type: "point", filled: true, size: 90 },
            encoding: {
              x: { field: "wall_s_per_cell", type: "quantitative", scale: { type: "log" }, title: "wall time per cell (s)" },
              y: { field: "mape", type: "quantitative", title: "MAPE % (all its cells)" },
              color: { field: "tool", type: "nominal" },
              tooltip: [{ field: "tool" }, { field: "n" }, { field: "mape" }, { field: "wall_s_per_cell" }],
            },
          },
          { mark: { type: "text", dx: 8, align: "left" }, encoding: { x: { field: "wall_s_per_cell", type: "quantitative", scale: { type: "log" } }, y: { field: "mape", type: "quantitative" }, text: { field: "tool" } } },
        ],
      },
    },
    {
      id: "measured-vs-claimed",
      title: "Measured versus claimed accuracy",
      sources: ["results/measured-vs-claimed.csv"],
      description: "Our measured MAPE of each tool (bars) on the tier named, and the first error figure of the tool's own claim (tick), where it states one.",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: { values: claimData },
        width: 420,
        height: { step: 22 },
        layer: [
          { mark: "bar", encoding: { y: { field: "label", type: "nominal", title: null }, x: { field: "mape_pct", type: "quantitative", title: "error %" }, color: { field: "tool", type: "nominal" }, tooltip: [{ field: "tool" }, { field: "tier" }, { field: "n" }, { field: "mape_pct" }, { field: "claimed_error" }, { field: "claim_bib" }] } },
          { mark: { type: "tick", color: "black", thickness: 3 }, transform: [{ filter: "datum.claimed_first_pct !== null" }], encoding: { y: { field: "label", type: "nominal" }, x: { field: "claimed_first_pct", type: "quantitative" } } },
        ],
      },
    },
    {
      id: "coverage",
      title: "Coverage: cells each tool ran or did not run",
      sources: ["results/predictions.csv"],
      description: "Cells per tool, level and status (ok = predicted; not-run = could not express, or inputs not generated).",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: { values: coverage },
        width: 420,
        height: { step: 24 },
        mark: "bar",
        encoding: {
          y: { field: "tool", type: "nominal" },
          x: { field: "cells", type: "quantitative", stack: "zero" },
          color: { field: "status", type: "nominal", scale: { domain: ["ok", "not-run", "failed"], range: ["#2b8a3e", "#cccccc", "#c92a2a"] } },
          column: { field: "level", type: "nominal" },
          tooltip: [{ field: "tool" }, { field: "level" }, { field: "status" }, { field: "cells" }],
        },
      } as TopLevelSpec,
    },
    {
      id: "ease-of-use",
      title: "Ease of use",
      sources: ["results/tools.csv"],
      description: "Setup minutes and steps (failed steps included) from each tool's SETUP-LOG, and the input lines we wrote per cell.",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: { values: ease },
        mark: "bar",
        encoding: {
          x: { field: "value", type: "quantitative", title: null },
          y: { field: "tool", type: "nominal" },
          color: { field: "tool", type: "nominal", legend: null },
          facet: { field: "measure", type: "nominal", columns: 2 },
          tooltip: [{ field: "tool" }, { field: "measure" }, { field: "value" }],
        },
        resolve: { scale: { x: "independent" } },
        width: 200,
        height: { step: 18 },
      } as TopLevelSpec,
    },
    {
      id: "taxonomy",
      title: "Taxonomy coverage: methodology x abstraction",
      sources: ["results/taxonomy/methodology-x-abstraction.csv"],
      description: "Surveyed works per methodology and abstraction level (empty cells are gaps).",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: { values: taxonomy },
        width: { step: 60 },
        height: { step: 26 },
        layer: [
          { mark: "rect", encoding: { x: { field: "col", type: "nominal", title: "abstraction" }, y: { field: "row", type: "nominal", title: "methodology" }, color: { field: "count", type: "quantitative", scale: { scheme: "blues" } }, tooltip: [{ field: "row" }, { field: "col" }, { field: "count" }] } },
          { mark: "text", encoding: { x: { field: "col", type: "nominal" }, y: { field: "row", type: "nominal" }, text: { field: "count" } } },
        ],
      },
    },
  ];
}
