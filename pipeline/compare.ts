#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * `make compare`: check the regenerated results/ against the committed reference outputs (git HEAD)
 * within the stated tolerances (pipeline/lib/compare.ts) and print a table of what matches.
 *   RERUN=vidur,zzz make compare    rows of those tools may differ within their live-rerun tolerance
 * Exit 1 when any value differs beyond its tolerance, or a file is new or gone.
 */
import { execa } from "execa";
import { readFileSync } from "node:fs";
import { compareCsvText, type FileComparison } from "./lib/compare.ts";

const live = new Set((process.env.RERUN ?? "").split(",").map((s) => s.trim()).filter(Boolean));
const { stdout: tracked } = await execa("git", ["ls-files", "--", "results/*.csv", "results/**/*.csv"]);
const { stdout: untracked } = await execa("git", ["ls-files", "--others", "--exclude-standard", "--", "results"]);
const rows: FileComparison[] = [];
for (const file of tracked.split("\n").filter((f) => f && !f.startsWith("results/raw/")).sort()) {
  let now: string;
  try {
    now = readFileSync(file, "utf8");
  } catch {
    rows.push({ file, rows_committed: 0, rows_now: 0, values: 0, exact: 0, within_tolerance: 0, differ: 1, tolerance: "exact", examples: ["no longer produced"] });
    continue;
  }
  const committed = (await execa("git", ["show", `HEAD:${file}`])).stdout + "\n";
  rows.push(compareCsvText(file, committed, now, live));
}
const extra = untracked.split("\n").filter(Boolean);
console.table(rows.map(({ examples: _e, ...r }) => r));
for (const r of rows) for (const e of r.examples) console.log(`  ${r.file}: ${e}`);
for (const f of extra) console.log(`  ${f}: new file, not in the committed results`);
const bad = rows.filter((r) => r.differ > 0).length + extra.length;
console.log(bad ? `compare: ${bad} file(s) differ from the reference outputs` : `compare: all ${rows.length} result files match the reference outputs${live.size ? ` (live: ${[...live].join(", ")})` : ""}`);
process.exit(bad ? 1 : 0);
