#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * Fails if the regenerated results/ differ from the committed ones (CI's reproducibility check).
 * Only provenance columns (PROVENANCE_COLUMNS, e.g. wall_s) are ignored. New, changed or deleted
 * files under results/ are listed with the first differing rows.
 */
import { execa } from "execa";
import { readFileSync } from "node:fs";
import { normalizeCsv } from "./lib/io.ts";

const { stdout } = await execa("git", ["status", "--porcelain", "--untracked-files=all", "--", "results"]);
const problems: string[] = [];
for (const line of stdout.split("\n").filter(Boolean)) {
  const code = line.slice(0, 2);
  const path = line.slice(3);
  if (code.includes("?")) {
    problems.push(`${path}: new file, not in the committed results`);
    continue;
  }
  if (code.includes("D")) {
    problems.push(`${path}: committed but no longer produced`);
    continue;
  }
  const before = (await execa("git", ["show", `HEAD:${path}`])).stdout;
  const after = readFileSync(path, "utf8");
  if (!path.endsWith(".csv")) {
    if (before.trim() !== after.trim()) problems.push(`${path}: content differs`);
    continue;
  }
  const a = normalizeCsv(before);
  const b = normalizeCsv(after);
  const diffs: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && diffs.length < 5; i++)
    if (a[i] !== b[i]) diffs.push(`    row ${i + 1}: committed ${a[i] ?? "(none)"}\n             now       ${b[i] ?? "(none)"}`);
  if (diffs.length) problems.push(`${path}: differs beyond provenance columns\n${diffs.join("\n")}`);
}
if (problems.length) {
  console.error(`compare-results: regenerated results differ from the committed ones:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
console.log("compare-results: results/ regenerated identically (provenance columns ignored)");
