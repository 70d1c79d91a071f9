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
    expect(r.summary.urlOnly).toBe(3);
    expect(r.summary.perReading).toMatchObject({ "full text excerpts": 1, "not read": 1 });
    expect(r.summary.perOpenSource).toEqual({ yes: 1, no: 0, unknown: 1 });

    const works = csv(fx, "results/taxonomy/works.csv");
    expect(works.map((w) => w.key)).toEqual(["alpha2020tool", "beta2023sim"]);
    expect(works[0]).toMatchObject({ year: "2020", title: "Alpha: An Analytical Model of DNN Accelerators", claimed_error: "5%;2x" });
    expect(works[1]?.methodology).toBe("event-driven simulation;hybrid (analytical + profiling)");
    expect(works[0]).toMatchObject({ reading_status: "full text excerpts", needs: "datasheet only", versions: "alpha2021journal", repository: "https://example.org/alpha-repo" });
    expect(works[1]).toMatchObject({ reading_status: "not read", needs: "per-op profiles", frameworks: "vLLM" });

    const mh = csv(fx, "results/taxonomy/methodology-x-hardware.csv");
    expect(mh).toHaveLength(6 * 6); // zero-count cells included
    expect(mh.find((c) => c.row === "analytical" && c.col === "DNN accelerator (dataflow)")).toMatchObject({ count: "1", keys: "alpha2020tool" });
    expect(mh.find((c) => c.row === "analytical" && c.col === "GPU")).toMatchObject({ count: "0", keys: "" });

    const years = csv(fx, "results/taxonomy/year-x-methodology.csv");
    expect(new Set(years.map((c) => c.row))).toEqual(new Set(["2020", "2021", "2022", "2023"]));

    const gaps = csv(fx, "results/taxonomy/gaps.csv");
    // A logged targeted search that found nothing makes an empty cell a claimed gap; others are only empty.
    expect(gaps).toContainEqual({ matrix: "methodology-x-hardware", row: "analytical", col: "GPU", status: "gap: targeted search found nothing", search: "q1" });
    expect(gaps).toContainEqual({ matrix: "methodology-x-hardware", row: "analytical", col: "TPU", status: "empty in this corpus: not searched, not claimed", search: "" });
    expect(csv(fx, "results/taxonomy/needs-x-abstraction.csv").find((c) => c.row === "per-op profiles" && c.col === "serving system")).toMatchObject({ count: "1", keys: "beta2023sim" });
    expect(gaps.some((g) => g.matrix === "year-x-methodology")).toBe(false);

    const acc = csv(fx, "results/claimed-accuracy.csv");
    expect(acc).toEqual([
      { tool: "Alpha", bib: "alpha2020tool", claimed_error: "5%", metric: "average error of cycles", validated_on: "CNN layers on an RTL model", place: "abstract", verified: "yes (paper abstract; read in this review)", against: "RTL or cycle-level simulator", n_points: "12", kind: "model error", reading: "full text excerpts" },
      // A claim read in another version of the tool carries that version's bib key.
      expect.objectContaining({ tool: "Alpha", bib: "alpha2021journal", claimed_error: "2x", kind: "design-search result", n_points: "not stated" }),
      expect.objectContaining({ tool: "Beta", bib: "beta2023sim", claimed_error: "", verified: expect.stringMatching(/^no/), reading: "not read" }),
    ]);

    // PRISMA 2020 flow counted from the records: 2 works + 1 version + 1 background + 3 excluded candidates.
    expect(csv(fx, "results/prisma.csv")).toEqual([
      { stage: "identification", count: "7" },
      { stage: "duplicates removed", count: "2" },
      { stage: "screened", count: "5" },
      { stage: "excluded at screening", count: "1" },
      { stage: "sought for retrieval", count: "4" },
      { stage: "not retrieved", count: "1" },
      { stage: "assessed for eligibility", count: "3" },
      { stage: "excluded at eligibility", count: "1" },
      { stage: "included", count: "2" },
    ]);
    expect(csv(fx, "results/taxonomy/prisma-reasons.csv")).toEqual([
      { stage: "duplicate", reason: "same work as a record already in the review", count: "1" },
      { stage: "duplicate", reason: "version of an included work (listed under its versions)", count: "1" },
      { stage: "eligibility", reason: "cited as background: benchmark or characterization", count: "1" },
      { stage: "not retrieved", reason: "metadata or text could not be obtained in this review", count: "1" },
      { stage: "screening", reason: "not a performance model or simulator", count: "1" },
    ]);
    expect(csv(fx, "results/taxonomy/prisma-sources.csv")).toEqual([
      { found_by: "candidates", kind: "prior list", records: "5", included: "1" },
      { found_by: "q1", kind: "query (verification)", records: "2", included: "1" },
    ]);
    const audit = csv(fx, "results/taxonomy/audit.csv");
    expect(audit).toContainEqual({ axis: "reading", value: "not read", works: "1" });
    expect(audit).toContainEqual({ axis: "needs", value: "datasheet only", works: "1" });
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

  it("a bib entry that is neither classified, a version, nor background", () => {
    fx = makeFixture({ "taxonomy/background.yaml": "[]\n" });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toContain("bib/references.bib: key 'gamma2019bench', field 'classification'");
    expect(text).not.toContain("key 'alpha2021journal', field 'classification'");
  });

  it("screening without a valid criterion, 'not retrieved' without a query, and an unknown found_by", async () => {
    const { SEARCH_LOG } = await import("./fixture.ts");
    fx = makeFixture({
      "taxonomy/search-log.yaml": SEARCH_LOG.replace("    criterion: not a performance model or simulator\n", "").replace("    tried: [q1]\n", "").replace("found_by: q1\n  - candidate: Delta", "found_by: nowhere\n  - candidate: Delta"),
    });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toContain("key 'search-log', field 'excluded.1.criterion': stage 'screening' needs a criterion");
    expect(text).toContain("key 'search-log', field 'excluded.2.tried': stage 'not retrieved' needs the query ids");
    fx.cleanup();
    fx = makeFixture({ "taxonomy/search-log.yaml": SEARCH_LOG.replace("found_by: q1\n  - candidate: Delta", "found_by: nowhere\n  - candidate: Delta") });
    expect(run(fx).text).toContain("field 'excluded.0.found_by': 'nowhere' is neither a search-log source id nor a query id");
  });

  it("a reading status without its reason, an open-source 'yes' without repository, a claim without n_points", () => {
    fx = makeFixture({
      "taxonomy/works/group.yaml": WORKS.replace("    reason: excerpts of the full text only\n", "").replace("    repository: https://example.org/alpha-repo\n", "").replace("        n_points: 12\n", ""),
    });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toContain("key 'alpha2020tool', field 'reading.reason': reading status 'full text excerpts' needs a reason");
    expect(text).toContain("key 'alpha2020tool', field 'artifact.repository': open_source 'yes' needs the repository url");
    expect(text).toContain("key 'alpha2020tool', field 'validation.claims.0.n_points'");
  });

  it("a gap search logged as 'found nothing' for a cell that is no longer empty", async () => {
    const { SEARCH_LOG } = await import("./fixture.ts");
    fx = makeFixture({ "taxonomy/search-log.yaml": SEARCH_LOG.replace("    col: GPU\n", "    col: DNN accelerator (dataflow)\n") });
    const { code, text } = run(fx);
    expect(code).toBe(1);
    expect(text).toContain("key 'methodology-x-hardware:analytical:DNN accelerator (dataflow)', field 'gap_searches.0.found': logged as 'found nothing' but the cell now holds 1 work(s) (alpha2020tool)");
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
