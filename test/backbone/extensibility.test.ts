// tools-under-test/<tool>/extensibility.yaml (issue 17 item 4): counts come from the recorded
// `git diff --numstat` files, never from the YAML; a step that was not done has no counts; bad files
// are rejected with the file and field named; results/tools.csv carries what the files say.
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extensibilityColumns, minutesBetween, parseNumstat, readExtensibility } from "../../pipeline/lib/extensibility.ts";
import { readCsv } from "../../pipeline/lib/io.ts";
import { TOOLS } from "../../tools-under-test/registry.ts";

function toolDir(yaml: string, files: Record<string, string> = {}): string {
  const d = mkdtempSync(join(tmpdir(), "ext-"));
  writeFileSync(join(d, "extensibility.yaml"), yaml);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(d, p, ".."), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return d;
}

const MEASURED = (numstat: string, extra = "") => `
  what: "x"
  status: measured
  procedure: "p"
  source: "s"
  numstat: ${numstat}
  check: e/check.json
  needs_profiling_on_target: false${extra}
`;
const NOT = `
  what: "H200"
  status: not-measured
  reason: "not installed"
`;

describe("extensibility.yaml", () => {
  it("parses git diff --numstat: files and added + removed lines", () => {
    expect(parseNumstat("9\t0\tmodel_params/llama31.py\n2\t1\thardwares/hardware_params.py\n", "f")).toEqual({ files: 2, lines: 12 });
    expect(parseNumstat("", "f")).toEqual({ files: 0, lines: 0 });
    expect(() => parseNumstat("-\t-\tlogo.png\n", "f.numstat")).toThrow(/f\.numstat:1: not a 'git diff --numstat' line/);
    expect(() => parseNumstat("two files changed\n", "f")).toThrow(/not a 'git diff --numstat' line/);
  });

  it("reads the counts from the numstat file and the minutes from the two times", () => {
    const d = toolDir(`new_model:${MEASURED("e/m.numstat", '\n  started_utc: "2026-12-04T21:23:19Z"\n  finished_utc: "2026-12-04T21:25:49Z"')}new_device:${NOT}`, {
      "e/m.numstat": "9\t0\tmodel_params/llama31.py\n",
      "e/check.json": "{}",
    });
    const e = readExtensibility(d)!;
    expect(e.new_model).toEqual({ status: "measured", files: 1, lines: 9, needs_profiling: false, minutes: 2.5 });
    expect(e.new_device).toEqual({ status: "not-measured", needs_profiling: undefined });
    expect(extensibilityColumns(e)).toMatchObject({ new_model_status: "measured", new_model_files: "1", new_model_lines: "9", new_model_minutes: "2.5", new_device_status: "not-measured", new_device_files: "", new_device_lines: "", new_device_minutes: "" });
    expect(Object.values(extensibilityColumns(undefined)).every((v) => v === "")).toBe(true);
    expect(minutesBetween("2026-12-04T21:23:19Z", "2026-12-04T21:23:26Z", "w")).toBeCloseTo(7 / 60);
    expect(() => minutesBetween("2026-12-04T21:23:26Z", "2026-12-04T21:23:19Z", "w")).toThrow(/before started_utc/);
  });

  it("an empty numstat file is a measured zero (nothing had to change); no times, no minutes", () => {
    const d = toolDir(`new_model:${MEASURED("e/m.numstat")}new_device:${NOT}`, { "e/m.numstat": "", "e/check.json": "{}" });
    expect(readExtensibility(d)!.new_model).toEqual({ status: "measured", files: 0, lines: 0, needs_profiling: false, minutes: undefined });
  });

  it("rejects counts typed into the YAML, missing evidence files and half a time span, naming file and field", () => {
    const typed = toolDir(`new_model:${MEASURED("e/m.numstat", "\n  lines_changed: 9")}new_device:${NOT}`, { "e/m.numstat": "", "e/check.json": "{}" });
    expect(() => readExtensibility(typed)).toThrow(/extensibility\.yaml: .*lines_changed/);
    const missing = toolDir(`new_model:${MEASURED("e/gone.numstat")}new_device:${NOT}`, { "e/check.json": "{}" });
    expect(() => readExtensibility(missing)).toThrow(/field 'new_model\.numstat': .*gone\.numstat does not exist/);
    const half = toolDir(`new_model:${MEASURED("e/m.numstat", '\n  started_utc: "2026-12-04T21:23:19Z"')}new_device:${NOT}`, { "e/m.numstat": "", "e/check.json": "{}" });
    expect(() => readExtensibility(half)).toThrow(/field 'new_model': give both started_utc and finished_utc/);
    const noReason = toolDir(`new_model:${NOT.replace(/reason: .*/, "")}new_device:${NOT}`);
    expect(() => readExtensibility(noReason)).toThrow(/field 'new_model\.reason'/);
    expect(readExtensibility(mkdtempSync(join(tmpdir(), "ext-none-")))).toBeUndefined();
  });

  it("every tool has a file, and results/tools.csv carries exactly what it says", () => {
    const csv = new Map(readCsv("results/tools.csv").map((r) => [r.tool!, r]));
    for (const t of TOOLS) {
      const e = readExtensibility(join("tools-under-test", t.metadata.name));
      expect(e, t.metadata.name).toBeDefined();
      const cols = extensibilityColumns(e);
      for (const [k, v] of Object.entries(cols)) expect([t.metadata.name, k, csv.get(t.metadata.name)?.[k]]).toEqual([t.metadata.name, k, v]);
      for (const part of [e!.new_model, e!.new_device]) if (part.status !== "measured") expect(part.files).toBeUndefined();
    }
    // The measured ones, from the recorded numstat files.
    expect(csv.get("llm-viewer")).toMatchObject({ new_model_status: "measured", new_model_files: "1", new_model_lines: "9", new_device_files: "1", new_device_lines: "2" });
    expect(csv.get("genz")).toMatchObject({ new_model_files: "0", new_model_lines: "0", new_device_lines: "2" });
    expect(csv.get("calculon")).toMatchObject({ new_model_status: "cannot-express", new_model_lines: "", new_device_status: "measured", new_device_lines: "90" });
    expect(csv.get("vidur")).toMatchObject({ new_model_status: "not-measured", new_model_needs_profiling: "true", new_model_minutes: "" });
  });
});
