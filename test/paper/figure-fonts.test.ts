import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { IEEE_COLUMN_PT, placedFigureFonts, placedWidth, svgMinFontSize, svgWidth } from "../../pipeline/lib/render/figure-fonts.ts";
import { collectTex } from "../../pipeline/lib/render/paper-check.ts";

const svg = (w: number, sizes: number[]) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="100" viewBox="0 0 ${w} 100">${sizes.map((s) => `<text font-size="${s}px">a</text>`).join("")}</svg>`;

describe("figure font sizes at print size", () => {
  it("reads the smallest font and the width of an SVG", () => {
    expect(svgMinFontSize(svg(200, [8, 7, 9]))).toBe(7);
    expect(svgMinFontSize('<svg><text style="font-size: 6.5px">x</text></svg>')).toBe(6.5);
    expect(svgMinFontSize("<svg></svg>")).toBeUndefined();
    expect(svgWidth(svg(538, [7]))).toBe(538);
  });
  it("converts placement options to a width in points", () => {
    expect(placedWidth("width=\\columnwidth", 400)).toBe(IEEE_COLUMN_PT);
    expect(placedWidth("width=0.5\\columnwidth", 400)).toBe(IEEE_COLUMN_PT / 2);
    expect(placedWidth(undefined, 230)).toBe(230);
    expect(placedWidth("scale=0.5", 230)).toBe(115);
    expect(placedWidth("width=1in", 230)).toBeCloseTo(72.27);
  });
  it("scales a wide SVG squeezed into one column below 7 pt, and keeps a natural-size one", () => {
    const dir = mkdtempSync(join(tmpdir(), "fonts-"));
    mkdirSync(join(dir, "paper"));
    mkdirSync(join(dir, "figures/out"), { recursive: true });
    writeFileSync(join(dir, "figures/out/wide.svg"), svg(538, [7]));
    writeFileSync(join(dir, "figures/out/fits.svg"), svg(240, [7, 8]));
    writeFileSync(
      join(dir, "paper/main.tex"),
      "\\includegraphics[width=\\columnwidth]{../figures/out/wide.pdf}\n\\includegraphics{../figures/out/fits.pdf}\n",
    );
    const { files } = collectTex(join(dir, "paper"));
    const r = placedFigureFonts(join(dir, "paper"), files);
    expect(r.map((x) => x.graphic)).toEqual(["../figures/out/wide.pdf", "../figures/out/fits.pdf"]);
    expect(r[0]!.minFontPrintPt).toBeCloseTo((7 * 252) / 538);
    expect(r[1]!.minFontPrintPt).toBe(7);
  });
  it("check-paper fails on a figure placed below 7 pt", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fonts-cli-"));
    mkdirSync(join(dir, "paper/generated"), { recursive: true });
    mkdirSync(join(dir, "figures/out"), { recursive: true });
    writeFileSync(join(dir, "figures/out/wide.svg"), svg(538, [7]));
    writeFileSync(join(dir, "figures/out/wide.pdf"), "%PDF-1.4\n");
    writeFileSync(join(dir, "paper/main.tex"), "\\begin{figure}\\includegraphics[width=\\columnwidth]{../figures/out/wide.pdf}\\caption{x}\\label{fig:w}\\end{figure}\nSee \\cref{fig:w}.\n");
    const r = await execa("node_modules/.bin/tsx", ["pipeline/check-paper.ts", "--repo", dir], { reject: false, all: true });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/smallest font 3\.28 pt at print size/);
    writeFileSync(join(dir, "figures/out/wide.svg"), svg(252, [7]));
    const ok = await execa("node_modules/.bin/tsx", ["pipeline/check-paper.ts", "--repo", dir], { reject: false, all: true });
    expect(ok.all).not.toMatch(/smallest font .* below/);
    expect(ok.all).toMatch(/smallest figure font at print size\s+7\.00 pt/);
  });
  it("check-paper flags \\tiny", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tiny-"));
    mkdirSync(join(dir, "paper"), { recursive: true });
    writeFileSync(join(dir, "paper/main.tex"), "{\\tiny small table}\n");
    const r = await execa("node_modules/.bin/tsx", ["pipeline/check-paper.ts", "--repo", dir], { reject: false, all: true });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/main\.tex:1: \\tiny/);
  });
});
