#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * make figures: render every figures/<name>.vl.json to figures/out/<name>.svg and .pdf (headless
 * vega, no browser, no system package), the LaTeX tables (paper/templates/*.tex.hbs) and
 * paper/generated/numbers.tex, all from results/ and suite/.
 *
 *   tsx pipeline/figures.ts [--data-root DIR] [--out-root DIR]
 *
 * Exits non-zero when an input exists but fails its schema (every problem is listed).
 */
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { buildAll } from "./lib/render/build.ts";

const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const t0 = performance.now();
const dataRoot = resolve(arg("--data-root") ?? repo);
const outRoot = resolve(arg("--out-root") ?? repo);
const res = await buildAll({ dataRoot, outRoot, specDir: join(repo, "figures"), templatesDir: join(repo, "paper/templates") });
const total = performance.now() - t0;

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`\n${pad("figure", 22)} ${pad("data", 8)} ${pad("size (pt)", 10)} ${pad("ms", 6)} inputs`);
for (const f of res.figures)
  console.log(
    `${pad(f.name, 22)} ${pad(f.hasData ? "yes" : "NO DATA", 8)} ${pad(`${Math.round(f.width)}x${Math.round(f.height)}`, 10)} ${pad(String(Math.round(f.ms)), 6)} ${f.inputs
      .map((i) => `${i.file}:${i.status === "ok" ? i.rows : i.status}${i.optional ? "(opt)" : ""}`)
      .join(" ")}`,
  );
for (const f of res.figures) for (const w of f.warnings) console.warn(`  vega-lite warning (${f.name}): ${w}`);
console.log(`\n${pad("table", 22)} ${pad("data", 8)} rows`);
for (const t of res.tables) console.log(`${pad(t.name, 22)} ${pad(t.hasData ? "yes" : "NO DATA", 8)} ${t.rows}`);
const na = res.numbers.filter((n) => n.value === undefined);
console.log(`\nnumbers.tex: ${res.numbers.length} macros, ${res.numbers.length - na.length} with a value, ${na.length} n/a`);
const naReasons = new Map<string, number>();
for (const n of na) {
  const why = /^results\/summary\.csv|^no row for tool/.test(n.missing ?? "") ? "no row in results/summary.csv for that tool/category" : (n.missing ?? "");
  naReasons.set(why, (naReasons.get(why) ?? 0) + 1);
}
for (const [why, k] of [...naReasons.entries()].sort()) console.warn(`  warning: ${k} macro(s) n/a: ${why}`);
console.log(`bibliography: ${res.bibFiles.length ? res.bibFiles.join(", ") : "no bib file yet"}`);
console.log(`\nmake figures: ${res.figures.length} figures (${res.figures.filter((f) => f.hasData).length} with data), ${res.tables.length} tables in ${(total / 1000).toFixed(1)} s`);

if (res.problems.length) {
  console.error(`\n${res.problems.length} input problem(s) (the figures/tables that read them show 'no data yet' until fixed):`);
  for (const p of res.problems) console.error(`  ${p.file}: ${p.field}: ${p.message}`);
  process.exit(1);
}
