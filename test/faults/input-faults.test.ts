/**
 * Fault matrix of issue 20, faults found before any work: each test breaks a copy of the repository
 * the way a careless user would, runs the command, and asserts the exit code, the message, and that
 * results/ is byte-identical afterwards. (Faults 3-6, which need a running tool: tool-faults.test.ts.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fixture, snapshot, evaluateCli, lines, edit, REPO } from "./helpers.ts";
import { normalizeCsv } from "../../pipeline/lib/io.ts";
import { checkSuite } from "../../pipeline/check-suite.ts";
import { formatProblems } from "../../pipeline/lib/suite.ts";
import { surveyMain } from "../../pipeline/lib/survey/main.ts";
import { preflight } from "../../pipeline/lib/publish.ts";

const roots: string[] = [];
function root(): string {
  const r = fixture();
  roots.push(r);
  return r;
}
afterEach(() => {
  for (const r of roots.splice(0)) {
    chmodSync(join(r, "results"), 0o755);
    rmSync(r, { recursive: true, force: true });
  }
});

describe("fault matrix: bad input is stopped before anything is written", () => {
  it("1. a value in the wrong unit (H100 bandwidth 3.35, TB/s written for B/s): exit 1 naming the range; results/ intact", async () => {
    const r = root();
    edit(r, "suite/hardware/h100-sxm5-80gb.yaml", "mem_bandwidth_bytes_per_s: {value: 3.35e12,", "mem_bandwidth_bytes_per_s: {value: 3.35,");
    const before = snapshot(r);
    const { code, err } = await evaluateCli(r, []);
    expect(code).toBe(1);
    expect(err).toMatch(/stopped before writing anything/);
    expect(err).toMatch(/suite\/hardware\/h100-sxm5-80gb\.yaml: mem_bandwidth_bytes_per_s\.value: 3\.35 is outside the plausible range for B\/s \[1e\+6, 1e\+15\]/);
    expect(snapshot(r)).toEqual(before);
  });

  it("2. a typo in a taxonomy record (field name or the claim's setting): exit 1 naming record and field; results/ intact", async () => {
    const r = root();
    const before = snapshot(r);
    edit(r, "taxonomy/works/distributed.yaml", "validated_on: HGX-H100 (NVSwitch), 2/4/8 GPUs", "validated_onn: HGX-H100 (NVSwitch), 2/4/8 GPUs");
    const a = await evaluateCli(r, []);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/the taxonomy records evaluate reads have problems/);
    expect(a.err).toMatch(/taxonomy\/works\/distributed\.yaml: key 'won2023astrasim2', field 'validation\.claims\.0'/);
    edit(r, "taxonomy/works/distributed.yaml", "validated_onn:", "validated_on:");
    edit(r, "taxonomy/works/distributed.yaml", "validated_on: HGX-H100 (NVSwitch), 2/4/8 GPUs", "validated_on: HGX-H1OO (NVSwitch), 2/4/8 GPUs");
    const b = await evaluateCli(r, []);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/tools-under-test\/astra-sim\/metadata\.yaml: claim_match 'HGX-H100' matches no claim of won2023astrasim2/);
    expect(snapshot(r)).toEqual(before);
  });

  it("7. --tools with an unknown name, RERUN with a typo: exit 1 listing the known tools; --tools zzz keeps the other tools' rows", async () => {
    const r = root();
    const before = snapshot(r);
    const a = await evaluateCli(r, ["--tools", "zzzz"]);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/unknown tool name 'zzzz' in --tools; known tools: zzz, astra-sim, vidur, timeloop/);
    const b = await evaluateCli(r, [], { RERUN: "astrasim" });
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/unknown tool name 'astrasim' in RERUN; known tools: zzz, astra-sim, vidur, timeloop(, [a-z-]+)*, all; nothing run/);
    expect((await evaluateCli(r, ["--frsh"])).err).toMatch(/Unknown option '--frsh'/);
    expect(snapshot(r)).toEqual(before);

    // The documented partial run: ZZZ's rows are recomputed, every other tool's are kept.
    const csvs = Object.keys(before).filter((f) => f.endsWith(".csv") && !f.startsWith("raw/"));
    const old = Object.fromEntries(csvs.map((f) => [f, normalizeCsv(readFileSync(join(r, "results", f), "utf8"))]));
    const c = await evaluateCli(r, ["--tools", "zzz"]);
    expect(c.code).toBe(0);
    const preds = readFileSync(join(r, "results/predictions.csv"), "utf8").trim().split("\n");
    const was = readFileSync(join(REPO, "results/predictions.csv"), "utf8").trim().split("\n");
    expect(preds.length).toBe(was.length); // every tool x every cell, as before
    expect(new Set(preds.slice(1).map((l) => l.split(",")[0])).size).toBeGreaterThanOrEqual(7);
    for (const f of csvs) expect(normalizeCsv(readFileSync(join(r, "results", f), "utf8")), f).toEqual(old[f]);
    const after = snapshot(r);
    for (const f of Object.keys(before).filter((x) => !csvs.includes(x))) expect(after[f], f).toBe(before[f]);
  });

  it("8. a read-only results/ (or a full disk): one line before any work, exit 1; results/ intact", async () => {
    const r = root();
    chmodSync(join(r, "results"), 0o555);
    const before = snapshot(r);
    const { code, err } = await evaluateCli(r, []);
    expect(code).toBe(1);
    const problems = lines(err).filter((l) => l.startsWith("  "));
    expect(problems).toEqual([expect.stringMatching(/^ {2}results\/ is read-only \(mode 555\): evaluate publishes by replacing results\//)]);
    expect(err).not.toMatch(/zzz:/); // no tool ran
    expect(snapshot(r)).toEqual(before);
    chmodSync(join(r, "results"), 0o755);
    expect(preflight(r, { freeBytes: 1024 })).toEqual([expect.stringMatching(/^not enough free space for the staged results: 0 MiB free, \d+ MiB needed/)]);
  });

  it("9. one unbalanced brace in references.bib, one bad model file: the root error first, follow-ons collapsed into one line", async () => {
    const r = root();
    const before = snapshot(r);
    edit(r, "bib/references.bib", /(title\s*=\s*\{[^\n]*)\},\n/, "$1,\n");
    let out = "";
    const code = surveyMain(r, { out: (l) => (out += `${l}\n`), err: (l) => (out += `${l}\n`) });
    expect(code).toBe(1);
    const survey = lines(out);
    expect(survey).toHaveLength(3);
    expect(survey[0]).toMatch(/^check-survey: 1 problem\(s\) \(and \d+ follow-on\); nothing written:/);
    expect(survey[1]).toMatch(/bib\/references\.bib: key '[^']+', field 'title': BibTeX parse error/);
    expect(survey[2]).toMatch(/and \d{3} more caused by the problem above \(bib\/references\.bib did not parse\)/);
    const suite = lines(formatProblems(checkSuite(r).problems));
    expect(suite).toHaveLength(3);
    expect(suite[1]).toMatch(/bib\/references\.bib: key '[^']+', field 'title': BibTeX parse error .*the whole file is unreadable/);
    expect(suite[2]).toMatch(/and \d{3} more caused by the problem above \(bib\/references\.bib did not parse\), e\.g\. .*bib key '.*' is in no bib/);

    edit(r, "suite/models/llama-2-7b.yaml", /\n {2}kind: decoder/, "\n  kind: decodr");
    const ev = await evaluateCli(r, []);
    expect(ev.code).toBe(1);
    const msg = lines(ev.err);
    expect(msg).toHaveLength(3);
    expect(msg[0]).toMatch(/the suite has 1 problem \(and \d+ follow-on\)/);
    expect(msg[1]).toMatch(/suite\/models\/llama-2-7b\.yaml: arch/);
    expect(msg[2]).toMatch(/and \d+ more caused by the problem above \(suite\/models\/llama-2-7b\.yaml failed validation\), e\.g\. .*unknown model 'llama-2-7b'/);
    expect(snapshot(r)).toEqual(before);
  });
});
