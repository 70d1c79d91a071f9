#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * make paper: build paper/main.pdf with latexmk (pdflatex + bibtex, IEEEtran).
 *
 * Runs `make figures`' renderer first when its outputs are missing, so a fresh clone builds with
 * `make paper` alone. TeX Live comes from the distribution's packages; when latexmk is missing this
 * prints the exact install command and exits non-zero.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { buildAll } from "./lib/render/build.ts";

export const TEXLIVE_APT =
  "apt-get install -y latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-publishers texlive-fonts-recommended";

const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));
const paperDir = join(repo, "paper");

async function has(cmd: string): Promise<boolean> {
  const r = await execa("sh", ["-c", `command -v ${cmd}`], { reject: false });
  return r.exitCode === 0;
}

if (!(await has("latexmk")) || !(await has("pdflatex"))) {
  console.error("make paper: latexmk/pdflatex not found. Install TeX Live from the distribution's packages (Debian/Ubuntu):");
  console.error(`  sudo ${TEXLIVE_APT}`);
  process.exit(2);
}

const specs = readdirSync(join(repo, "figures")).filter((f) => f.endsWith(".vl.json"));
const missing =
  !existsSync(join(paperDir, "generated/numbers.tex")) ||
  specs.some((s) => !existsSync(join(repo, "figures/out", s.replace(/\.vl\.json$/, ".pdf"))));
if (missing || process.argv.includes("--figures")) {
  console.log("make paper: rendering figures, tables and numbers first (make figures)");
  const res = await buildAll({ dataRoot: repo, outRoot: repo, specDir: join(repo, "figures"), templatesDir: join(repo, "paper/templates") });
  if (res.problems.length) console.warn(`make paper: ${res.problems.length} input problem(s); run make figures to see them`);
}

const t0 = performance.now();
const r = await execa(
  "latexmk",
  ["-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-bibtex", "main.tex"],
  { cwd: paperDir, reject: false, all: true, env: { max_print_line: "1000" } },
);
const secs = ((performance.now() - t0) / 1000).toFixed(1);
if (r.exitCode !== 0) {
  const lines = (r.all ?? "").split("\n");
  const errs = lines.filter((l) => /^(!|.*:\d+: )|Error|error:/.test(l)).slice(0, 30);
  console.error(`make paper: latexmk failed (exit ${r.exitCode}) after ${secs} s:`);
  console.error(errs.length ? errs.join("\n") : lines.slice(-40).join("\n"));
  console.error("full log: paper/main.log");
  process.exit(1);
}
// Warnings of the final pass only (main.log), not of the intermediate runs latexmk makes.
const finalLog = readFileSync(join(paperDir, "main.log"), "latin1").split("\n");
const uniq = [...new Set(finalLog.filter((l) => /LaTeX Warning|Package \S+ Warning|Citation .* undefined|Reference .* undefined|Overfull/.test(l)))];
if (uniq.length) {
  console.warn(`make paper: ${uniq.length} distinct warning(s) in paper/main.log:`);
  for (const w of uniq.slice(0, 25)) console.warn(`  ${w}`);
}
console.log(`make paper: paper/main.pdf built in ${secs} s (run make check-paper for its metrics)`);
