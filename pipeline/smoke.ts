#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * make smoke: the reviewers' quick tier (issue 22; under 10 minutes on 2 cores, install included).
 * From the recorded outputs, without any third-party tool installed:
 *   1. every tool under test on a subset of its cells (the first SMOKE_CELLS, default 3, of the
 *      cells it has a recorded raw output for, sorted by id; ZZZ, which records nothing, on the
 *      first 3 cells it supports of each level), run through the same runner as `make evaluate`
 *      (recorded outputs re-parsed), each row checked against the committed results/predictions.csv
 *      (status and the predicted value as written there: exact);
 *   2. one figure (figures/pred-vs-measured.vl.json) rendered to SVG from the committed results/;
 *   3. the HTML report from the committed results/.
 * Everything is written under .work/smoke/ (results/ is not touched). Prints a table and the time;
 * exit 1 on any difference.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { loadSuite, type Suite } from "./lib/suite.ts";
import { runToolDetailed } from "./lib/runner.ts";
import { fmt } from "./lib/io.ts";
import { TOOLS } from "../tools-under-test/registry.ts";
import { renderFigure } from "./lib/render/vega.ts";
import { writeReport } from "./report.ts";

const t0 = performance.now();
const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const out = join(root, ".work/smoke");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const perTool = Number(process.env.SMOKE_CELLS ?? 3);

const suite = loadSuite(root);
const committed = new Map<string, Record<string, string>>();
for (const r of parse(readFileSync(join(root, "results/predictions.csv"), "utf8"), { columns: true }) as Record<string, string>[]) committed.set(`${r.tool}|${r.cell_id}`, r);

const rows: { tool: string; cells: number; ok: number; mismatches: string; s: number }[] = [];
const problems: string[] = [];
for (const adapter of TOOLS) {
  const tool = adapter.metadata.name;
  const ts = performance.now();
  let ids: string[];
  if (adapter.recordRaw) {
    const dir = join(root, "results/raw", tool);
    const recorded = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".txt")).map((f) => f.slice(0, -4)) : [];
    ids = recorded.filter((id) => suite.cells.has(id) && committed.has(`${tool}|${id}`)).sort().slice(0, perTool);
  } else {
    const ctx = { suite, workDir: join(out, "tools", tool) };
    const byLevel = new Map<string, string[]>();
    for (const c of [...suite.cells.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      if (!adapter.supports(c, ctx).ok || !committed.has(`${tool}|${c.id}`)) continue;
      const l = byLevel.get(c.level) ?? [];
      if (l.length < perTool) l.push(c.id);
      byLevel.set(c.level, l);
    }
    ids = [...byLevel.values()].flat().sort();
  }
  const subset: Suite = { ...suite, cells: new Map(ids.map((id) => [id, suite.cells.get(id)!])) };
  const run = await runToolDetailed(adapter, subset, { rawDir: join(root, "results/raw"), rawOutDir: join(out, "raw"), journalDir: join(out, "journal"), workDir: join(out, "tools") });
  const bad: string[] = [];
  for (const r of run.rows) {
    const c = committed.get(`${tool}|${r.cell_id}`)!;
    const got = { status: r.status, predicted: fmt(r.predicted) };
    if (got.status !== c.status || got.predicted !== c.predicted) bad.push(`${r.cell_id}: ${got.status} ${got.predicted || "-"} (committed: ${c.status} ${c.predicted || "-"})`);
  }
  if (run.live.length) bad.push(`ran live: ${run.live.join(", ")}`);
  problems.push(...bad.map((b) => `${tool}: ${b}`));
  rows.push({ tool, cells: run.rows.length, ok: run.rows.length - bad.length, mismatches: bad.length ? bad.join("; ") : "", s: Number(((performance.now() - ts) / 1000).toFixed(2)) });
}

// one figure from the committed results
const tf = performance.now();
const fig = await renderFigure(root, "pred-vs-measured", join(root, "figures/pred-vs-measured.vl.json"));
const svgPath = join(out, "pred-vs-measured.svg");
writeFileSync(svgPath, fig.svg);
if (!fig.hasData) problems.push("figure pred-vs-measured: no data");
const figS = (performance.now() - tf) / 1000;
// the report
const tr = performance.now();
const rep = writeReport(root, join(out, "report.html"));
const repS = (performance.now() - tr) / 1000;

console.table(rows);
console.log(`figure: ${relative(root, svgPath)} (${(Buffer.byteLength(fig.svg) / 1024).toFixed(0)} KiB, ${fig.hasData ? "with data" : "NO DATA"}) in ${figS.toFixed(1)} s`);
console.log(`report: ${relative(root, join(out, "report.html"))} (${rep.views} views, ${(rep.bytes / 1024).toFixed(0)} KiB) in ${repS.toFixed(1)} s`);
const cells = rows.reduce((a, r) => a + r.cells, 0);
console.log(`smoke: ${rows.length} tools, ${cells} cells checked against results/predictions.csv, ${problems.length} difference(s); ${((performance.now() - t0) / 1000).toFixed(1)} s`);
if (problems.length) {
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
