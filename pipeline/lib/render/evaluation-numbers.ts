/**
 * Number macros of the evaluation section that come from results/measured-vs-claimed.csv and
 * results/vidur-serving-check.csv:
 *
 *  - \mvc<Tool><Tier>{N,Mape,Geomean,WorstApe} for every row of measured-vs-claimed.csv, e.g.
 *    \mvcAstraSimPublishedTraining{Mape} or \mvcAstraSimClaimSettingXEight{Geomean};
 *  - \mvc<Tool>ClaimSettingGeomeanRange: the range of geometric-mean errors over the claim-setting
 *    groups (e.g. GPU counts), and \mvc<Tool>ClaimSettingN, their total cell count;
 *  - \vidurServing{Derived,NotComparable,Waiting}N and \vidurServingDerivedMape{Gpu,Cpu}: the serving
 *    predictions set beside values derived from measured steps.
 * An absent file gives macros that print n/a (never a number).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fmtInt, fmtPct } from "./latex.ts";
import { loadCsv, type SuiteData } from "./data.ts";
import { macroPart, type NumberMacro } from "./numbers.ts";

const MVC = "results/measured-vs-claimed.csv";
const SERVING = "results/vidur-serving-check.csv";

type MvcRow = { tool: string; tier: string; n: number; mape_pct?: number; geomean_ape_pct?: number; worst_ape_pct?: number };

/** The range of geometric-mean errors over claim-setting rows (one per group, e.g. GPU count), as LaTeX, and their total cell count. */
export function claimSettingRange(groups: { n: number; geomean_ape_pct?: number }[]): { tex: string; n: number } {
  const gm = groups.map((g) => g.geomean_ape_pct!);
  const lo = Math.min(...gm);
  const hi = Math.max(...gm);
  return { tex: lo === hi ? fmtPct(lo) : `${fmtPct(lo)}--${fmtPct(hi)}`, n: groups.reduce((a, g) => a + g.n, 0) };
}

export function evaluationNumbers(root: string, suite: SuiteData): NumberMacro[] {
  const out: NumberMacro[] = [];
  const mvc = loadCsv(root, MVC);
  if (mvc.status === "ok") {
    const rows = mvc.rows as MvcRow[];
    for (const r of rows) {
      const base = `mvc${macroPart(r.tool, true)}${macroPart(r.tier, true)}`;
      const src = `${MVC} (tool ${r.tool}, tier ${r.tier})`;
      out.push({ name: `${base}N`, value: fmtInt(r.n), source: src });
      for (const [suffix, v] of [
        ["Mape", r.mape_pct],
        ["Geomean", r.geomean_ape_pct],
        ["WorstApe", r.worst_ape_pct],
      ] as const)
        out.push({ name: `${base}${suffix}`, value: v === undefined ? undefined : fmtPct(v), source: src, missing: v === undefined ? `no ${suffix} in ${src}` : undefined });
    }
    for (const tool of [...new Set(rows.map((r) => r.tool))].sort()) {
      const groups = rows.filter((r) => r.tool === tool && r.tier.startsWith("claim-setting") && r.geomean_ape_pct !== undefined);
      if (groups.length === 0) continue;
      const range = claimSettingRange(groups);
      const src = `${MVC} (tool ${tool}, claim-setting rows)`;
      // A tool with one ungrouped claim-setting row (tier "claim-setting") already has \mvc<Tool>ClaimSettingN
      // from that row, with the same count: define each name once.
      for (const m of [
        { name: `mvc${macroPart(tool, true)}ClaimSettingGeomeanRange`, value: range.tex, source: src },
        { name: `mvc${macroPart(tool, true)}ClaimSettingN`, value: fmtInt(range.n), source: src },
      ])
        if (!out.some((o) => o.name === m.name)) out.push(m);
    }
  }

  const servingNames = ["vidurServingDerivedN", "vidurServingNotComparableN", "vidurServingWaitingN", "vidurServingDerivedMapeGpu", "vidurServingDerivedMapeCpu"];
  if (!existsSync(join(root, SERVING))) {
    for (const name of servingNames) out.push({ name, value: undefined, source: SERVING, missing: `${SERVING} is missing` });
    return out;
  }
  const sc = loadCsv(root, SERVING).rows as { cell_id: string; comparison: string; abs_pct_error: string }[];
  const kindOf = (cellId: string): string | undefined => {
    const parts = cellId.split(".");
    for (const [id, h] of suite.hardware) if (parts.includes(id)) return h.kind;
    return undefined;
  };
  const count = (c: string) => fmtInt(sc.filter((r) => r.comparison === c).length);
  out.push({ name: "vidurServingDerivedN", value: count("derived from measured components"), source: SERVING });
  out.push({ name: "vidurServingNotComparableN", value: count("not comparable"), source: SERVING });
  out.push({ name: "vidurServingWaitingN", value: count("waiting for a measurement"), source: SERVING });
  for (const [name, kind] of [
    ["vidurServingDerivedMapeGpu", "gpu"],
    ["vidurServingDerivedMapeCpu", "cpu"],
  ] as const) {
    const apes = sc.filter((r) => r.comparison === "derived from measured components" && r.abs_pct_error !== "" && kindOf(r.cell_id) === kind).map((r) => Number(r.abs_pct_error));
    out.push({ name, value: apes.length ? fmtPct(apes.reduce((a, x) => a + x, 0) / apes.length) : undefined, source: `${SERVING} (mean abs_pct_error, ${kind} cells)`, missing: apes.length ? undefined : `no derived ${kind} rows in ${SERVING}` });
  }
  return out;
}
