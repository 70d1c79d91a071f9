import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTool } from "../../pipeline/lib/runner.ts";
import { loadSuite } from "../../pipeline/lib/suite.ts";
import type { ToolAdapter } from "../../pipeline/lib/tool.ts";
import type { Cell } from "../../pipeline/lib/schema.ts";
import { tempSuite, goodCell } from "./helpers.ts";

const cells = [
  goodCell,
  { ...goodCell, id: "b-fails" },
  { ...goodCell, id: "c-unsupported" },
  { ...goodCell, id: "d-ms", unit: "ms" },
];

function fakeTool(opts: { available: boolean; calls: string[] }): ToolAdapter<Cell> {
  return {
    metadata: { name: "fake", display_name: "Fake", version: "0.1", license: "MIT", methodology: "test", runner: { kind: "local", env: ["FAKE_BIN"] } },
    recordRaw: true,
    availability: async () => (opts.available ? { available: true } : { available: false, reason: "FAKE_BIN is not set" }),
    supports: (c) => (c.id === "c-unsupported" ? { ok: false, reason: "no model for this" } : { ok: true }),
    prepare: async (c) => c,
    invoke: async (c) => {
      opts.calls.push(c.id);
      if (c.id === "b-fails") throw new Error("simulator crashed: segfault\nstack...");
      return "latency_ms=2.5\n";
    },
    parse: (raw) => ({ value: Number(/latency_ms=([\d.]+)/.exec(raw)![1]), unit: "ms" }),
  };
}

function setup() {
  const root = tempSuite(cells);
  const suite = loadSuite(root, { groundTruth: false });
  const dirs = { rawDir: join(root, "results/raw"), journalDir: join(root, ".work/evaluate"), workDir: join(root, ".work/tools") };
  return { root, suite, dirs };
}

describe("the shared runner", () => {
  it("isolates failures, reports unsupported cells, converts units, records raw outputs", async () => {
    const { suite, dirs } = setup();
    const calls: string[] = [];
    const rows = await runTool(fakeTool({ available: true, calls }), suite, dirs);
    const by = Object.fromEntries(rows.map((r) => [r.cell_id, r]));
    expect(by["b-fails"]).toMatchObject({ status: "failed", reason: "simulator crashed: segfault", predicted: undefined });
    expect(by["c-unsupported"]).toMatchObject({ status: "not-run", reason: "no model for this" });
    expect(by[goodCell.id]).toMatchObject({ status: "ok", predicted: 0.0025, unit: "s" });
    expect(by["d-ms"]).toMatchObject({ status: "ok", predicted: 2.5, unit: "ms" });
    expect(readFileSync(join(dirs.rawDir, "fake", `${goodCell.id}.txt`), "utf8")).toBe("latency_ms=2.5\n");
    // The live run's wall times are recorded beside the raw outputs, for cells that produced output.
    const walls = readFileSync(join(dirs.rawDir, "fake", "wall_s.csv"), "utf8").trim().split("\n");
    expect(walls[0]).toBe("cell_id,wall_s,input_lines");
    expect(walls.slice(1).map((l) => l.split(",")[0])).toEqual(["d-ms", goodCell.id]);
  });

  it("re-parses recorded outputs when the tool is absent, and never fills in missing ones", async () => {
    const { suite, dirs } = setup();
    mkdirSync(join(dirs.rawDir, "fake"), { recursive: true });
    writeFileSync(join(dirs.rawDir, "fake", `${goodCell.id}.txt`), "latency_ms=4\n");
    writeFileSync(join(dirs.rawDir, "fake", "b-fails.txt"), "latency_ms=8\n");
    writeFileSync(join(dirs.rawDir, "fake", "wall_s.csv"), `cell_id,wall_s\n${goodCell.id},12.5\n`);
    const calls: string[] = [];
    const rows = await runTool(fakeTool({ available: false, calls }), suite, dirs);
    expect(calls).toEqual([]);
    const by = Object.fromEntries(rows.map((r) => [r.cell_id, r]));
    // The run time reported is the recorded live run's, not the re-parse time.
    expect(by[goodCell.id]).toMatchObject({ status: "ok", predicted: 0.004, reason: "re-parsed recorded output", wall_s: 12.5 });
    expect(by["b-fails"]!.reason).toMatch(/no recorded run time/);
    expect(by["d-ms"]).toMatchObject({ status: "not-run", predicted: undefined });
    expect(by["d-ms"]!.reason).toMatch(/FAKE_BIN is not set/);
  });

  it("resumes an interrupted run without redoing finished cells", async () => {
    const { suite, dirs } = setup();
    const first: string[] = [];
    await runTool(fakeTool({ available: true, calls: first }), suite, { ...dirs, rerun: true });
    expect(first.length).toBe(3);
    expect(existsSync(join(dirs.journalDir, "fake.jsonl"))).toBe(true);
    // Simulate an interruption after two cells: keep only the first two journal lines.
    const j = join(dirs.journalDir, "fake.jsonl");
    writeFileSync(j, readFileSync(j, "utf8").split("\n").slice(0, 2).join("\n") + "\n{\"torn");
    const second: string[] = [];
    const rows = await runTool(fakeTool({ available: true, calls: second }), suite, { ...dirs, rerun: true });
    expect(rows).toHaveLength(4);
    expect(second.length).toBeLessThan(first.length);
    // Journaled (finished) cells are not redone; a failed cell is not journaled, so it is retried.
    expect(second).not.toContain("d-ms");
    expect(second.sort()).toEqual(["b-fails", goodCell.id].sort());
  });

  it("re-parses recorded cells of an installed tool unless rerun is asked, and runs unrecorded ones live", async () => {
    const { suite, dirs } = setup();
    mkdirSync(join(dirs.rawDir, "fake"), { recursive: true });
    writeFileSync(join(dirs.rawDir, "fake", `${goodCell.id}.txt`), "latency_ms=4\n");
    const calls: string[] = [];
    const rows = await runTool(fakeTool({ available: true, calls }), suite, dirs);
    expect(calls.sort()).toEqual(["b-fails", "d-ms"]);
    const by = Object.fromEntries(rows.map((r) => [r.cell_id, r]));
    expect(by[goodCell.id]).toMatchObject({ status: "ok", predicted: 0.004 });
    expect(by["d-ms"]).toMatchObject({ status: "ok", reason: "" });
    const again: string[] = [];
    const rerun = await runTool(fakeTool({ available: true, calls: again }), suite, { ...dirs, rerun: true });
    expect(again.sort()).toEqual([goodCell.id, "b-fails", "d-ms"].sort());
    expect(rerun.find((r) => r.cell_id === goodCell.id)).toMatchObject({ predicted: 0.0025, reason: "" });
    expect(readFileSync(join(dirs.rawDir, "fake", `${goodCell.id}.txt`), "utf8")).toBe("latency_ms=2.5\n");
  });

  it("fails every supported cell when the tool is configured but cannot start, keeping recorded outputs", async () => {
    const { suite, dirs } = setup();
    mkdirSync(join(dirs.rawDir, "fake"), { recursive: true });
    writeFileSync(join(dirs.rawDir, "fake", `${goodCell.id}.txt`), "latency_ms=4\n");
    const tool = fakeTool({ available: false, calls: [] });
    tool.availability = async () => ({ available: false, configured: true, reason: "FAKE_BIN=/nope is not a file" });
    const rows = await runTool(tool, suite, dirs);
    const by = Object.fromEntries(rows.map((r) => [r.cell_id, r]));
    expect(by[goodCell.id]).toMatchObject({ status: "failed", reason: "tool cannot run here: FAKE_BIN=/nope is not a file" });
    expect(by["c-unsupported"]).toMatchObject({ status: "not-run" });
    expect(readFileSync(join(dirs.rawDir, "fake", `${goodCell.id}.txt`), "utf8")).toBe("latency_ms=4\n");
  });

  it("records the lines of input an adapter generated per live cell", async () => {
    const { root, suite, dirs } = setup();
    const tool = fakeTool({ available: true, calls: [] });
    const input = join(root, "input.yaml");
    writeFileSync(input, "a: 1\nb: 2\nc: 3\n");
    tool.inputFiles = () => [input, input];
    await runTool(tool, suite, dirs);
    const walls = readFileSync(join(dirs.rawDir, "fake", "wall_s.csv"), "utf8").trim().split("\n");
    expect(walls.slice(1).map((l) => l.split(",")[2])).toEqual(["6", "6"]);
  });
});
