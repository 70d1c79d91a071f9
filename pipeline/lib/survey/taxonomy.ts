/** Loading of taxonomy/works/*.yaml, taxonomy/background.yaml and taxonomy/search-log.yaml through zod. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { Background, SearchLog, Work } from "./schema.ts";
import type { Problem } from "./problems.ts";

export interface Located<T> {
  file: string;
  value: T;
}

function readYaml(path: string, rel: string, problems: Problem[]): unknown {
  try {
    return parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    const msg = e instanceof YAMLParseError ? e.message.split("\n")[0] : e instanceof Error ? e.message : String(e);
    problems.push({ file: rel, key: "-", field: "yaml", message: `YAML parse error: ${msg}` });
    return undefined;
  }
}

function issuesToProblems(file: string, key: string, error: z.ZodError, problems: Problem[]): void {
  for (const issue of error.issues) {
    problems.push({ file, key, field: issue.path.length > 0 ? issue.path.join(".") : "-", message: issue.message });
  }
}

/** Validate a YAML list of records with `schema`; every invalid record yields problems naming file, key and field. */
function loadList<T>(path: string, rel: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>, problems: Problem[]): Located<T>[] {
  const data = readYaml(path, rel, problems);
  if (data === undefined) return [];
  if (data === null) return [];
  if (!Array.isArray(data)) {
    problems.push({ file: rel, key: "-", field: "-", message: "expected a YAML list of records (each starting with '- key: ...')" });
    return [];
  }
  const out: Located<T>[] = [];
  data.forEach((item: unknown, i: number) => {
    const key =
      typeof item === "object" && item !== null && typeof (item as { key?: unknown }).key === "string"
        ? String((item as { key: string }).key)
        : `#${i + 1} (no key)`;
    const r = schema.safeParse(item);
    if (r.success) out.push({ file: rel, value: r.data });
    else issuesToProblems(rel, key, r.error, problems);
  });
  return out;
}

export interface TaxonomyData {
  works: Located<z.infer<typeof Work>>[];
  background: Located<z.infer<typeof Background>>[];
  searchLog: Located<z.infer<typeof SearchLog>> | undefined;
  problems: Problem[];
}

/** Load the taxonomy directory `dir` (named `rel` in messages). */
export function loadTaxonomy(dir: string, rel = "taxonomy"): TaxonomyData {
  const problems: Problem[] = [];
  const works: Located<z.infer<typeof Work>>[] = [];
  const worksDir = join(dir, "works");
  if (existsSync(worksDir)) {
    for (const f of readdirSync(worksDir)
      .filter((x) => x.endsWith(".yaml") || x.endsWith(".yml"))
      .sort()) {
      works.push(...loadList(join(worksDir, f), `${rel}/works/${f}`, Work, problems));
    }
  } else {
    problems.push({ file: `${rel}/works`, key: "-", field: "-", message: "missing directory of taxonomy records (taxonomy/works/*.yaml)" });
  }
  const bgPath = join(dir, "background.yaml");
  const background = existsSync(bgPath) ? loadList(bgPath, `${rel}/background.yaml`, Background, problems) : [];

  let searchLog: Located<z.infer<typeof SearchLog>> | undefined;
  const logPath = join(dir, "search-log.yaml");
  if (existsSync(logPath)) {
    const data = readYaml(logPath, `${rel}/search-log.yaml`, problems);
    if (data !== undefined) {
      const r = SearchLog.safeParse(data);
      if (r.success) searchLog = { file: `${rel}/search-log.yaml`, value: r.data };
      else issuesToProblems(`${rel}/search-log.yaml`, "search-log", r.error, problems);
    }
  } else {
    problems.push({ file: `${rel}/search-log.yaml`, key: "-", field: "-", message: "missing systematic-review log" });
  }

  // Keys unique across all taxonomy files (a work is classified once, or listed as background once).
  const seen = new Map<string, string>();
  for (const { file, value } of [...works, ...background]) {
    const prev = seen.get(value.key);
    if (prev !== undefined) {
      problems.push({ file, key: value.key, field: "key", message: `duplicate key: already recorded in ${prev}; a work is either classified once or listed as background once` });
    } else seen.set(value.key, file);
  }
  return { works, background, searchLog, problems };
}
