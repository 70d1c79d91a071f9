#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * make check-paper: the paper's metrics and rules.
 *
 * Reports: page count (from paper/main.pdf when built), figures (generated or not), tables,
 * cited references. Violations (exit 1): a figure or table never referenced, a figure or table
 * without a label, a cited key missing from the bibliography files, a file \input but missing,
 * and numbers typed by hand in the text (a number followed by %, x, s, ms, GB/s, TFLOP/s, ...
 * outside paper/generated/, which must be a macro of paper/generated/numbers.tex).
 * Works before the PDF exists (says so).
 *
 * Pages before the references come from main.aux: main.tex's \markrefsstart records, at shipout,
 * the page and position where the bibliography starts (\pdfsavepos); the check converts it to
 * pages (two columns: half a page per column). With --strict, a value outside 10.5-11 pages is a
 * violation; without it, the value is only reported (CI builds the paper before the final text).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { BIB_FILES, PAGE_RANGE, citedKeys, collectTex, findHandTypedNumbers, floats, pageCount, referencedLabels, refsStartFromAux, type RefsStart } from "./lib/render/paper-check.ts";
import { parseBibText } from "./lib/survey/bib.ts";
import { MIN_FONT_PT, placedFigureFonts } from "./lib/render/figure-fonts.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
/** --repo DIR: the root holding paper/ and bib/ (default: this repository). */
const repo = resolve(arg("--repo") ?? fileURLToPath(new URL("..", import.meta.url)));
const paperDir = join(repo, "paper");
const violations: string[] = [];
const notices: string[] = [];

if (!existsSync(join(paperDir, "main.tex"))) {
  console.error("check-paper: paper/main.tex does not exist");
  process.exit(1);
}
if (!existsSync(join(paperDir, "generated/numbers.tex"))) notices.push("paper/generated/ is not built yet: run `make figures` (the counts below miss the generated figures and tables)");

const { files, missing } = collectTex(paperDir);
for (const m of missing) {
  if (m.startsWith("generated/")) notices.push(`paper/${m} is \\input but not generated yet (run make figures)`);
  else violations.push(`paper/${m} is \\input but does not exist`);
}

// ---- floats and references
const fl = floats(files);
const refs = referencedLabels(files);
const figs = fl.filter((f) => f.kind === "figure");
const tabs = fl.filter((f) => f.kind === "table");
for (const f of fl) {
  if (!f.label) violations.push(`paper/${f.file}: a ${f.kind} without \\label (it cannot be referenced)`);
  else if (!refs.has(f.label)) violations.push(`paper/${f.file}: ${f.kind} '${f.label}' is never referenced (\\ref/\\cref it in the text)`);
}

// ---- graphics files
for (const f of files)
  for (const m of f.text.matchAll(/\\includegraphics(?:\[[^\]]*\])?\{([^}]+)\}/g))
    if (!existsSync(join(paperDir, m[1]!))) violations.push(`paper/${f.file}: \\includegraphics{${m[1]}}: file missing (run make figures)`);

// ---- print-size fonts of the placed figures (SVG font sizes x placed width / SVG width)
const fonts = placedFigureFonts(paperDir, files);
for (const p of fonts)
  if (p.minFontPrintPt !== undefined && p.minFontPrintPt < MIN_FONT_PT - 1e-6)
    violations.push(`paper/${p.file}: ${p.graphic}: smallest font ${p.minFontPrintPt.toFixed(2)} pt at print size (${p.minFontSvg} px in a ${p.svgWidth}-px SVG placed at ${p.placedWidthPt.toFixed(0)} pt), below ${MIN_FONT_PT} pt`);
const fontPrint = fonts.map((p) => p.minFontPrintPt).filter((v): v is number => v !== undefined);
const smallestFont = fontPrint.length ? Math.min(...fontPrint) : undefined;

// ---- no \tiny type (about 5 pt in a 10-pt IEEE paper): tables and text stay at 7 pt or more
for (const f of files) f.text.split("\n").forEach((l, i) => {
  if (/\\tiny\b/.test(l)) violations.push(`paper/${f.file}:${i + 1}: \\tiny (below ${MIN_FONT_PT} pt; use \\scriptsize or smaller content)`);
});

// ---- citations
const cited = citedKeys(files);
const bibKeys = new Set<string>();
const bibPresent: string[] = [];
for (const b of BIB_FILES) {
  const p = join(repo, b);
  if (!existsSync(p)) continue;
  bibPresent.push(b);
  for (const e of parseBibText(readFileSync(p, "utf8"), b).entries) bibKeys.add(e.key);
}
if (!bibPresent.length) notices.push(`no bibliography file yet (${BIB_FILES.join(", ")})`);
const unknown = cited.filter((k) => !bibKeys.has(k));
for (const k of unknown) violations.push(`\\cite{${k}}: key not in ${bibPresent.join(" or ") || "any bib file"}`);

// ---- hand-typed numbers (text only; paper/generated is written from data)
const hand = files.filter((f) => !f.generated).flatMap((f) => findHandTypedNumbers(`paper/${f.file}`, f.text));
for (const h of hand) violations.push(`${h.file}:${h.line}: hand-typed number '${h.match}' (use a macro of paper/generated/numbers.tex)`);

// ---- number macros quoted by the text, and how many print n/a
const numbersPath = join(paperDir, "generated/numbers.tex");
const defined = new Map<string, string>();
if (existsSync(numbersPath))
  for (const m of readFileSync(numbersPath, "utf8").matchAll(/\\newcommand\{\\([A-Za-z]+)\}\{(.*)\\xspace\}/g)) defined.set(m[1]!, m[2]!);
const used = new Set<string>();
for (const f of files.filter((x) => !x.generated)) for (const m of f.text.matchAll(/\\([A-Za-z]+)/g)) if (defined.has(m[1]!)) used.add(m[1]!);
const usedNA = [...used].filter((u) => defined.get(u) === "\\numNA").sort();

// ---- claimed errors quoted through \claimErr[i]{key} (paper/generated/claims.tex)
const claimsPath = join(paperDir, "generated/claims.tex");
const claimDefs = new Set<string>();
if (existsSync(claimsPath)) for (const m of readFileSync(claimsPath, "utf8").matchAll(/\\@namedef\{claimerr@([^@}]+)@(\d+)\}/g)) claimDefs.add(`${m[1]}@${m[2]}`);
let claimUses = 0;
for (const f of files.filter((x) => !x.generated))
  for (const m of f.text.matchAll(/\\claimErr(?:\[(\d+)\])?\{([^}]+)\}/g)) {
    claimUses++;
    const id = `${m[2]}@${m[1] ?? "1"}`;
    if (existsSync(claimsPath) && !claimDefs.has(id)) violations.push(`paper/${f.file}: \\claimErr[${m[1] ?? "1"}]{${m[2]}} has no claim in results/claimed-accuracy.csv (it prints n/a)`);
  }

// ---- page count
const strict = process.argv.includes("--strict");
const pdf = join(paperDir, "main.pdf");
let pages: number | undefined;
let refsStart: RefsStart | undefined;
// Pages before the references: from main.aux (written by the last LaTeX run), PDF or not.
const auxPath = join(paperDir, "main.aux");
refsStart = refsStartFromAux(existsSync(auxPath) ? readFileSync(auxPath, "latin1") : undefined);
if (!refsStart && existsSync(auxPath)) notices.push("main.aux has no \\refsstart line (main.tex lacks \\markrefsstart before the bibliography): no page count before references");
if (!existsSync(pdf)) notices.push("paper/main.pdf is not built yet (run `make paper`): no page count");
else {
  const info = await execa("pdfinfo", [pdf], { reject: false });
  const log = existsSync(join(paperDir, "main.log")) ? readFileSync(join(paperDir, "main.log"), "latin1") : undefined;
  pages = pageCount(info.exitCode === 0 ? info.stdout : undefined, log);
  const pdfTime = statSync(pdf).mtimeMs;
  const newer = files.filter((f) => statSync(join(paperDir, f.file)).mtimeMs > pdfTime).map((f) => f.file);
  if (newer.length) notices.push(`paper/main.pdf is older than ${newer.length} source file(s) (e.g. ${newer[0]}): run make paper for current metrics`);
}

// ---- report
const row = (k: string, v: string | number) => console.log(`  ${k.padEnd(34)} ${v}`);
console.log("check-paper: paper metrics");
row("pages", pages ?? "n/a (no PDF)");
row("pages before references", refsStart ? `${refsStart.pagesBefore.toFixed(2)} (references start on page ${refsStart.page}, ${refsStart.column ? "right" : "left"} column, ${Math.round(refsStart.fraction * 100)}% down; limit ${PAGE_RANGE.min}-${PAGE_RANGE.max}${strict ? ", enforced" : ", enforced with --strict"})` : "n/a");
row("figures (generated from data)", `${figs.length} (${figs.filter((f) => f.generated).length})`);
row("smallest figure font at print size", smallestFont === undefined ? "n/a (no placed SVG figure)" : `${smallestFont.toFixed(2)} pt over ${fonts.length} placed figure(s) (minimum ${MIN_FONT_PT} pt)`);
row("tables (generated from data)", `${tabs.length} (${tabs.filter((f) => f.generated).length})`);
row("cited references (distinct keys)", cited.length);
row("bibliography entries available", `${bibKeys.size} in ${bibPresent.join(", ") || "no file"}`);
row("number macros quoted in the text", `${used.size} (${usedNA.length} print n/a: input missing)`);
row("claimed errors quoted (\\claimErr)", claimUses);
row("tex files", `${files.length} (${files.filter((f) => f.generated).length} generated)`);
if (strict) {
  if (!refsStart) violations.push("--strict: no page count before references (build the paper with make paper first)");
  else if (refsStart.pagesBefore < PAGE_RANGE.min || refsStart.pagesBefore > PAGE_RANGE.max)
    violations.push(`--strict: ${refsStart.pagesBefore.toFixed(2)} pages before references, outside ${PAGE_RANGE.min}-${PAGE_RANGE.max} (${refsStart.pagesBefore < PAGE_RANGE.min ? "add text" : "cut text"})`);
}
for (const n of notices) console.log(`  notice: ${n}`);
if (usedNA.length) console.log(`  notice: n/a macros in the text: ${usedNA.map((u) => `\\${u}`).join(" ")}`);
if (violations.length) {
  console.error(`check-paper: ${violations.length} violation(s):`);
  for (const v of violations) console.error(`  ${v}`);
  process.exit(1);
}
console.log("check-paper: no violation");
