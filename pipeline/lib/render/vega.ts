/**
 * Vega-Lite figures, headless: a spec file (figures/<name>.vl.json) names its inputs with
 * `data.url` (repository-relative paths); the renderer loads each through its zod schema
 * (./data.ts), injects the rows as `values`, merges the shared style, compiles with vega-lite and
 * renders with vega's View to SVG (view.toSVG) and to PDF (pdfkit + svg-to-pdfkit). No browser,
 * no canvas, no system package.
 *
 * A figure whose required input is missing, empty or invalid renders an explicit "no data yet"
 * panel instead; its caption says so (./captions.ts).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { z } from "zod";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import PDFDocument from "pdfkit";
import SVGtoPDF from "svg-to-pdfkit";
import { loadInput, type Loaded, type DataProblem } from "./data.ts";
import { loadStyle } from "./style.ts";

export const FigureMeta = z
  .object({
    /** The caption's text (LaTeX allowed, no hand-typed numbers); the data status is appended. */
    caption: z.string().min(1),
    /** 'column' (one IEEE column, figure) or 'page' (both columns, figure*). */
    placement: z.enum(["column", "page"]).default("column"),
    /** Inputs that may be missing: they are injected as no rows instead of blanking the figure. */
    optional: z.array(z.string()).default([]),
    /** A sentence added to the caption for how the data are drawn (clamps, filters). */
    note: z.string().optional(),
    /** Inputs whose tools and levels make the legends (default: all); e.g. leave out a file used only in a lookup. */
    legendFrom: z.array(z.string()).optional(),
    /** Only rows that match every condition count for the legends: a value to equal, or {gt: n}. */
    legendWhere: z.record(z.union([z.string(), z.object({ gt: z.number() }).strict()])).optional(),
  })
  .strict();
export type FigureMeta = z.infer<typeof FigureMeta>;

export interface FigureInput {
  file: string;
  optional: boolean;
  loaded: Loaded;
}

export interface RenderedFigure {
  name: string;
  meta: FigureMeta;
  inputs: FigureInput[];
  /** true when every required input had rows and the real spec was drawn. */
  hasData: boolean;
  svg: string;
  width: number;
  height: number;
  problems: DataProblem[];
  /** Vega-Lite compile warnings. */
  warnings: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// Text: figures use Arimo (metric-compatible with Arial/Helvetica, SIL OFL), shipped by the npm
// package @fontsource/arimo. Widths come from the font file itself (fontkit, through pdfkit)
// instead of vega's canvas-less estimate (0.8 x font size per character, far too wide), so layout,
// label limits and legends match the PDF, into which the same font is embedded (subset).
// Pure JS and deterministic.
const require = createRequire(import.meta.url);
export const FONT_FILES = {
  regular: require.resolve("@fontsource/arimo/files/arimo-latin-400-normal.woff"),
  bold: require.resolve("@fontsource/arimo/files/arimo-latin-700-normal.woff"),
};
const metricsDoc = new PDFDocument({ autoFirstPage: false });
metricsDoc.registerFont("Arimo", FONT_FILES.regular);
metricsDoc.registerFont("Arimo-Bold", FONT_FILES.bold);
const widthCache = new Map<string, number>();
function textWidth(item: { fontSize?: number | string; fontWeight?: string | number; limit?: number }, text: unknown): number {
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  const s = text == null ? "" : String(text).trim();
  if (size <= 0 || !s) return 0;
  const bold = item.fontWeight === "bold" || Number(item.fontWeight) >= 600;
  const key = `${bold ? "B" : "R"}${size}|${s}`;
  let w = widthCache.get(key);
  if (w === undefined) {
    w = metricsDoc.font(bold ? "Arimo-Bold" : "Arimo").fontSize(size).widthOfString(s);
    widthCache.set(key, w);
  }
  // A label with a limit is drawn truncated to it: never wider in the layout. (vega's truncation
  // still works: it only asks whether a candidate is narrower than the limit.)
  const limit = Number(item.limit);
  return limit > 0 ? Math.min(w, limit) : w;
}
// vega re-exports vega-scenegraph's textMetrics at run time; its typings do not declare it.
const textMetrics = (vega as unknown as { textMetrics?: { width: unknown } }).textMetrics;
if (!textMetrics) throw new Error("vega no longer exports textMetrics: text widths cannot be set (see pipeline/lib/render/vega.ts)");
textMetrics.width = textWidth;

/** Every `url` of a data object in the spec (top level, layers, facets, lookups), in spec order, once each. */
export function specInputs(spec: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) {
      for (const [k, child] of Object.entries(v)) {
        if (k === "data" && isObject(child) && typeof child.url === "string" && !out.includes(child.url)) out.push(child.url);
        walk(child);
      }
    }
  };
  walk(spec);
  return out;
}

/** A deep copy of the spec with every `data: {url}` replaced by `data: {values}` from `rows`. */
function injectData(spec: JsonObject, rows: Map<string, Record<string, unknown>[]>): JsonObject {
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isObject(v)) return v;
    const o: JsonObject = {};
    for (const [k, child] of Object.entries(v)) {
      if (k === "data" && isObject(child) && typeof child.url === "string") {
        const { url, format: _format, ...rest } = child;
        o[k] = { ...rest, values: (rows.get(url) ?? []) as Json };
      } else o[k] = walk(child);
    }
    return o;
  };
  return walk(spec) as JsonObject;
}

/**
 * Fixes the colour of every tool and of every suite level: each colour/fill/stroke channel on
 * field 'tool_key' gets the palette's colours for the tools present (in palette order) and legend
 * labels with display names; each colour or shape channel on field 'level' gets the level palette.
 */
function applyFixedScales(spec: JsonObject, present: Map<string, Set<string>>): JsonObject {
  const { tools, levels } = loadStyle();
  const pick = (domain: string[], range: string[], field: string) => {
    const have = present.get(field) ?? new Set<string>();
    const idx = domain.map((_, i) => i).filter((i) => have.has(domain[i]!));
    return idx.length ? { domain: idx.map((i) => domain[i]!), range: idx.map((i) => range[i]!) } : { domain: [domain.at(-1)!], range: [range.at(-1)!] };
  };
  const labelExpr = tools.domain
    .map((d, i) => `datum.value === ${JSON.stringify(d)} ? ${JSON.stringify(tools.labels[i])} : `)
    .join("")
    .concat("datum.label");
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isObject(v)) return v;
    const o: JsonObject = {};
    for (const [k, child] of Object.entries(v)) {
      const colour = k === "color" || k === "fill" || k === "stroke";
      if (isObject(child) && (child.field === "tool_key" || child.field === "level") && (colour || (k === "shape" && child.field === "level"))) {
        if (child.scale !== undefined) throw new Error(`a '${k}' channel on '${child.field}' must not set its own scale: it comes from figures/style.json`);
        if (child.field === "tool_key") {
          const legend = child.legend === null ? null : { ...(isObject(child.legend) ? child.legend : {}), labelExpr };
          o[k] = { ...child, scale: pick(tools.domain, tools.range, "tool_key"), legend };
        } else {
          o[k] = { ...child, scale: pick(levels.domain, colour ? levels.range : levels.shapes, "level") };
        }
      } else o[k] = walk(child);
    }
    return o;
  };
  return walk(spec) as JsonObject;
}

function placeholderSpec(title: string, lines: string[], width: number, height: number): JsonObject {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width,
    height,
    title,
    data: { values: lines.map((t, i) => ({ t, i })) },
    mark: { type: "text", align: "center", baseline: "middle", fontSize: 7, color: "#555555", limit: 215 },
    encoding: {
      text: { field: "t" },
      y: { field: "i", type: "ordinal", axis: null },
    },
    config: { view: { stroke: "#999999", strokeDash: [3, 3] } },
  };
}

function readSvgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  if (!m) throw new Error("rendered SVG has no width/height");
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Compiles and renders a Vega-Lite spec to SVG; Vega-Lite's warnings are returned, not printed. */
export async function renderVegaLite(spec: JsonObject): Promise<{ svg: string; warnings: string[] }> {
  const style = loadStyle();
  const merged = { ...spec, config: { ...style.config, ...(isObject(spec.config) ? spec.config : {}) } } as unknown as TopLevelSpec;
  const warnings: string[] = [];
  const logger = {
    level: (_?: number) => logger as never,
    error: (...m: unknown[]) => { throw new Error(`vega-lite: ${m.join(" ")}`); },
    warn: (...m: unknown[]) => { warnings.push(m.join(" ")); return logger as never; },
    info: () => logger as never,
    debug: () => logger as never,
  };
  const vgSpec = compile(merged, { logger: logger as never }).spec;
  // Clip-path and gradient ids come from module counters: reset them so a render does not depend
  // on what was rendered before it in the same process.
  vega.resetSVGDefIds();
  const view = new vega.View(vega.parse(vgSpec), { renderer: "none" });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}

/** Renders one figure spec file. `root` is the repository root the spec's data urls are relative to. */
export async function renderFigure(root: string, name: string, specPath: string): Promise<RenderedFigure> {
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as JsonObject;
  const metaRes = FigureMeta.safeParse(spec.usermeta);
  if (!metaRes.success)
    throw new Error(`${specPath}: usermeta: ${metaRes.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")} (fix: add usermeta {caption, placement})`);
  const meta = metaRes.data;
  const inputs: FigureInput[] = specInputs(spec).map((file) => ({ file, optional: meta.optional.includes(file), loaded: loadInput(root, file) }));
  const problems = inputs.flatMap((i) => i.loaded.problems);
  const blocking = inputs.filter((i) => !i.optional && i.loaded.status !== "ok");
  let toRender: JsonObject;
  if (blocking.length) {
    const lines = ["no data yet"].concat(
      blocking.flatMap((b) => [b.file, b.loaded.status === "invalid" ? "(invalid: see make figures)" : b.loaded.status === "empty" ? "(no rows yet)" : "(missing)"]),
    );
    toRender = placeholderSpec(String(spec.title ?? name), lines, 220, 20 + 12 * lines.length);
  } else {
    const rows = new Map(inputs.map((i) => [i.file, i.loaded.rows]));
    const present = new Map<string, Set<string>>([["tool_key", new Set()], ["level", new Set()]]);
    const matches = (r: Record<string, unknown>) =>
      Object.entries(meta.legendWhere ?? {}).every(([f, c]) => (typeof c === "string" ? r[f] === c : typeof r[f] === "number" && (r[f] as number) > c.gt));
    for (const i of inputs.filter((x) => !meta.legendFrom || meta.legendFrom.includes(x.file)))
      for (const r of i.loaded.rows.filter(matches)) for (const [f, set] of present) if (typeof r[f] === "string") set.add(r[f] as string);
    const { usermeta: _u, ...rest } = spec;
    toRender = applyFixedScales(injectData(rest, rows), present);
  }
  const { svg, warnings } = await renderVegaLite(toRender);
  const { width, height } = readSvgSize(svg);
  return { name, meta, inputs, hasData: blocking.length === 0, svg, width, height, problems, warnings };
}

/** SVG to a one-page PDF of the same size (1 SVG px = 1 pt), with fixed metadata: deterministic bytes. */
export function svgToPdf(svg: string): Promise<Buffer> {
  const { width, height } = readSvgSize(svg);
  const doc = new PDFDocument({
    size: [width, height],
    margin: 0,
    compress: true,
    info: { CreationDate: new Date(0), Producer: "pdfkit + svg-to-pdfkit", Creator: "pipeline/figures.ts" },
  });
  doc.registerFont("Arimo", FONT_FILES.regular);
  doc.registerFont("Arimo-Bold", FONT_FILES.bold);
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  // Every text is set in the embedded Arimo (subset), whatever family the SVG names.
  SVGtoPDF(doc, svg, 0, 0, { width, height, assumePt: true, fontCallback: (_family, bold) => (bold ? "Arimo-Bold" : "Arimo") });
  doc.end();
  return done;
}
