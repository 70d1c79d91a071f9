import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { Cite } from "@citation-js/core";
import "@citation-js/plugin-bibtex";
import { describe, expect, it } from "vitest";
import { IMPORTERS } from "../../pipeline/import-published.ts";
import { checkGroundTruth, loadGroundTruthFiles, parseGroundTruthCsv } from "../../pipeline/lib/ground-truth.ts";
import { CellFile, Hardware, Model } from "../../pipeline/lib/schema.ts";
import { REPO_ROOT, cellsPath, groundTruthPath, renderSource } from "../../suite/ground-truth/published/lib.ts";
import { parsePyConfig } from "../../suite/ground-truth/published/mlperf-inf41/extract.ts";
import { parseLogSummary } from "../../suite/ground-truth/published/mlperf-inf41/import.ts";

const readYaml = (p: string) => YAML.parse(fs.readFileSync(p, "utf8")) as unknown;

describe("published importers", () => {
  for (const imp of IMPORTERS) {
    it(`${imp.SOURCE}: the committed files are what the importer generates from data/`, () => {
      const { cells, rows } = imp.build();
      const { yaml, csv } = renderSource(imp.SOURCE, cells, rows);
      expect(fs.readFileSync(cellsPath(imp.SOURCE), "utf8")).toBe(yaml);
      expect(fs.readFileSync(groundTruthPath(imp.SOURCE), "utf8")).toBe(csv);
    });
  }

  it("every published cell is valid, names existing hardware and models, and has a ground-truth row with a known bib key", () => {
    // Every published source's cells: the importers' generated files and hand-written ones (eyeriss-jssc2017).
    const imported = new Set(IMPORTERS.map((i) => path.basename(cellsPath(i.SOURCE))));
    const cellFiles = fs.readdirSync(path.join(REPO_ROOT, "suite/cells")).filter((f) => (f.startsWith("published-") && f.endsWith(".yaml")) || imported.has(f));
    expect(cellFiles.length).toBeGreaterThan(IMPORTERS.length - 1);
    const cells = cellFiles.flatMap((f) => CellFile.parse(readYaml(path.join(REPO_ROOT, "suite/cells", f))).cells);
    expect(cells.length).toBeGreaterThanOrEqual(150);
    const hwIds = new Set(
      fs.readdirSync(path.join(REPO_ROOT, "suite/hardware")).filter((f) => f.endsWith(".yaml")).map((f) => Hardware.parse(readYaml(path.join(REPO_ROOT, "suite/hardware", f))).id),
    );
    const modelIds = new Set(
      fs.readdirSync(path.join(REPO_ROOT, "suite/models")).filter((f) => f.endsWith(".yaml")).map((f) => Model.parse(readYaml(path.join(REPO_ROOT, "suite/models", f))).id),
    );
    for (const c of cells) {
      expect(hwIds, c.id).toContain(c.hardware);
      const w = c.workload as { model?: string; from_model?: string };
      for (const m of [w.model, w.from_model]) if (m !== undefined) expect(modelIds, c.id).toContain(m);
    }
    const bibKeys = new Set<string>();
    for (const f of fs.readdirSync(path.join(REPO_ROOT, "bib")).filter((x) => x.endsWith(".bib")))
      for (const e of new Cite(fs.readFileSync(path.join(REPO_ROOT, "bib", f), "utf8")).data as { id: string }[]) bibKeys.add(e.id);
    const { rows, problems } = loadGroundTruthFiles(REPO_ROOT);
    const published = rows.filter((r) => r.file.startsWith(path.join("suite", "ground-truth", "published")));
    expect(problems.filter((p) => p.file.includes("published"))).toEqual([]);
    expect(checkGroundTruth(published, cells, { bibKeys })).toEqual([]);
    const covered = new Set(published.map((r) => r.cell_id));
    expect(cells.filter((c) => !covered.has(c.id)).map((c) => c.id)).toEqual([]);
  });

  it("ground-truth rows carry the source's numbers (spot checks against the upstream files)", () => {
    const value = (file: string, gt: string) => {
      const r = parseGroundTruthCsv(fs.readFileSync(groundTruthPath(file), "utf8"), file).rows.find((x) => x.gt_id === gt);
      expect(r, gt).toBeDefined();
      return r!;
    };
    // summary_results.json: H200x8 Llama-2-70B Offline 31302.7 tokens/s (also in shared/ground-truth/published.csv)
    expect(value("mlperf-inf41", "mlperf-inf41.llama-2-70b.offline.h200-sxm-141gb.x8.result").value).toBe(31302.7);
    // log: 99.00 percentile first token latency (ns) : 452744202
    expect(value("mlperf-inf41", "mlperf-inf41.llama-2-70b.server.h200-sxm-141gb.x8.ttft-p99.run1")).toMatchObject({ value: 452.744202, unit: "ms" });
    // matmul_A100.csv line 19: 8192, 16384, 16384, 15.0087ms
    expect(value("llmcompass", "llmcompass.gemm.m8192.n16384.k16384.a100-sxm4-80gb.median").value).toBe(15.0087);
    // gelu_A100.csv line 1: 1024 elements at 0.021262214336633663 G elements/s -> 0.0481606 ms
    expect(value("llmcompass", "llmcompass.gelu.e1024.a100-sxm4-80gb.median").value).toBeCloseTo(1024 / 0.021262214336633663e9 * 1e3, 6);
  });
});

describe("MLPerf helpers", () => {
  it("resolves NVIDIA config attributes through the class hierarchy of a file", () => {
    const py = [
      "class GPUBaseConfig(BenchmarkConfiguration):",
      '    precision = "fp16"',
      "",
      "@ConfigRegistry.register(HarnessType.Custom, AccuracyTarget.k_99, PowerSetting.MaxP)",
      "class H100x1(GPUBaseConfig):",
      "    system = KnownSystem.H100_SXM_80GBx1",
      "    gpu_batch_size = {",
      "        'x': 1,",
      "    }",
      "    use_fp8 = True",
      "",
      "@ConfigRegistry.register(HarnessType.Triton, AccuracyTarget.k_99_9, PowerSetting.MaxQ)",
      "class H100x1_Triton(H100x1):",
      "    use_triton = True",
    ].join("\n");
    const classes = parsePyConfig(py, "f.py");
    expect(classes.map((c) => [c.name, c.parent, c.register?.harness, c.register?.accuracy, c.register?.power, c.register?.line, c.line])).toEqual([
      ["GPUBaseConfig", "BenchmarkConfiguration", undefined, undefined, undefined, undefined, 1],
      ["H100x1", "GPUBaseConfig", "Custom", "k_99", "MaxP", 4, 5],
      ["H100x1_Triton", "H100x1", "Triton", "k_99_9", "MaxQ", 12, 13],
    ]);
    expect([...classes[1]!.attrs.keys()]).toEqual(["system", "gpu_batch_size", "use_fp8"]);
    expect(classes[1]!.attrs.get("gpu_batch_size")).toBe("{");
    expect([...classes[1]!.attrLines.entries()]).toEqual([["system", 6], ["gpu_batch_size", 7], ["use_fp8", 10]]);
    expect(classes[2]!.attrs.get("use_triton")).toBe("True");
  });

  it("reads rates and percentiles from a log summary and requires VALID", () => {
    const txt = "Result is : VALID\nCompleted tokens per second: 29228.22\n99.00 percentile first token latency (ns)   : 452744202\n";
    const s = parseLogSummary(txt);
    expect(s.valid).toBe(true);
    expect(s.lines.get("Completed tokens per second")).toBe("29228.22");
    expect(s.lines.get("99.00 percentile first token latency (ns)")).toBe("452744202");
    expect(parseLogSummary("Result is : INVALID\n").valid).toBe(false);
  });
});
