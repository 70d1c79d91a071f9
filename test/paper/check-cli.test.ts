import { describe, expect, it } from "vitest";
import { execSync } from "node:child_process";
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

const repo = join(import.meta.dirname, "../..");
const tsx = join(repo, "node_modules/.bin/tsx");
const script = join(repo, "pipeline/check-paper.ts");

function paper(section: string): string {
  const root = mkdtempSync(join(tmpdir(), "check-paper-"));
  mkdirSync(join(root, "paper/sections"), { recursive: true });
  mkdirSync(join(root, "paper/generated"), { recursive: true });
  writeFileSync(join(root, "paper/main.tex"), "\\documentclass{article}\n\\input{generated/numbers}\n\\begin{document}\n\\input{sections/a}\n\\end{document}\n");
  writeFileSync(join(root, "paper/generated/numbers.tex"), "\\newcommand{\\zzzMapeAll}{12.0\\,\\%\\xspace}\n\\newcommand{\\numClaims}{\\numNA\\xspace}\n");
  writeFileSync(join(root, "paper/sections/a.tex"), section);
  mkdirSync(join(root, "figures/out"), { recursive: true });
  writeFileSync(join(root, "figures/out/x.pdf"), "%PDF-1.3\n");
  return root;
}

describe("make check-paper", () => {
  it("prints the metrics and passes a paper whose numbers are macros, with a notice that the PDF is missing", async () => {
    const root = paper("See \\cref{fig:x}: \\zzzMapeAll error, \\numClaims claims.\n\\begin{figure}\\includegraphics{../figures/out/x.pdf}\\caption{c}\\label{fig:x}\\end{figure}\n");
    const r = await execa(tsx, [script, "--repo", root], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pages\s+n\/a \(no PDF\)/);
    expect(r.stdout).toMatch(/figures \(generated from data\)\s+1 \(1\)/);
    expect(r.stdout).toMatch(/number macros quoted in the text\s+2 \(1 print n\/a/);
    expect(r.stdout).toContain("paper/main.pdf is not built yet");
  });
  it("fails on a hand-typed number, a figure never referenced and a missing graphics file", async () => {
    const root = paper("ZZZ is 3.5$\\times$ faster at 12\\% error.\n\\begin{figure}\\includegraphics{../figures/out/gone.pdf}\\caption{c}\\label{fig:y}\\end{figure}\n");
    const r = await execa(tsx, [script, "--repo", root], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("paper/sections/a.tex:1: hand-typed number '3.5$\\times$'");
    expect(r.stderr).toContain("paper/sections/a.tex:1: hand-typed number '12\\%'");
    expect(r.stderr).toContain("figure 'fig:y' is never referenced");
    expect(r.stderr).toContain("\\includegraphics{../figures/out/gone.pdf}: file missing");
  });
});

describe("make check-paper: pages before references and quoted claims", () => {
  const SP = 65536;
  // \refsstart{page}{x}{y}{texttop}{textheight}{paperwidth} in sp, as main.tex's \markrefsstart writes it.
  const aux = (page: number, xPt: number, yPt: number) =>
    `\\relax\n\\refsstart{${page}}{${xPt * SP}}{${yPt * SP}}{${740 * SP}}{${680 * SP}}{${600 * SP}}\n`;
  const ok = "See \\cref{fig:x}.\n\\begin{figure}\\includegraphics{../figures/out/x.pdf}\\caption{c}\\label{fig:x}\\end{figure}\n";
  it("reports the pages and fails outside 10.5-11 only with --strict", async () => {
    const root = paper(ok);
    writeFileSync(join(root, "paper/main.aux"), aux(10, 100, 400)); // 9.25 pages
    const lax = await execa(tsx, [script, "--repo", root], { reject: false });
    expect(lax.exitCode, lax.stderr).toBe(0);
    expect(lax.stdout).toMatch(/pages before references\s+9\.25 \(references start on page 10, left column, 50% down; limit 10\.5-11, enforced with --strict\)/);
    const strict = await execa(tsx, [script, "--repo", root, "--strict"], { reject: false });
    expect(strict.exitCode).toBe(1);
    expect(strict.stderr).toContain("--strict: 9.25 pages before references, outside 10.5-11 (add text)");
    writeFileSync(join(root, "paper/main.aux"), aux(11, 400, 400)); // 10.75 pages
    const fits = await execa(tsx, [script, "--repo", root, "--strict"], { reject: false });
    expect(fits.exitCode, fits.stderr).toBe(0);
  });
  it("fails on a \\claimErr whose claim is not in the generated claims", async () => {
    const root = paper(`${ok}AMALI reports \\claimErr[2]{cao2025amali}.\n`);
    writeFileSync(join(root, "paper/generated/claims.tex"), "\\@namedef{claimerr@cao2025amali@1}{23.59\\%}\n");
    const r = await execa(tsx, [script, "--repo", root], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("\\claimErr[2]{cao2025amali} has no claim in results/claimed-accuracy.csv");
  });
});

describe("make paper", () => {
  it("without latexmk on PATH, prints the exact apt-get command and exits non-zero", async () => {
    // A PATH holding only node and sh: no latexmk, no pdflatex.
    const bin = mkdtempSync(join(tmpdir(), "nolatex-"));
    symlinkSync(process.execPath, join(bin, "node"));
    symlinkSync(execSync("command -v sh", { encoding: "utf8" }).trim(), join(bin, "sh"));
    const r = await execa(process.execPath, [join(repo, "node_modules/tsx/dist/cli.mjs"), join(repo, "pipeline/paper.ts")], {
      reject: false,
      env: { PATH: bin },
      extendEnv: false,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("apt-get install -y latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-publishers texlive-fonts-recommended");
  });
});
