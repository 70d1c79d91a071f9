import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSetupLog, toolsRows } from "../../pipeline/lib/tools-table.ts";
import { EXTENSIBILITY_COLUMNS } from "../../pipeline/lib/extensibility.ts";
import type { PredictionRow, ToolMetadata } from "../../pipeline/lib/schema.ts";

const meta: ToolMetadata = { name: "sim", display_name: "Sim", version: "2", license: "MIT", methodology: "m", runner: { kind: "local", env: ["SIM_BIN"] } };

function row(cell_id: string, status: PredictionRow["status"], wall_s: number, reason = ""): PredictionRow {
  return { tool: "sim", tool_version: "2", cell_id, metric: "latency", unit: "s", predicted: status === "ok" ? 1 : undefined, status, reason: status === "ok" ? reason : reason || "x", wall_s };
}

function root(setupLog?: string, walls?: string): string {
  const r = mkdtempSync(join(tmpdir(), "tools-"));
  mkdirSync(join(r, "tools-under-test/sim"), { recursive: true });
  mkdirSync(join(r, "results/raw/sim"), { recursive: true });
  if (setupLog !== undefined) writeFileSync(join(r, "tools-under-test/sim/SETUP-LOG.md"), setupLog);
  if (walls !== undefined) writeFileSync(join(r, "results/raw/sim/wall_s.csv"), walls);
  return r;
}

const LOG = `---
steps:
  - step: fetch upstream
    minutes: 2
    outcome: ok
  - step: build at HEAD
    minutes: 6.5
    outcome: failed
    failure: "ETFeeder does not name a type"
    fix: "built an older commit"
  - step: build pinned commit
    minutes: 4
    outcome: ok
---
# Setup log
`;

describe("results/tools.csv", () => {
  it("counts setup steps, failures and minutes from the setup log, and medians per cell from the runs", () => {
    const r = root(LOG, "cell_id,wall_s,input_lines\na,1,10\nb,3,30\nc,100,\n");
    const rows = toolsRows(r, [meta], [
      row("a", "ok", 1, "re-parsed recorded output"),
      row("b", "ok", 3),
      row("c", "ok", 999, "re-parsed recorded output (no recorded run time: wall_s is the re-parse time)"),
      row("d", "failed", 0.1, "exited with code 1: boom"),
      row("e", "not-run", 0, "unsupported"),
    ]);
    expect(rows).toEqual([
      {
        tool: "sim",
        tool_version: "2",
        runners: "local",
        setup_steps: "3",
        failed_steps: "1",
        setup_minutes: "12.5",
        cells_supported: "4",
        cells_ok: "3",
        cells_failed: "1",
        wall_s_per_cell: "2",
        input_lines_per_cell: "20",
        setup_log: "tools-under-test/sim/SETUP-LOG.md",
        // no tools-under-test/sim/extensibility.yaml: the extensibility columns are empty
        ...Object.fromEntries(EXTENSIBILITY_COLUMNS.map((c) => [c, ""])),
      },
    ]);
  });

  it("leaves the setup columns empty for a tool without a setup log", () => {
    const [r] = toolsRows(root(), [meta], [row("a", "ok", 0.5)]);
    expect(r).toMatchObject({ setup_steps: "", setup_minutes: "", wall_s_per_cell: "0.5", input_lines_per_cell: "" });
  });

  it("reports every problem of a malformed setup log, naming the file and field", () => {
    const bad = `---\nsteps:\n  - step: build\n    minutes: -1\n    outcome: failed\n  - minutes: 2\n    outcome: ok\n---\n`;
    const r = root(bad);
    const path = join(r, "tools-under-test/sim/SETUP-LOG.md");
    expect(() => readSetupLog(path)).toThrow(/steps\.0\.minutes.*steps\.0\.failure.*steps\.1\.step|steps\.0\.minutes[\s\S]*steps\.1\.step/);
    writeFileSync(path, "# no front matter\n");
    expect(() => readSetupLog(path)).toThrow(/no YAML front matter/);
  });
});
