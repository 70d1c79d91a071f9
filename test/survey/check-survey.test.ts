import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { execa } from "execa";
import { parse } from "csv-parse/sync";
import { runSurveyCheck } from "../../pipeline/lib/survey/check.ts";
import { surveyMain } from "../../pipeline/lib/survey/main.ts";
import { formatProblem } from "../../pipeline/lib/survey/problems.ts";
import { BIB, PAPER, WORKS, makeFixture, type Fixture } from "./fixture.ts";

let fx: Fixture | undefined;
afterEach(() => {
  fx?.cleanup();
  fx = undefined;
});

/** Run the command function on a fixture; return its exit code and everything it printed. */
function run(f: Fixture): { code: number; text: string } {
  const lines: string[] = [];
  const code = surveyMain(f.root, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  return { code, text: lines.join("\n") };
}

function csv(f: Fixture, rel: string): Record<string, string>[] {
  return parse(readFileSync(join(f.root, rel), "utf8"), { columns: true }) as Record<string, string>[];
}

describe("check-survey on a valid tree", () => {
  it("passes and writes works, matrices, gaps, claimed accuracy and PRISMA", () => {
    fx = makeFixture();
    const r = runSurveyCheck(fx.root, { write: true });
    expect(r.problems.map(formatProblem)).toEqual([]);
    expect(r.summary.cites).toBe(3);
    expect(r.summary.withDoi).toBe(1);
    expect(r.summary.urlOnly).toBe(2);

    const works = csv(fx, "results/taxonomy/works.csv");
    expect(works.map((w) => w.key)).toEqual(["alpha2020tool", "beta2023sim"]);
    expect(works[0]).toMatchObject({ year: "2020", title: "Alpha: An Analytical Model of DNN Accelerators", claimed_error: "5%" });
    expect(works[1]?.methodology).toBe("event-driven simulation;hybrid (analytical + profiling)");

    const mh = csv(fx, "results/taxonomy/methodology-x-hardware.csv");
    expect(mh).toHaveLength(6 * 6); // zero-count cells included
    expect(mh.find((c) => c.row === "analytical" && c.col === "DNN accelerator (dataflow)")).toMatchObject({ count: "1", keys: "alpha2020tool" });
    expect(mh.find((c) => c.row === "analytical" && c.col === "GPU")).toMatchObject({ count: "0", keys: "" });

    const years = csv(fx, "results/taxonomy/year-x-methodology.csv");
    expect(new Set(years.map((c) => c.row))).toEqual(new Set(["2020", "2021", "2022", "2023"]));

    const gaps = csv(fx, "results/taxonomy/gaps.csv");
    expect(gaps).toContainEqual({ matrix: "methodology-x-hardware", row: "analytical", col: "GPU" });
    expect(gaps.some((g) => g.matrix === "year-x-methodology")).toBe(false);

    const acc = csv(fx, "results/claimed-accuracy.csv");
    expect(acc).toEqual([
      { tool: "Alpha", bib: "alpha2020tool", claimed_error: "5%", metric: "average error of cycles", validated_on: "CNN layers on an RTL model", place: "abstract", verified: "yes (paper abstract; read in this review)" },
      expect.objectContaining({ tool: "Beta", bib: "beta2023sim", claimed_error: "", verified: expect.stringMatching(/^no/) }),
    ]);

    expect(csv(fx, "results/prisma.csv")).toEqual([
      { stage: "identification", count: "5" },
      { stage: "duplicates removed", count: "1" },
      { stage: "screened", count: "4" },
      { stage: "excluded at screening", count: "1" },
      { stage: "full-text assessed", count: "3" },
      { stage: "excluded at eligibility", count: "1" },
      { stage: "included", count: "2" },
    ]);
  });

  it("is deterministic: a second run writes identical bytes", () => {
    fx = makeFixture();
    runSurveyCheck(fx.root, { write: true });
    const first = readFileSync(join(fx.root, "results/taxonomy/hardware-x-workloads.csv"), "utf8");
    runSurveyCheck(fx.root, { write: true });
    expect(readFileSync(join(fx.root, "results/taxonomy/hardware-x-workloads.csv"), "utf8")).toBe(first);
  });

  it("reports 0 cites when the paper does not exist yet", () => {
    fx = makeFixture({ "paper/sections/intro.tex": null });
    const r = runSurveyCheck(fx.root);
    expect(r.problems).toEqual([]);
    expect(r.summary.cites).toBe(0);
  });
});

describe("check-survey bad input: each message names file, key and field; exit code is non-zero", () => {
  it("duplicate key across two bib files", () => {
    fx = makeFixture({
      "bib/data-sources.bib": `@misc{beta2023sim,\n  author = {Other, Person},\n  title = {A Datasheet},\n  year = {2024},\n  url = {https://example.org/ds}\n}\n`,
    });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    // Files are read in sorted order, so the second definition is the one in references.bib.
    expect(text).toMatch(/bib\/references\.bib: key 'beta2023sim', field 'key': duplicate key: already defined at bib\/data-sources\.bib:1 \(line 11 here\)/);
    expect(existsSync(join(fx.root, "results/prisma.csv"))).toBe(false);
  });

  it("unknown category value", () => {
    fx = makeFixture({ "taxonomy/works/group.yaml": WORKS.replace("methodology: [analytical]", "methodology: [roofline]") });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toMatch(/taxonomy\/works\/group\.yaml: key 'alpha2020tool', field 'methodology\.0': Invalid enum value\. Expected 'analytical' \| .*received 'roofline'/);
  });

  it("missing required field", () => {
    fx = makeFixture({ "taxonomy/works/group.yaml": WORKS.replace("  summary: Closed-form latency and energy of CNN layers on dataflow accelerators.\n", "") });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toContain("taxonomy/works/group.yaml: key 'alpha2020tool', field 'summary': Required");
  });

  it("bib parse error", () => {
    fx = makeFixture({ "bib/references.bib": BIB.replace("title     = {Beta: Event-Driven Simulation of {LLM} Serving},", "title     = {Beta: Event-Driven Simulation of {LLM} Serving,") });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toMatch(/bib\/references\.bib: key 'beta2023sim', field 'title': BibTeX parse error \(citation-js\)/);
  });

  it("\\cite of an unknown key", () => {
    fx = makeFixture({ "paper/sections/intro.tex": PAPER + "As shown before~\\cite{alpha2020tool, nosuch2024key}.\n" });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toContain("paper/sections/intro.tex:4: key 'nosuch2024key', field '\\cite': cited key is not in any bib/*.bib file");
    expect(text).not.toContain("commented2020out");
  });

  it("an entry without doi or url", () => {
    fx = makeFixture({ "bib/references.bib": BIB.replace("  url       = {https://example.org/gamma},\n", "") });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toContain("bib/references.bib: key 'gamma2019bench', field 'doi/url': entry has neither doi nor url");
  });

  it("a bib entry that is neither classified nor background, and a PRISMA table that does not add up", () => {
    fx = makeFixture({ "taxonomy/background.yaml": "[]\n" });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toContain("bib/references.bib: key 'gamma2019bench', field 'classification'");
    expect(text).toContain("taxonomy/search-log.yaml: key 'search-log', field 'identification.records': PRISMA counts do not add up");
  });

  it("the command line exits non-zero on a bad tree", async () => {
    fx = makeFixture({ "taxonomy/works/group.yaml": WORKS.replace("hardware: [GPU, multi-device cluster]", "hardware: [FPGA]") });
    const repo = resolve(import.meta.dirname, "../..");
    const r = await execa(join(repo, "node_modules/.bin/tsx"), [join(repo, "pipeline/check-survey.ts"), fx.root], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("taxonomy/works/group.yaml: key 'beta2023sim', field 'hardware.0'");
  });
});

describe("the bibliography itself", () => {
  it("keeps full author lists: 'et al.' is rejected", () => {
    fx = makeFixture({ "bib/references.bib": BIB.replace("{Doe, Jane and Roe, Richard}", "{Doe, Jane and others}") });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toContain("bib/references.bib: key 'alpha2020tool', field 'author': author list is truncated");
  });
});

describe("check-survey: evaluated works match the tools under test", () => {
  it("flags a work marked evaluated that no tool runs, and a run tool whose work is not marked", () => {
    fx = makeFixture();
    // Without tools-under-test/ the rule does not apply (the valid fixture marks alpha2020tool evaluated).
    expect(runSurveyCheck(fx.root).problems.map(formatProblem)).toEqual([]);
    fx.write("tools-under-test/beta/metadata.yaml", "name: beta\nbib: beta2023sim\nrunner:\n  kind: local\n");
    fx.write("tools-under-test/ours/metadata.yaml", "name: ours\nbib: alpha2020tool\nrunner:\n  kind: library\n");
    const problems = runSurveyCheck(fx.root).problems;
    expect(problems.map((p) => [p.key, p.field])).toEqual([
      ["alpha2020tool", "evaluated"],
      ["beta2023sim", "evaluated"],
    ]);
    expect(problems[0]!.message).toMatch(/no tool under test/);
    expect(problems[1]!.message).toMatch(/tools-under-test\/beta\/metadata.yaml runs this work's tool/);
  });
});
