/**
 * Re-create data/ from mlcommons/inference_results_v4.1 at the pinned commit:
 *   - summary-excerpt.csv: every closed/open datacenter row of summary_results.json whose accelerator is
 *     an A100, H100, H200 or GH200 and whose benchmark is ResNet-50, BERT, GPT-J or Llama-2-70B
 *     (selected fields; import.ts decides what becomes a cell and says why the rest does not);
 *   - for NVIDIA's own closed rows: the performance run's mlperf_log_summary.txt and the systems/*.json;
 *   - config-attributes.csv: from NVIDIA's config files closed/NVIDIA/configs/<benchmark>/{,Offline/,Server/}__init__.py
 *     (Python code, not copied), the data import.ts needs, one row per upstream line with the line verbatim:
 *     the classes registered for an H100 SXM or H200 SXM system and their parent classes (class line and
 *     parent, @ConfigRegistry.register decorator, one-line assignments of CONFIG_ATTRIBUTES). See README.md.
 *   MLPERF_INF41_GIT=/path/to/inference_results_v4.1.git node_modules/.bin/tsx suite/ground-truth/published/mlperf-inf41/extract.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gitShow, requireGitDir, writeCsvExcerpt } from "../git-source.ts";

export const COMMIT = "4a0c87411066bd697db46fa44cf6f04fd458f627";
const here = path.dirname(fileURLToPath(import.meta.url));

/** NVIDIA's config folders read, and each one's files in the repository at COMMIT (base file first). */
export const BENCHMARKS = ["resnet50", "bert", "gptj", "llama2-70b"] as const;
export const configFiles = (benchmark: string) => ["__init__.py", "Offline/__init__.py", "Server/__init__.py"].map((f) => `closed/NVIDIA/configs/${benchmark}/${f}`);
/** Class attributes import.ts reads (resolved there through the class hierarchy). */
export const CONFIG_ATTRIBUTES = ["system", "precision", "use_fp8", "tensor_parallelism", "pipeline_parallelism"] as const;
export const CONFIG_COLUMNS = ["file", "commit", "line", "class", "attribute", "value", "text"] as const;
export type ConfigRow = Record<(typeof CONFIG_COLUMNS)[number], string>;

export type PyClass = {
  name: string;
  parent: string;
  /** Last one-line assignment of each attribute in the class body (value as written, e.g. `"fp16"`, `True`). */
  attrs: Map<string, string>;
  /** 1-based line of each attribute's assignment in `attrs`. */
  attrLines: Map<string, number>;
  register?: { harness: string; accuracy: string; power: string; line: number };
  file: string;
  line: number;
};

/** Top-level classes of one NVIDIA config file: decorator, parent, and the one-line attributes of the body. */
export function parsePyConfig(text: string, file: string): PyClass[] {
  const out: PyClass[] = [];
  let pending: PyClass["register"];
  let cur: PyClass | undefined;
  text.split("\n").forEach((line, i) => {
    const reg = /^@ConfigRegistry\.register\(HarnessType\.(\w+),\s*AccuracyTarget\.(\w+),\s*PowerSetting\.(\w+)\)/.exec(line);
    if (reg) {
      pending = { harness: reg[1]!, accuracy: reg[2]!, power: reg[3]!, line: i + 1 };
      return;
    }
    const cls = /^class (\w+)\((\w+)\):/.exec(line);
    if (cls) {
      cur = { name: cls[1]!, parent: cls[2]!, attrs: new Map(), attrLines: new Map(), register: pending, file, line: i + 1 };
      out.push(cur);
      pending = undefined;
      return;
    }
    if (/^\S/.test(line)) cur = undefined;
    const attr = /^ {4}(\w+) = (.+?)\s*$/.exec(line);
    if (attr && cur) {
      cur.attrs.set(attr[1]!, attr[2]!);
      cur.attrLines.set(attr[1]!, i + 1);
    }
  });
  return out;
}

/**
 * The KnownSystem values kept: the H100 SXM and H200 SXM systems (import.ts resolves the configs of
 * DGX-H100 x8, H200 x1/x8 and H200-CTS x1/x8). Classes registered for other systems can never be
 * selected by import.ts and are left out.
 */
export const KEEP_SYSTEM = /^KnownSystem\.(H100_SXM_80GB|H200_SXM_141GB)/;

/**
 * The rows of config-attributes.csv for one benchmark's config files (the benchmark's __init__.py, then
 * its Offline/ and Server/ files): every class registered in a scenario file whose `system` (resolved
 * through its parents, as import.ts does) matches `keepSystem`, and the parents of such classes. Per
 * class, in line order: its decorator (attribute `@register`, value `<harness>,<accuracy>,<power>`), the
 * class line (attribute `class`, value = parent class) and its assignments of `attributes`; `text` is the
 * upstream line verbatim.
 */
export function configRows(texts: { file: string; text: string }[], commit: string, attributes: readonly string[], keepSystem: RegExp): ConfigRow[] {
  const parsed = texts.map((t) => ({ ...t, lines: t.text.split("\n"), classes: parsePyConfig(t.text, t.file) }));
  const keep = new Set<PyClass>();
  for (const sc of parsed.slice(1)) {
    // the same lookup as import.ts: classes by name, the benchmark's base file first, the scenario file after
    const byName = new Map<string, PyClass>();
    for (const c of [...parsed[0]!.classes, ...sc.classes]) byName.set(c.name, c);
    const chain = (c: PyClass) => {
      const out: PyClass[] = [];
      for (let x: PyClass | undefined = c; x && !out.includes(x); x = byName.get(x.parent)) out.push(x);
      return out;
    };
    for (const c of sc.classes) {
      if (!c.register) continue;
      const system = chain(c).find((x) => x.attrs.has("system"))?.attrs.get("system");
      if (system !== undefined && keepSystem.test(system)) for (const x of chain(c)) keep.add(x);
    }
  }
  const out: ConfigRow[] = [];
  for (const f of parsed) {
    const rows: ConfigRow[] = [];
    const row = (line: number, cls: string, attribute: string, value: string): ConfigRow => ({ file: f.file, commit, line: String(line), class: cls, attribute, value, text: f.lines[line - 1]! });
    for (const c of f.classes) {
      if (!keep.has(c)) continue;
      if (c.register) rows.push(row(c.register.line, c.name, "@register", `${c.register.harness},${c.register.accuracy},${c.register.power}`));
      rows.push(row(c.line, c.name, "class", c.parent));
      for (const a of attributes) {
        const v = c.attrs.get(a);
        if (v !== undefined) rows.push(row(c.attrLines.get(a)!, c.name, a, v));
      }
    }
    out.push(...rows.sort((a, b) => Number(a.line) - Number(b.line)));
  }
  return out;
}

/** All rows of config-attributes.csv, read from a git directory of the repository. */
export function configAttributeRows(git: string): ConfigRow[] {
  return BENCHMARKS.flatMap((b) =>
    configRows(
      configFiles(b).map((file) => ({ file, text: gitShow(git, COMMIT, file) })),
      COMMIT,
      CONFIG_ATTRIBUTES,
      KEEP_SYSTEM,
    ),
  );
}

function main(): void {
  const git = requireGitDir("MLPERF_INF41_GIT", "/work/.mirror/mlcommons+inference_results_v4.1/repo");
  const FIELDS = ["ID", "Submitter", "Category", "Suite", "System", "Platform", "Model", "Scenario", "Nodes", "Accelerator", "a#", "Software", "weight_data_types", "Location", "Performance_Result", "Performance_Units"];
  const summary = JSON.parse(gitShow(git, COMMIT, "summary_results.json")) as Record<string, unknown>[];
  const keep = summary.filter(
    (r) => /A100|H100|H200|GH200/.test(String(r.Accelerator)) && /^(resnet|bert-|gptj-|llama2-70b-)/.test(String(r.Model)) && ["Offline", "Server"].includes(String(r.Scenario)),
  );
  const rows = keep
    .map((r) => Object.fromEntries(FIELDS.map((f) => [f, String(r[f] ?? "")])))
    .sort((a, b) => (a.Location! < b.Location! ? -1 : a.Location! > b.Location! ? 1 : 0));
  writeCsvExcerpt(path.join(here, "data", "summary-excerpt.csv"), FIELDS, rows);
  console.log(`summary_results.json: ${rows.length} of ${summary.length} rows`);

  const write = (rel: string, text: string) => {
    const out = path.join(here, "data", rel);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, text);
  };
  const nvidia = rows.filter((r) => r.Submitter === "NVIDIA" && r.Category === "closed");
  const platforms = new Set<string>();
  for (const r of nvidia) {
    const log = `${r.Location}/performance/run_1/mlperf_log_summary.txt`;
    write(log, gitShow(git, COMMIT, log));
    platforms.add(r.Platform!);
  }
  for (const p of platforms) write(`closed/NVIDIA/systems/${p}.json`, gitShow(git, COMMIT, `closed/NVIDIA/systems/${p}.json`));
  const cfg = configAttributeRows(git);
  writeCsvExcerpt(path.join(here, "data", "config-attributes.csv"), [...CONFIG_COLUMNS], cfg);
  console.log(`NVIDIA closed rows: ${nvidia.length}; platforms: ${[...platforms].sort().join(", ")}; config-attributes.csv: ${cfg.length} rows from ${BENCHMARKS.length * 3} files`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
