/**
 * The paper's generated tables: each builds a context from the loaded inputs and renders
 * paper/templates/<name>.hbs. A table whose input is missing renders one "no data yet" row and
 * its caption says so.
 */
import { claimSettingRange } from "./evaluation-numbers.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { ToolMetadata } from "../schema.ts";
import type { Loaded, SuiteData } from "./data.ts";
import { fmtInt, fmtPct, fmtSeconds, latexEscape, raw, renderTemplate, type Raw } from "./latex.ts";
import { toolKey, toolLabel } from "./style.ts";

/** A repository path in typewriter type that may break after '/', '-' or '.'. */
const tt = (p: string) => `\\texttt{${latexEscape(p).replace(/([/.-])/g, "$1\\allowbreak{}")}}`;

export interface TableInputs {
  works: Loaded;
  predictions: Loaded;
  summary: Loaded;
  claimed: Loaded;
  /** results/measured-vs-claimed.csv: our error over the cells that reproduce a claim's setting (optional). */
  mvc?: Loaded;
  suite: SuiteData;
  root: string;
}

export interface RenderedTable {
  name: string;
  tex: string;
  hasData: boolean;
  rows: number;
  inputs: string[];
}

const uniqSorted = (xs: string[]) => [...new Set(xs.filter(Boolean))].sort();
const splitList = (s: string) => s.split(";").map((x) => x.trim()).filter(Boolean);
const cite = (keys: string[]): Raw => raw(keys.length ? `\\cite{${uniqSorted(keys).join(",")}}` : "");

function statusSentence(inputs: Loaded[]): { hasData: boolean; sentence: Raw } {
  const bad = inputs.filter((l) => l.status !== "ok");
  if (!bad.length) return { hasData: true, sentence: raw(`Generated from ${inputs.map((l) => tt(l.file)).join(", ")}.`) };
  return {
    hasData: false,
    sentence: raw(`No data yet: ${bad.map((l) => `${tt(l.file)} is ${l.status}`).join("; ")}.`),
  };
}

function taxonomyTable(inp: TableInputs, tpl: string): RenderedTable {
  const works = inp.works.rows as { key: string; year: number; methodology: string; abstraction: string; hardware: string; open_source: string }[];
  const byMeth = new Map<string, typeof works>();
  for (const w of works) for (const m of splitList(w.methodology).length ? splitList(w.methodology) : ["unclassified"]) byMeth.set(m, [...(byMeth.get(m) ?? []), w]);
  const rows = [...byMeth.entries()]
    .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
    .map(([m, ws]) => ({
      methodology: m,
      n: fmtInt(ws.length),
      years: raw(`${Math.min(...ws.map((w) => w.year))}--${Math.max(...ws.map((w) => w.year))}`),
      abstraction: uniqSorted(ws.flatMap((w) => splitList(w.abstraction))).join(", "),
      hardware: uniqSorted(ws.flatMap((w) => splitList(w.hardware))).join(", "),
      open: fmtInt(ws.filter((w) => /^\s*(yes|true)\b/i.test(w.open_source)).length),
      cites: cite(ws.map((w) => w.key)),
    }));
  const st = statusSentence([inp.works]);
  const tex = renderTemplate(tpl, { rows, hasData: st.hasData && rows.length > 0, status: st.sentence, label: "tab:taxonomy" });
  return { name: "taxonomy-summary", tex, hasData: st.hasData, rows: rows.length, inputs: [inp.works.file] };
}

/** 'NVIDIA H100 SXM5 80GB' -> 'H100': the chip, for a compact table cell. */
export function shortHardware(name: string): string {
  const words = name.replace(/^NVIDIA\s+/i, "").split(/\s+/);
  return words[0] ?? name;
}

function suiteTable(inp: TableInputs, tpl: string): RenderedTable {
  const { cells, groundTruth, hardware } = inp.suite;
  const gtByCell = new Map<string, { measured: number; published: number }>();
  for (const g of groundTruth) {
    const e = gtByCell.get(g.cell_id) ?? { measured: 0, published: 0 };
    e[g.source_kind] += 1;
    gtByCell.set(g.cell_id, e);
  }
  const levels = ["operator", "model", "serving", "multi-gpu"];
  const groups = new Map<string, typeof cells>();
  for (const c of cells) groups.set(`${c.level}\u0000${c.workload.kind}`, [...(groups.get(`${c.level}\u0000${c.workload.kind}`) ?? []), c]);
  const rows = [...groups.entries()]
    .sort((a, b) => {
      const [la, ka] = a[0].split("\u0000") as [string, string];
      const [lb, kb] = b[0].split("\u0000") as [string, string];
      return levels.indexOf(la) - levels.indexOf(lb) || (ka < kb ? -1 : ka > kb ? 1 : 0);
    })
    .map(([k, cs]) => {
      const [level, kind] = k.split("\u0000") as [string, string];
      const withGt = cs.filter((c) => gtByCell.has(c.id));
      return {
        level,
        kind,
        cells: fmtInt(cs.length),
        hardware: uniqSorted(cs.map((c) => shortHardware(hardware.get(c.hardware)?.name ?? c.hardware))).join(", "),
        metrics: uniqSorted(cs.map((c) => c.metric.replace(/_/g, " "))).join(", "),
        gtCells: fmtInt(withGt.length),
        measured: fmtInt(withGt.reduce((s, c) => s + (gtByCell.get(c.id)?.measured ?? 0), 0)),
        published: fmtInt(withGt.reduce((s, c) => s + (gtByCell.get(c.id)?.published ?? 0), 0)),
      };
    });
  const src: Loaded = { file: "suite/cells", status: cells.length ? "ok" : "missing", rows: [], problems: [] };
  const st = statusSentence([src]);
  const tex = renderTemplate(tpl, {
    rows,
    hasData: st.hasData,
    status: raw(st.hasData ? `Generated from ${tt("suite/cells/*.yaml")} and ${tt("suite/ground-truth/")}.` : `No data yet: ${tt("suite/cells/")} holds no cell.`),
    label: "tab:suite",
  });
  return { name: "suite", tex, hasData: st.hasData, rows: rows.length, inputs: ["suite/cells", "suite/ground-truth"] };
}

/** Tool metadata files: tools-under-test/<tool>/tool.yaml (or .json) that parse as ToolMetadata. */
export function loadToolMetadata(root: string): Map<string, ToolMetadata> {
  const out = new Map<string, ToolMetadata>();
  const dir = join(root, "tools-under-test");
  if (!existsSync(dir)) return out;
  for (const t of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const f of ["tool.yaml", "tool.yml", "tool.json", "metadata.yaml", "metadata.json"]) {
      const p = join(dir, t, f);
      if (!existsSync(p)) continue;
      const res = ToolMetadata.safeParse(parseYaml(readFileSync(p, "utf8")));
      if (res.success) out.set(res.data.name, res.data);
      break;
    }
  }
  return out;
}

function toolTable(inp: TableInputs, tpl: string): RenderedTable {
  const meta = loadToolMetadata(inp.root);
  const preds = inp.predictions.rows as { tool: string; tool_version: string; status: string; wall_s: number }[];
  const summary = inp.summary.rows as { tool: string; category: string; n: number; mape?: number; median_ape?: number }[];
  const tools = uniqSorted([...preds.map((p) => p.tool), ...meta.keys()]);
  const rows = tools.map((t) => {
    const m = meta.get(t);
    const ps = preds.filter((p) => p.tool === t);
    const ok = ps.filter((p) => p.status === "ok");
    const walls = ok.map((p) => p.wall_s).sort((a, b) => a - b);
    const med = walls.length ? (walls.length % 2 ? walls[(walls.length - 1) / 2]! : (walls[walls.length / 2 - 1]! + walls[walls.length / 2]!) / 2) : undefined;
    const all = summary.find((s) => s.tool === t && s.category === "all");
    return {
      tool: m?.display_name ?? toolLabel(t),
      cite: cite(m?.bib ? [m.bib] : []),
      version: m?.version ?? uniqSorted(ps.map((p) => p.tool_version)).join(", "),
      methodology: m?.methodology ?? "",
      license: m?.license ?? "",
      ok: fmtInt(ok.length),
      failed: fmtInt(ps.filter((p) => p.status === "failed").length),
      notRun: fmtInt(ps.filter((p) => p.status === "not-run").length),
      n: all ? fmtInt(all.n) : raw("--"),
      mape: all?.mape !== undefined ? raw(fmtPct(all.mape)) : raw("--"),
      medianApe: all?.median_ape !== undefined ? raw(fmtPct(all.median_ape)) : raw("--"),
      wall: med !== undefined ? raw(fmtSeconds(med)) : raw("--"),
    };
  });
  const st = statusSentence([inp.predictions, inp.summary]);
  const tex = renderTemplate(tpl, { rows, hasData: rows.length > 0, status: st.sentence, label: "tab:tools" });
  return { name: "tool-comparison", tex, hasData: st.hasData, rows: rows.length, inputs: [inp.predictions.file, inp.summary.file] };
}

/** A claim the paper's table shows: verified in a primary source and stated as an error in percent, or a claim of a tool this artifact ran. */
export function claimInTable(c: { claimed_kind?: string; verified: string }, run: boolean): boolean {
  return run || (c.claimed_kind !== undefined && /^\s*yes/i.test(c.verified));
}

function claimedTable(inp: TableInputs, tpl: string): RenderedTable {
  const claims = inp.claimed.rows as { tool: string; bib: string; claimed_error: string; metric: string; validated_on: string; place: string; verified: string; claimed_kind?: string }[];
  const summary = inp.summary.rows as { tool: string; category: string; n: number; mape?: number }[];
  const mvc = (inp.mvc?.rows ?? []) as { tool: string; tier: string; n: number; geomean_ape_pct?: number; claim_bib: string; claimed_validated_on: string }[];
  const runKeys = new Set(summary.map((s) => toolKey(s.tool)).filter((k) => k !== "other"));
  // Learned (ML-based) predictors are out of the survey's scope, cited only as contrast: their claims stay in the CSV, not in the table.
  const works = inp.works.rows as { key: string; methodology: string }[];
  const mlBased = new Set(works.filter((w) => /ml-based/.test(w.methodology)).map((w) => w.key));
  const shown = claims.filter((c) => claimInTable(c, runKeys.has(toolKey(c.tool))) && (runKeys.has(toolKey(c.tool)) || !mlBased.has(c.bib)));
  const rows = [...shown]
    .sort((a, b) => (a.tool.toLowerCase() < b.tool.toLowerCase() ? -1 : a.tool.toLowerCase() > b.tool.toLowerCase() ? 1 : a.metric < b.metric ? -1 : 1))
    .map((c) => {
      const key = toolKey(c.tool);
      const all = key === "other" ? undefined : summary.find((s) => toolKey(s.tool) === key && s.category === "all");
      const base = {
        tool: c.tool,
        claimed: c.claimed_error,
        metric: c.metric,
        validatedOn: c.validated_on,
        source: c.bib ? raw(`\\cite{${c.bib}}`) : "",
      };
      // A claim whose setting the suite reproduces: the range of geometric-mean errors over those cells.
      const same = mvc.filter((m) => m.tier.startsWith("claim-setting") && m.claim_bib === c.bib && c.validated_on !== "" && m.claimed_validated_on.split(" | ").includes(c.validated_on) && m.geomean_ape_pct !== undefined);
      if (same.length > 0) {
        const range = claimSettingRange(same);
        return { ...base, measured: raw(`${range.tex} (${fmtInt(range.n)})$^{g}$`) };
      }
      return { ...base, measured: all?.mape !== undefined ? raw(`${fmtPct(all.mape)} (${fmtInt(all.n)})`) : raw(inp.summary.status !== "ok" ? "--" : "not run") };
    });
  const st = statusSentence([inp.claimed]);
  const tex = renderTemplate(tpl, {
    rows,
    hasData: st.hasData && rows.length > 0,
    status: raw(
      `${st.sentence.tex}${st.hasData ? ` It shows ${fmtInt(rows.length)} of the ${fmtInt(claims.length)} rows of that file; the others (learned, ML-based predictors among them, out of scope), and the place in each paper a claim comes from, are in the file.` : ""}${inp.summary.status === "ok" ? ` Measured MAPE from ${tt("results/summary.csv")} (category all)${mvc.some((m) => m.tier.startsWith("claim-setting")) ? `; $^{g}$: where the suite reproduces the claim's setting, the range of geometric-mean errors over those cells, per group (e.g. GPU count), from ${tt("results/measured-vs-claimed.csv")}` : ""}.` : ` ${tt("results/summary.csv")} is not there yet, so no measured value is shown.`}`,
    ),
    label: "tab:claimed",
  });
  return { name: "accuracy-claimed", tex, hasData: st.hasData, rows: rows.length, inputs: [inp.claimed.file, inp.summary.file, ...(inp.mvc ? [inp.mvc.file] : [])] };
}

export function renderTables(inp: TableInputs, templatesDir: string): RenderedTable[] {
  const t = (n: string) => join(templatesDir, `${n}.tex.hbs`);
  return [
    taxonomyTable(inp, t("taxonomy-summary")),
    suiteTable(inp, t("suite")),
    toolTable(inp, t("tool-comparison")),
    claimedTable(inp, t("accuracy-claimed")),
  ];
}
