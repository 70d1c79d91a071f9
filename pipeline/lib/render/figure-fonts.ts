/**
 * Print-size fonts of the placed figures (make check-paper): for every \includegraphics of a
 * figure rendered by make figures (figures/out/<name>.pdf beside its <name>.svg), the smallest
 * font size in the SVG (font-size attributes and style declarations, in px = pt at natural size)
 * times the scale at which LaTeX places it (placed width / SVG width). A figure placed with
 * width=\columnwidth (or \linewidth) is set to the IEEE column width, \textwidth to the text
 * width, an absolute width to itself, and no width option to its natural size.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { TexFile } from "./paper-check.ts";

/** IEEEtran conference (US letter): one column is 3.5 in (252 pt); the text width is 516 pt (figure*). */
export const IEEE_COLUMN_PT = 252;
export const IEEE_TEXT_PT = 516;
/** The smallest font allowed at print size (pt). */
export const MIN_FONT_PT = 7;

export interface PlacedFigureFont {
  /** The tex file that places it (relative to the paper directory). */
  file: string;
  /** The graphics path as written in \includegraphics. */
  graphic: string;
  svgWidth: number;
  placedWidthPt: number;
  /** Smallest font size in the SVG at natural size (pt); undefined when the SVG has no text. */
  minFontSvg: number | undefined;
  /** minFontSvg x placed / natural width. */
  minFontPrintPt: number | undefined;
}

/** The smallest font size (px) in an SVG: font-size="N", font-size="Npx", style="font-size: Npx". */
export function svgMinFontSize(svg: string): number | undefined {
  const sizes: number[] = [];
  for (const m of svg.matchAll(/font-size\s*[=:]\s*"?\s*([0-9]*\.?[0-9]+)\s*(px|pt)?/g)) {
    const v = Number(m[1]);
    if (v > 0) sizes.push(v);
  }
  return sizes.length ? Math.min(...sizes) : undefined;
}

/** The SVG's width in px (the width attribute, else the viewBox). */
export function svgWidth(svg: string): number | undefined {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? "";
  const w = /\swidth="([0-9.]+)(px|pt)?"/.exec(root);
  if (w) return Number(w[1]);
  const vb = /viewBox="\s*[-0-9.]+\s+[-0-9.]+\s+([0-9.]+)/.exec(root);
  return vb ? Number(vb[1]) : undefined;
}

const UNIT_PT: Record<string, number> = { pt: 1, bp: 72.27 / 72, in: 72.27, cm: 72.27 / 2.54, mm: 72.27 / 25.4 };

/** The width (pt) at which \includegraphics[opts] places a graphic of natural width `natural` (pt). */
export function placedWidth(opts: string | undefined, natural: number): number {
  const w = opts ? /(?:^|,)\s*width\s*=\s*([0-9.]*)\s*(\\columnwidth|\\linewidth|\\textwidth|pt|bp|in|cm|mm)/.exec(opts) : null;
  if (!w) {
    const scale = opts ? /(?:^|,)\s*scale\s*=\s*([0-9.]+)/.exec(opts) : null;
    return scale ? natural * Number(scale[1]) : natural;
  }
  const factor = w[1] ? Number(w[1]) : 1;
  switch (w[2]) {
    case "\\columnwidth":
    case "\\linewidth":
      return factor * IEEE_COLUMN_PT;
    case "\\textwidth":
      return factor * IEEE_TEXT_PT;
    default:
      return factor * UNIT_PT[w[2]!]!;
  }
}

/** Every placed graphic that has an SVG beside its PDF, with its print-size smallest font. */
export function placedFigureFonts(paperDir: string, files: TexFile[]): PlacedFigureFont[] {
  const out: PlacedFigureFont[] = [];
  for (const f of files)
    for (const m of f.text.matchAll(/\\includegraphics(?:\[([^\]]*)\])?\{([^}]+)\}/g)) {
      const graphic = m[2]!;
      const svgPath = resolve(paperDir, graphic.replace(/\.pdf$/, ".svg"));
      if (!svgPath.endsWith(".svg") || !existsSync(svgPath)) continue;
      const svg = readFileSync(svgPath, "utf8");
      const natural = svgWidth(svg);
      if (!natural) continue;
      const placed = placedWidth(m[1], natural);
      const minFont = svgMinFontSize(svg);
      out.push({ file: f.file, graphic, svgWidth: natural, placedWidthPt: placed, minFontSvg: minFont, minFontPrintPt: minFont === undefined ? undefined : (minFont * placed) / natural });
    }
  return out;
}

