/**
 * The paper's checks (make check-paper): page count, figures, tables, citations, figures/tables
 * never referenced, cited keys missing from the bibliography, and numbers typed by hand in the
 * text instead of coming from paper/generated/numbers.tex.
 */
import { existsSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";

/** The bibliography files the paper reads (those that exist; see build.ts bibliographyTex). */
export const BIB_FILES = ["bib/references.bib", "bib/data-sources.bib"];

export interface TexFile {
  /** Path relative to the paper directory. */
  file: string;
  /** Text with comments removed (line structure kept). */
  text: string;
  generated: boolean;
}

/** Removes LaTeX comments (an unescaped % to the end of the line), keeping the line count. */
export function stripComments(tex: string): string {
  return tex
    .split("\n")
    .map((line) => {
      for (let i = 0; i < line.length; i++) {
        if (line[i] === "%") {
          let bs = 0;
          for (let j = i - 1; j >= 0 && line[j] === "\\"; j--) bs++;
          if (bs % 2 === 0) return line.slice(0, i);
        }
      }
      return line;
    })
    .join("\n");
}

/** main.tex and every file it \input's or \include's, depth first, in order. */
export function collectTex(paperDir: string, main = "main.tex"): { files: TexFile[]; missing: string[] } {
  const files: TexFile[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const visit = (rel: string) => {
    const withExt = rel.endsWith(".tex") ? rel : `${rel}.tex`;
    const abs = resolve(paperDir, withExt);
    const key = relative(paperDir, abs);
    if (seen.has(key)) return;
    seen.add(key);
    if (!existsSync(abs)) {
      missing.push(key);
      return;
    }
    const text = stripComments(readFileSync(abs, "utf8"));
    files.push({ file: key, text, generated: key.startsWith("generated/") });
    for (const m of text.matchAll(/\\(?:input|include)\{([^}]+)\}/g)) visit(m[1]!.trim());
  };
  visit(main);
  return { files, missing };
}

export interface FloatInfo {
  kind: "figure" | "table";
  label: string | undefined;
  file: string;
  generated: boolean;
}

export function floats(files: TexFile[]): FloatInfo[] {
  const out: FloatInfo[] = [];
  for (const f of files)
    for (const m of f.text.matchAll(/\\begin\{(figure|table)(\*?)\}([\s\S]*?)\\end\{\1\2\}/g)) {
      const label = /\\label\{([^}]+)\}/.exec(m[3]!)?.[1];
      const generated = f.generated || /\\includegraphics(?:\[[^\]]*\])?\{[^}]*figures\/out\//.test(m[3]!);
      out.push({ kind: m[1] as "figure" | "table", label, file: f.file, generated });
    }
  return out;
}

export function referencedLabels(files: TexFile[]): Set<string> {
  const out = new Set<string>();
  for (const f of files)
    for (const m of f.text.matchAll(/\\(?:ref|cref|Cref|autoref|pageref|vref|crefrange|Crefrange|namecref|nameCref)\*?\{([^}]+)\}/g))
      for (const k of m[1]!.split(",")) out.add(k.trim());
  return out;
}

export function citedKeys(files: TexFile[]): string[] {
  const out = new Set<string>();
  for (const f of files)
    for (const m of f.text.matchAll(/\\(?:cite|citep|citet|nocite|citeauthor|citeyear)\*?(?:\[[^\]]*\])*\{([^}]+)\}/g))
      for (const k of m[1]!.split(",")) if (k.trim()) out.add(k.trim());
  return [...out].sort();
}

export interface HandNumber {
  file: string;
  line: number;
  match: string;
}

/** Units that make a typed number a quoted result. */
const UNIT =
  "(?:\\\\%|%|percent|×|\\$\\\\times\\$|\\\\times|x|ms|s|us|µs|\\\\textmu\\{\\}s|\\$\\\\mu\\$s|ns|min|h|[KMGTP]?B/s|[KMGTP]B|[KMGTP]?FLOP/s|[KMGTP]?FLOPS|[KMGTP]?FLOPs|[KMGTP]?Hz|[kM]?W|tokens/s|samples/s|queries/s)";
const HAND_NUMBER = new RegExp(
  `(?<![A-Za-z0-9\\\\.{])(\\d+(?:[.,]\\d+)*)(?:\\s|~|\\\\,|\\\\ |\\\\;|\\\\!|\\\\thinspace)*${UNIT}(?![A-Za-z])`,
  "g",
);

/** Commands whose arguments are names, not prose: removed before looking for numbers. */
const NAME_ARGS = /\\(?:label|ref|cref|Cref|autoref|pageref|cite|citep|citet|nocite|input|include|includegraphics|usepackage|documentclass|begin|end|url|href|bibliography|bibliographystyle|graphicspath|input)\*?(?:\[[^\]]*\])*\{[^}]*\}/g;

/** Numbers followed by a unit (%, ×, s, ms, GB/s, TFLOP/s, ...) typed in the text instead of a macro. */
export function findHandTypedNumbers(file: string, text: string): HandNumber[] {
  const out: HandNumber[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.replace(NAME_ARGS, (m) => " ".repeat(m.length));
    for (const m of line.matchAll(HAND_NUMBER)) out.push({ file, line: i + 1, match: m[0] });
  });
  return out;
}

/** Page count: pdfinfo's output if given, else the "Output written on main.pdf (N pages" line of main.log. */
export function pageCount(pdfinfoOutput: string | undefined, logText: string | undefined): number | undefined {
  const a = pdfinfoOutput ? /^Pages:\s+(\d+)/m.exec(pdfinfoOutput) : null;
  if (a) return Number(a[1]);
  const b = logText ? /Output written on \S+ \((\d+) pages?/.exec(logText) : null;
  return b ? Number(b[1]) : undefined;
}



/** Where the bibliography starts, as main.tex writes it to main.aux (\markrefsstart before \bibliography). */
export interface RefsStart {
  /** 1-based page the references start on. */
  page: number;
  /** 0: left column, 1: right column. */
  column: 0 | 1;
  /** How far down the column's text block the mark sits, 0 (top) to 1 (bottom). */
  fraction: number;
  /** Pages of text before the references: full pages plus the filled share of the page (two columns). */
  pagesBefore: number;
}

/**
 * Reads `\refsstart{page}{x_sp}{y_sp}{texttop_sp}{textheight_sp}{paperwidth_sp}` from main.aux
 * (written at shipout by \markrefsstart in main.tex, with \pdfsavepos) and converts it to pages
 * before the references: (page - 1) + (column + fraction) / 2 in a two-column layout.
 * Undefined when the aux has no such line (an older main.tex or no build).
 */
export function refsStartFromAux(aux: string | undefined): RefsStart | undefined {
  if (!aux) return undefined;
  const m = /\\refsstart\{(\d+)\}\{(-?\d+)\}\{(-?\d+)\}\{(-?\d+)\}\{(\d+)\}\{(\d+)\}/.exec(aux);
  if (!m) return undefined;
  const [page, x, y, top, height, width] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (!(height > 0) || !(width > 0) || page < 1) return undefined;
  const column: 0 | 1 = x > width / 2 ? 1 : 0;
  const fraction = Math.min(1, Math.max(0, (top - y) / height));
  const pagesBefore = Math.round((page - 1 + (column + fraction) / 2) * 100) / 100;
  return { page, column, fraction: Math.round(fraction * 100) / 100, pagesBefore };
}

/** The page range a submission must fill before its references (MICRO: 11 pages, at most half a page short). */
export const PAGE_RANGE = { min: 10.5, max: 11 } as const;
