/**
 * results/tools.csv: ease of use and run time of every tool under test, one row per tool.
 *
 *  - setup_steps, failed_steps, setup_minutes: from the YAML front matter of
 *    tools-under-test/<tool>/SETUP-LOG.md (every step of getting the tool to run here, failed
 *    attempts included, with the minutes each took);
 *  - cells_supported, cells_ok, cells_failed: from the tool's rows in predictions.csv;
 *  - wall_s_per_cell: median wall time of the tool per cell that produced a prediction (for a
 *    re-parsed cell, the recorded time of the live run; cells without one are left out);
 *  - input_lines_per_cell: median lines of input the adapter generated per cell, from the live
 *    runs recorded in results/raw/<tool>/wall_s.csv;
 *  - new_model_* / new_device_*: adding Llama-3.1-8B and the H200 to the tool as a user would
 *    (status measured / not-measured / cannot-express; files and lines changed, from the recorded
 *    `git diff --numstat`; whether profiling on the target is needed; minutes), from
 *    tools-under-test/<tool>/extensibility.yaml (pipeline/lib/extensibility.ts); empty without one.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { PredictionRow, ToolMetadata } from "./schema.ts";
import { readWalls } from "./runner.ts";
import { fmt } from "./io.ts";
import { EXTENSIBILITY_COLUMNS, extensibilityColumns, readExtensibility } from "./extensibility.ts";

export const TOOLS_COLUMNS = [
  "tool",
  "tool_version",
  "runners",
  "setup_steps",
  "failed_steps",
  "setup_minutes",
  "cells_supported",
  "cells_ok",
  "cells_failed",
  "wall_s_per_cell",
  "input_lines_per_cell",
  "setup_log",
  ...EXTENSIBILITY_COLUMNS,
] as const;

export const SetupStep = z
  .object({
    step: z.string().min(1),
    minutes: z.number().nonnegative(),
    outcome: z.enum(["ok", "failed", "workaround"]),
    failure: z.string().min(1).optional(),
    fix: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.outcome !== "ok" && !s.failure) ctx.addIssue({ code: "custom", path: ["failure"], message: `a step with outcome '${s.outcome}' must say what failed (field 'failure')` });
  });
export const SetupLog = z.object({ steps: z.array(SetupStep).min(1) }).strict();
export type SetupLog = z.infer<typeof SetupLog>;

/** Reads the front matter of a SETUP-LOG.md; undefined when the file does not exist. Throws with every problem. */
export function readSetupLog(path: string): SetupLog | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, "utf8");
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!m) throw new Error(`${path}: no YAML front matter (a block between '---' lines at the top with 'steps:')`);
  const r = SetupLog.safeParse(parseYaml(m[1]!));
  if (!r.success) throw new Error(`${path}: ` + r.error.issues.map((i) => `front matter field '${i.path.join(".")}': ${i.message}`).join("; "));
  return r.data;
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

export function toolsRows(root: string, tools: ToolMetadata[], predictions: PredictionRow[], rawDir = join(root, "results/raw")): Record<string, string>[] {
  return tools
    .map((meta) => {
      const rows = predictions.filter((p) => p.tool === meta.name);
      const supported = rows.filter((r) => r.status !== "not-run");
      const ok = rows.filter((r) => r.status === "ok");
      const timed = ok.filter((r) => !r.reason.includes("no recorded run time"));
      const logPath = join("tools-under-test", meta.name, "SETUP-LOG.md");
      const log = readSetupLog(join(root, logPath));
      const lines = [...readWalls(rawDir, meta.name).values()].flatMap((w) => (w.input_lines === undefined ? [] : [w.input_lines]));
      const runners = meta.runner.kind === "library" ? "library" : ["local", meta.runner.docker ? "docker" : undefined].filter(Boolean).join("+");
      return {
        tool: meta.name,
        tool_version: meta.version,
        runners,
        setup_steps: log ? String(log.steps.length) : "",
        failed_steps: log ? String(log.steps.filter((s) => s.outcome !== "ok").length) : "",
        setup_minutes: log ? fmt(log.steps.reduce((a, s) => a + s.minutes, 0)) : "",
        cells_supported: String(supported.length),
        cells_ok: String(ok.length),
        cells_failed: String(rows.filter((r) => r.status === "failed").length),
        wall_s_per_cell: fmt(median(timed.map((r) => r.wall_s))),
        input_lines_per_cell: fmt(median(lines)),
        setup_log: log ? logPath : "",
        ...extensibilityColumns(readExtensibility(join(root, "tools-under-test", meta.name))),
      };
    })
    .sort((a, b) => (a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : 0));
}
