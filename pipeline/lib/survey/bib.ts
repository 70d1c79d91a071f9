/**
 * Bibliography loading and checks. BibTeX is parsed by citation-js (@citation-js/plugin-bibtex);
 * this module only adds the checks: parse errors located to file/key/field, keys unique across
 * every bib/*.bib file, titles unique, a doi or url on every entry, and no "et al." author lists.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { plugins } from "@citation-js/core";
import "@citation-js/plugin-bibtex";
import type { Problem } from "./problems.ts";

export interface BibEntry {
  /** Path of the .bib file, relative to the repository root. */
  file: string;
  key: string;
  type: string;
  /** Raw BibTeX fields as citation-js read them (lower-case names). */
  fields: Record<string, string>;
  /** Title as plain text (LaTeX braces and accents resolved by citation-js). */
  title: string;
  year: number | undefined;
  line: number;
}

interface RawEntry {
  type: string;
  label: string;
  properties: Record<string, string | number>;
}

interface CslItem {
  id: string;
  title?: string;
  issued?: { "date-parts"?: number[][] };
}

const ENTRY_HEADER = /@([A-Za-z]+)\s*[{(]\s*([^,\s]+)\s*,/g;

/** 1-based line of each entry header, by key (first occurrence). */
function headerLines(text: string): { key: string; offset: number; line: number }[] {
  const out: { key: string; offset: number; line: number }[] = [];
  for (const m of text.matchAll(ENTRY_HEADER)) {
    const type = (m[1] ?? "").toLowerCase();
    if (type === "comment" || type === "string" || type === "preamble") continue;
    const offset = m.index ?? 0;
    out.push({ key: m[2] ?? "", offset, line: text.slice(0, offset).split("\n").length });
  }
  return out;
}

function offsetOf(text: string, line: number, col: number): number {
  const lines = text.split("\n");
  let off = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) off += (lines[i] ?? "").length + 1;
  return off + Math.max(0, col - 1);
}

/**
 * Diagnostics only, after citation-js has rejected the text: which field of the entry is malformed.
 * Scans the entry's fields at brace depth 1 and returns the first one whose value leaves the braces
 * unbalanced, else the field in which the parser stopped.
 */
function locateField(entryText: string, relErrorOffset: number): string {
  const starts: { name: string; offset: number }[] = [];
  let depth = 0;
  let inQuote = false;
  for (let i = 0; i < entryText.length; i++) {
    const c = entryText[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === '"' && depth === 1) inQuote = !inQuote;
    if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (depth === 1 && !inQuote && /[A-Za-z]/.test(c ?? "") && /[\s,{]/.test(entryText[i - 1] ?? " ")) {
      const m = /^([A-Za-z][\w-]*)\s*=/.exec(entryText.slice(i));
      if (m) starts.push({ name: (m[1] ?? "").toLowerCase(), offset: i });
    }
  }
  for (let s = 0; s < starts.length; s++) {
    const cur = starts[s];
    const next = starts[s + 1];
    if (cur === undefined) continue;
    const seg = entryText.slice(cur.offset, next === undefined ? entryText.length : next.offset);
    let bal = 0;
    for (let i = 0; i < seg.length; i++) {
      if (seg[i] === "\\") {
        i++;
        continue;
      }
      if (seg[i] === "{") bal++;
      else if (seg[i] === "}") bal--;
    }
    // A middle field balances to 0; the last one also carries the entry's closing brace (-1).
    const expected = next === undefined ? -1 : 0;
    if (bal !== expected) return cur.name;
  }
  let name = "-";
  for (const s of starts) if (s.offset <= relErrorOffset) name = s.name;
  return name;
}

/** Parse one .bib text with citation-js. Never throws: a parse error becomes a Problem. */
export function parseBibText(text: string, file: string): { entries: BibEntry[]; problems: Problem[] } {
  let raw: RawEntry[];
  try {
    raw = plugins.input.data(text, "@bibtex/text") as RawEntry[];
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = /line (\d+) col (\d+)/.exec(msg);
    const headers = headerLines(text);
    let key = "-";
    let field = "-";
    if (pos) {
      const errOff = offsetOf(text, Number(pos[1]), Number(pos[2]));
      // The entry that contains the error: the last header before it. When the parser stopped on
      // the '@' of the next header (an unclosed brace), the broken entry is the one before.
      let idx = -1;
      for (let i = 0; i < headers.length; i++) if ((headers[i]?.offset ?? Infinity) <= errOff) idx = i;
      if (idx > 0 && headers[idx]?.offset === errOff) idx--;
      const h = headers[idx];
      if (h) {
        key = h.key;
        const end = headers[idx + 1]?.offset ?? text.length;
        field = locateField(text.slice(h.offset, end), errOff - h.offset);
      }
    }
    const first = msg.split("\n")[0] ?? msg;
    return {
      entries: [],
      problems: [{ file, key, field, message: `BibTeX parse error (citation-js): ${first}; fix the braces/commas of this field` }],
    };
  }
  const lines = new Map<string, number>();
  for (const h of headerLines(text)) if (!lines.has(h.key)) lines.set(h.key, h.line);

  // Plain-text titles and years through citation-js's CSL mapping (resolves LaTeX accents and braces).
  const csl = plugins.input.chain(raw, { forceType: "@bibtex/entries+list", generateGraph: false }) as CslItem[];
  const cslByIndex = csl;
  const entries: BibEntry[] = raw.map((r, i) => {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.properties)) fields[k.toLowerCase()] = String(v);
    const c = cslByIndex[i];
    const yearRaw = c?.issued?.["date-parts"]?.[0]?.[0] ?? Number(fields["year"]);
    return {
      file,
      key: r.label,
      type: r.type.toLowerCase(),
      fields,
      title: c?.title ?? fields["title"] ?? "",
      year: Number.isFinite(yearRaw) ? Number(yearRaw) : undefined,
      line: lines.get(r.label) ?? 0,
    };
  });
  return { entries, problems: [] };
}

/** Every *.bib file of `bibDir` (sorted), parsed. `relDir` is how the directory is named in messages. */
export function loadBibDir(bibDir: string, relDir = "bib"): { entries: BibEntry[]; problems: Problem[]; files: string[] } {
  if (!existsSync(bibDir)) return { entries: [], problems: [{ file: relDir, key: "-", field: "-", message: "no bib/ directory" }], files: [] };
  const files = readdirSync(bibDir)
    .filter((f) => f.endsWith(".bib"))
    .sort();
  const entries: BibEntry[] = [];
  const problems: Problem[] = [];
  for (const f of files) {
    const r = parseBibText(readFileSync(join(bibDir, f), "utf8"), `${relDir}/${f}`);
    entries.push(...r.entries);
    problems.push(...r.problems);
  }
  return { entries, problems, files: files.map((f) => `${relDir}/${f}`) };
}

export function normalizeTitle(t: string): string {
  return t
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

const DOI = /^10\.\d{4,9}\/\S+$/;

/** Checks across all entries of all bib files. */
export function checkBibEntries(entries: BibEntry[]): Problem[] {
  const problems: Problem[] = [];
  const byKey = new Map<string, BibEntry>();
  const byTitle = new Map<string, BibEntry>();
  for (const e of entries) {
    const prev = byKey.get(e.key);
    if (prev) {
      problems.push({
        file: e.file,
        key: e.key,
        field: "key",
        message: `duplicate key: already defined at ${prev.file}:${prev.line} (line ${e.line} here); keys must be unique across all bib/*.bib files`,
      });
    } else byKey.set(e.key, e);

    const nt = normalizeTitle(e.title);
    if (nt === "") problems.push({ file: e.file, key: e.key, field: "title", message: "missing title" });
    else {
      const pt = byTitle.get(nt);
      if (pt && pt.key !== e.key) {
        problems.push({ file: e.file, key: e.key, field: "title", message: `duplicate title: same title as '${pt.key}' (${pt.file}:${pt.line}); merge the two entries` });
      } else if (!pt) byTitle.set(nt, e);
    }

    const doi = e.fields["doi"];
    const url = e.fields["url"];
    if (doi === undefined && url === undefined) {
      problems.push({ file: e.file, key: e.key, field: "doi/url", message: "entry has neither doi nor url: add one checked against a public source" });
    }
    if (doi !== undefined && !DOI.test(doi.trim())) {
      problems.push({ file: e.file, key: e.key, field: "doi", message: `'${doi}' is not a DOI (expected 10.NNNN/...; no https://doi.org/ prefix)` });
    }
    if (url !== undefined && !/^https?:\/\/\S+$/.test(url.trim())) {
      problems.push({ file: e.file, key: e.key, field: "url", message: `'${url}' is not an http(s) URL` });
    }
    if (e.year === undefined) problems.push({ file: e.file, key: e.key, field: "year", message: "missing or non-numeric year" });
    const people = e.fields["author"] ?? e.fields["editor"];
    if (people === undefined) {
      if (e.type !== "misc" && e.type !== "manual" && e.type !== "online") {
        problems.push({ file: e.file, key: e.key, field: "author", message: "missing author list" });
      }
    } else if (/\bet\s*al\b|\band\s+others\b/i.test(people)) {
      problems.push({ file: e.file, key: e.key, field: "author", message: "author list is truncated ('et al.' / 'and others'): give the full list from a public source" });
    }
  }
  return problems;
}
