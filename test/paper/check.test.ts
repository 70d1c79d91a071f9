import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { citedKeys, collectTex, findHandTypedNumbers, floats, pageCount, referencedLabels, stripComments } from "../../pipeline/lib/render/paper-check.ts";

const hits = (s: string) => findHandTypedNumbers("x.tex", s).map((h) => h.match.trim());

describe("hand-typed number detector", () => {
  it.each([
    ["an error of 12\\% on GEMMs", "12\\%"],
    ["an error of 12 % on GEMMs", "12 %"],
    ["up to 3.5$\\times$ faster", "3.5$\\times$"],
    ["up to 10x faster", "10x"],
    ["10\\,\\times", "10\\,\\times"],
    ["each step takes 5 ms here", "5 ms"],
    ["it takes 12~ms", "12~ms"],
    ["within 2 s per cell", "2 s"],
    ["a bandwidth of 3.35 TB/s.", "3.35 TB/s"],
    ["a peak of 989.4\\,TFLOP/s", "989.4\\,TFLOP/s"],
    ["links of 450 GB/s", "450 GB/s"],
    ["1,000 tokens/s", "1,000 tokens/s"],
  ])("flags %s", (text, match) => {
    expect(hits(text)).toEqual([match]);
  });
  it.each([
    "Section 3 shows the results",
    "on 8 H100 GPUs",
    "H100s and A100s",
    "the error is \\zzzMapeAll{} on average",
    "as shown in \\cref{fig:10x} and \\cite{won2023astrasim2}",
    "published in 2023 by",
    "Llama-2 7B and GPT-3 175B",
    "3 steps later",
    "\\input{sections/5ms}",
    "FP8 and BF16 peaks",
  ])("does not flag %s", (text) => {
    expect(hits(text)).toEqual([]);
  });
  it("ignores numbers in comments but not after an escaped percent sign", () => {
    expect(stripComments("text % 5 ms in a comment")).toBe("text ");
    expect(hits(stripComments("rate of 5\\% and % 7 ms"))).toEqual(["5\\%"]);
  });
  it("reports file and line", () => {
    expect(findHandTypedNumbers("a.tex", "one\ntwo 5 ms\n")).toEqual([{ file: "a.tex", line: 2, match: "5 ms" }]);
  });
});

describe("paper structure", () => {
  const dir = mkdtempSync(join(tmpdir(), "paper-"));
  mkdirSync(join(dir, "sections"));
  writeFileSync(join(dir, "main.tex"), "\\input{sections/a}\n\\input{sections/missing}\n% \\input{sections/commented}\n");
  writeFileSync(
    join(dir, "sections/a.tex"),
    [
      "See \\cref{fig:one,tab:t} and \\cite{k1, k2}\\cite[p.~3]{k3}.",
      "\\begin{figure}[t]\\includegraphics{../figures/out/one.pdf}\\caption{c}\\label{fig:one}\\end{figure}",
      "\\begin{figure*}[t]\\caption{d}\\label{fig:two}\\end{figure*}",
      "\\begin{table}[t]\\caption{t}\\label{tab:t}\\end{table}",
    ].join("\n"),
  );
  const { files, missing } = collectTex(dir);
  it("follows \\input, skips commented ones, and reports missing files", () => {
    expect(files.map((f) => f.file)).toEqual(["main.tex", "sections/a.tex"]);
    expect(missing).toEqual(["sections/missing.tex"]);
  });
  it("counts figures and tables and finds the unreferenced one", () => {
    const fl = floats(files);
    expect(fl.filter((f) => f.kind === "figure").length).toBe(2);
    expect(fl.filter((f) => f.kind === "table").length).toBe(1);
    expect(fl.find((f) => f.label === "fig:one")?.generated).toBe(true);
    const refs = referencedLabels(files);
    expect(fl.filter((f) => f.label && !refs.has(f.label)).map((f) => f.label)).toEqual(["fig:two"]);
  });
  it("collects cited keys", () => {
    expect(citedKeys(files)).toEqual(["k1", "k2", "k3"]);
  });
  it("reads the page count from pdfinfo or from the LaTeX log", () => {
    expect(pageCount("Title: x\nPages:          12\n", undefined)).toBe(12);
    expect(pageCount(undefined, "Output written on main.pdf (7 pages, 1234 bytes).")).toBe(7);
    expect(pageCount(undefined, undefined)).toBeUndefined();
  });
});
