/**
 * tools-under-test/<tool>/extensibility.yaml: what it took to add one new model (Llama-3.1-8B, GQA)
 * and one new device (H200) to a tool as its user would (issue 17 item 4), measured by doing it in a
 * scratch checkout of the tool outside this repository:
 *
 *   new_model:  { what, status, procedure, ... }
 *   new_device: { same fields }
 *
 * status:
 *   measured        done and checked by running the tool on it. The counts are never typed into the
 *                   YAML: `numstat` names a file under tools-under-test/<tool>/ holding the tool
 *                   checkout's `git diff --numstat` after the change (an empty file: nothing had to be
 *                   changed), and files/lines are read from it. `needs_profiling_on_target` is
 *                   required; minutes come from `started_utc` / `finished_utc` (ISO times taken with
 *                   `date -u` around the change and its check run) and are empty without them;
 *                   `check` names the recorded output of the check run.
 *   not-measured    not done here; `reason` says why. No counts.
 *   cannot-express  the tool has no input that can describe it without changing its code; `reason`
 *                   says where (file and line of the pinned commit). No counts.
 * The tool's pinned commit is its metadata.yaml commit. results/tools.csv carries the columns
 * (all empty when a tool has no file).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { fmt } from "./io.ts";

const Iso = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "an ISO UTC time like 2026-12-04T21:23:19Z (date -u +%Y-%m-%dT%H:%M:%SZ)");

export const ExtensionStep = z.discriminatedUnion("status", [
  z
    .object({
      status: z.literal("measured"),
      what: z.string().min(1),
      procedure: z.string().min(1),
      source: z.string().min(1),
      numstat: z.string().min(1),
      diff: z.string().min(1).optional(),
      check: z.string().min(1),
      needs_profiling_on_target: z.boolean(),
      started_utc: Iso.optional(),
      finished_utc: Iso.optional(),
      minutes_cover: z.string().min(1).optional(),
      notes: z.string().min(1).optional(),
    })
    .strict(),
  z.object({ status: z.literal("not-measured"), what: z.string().min(1), reason: z.string().min(1), needs_profiling_on_target: z.boolean().optional(), notes: z.string().min(1).optional() }).strict(),
  z.object({ status: z.literal("cannot-express"), what: z.string().min(1), reason: z.string().min(1), notes: z.string().min(1).optional() }).strict(),
]);
export type ExtensionStep = z.infer<typeof ExtensionStep>;
export const Extensibility = z.object({ new_model: ExtensionStep, new_device: ExtensionStep }).strict();
export type Extensibility = z.infer<typeof Extensibility>;

export const EXTENSIBILITY_FILE = "extensibility.yaml";
const PARTS = ["new_model", "new_device"] as const;
const FIELDS = ["status", "files", "lines", "needs_profiling", "minutes"] as const;
export const EXTENSIBILITY_COLUMNS = PARTS.flatMap((p) => FIELDS.map((f) => `${p}_${f}`)) as `${(typeof PARTS)[number]}_${(typeof FIELDS)[number]}`[];

/** `git diff --numstat` text: files changed and lines added + removed ("-" for binary files is an error). */
export function parseNumstat(text: string, where: string): { files: number; lines: number } {
  let files = 0;
  let lines = 0;
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const m = /^(\d+)\t(\d+)\t\S.*$/.exec(line);
    if (!m) throw new Error(`${where}:${i + 1}: not a 'git diff --numstat' line ('<added>\\t<removed>\\t<path>'): '${line}'`);
    files++;
    lines += Number(m[1]) + Number(m[2]);
  }
  return { files, lines };
}

export function minutesBetween(started: string, finished: string, where: string): number {
  const m = (Date.parse(finished) - Date.parse(started)) / 60000;
  if (!(m >= 0)) throw new Error(`${where}: finished_utc ${finished} is before started_utc ${started}`);
  return m;
}

export interface MeasuredStep {
  status: ExtensionStep["status"];
  files?: number;
  lines?: number;
  needs_profiling?: boolean;
  minutes?: number;
}

/** A tool's extensibility.yaml with the counts read from its numstat files; undefined without one. Throws naming the file and field. */
export function readExtensibility(toolDir: string): Record<(typeof PARTS)[number], MeasuredStep> | undefined {
  const path = join(toolDir, EXTENSIBILITY_FILE);
  if (!existsSync(path)) return undefined;
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const r = Extensibility.safeParse(doc);
  if (!r.success) throw new Error(`${path}: ` + r.error.issues.map((i) => `field '${i.path.join(".") || "(top level)"}': ${i.message}`).join("; "));
  const out = {} as Record<(typeof PARTS)[number], MeasuredStep>;
  for (const part of PARTS) {
    const s = r.data[part];
    if (s.status !== "measured") {
      out[part] = { status: s.status, needs_profiling: s.status === "not-measured" ? s.needs_profiling_on_target : undefined };
      continue;
    }
    for (const [field, rel] of [["numstat", s.numstat], ["check", s.check], ["diff", s.diff]] as const) {
      if (rel !== undefined && !existsSync(join(toolDir, rel))) throw new Error(`${path}: field '${part}.${field}': ${join(toolDir, rel)} does not exist (record the file or fix the path)`);
    }
    if ((s.started_utc === undefined) !== (s.finished_utc === undefined))
      throw new Error(`${path}: field '${part}': give both started_utc and finished_utc, or neither`);
    const counts = parseNumstat(readFileSync(join(toolDir, s.numstat), "utf8"), join(toolDir, s.numstat));
    out[part] = {
      status: "measured",
      ...counts,
      needs_profiling: s.needs_profiling_on_target,
      minutes: s.started_utc && s.finished_utc ? minutesBetween(s.started_utc, s.finished_utc, `${path}: field '${part}'`) : undefined,
    };
  }
  return out;
}

/** The results/tools.csv columns of one tool (all empty without a file). */
export function extensibilityColumns(e: Record<(typeof PARTS)[number], MeasuredStep> | undefined): Record<(typeof EXTENSIBILITY_COLUMNS)[number], string> {
  const row = {} as Record<(typeof EXTENSIBILITY_COLUMNS)[number], string>;
  for (const part of PARTS) {
    const s = e?.[part];
    row[`${part}_status`] = s?.status ?? "";
    row[`${part}_files`] = s?.files === undefined ? "" : String(s.files);
    row[`${part}_lines`] = s?.lines === undefined ? "" : String(s.lines);
    row[`${part}_needs_profiling`] = s?.needs_profiling === undefined ? "" : String(s.needs_profiling);
    row[`${part}_minutes`] = s?.minutes === undefined ? "" : fmt(Number(s.minutes.toFixed(2)));
  }
  return row;
}
