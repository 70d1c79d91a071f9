/**
 * LaTeX output: escaping, handlebars templates (paper/templates/*.hbs) and number formatting.
 *
 * Templates are compiled with `noEscape` and the context is escaped instead: every string that
 * reaches a template is LaTeX-escaped, except values built with `raw()` (LaTeX the pipeline writes
 * itself, e.g. `\cite{key}`), so a template cannot forget to escape a value from a CSV.
 */
import { readFileSync } from "node:fs";
import Handlebars from "handlebars";

const LATEX_SPECIALS: Record<string, string> = {
  "\\": "\\textbackslash{}",
  "&": "\\&",
  "%": "\\%",
  $: "\\$",
  "#": "\\#",
  _: "\\_",
  "{": "\\{",
  "}": "\\}",
  "~": "\\textasciitilde{}",
  "^": "\\textasciicircum{}",
  "<": "\\textless{}",
  ">": "\\textgreater{}",
  "|": "\\textbar{}",
};

/** Escapes the characters LaTeX treats specially, so any text prints as itself. */
export function latexEscape(s: string): string {
  return s.replace(/[\\&%$#_{}~^<>|]/g, (c) => LATEX_SPECIALS[c]!).replace(/\u2212/g, "--").replace(/\u00d7/g, "$\\times$");
}

/** LaTeX the pipeline wrote itself: passes through templates unescaped. */
export class Raw {
  constructor(public readonly tex: string) {}
  toString(): string {
    return this.tex;
  }
}
export const raw = (tex: string): Raw => new Raw(tex);

/** A deep copy of a template context in which every string is LaTeX-escaped (Raw values pass through). */
export function escapeContext(v: unknown): unknown {
  if (v instanceof Raw) return v;
  if (typeof v === "string") return latexEscape(v);
  if (Array.isArray(v)) return v.map(escapeContext);
  if (typeof v === "object" && v !== null) {
    const o: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) o[k] = escapeContext(child);
    return o;
  }
  return v;
}

const hb = Handlebars.create();
hb.registerHelper("inc", (i: number) => i + 1);

export function renderTemplateString(template: string, context: Record<string, unknown>): string {
  const fn = hb.compile(template, { noEscape: true, strict: true });
  return fn(escapeContext(context));
}

export function renderTemplate(path: string, context: Record<string, unknown>): string {
  return renderTemplateString(readFileSync(path, "utf8"), context);
}

// ---------------------------------------------------------------- number formatting (fixed, no locale)

/** An integer with thin-space thousands separators, e.g. 12\,345. */
export function fmtInt(n: number): string {
  const s = Math.round(n).toString();
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, "\\,");
}

/** A percentage: one decimal below 100, none above; e.g. 12.3\,\%. */
export function fmtPct(x: number): string {
  const s = Math.abs(x) >= 100 ? fmtInt(x) : x.toFixed(1);
  return `${s}\\,\\%`;
}

/** A plain number with `digits` decimals. */
export function fmtFixed(x: number, digits: number): string {
  return x.toFixed(digits);
}

/** A duration in seconds with an SI prefix: 3.2\,ms, 41\,\textmu{}s, 1.5\,s. */
export function fmtSeconds(s: number): string {
  const [v, unit] = s >= 1 ? [s, "s"] : s >= 1e-3 ? [s * 1e3, "ms"] : s >= 1e-6 ? [s * 1e6, "\\textmu{}s"] : [s * 1e9, "ns"];
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}\\,${unit}`;
}

/** A rate in units/s with an SI prefix, e.g. 989.4\,TFLOP/s, 3.35\,TB/s. */
export function fmtRate(x: number, unit: "FLOP/s" | "B/s"): string {
  const prefixes: [number, string][] = [
    [1e15, "P"],
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  const [f, p] = prefixes.find(([f]) => x >= f) ?? [1, ""];
  const v = x / f;
  const digits = v >= 100 ? 1 : 2;
  return `${Number(v.toFixed(digits)).toString()}\\,${p}${unit}`;
}
