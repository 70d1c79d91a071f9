/**
 * results/report.html in a real headless Chromium (Debian's chromium driven by playwright-core):
 * the page loads with no console errors, every view renders marks, a filter changes the plotted
 * points, and a screenshot is written to .work/test-output/report.png.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { writeReport } from "../../pipeline/report.ts";
import { headToHead, type AccRow, type PredRow } from "../../pipeline/lib/report/views.ts";

const ROOT = path.join(import.meta.dirname, "../..");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const SHOT = path.join(ROOT, ".work/test-output/report.png");

describe("head-to-head cells", () => {
  const acc = (tool: string, level: string, m: number, p: number): AccRow => ({ tool, cell_id: `${tool}.${level}.${m}`, level, hardware: "h", engine: "e", metric: "latency", tier: "measured", measured: m, predicted: p, abs_pct_error: (Math.abs(p - m) / m) * 100, signed_pct_error: ((p - m) / m) * 100 });
  it("gives MAPE, bias and n where a tool predicted, and 'not run' with the reason where it did not", () => {
    const a = [acc("x", "operator", 1, 1.2), acc("x", "operator", 2, 1.6)];
    const preds: PredRow[] = [
      { tool: "x", cell_id: "x.operator.1", level: "operator", status: "ok", reason: "" },
      { tool: "x", cell_id: "x.operator.2", level: "operator", status: "ok", reason: "" },
      { tool: "y", cell_id: "x.operator.1", level: "operator", status: "not-run", reason: "no conv support" },
      { tool: "y", cell_id: "x.operator.2", level: "operator", status: "not-run", reason: "no conv support" },
      { tool: "y", cell_id: "z.model.9", level: "model", status: "not-run", reason: "no ground truth here" },
    ];
    const h = headToHead(a, preds);
    expect(h).toEqual([
      { tool: "x", level: "operator", n: 2, mape: 20, bias: 0, label: "20.0% (n 2)", state: "predicted" },
      { tool: "y", level: "operator", n: 0, mape: null, bias: null, label: "not run (2)", state: "cannot express / not run", reason: "no conv support" },
    ]);
  });
});

describe.skipIf(!haveChromium && !process.env.CI)("report.html in headless Chromium", () => {
  let browser: Browser;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "report-test-"));
    file = path.join(dir, "report.html");
    writeReport(ROOT, file);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is self-contained: no external script, style or fetch", () => {
    const html = readFileSync(file, "utf8");
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).not.toMatch(/"url":\s*"http/);
  });

  it("renders every view without console errors, and the tool filter changes the plotted points", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => !r.url().startsWith("file:") && requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector("body[data-ready=yes]", { timeout: 30_000 });
    const ids = await page.$$eval("section", (ss) => ss.map((s) => s.id));
    expect(ids).toEqual(["head-to-head", "predicted-vs-measured", "accuracy-vs-runtime", "measured-vs-claimed", "coverage", "ease-of-use", "taxonomy"]);
    for (const id of ids) {
      const marks = await page.$$eval(`#view-${id} svg g[class*="mark-"] > path, #view-${id} svg g[class*="mark-"] > text`, (e) => e.length);
      expect(marks, id).toBeGreaterThan(0);
      expect(await page.$eval(`#${id} .src`, (e) => e.textContent), id).toMatch(/results\//);
    }
    const points = () => page.$$eval("#view-predicted-vs-measured svg g.mark-symbol path", (e) => e.length);
    const all = await points();
    const toolSelect = page.locator("#view-predicted-vs-measured .vega-bindings select").nth(3);
    const opts = await toolSelect.locator("option").allTextContents();
    expect(opts[0]).toBe("all");
    await toolSelect.selectOption(opts[1]!);
    await page.waitForFunction((n) => document.querySelectorAll("#view-predicted-vs-measured svg g.mark-symbol path").length !== n, all);
    const one = await points();
    expect(one).toBeGreaterThan(0);
    expect(one).toBeLessThan(all);
    mkdirSync(path.dirname(SHOT), { recursive: true });
    await toolSelect.selectOption("all");
    await page.screenshot({ path: SHOT, fullPage: true });
    console.log(`report screenshot: ${path.relative(ROOT, SHOT)} (${all} points, ${one} with tool=${opts[1]})`);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 90_000);
});
