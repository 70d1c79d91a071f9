/**
 * The MLPerf importers read NVIDIA's configuration (precision, parallelism, node count) from
 * data/config-attributes.csv, extracted from the upstream Python/shell files (which are not committed).
 * These tests cover the extraction helpers on inline text, the readers' validation, that every committed
 * row's value is what its verbatim upstream line says, and (where a local git copy of the upstream
 * repository exists) that extract.ts re-creates the committed CSV byte for byte.
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../suite/ground-truth/published/lib.ts";
import * as inf41x from "../../suite/ground-truth/published/mlperf-inf41/extract.ts";
import { readConfigClasses } from "../../suite/ground-truth/published/mlperf-inf41/import.ts";
import * as tr40x from "../../suite/ground-truth/published/mlperf-tr40/extract.ts";
import { readScriptSettings } from "../../suite/ground-truth/published/mlperf-tr40/import.ts";

const INF41_CSV = path.join(REPO_ROOT, "suite/ground-truth/published/mlperf-inf41/data/config-attributes.csv");
const TR40_CSV = path.join(REPO_ROOT, "suite/ground-truth/published/mlperf-tr40/data/config-attributes.csv");
const INF41_GIT = process.env.MLPERF_INF41_GIT ?? "/work/.mirror/mlcommons+inference_results_v4.1/repo";
const TR40_GIT = process.env.MLPERF_TR40_GIT ?? "/work/.mirror/mlcommons+training_results_v4.0/repo";
const render = (cols: readonly string[], rows: Record<string, string>[]) => stringify(rows, { header: true, columns: [...cols] });
const readCsvObjects = (text: string) => parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];

const BASE = ["class GPUBaseConfig(BenchmarkConfiguration):", '    precision = "fp16"', "    tensor_parallelism = 2", ""].join("\n");
const SCENARIO = [
  "class OfflineGPUBaseConfig(GPUBaseConfig):",
  "    gpu_batch_size = 8",
  "",
  "@ConfigRegistry.register(HarnessType.Custom, AccuracyTarget.k_99, PowerSetting.MaxP)",
  "class H100_SXM_80GBx8(OfflineGPUBaseConfig):",
  "    system = KnownSystem.H100_SXM_80GBx8",
  "    use_fp8 = True   ",
  "",
  "class L4x1(OfflineGPUBaseConfig):",
  "    system = KnownSystem.L4x1",
  "",
  "@ConfigRegistry.register(HarnessType.LWIS, AccuracyTarget.k_99, PowerSetting.MaxP)",
  "class L4x1_Registered(L4x1):",
  "    precision = \"int8\"",
  "",
  "class UnusedH100(OfflineGPUBaseConfig):",
  "    system = KnownSystem.H100_SXM_80GBx1",
].join("\n");

describe("MLPerf Inference v4.1 config extraction (extract.ts -> config-attributes.csv -> import.ts)", () => {
  const texts = [
    { file: "closed/NVIDIA/configs/x/__init__.py", text: BASE },
    { file: "closed/NVIDIA/configs/x/Offline/__init__.py", text: SCENARIO },
  ];
  const rows = inf41x.configRows(texts, inf41x.COMMIT, inf41x.CONFIG_ATTRIBUTES, inf41x.KEEP_SYSTEM);

  it("keeps the registered classes of kept systems and their parents, with the needed attributes and verbatim lines", () => {
    expect(rows.map((r) => [r.file.replace(/^closed\/NVIDIA\/configs\/x\//, ""), r.line, r.class, r.attribute, r.value])).toEqual([
      ["__init__.py", "1", "GPUBaseConfig", "class", "BenchmarkConfiguration"],
      ["__init__.py", "2", "GPUBaseConfig", "precision", '"fp16"'],
      ["__init__.py", "3", "GPUBaseConfig", "tensor_parallelism", "2"],
      ["Offline/__init__.py", "1", "OfflineGPUBaseConfig", "class", "GPUBaseConfig"],
      ["Offline/__init__.py", "4", "H100_SXM_80GBx8", "@register", "Custom,k_99,MaxP"],
      ["Offline/__init__.py", "5", "H100_SXM_80GBx8", "class", "OfflineGPUBaseConfig"],
      ["Offline/__init__.py", "6", "H100_SXM_80GBx8", "system", "KnownSystem.H100_SXM_80GBx8"],
      ["Offline/__init__.py", "7", "H100_SXM_80GBx8", "use_fp8", "True"],
    ]);
    // L4 (other system) and the unregistered UnusedH100 are left out; gpu_batch_size is not a needed attribute
    expect(rows.find((r) => r.attribute === "use_fp8")!.text).toBe("    use_fp8 = True   ");
  });

  it("import.ts reads the rows back into the same classes", () => {
    const byFile = readConfigClasses(render(inf41x.CONFIG_COLUMNS, rows), "t.csv");
    const off = byFile.get("closed/NVIDIA/configs/x/Offline/__init__.py")!;
    expect(off.map((c) => [c.name, c.parent, c.line, c.register?.harness, c.register?.line])).toEqual([
      ["OfflineGPUBaseConfig", "GPUBaseConfig", 1, undefined, undefined],
      ["H100_SXM_80GBx8", "OfflineGPUBaseConfig", 5, "Custom", 4],
    ]);
    expect(Object.fromEntries(off[1]!.attrs)).toEqual({ system: "KnownSystem.H100_SXM_80GBx8", use_fp8: "True" });
    expect(byFile.get("closed/NVIDIA/configs/x/__init__.py")![0]!.attrs.get("precision")).toBe('"fp16"');
  });

  it("import.ts rejects malformed rows, naming every one", () => {
    const bad = rows.map((r) => ({ ...r }));
    bad[1]!.commit = "0".repeat(40); // precision row: wrong commit
    bad[7]!.class = "Other"; // use_fp8 row: attribute of a class that is not the current one
    bad[4]!.value = "Custom"; // decorator value not <harness>,<accuracy>,<power>
    expect(() => readConfigClasses(render(inf41x.CONFIG_COLUMNS, bad), "t.csv")).toThrow(
      /3 problem\(s\) in t\.csv:\n {2}t\.csv row 3: commit:.*\n {2}t\.csv row 6: @register value 'Custom'.*\n {2}t\.csv row 9: attribute use_fp8 of class Other/,
    );
  });

  it("every committed row's value is what its verbatim line says", () => {
    const committed = readCsvObjects(fs.readFileSync(INF41_CSV, "utf8"));
    expect(committed.length).toBeGreaterThan(100);
    for (const r of committed) {
      const where = `${r.file}:${r.line}`;
      if (r.attribute === "class") expect(inf41x.parsePyConfig(r.text!, "f").map((c) => [c.name, c.parent]), where).toEqual([[r.class, r.value]]);
      else if (r.attribute === "@register") {
        const reg = inf41x.parsePyConfig(`${r.text}\nclass C(P):`, "f")[0]!.register!;
        expect(`${reg.harness},${reg.accuracy},${reg.power}`, where).toBe(r.value);
      } else expect(inf41x.parsePyConfig(`class C(P):\n${r.text}`, "f")[0]!.attrs.get(r.attribute!), where).toBe(r.value);
    }
    // the classes the cells' notes cite are there, e.g. the H200 x8 Llama-2-70B Offline one
    expect(committed.some((r) => r.file === "closed/NVIDIA/configs/llama2-70b/Offline/__init__.py" && r.attribute === "system" && r.value === "KnownSystem.H200_SXM_141GBx8")).toBe(true);
  });

  it.skipIf(!fs.existsSync(INF41_GIT))("extract.ts re-creates config-attributes.csv from the upstream repository", () => {
    expect(render(inf41x.CONFIG_COLUMNS, inf41x.configAttributeRows(INF41_GIT))).toBe(fs.readFileSync(INF41_CSV, "utf8"));
  });
});

describe("MLPerf Training v4.0 script settings (extract.ts -> config-attributes.csv -> import.ts)", () => {
  it("reads the value a shell assignment gives by default", () => {
    expect(tr40x.shellValue("4   #  training.model.tensor_model_parallel_size")).toBe("4");
    expect(tr40x.shellValue('"${TP:=4}"   # comment')).toBe("4");
    expect(tr40x.shellValue('${DGXNNODES:-"8"}')).toBe("8");
    expect(tr40x.shellValue('"float16"')).toBe("float16");
    expect(tr40x.shellValue("True")).toBe("True");
    expect(tr40x.shellValue("$(nproc)")).toBeUndefined();
    expect(tr40x.shellValue('"${A}${B}"')).toBeUndefined();
  });

  it("finds the first export or command-line option of each wanted name, with its line", () => {
    const sh = [
      "#!/bin/bash",
      'export TENSOR_MODEL_PARALLEL="${TP:=4}"   #  tp',
      "export TENSOR_MODEL_PARALLEL=8",
      "export MINIBS=6",
      "python train.py \\",
      '      --dtype              "float16" \\',
      '      --seed               "${SEED}"',
    ].join("\n");
    expect(tr40x.parseShellSettings(sh, ["TENSOR_MODEL_PARALLEL", "--dtype", "DGXNNODES"])).toEqual([
      { name: "TENSOR_MODEL_PARALLEL", value: "4", line: 2, text: 'export TENSOR_MODEL_PARALLEL="${TP:=4}"   #  tp' },
      { name: "--dtype", value: "float16", line: 6, text: '      --dtype              "float16" \\' },
    ]);
    expect(() => tr40x.parseShellSettings("export DGXNNODES=$(cat n)\n", ["DGXNNODES"])).toThrow(/line 1: cannot read the value of DGXNNODES/);
  });

  it("import.ts rejects unknown variables and duplicate settings, naming every one", () => {
    const row = { file: "NVIDIA/benchmarks/gpt3/implementations/nemo/config_fp8.sh", commit: tr40x.COMMIT, line: "2", variable: "FP8", value: "True", text: "export FP8=True" };
    const ok = readScriptSettings(render(tr40x.CONFIG_COLUMNS, [row]), "t.csv");
    expect(ok.get(row.file)?.get("FP8")).toEqual({ value: "True", line: 2 });
    const bad = [row, { ...row, line: "3" }, { ...row, variable: "FP9" }];
    expect(() => readScriptSettings(render(tr40x.CONFIG_COLUMNS, bad), "t.csv")).toThrow(/2 problem\(s\) in t\.csv:\n {2}t\.csv row 3: FP8 of .* given twice\n {2}t\.csv row 4: variable:/);
  });

  it("every committed row's value is what its verbatim line says", () => {
    const committed = readCsvObjects(fs.readFileSync(TR40_CSV, "utf8"));
    expect(committed.length).toBeGreaterThanOrEqual(21);
    for (const r of committed) expect(tr40x.parseShellSettings(r.text!, [r.variable!]).map((s) => s.value), `${r.file}:${r.line}`).toEqual([r.value]);
  });

  it.skipIf(!fs.existsSync(TR40_GIT))("extract.ts re-creates config-attributes.csv from the upstream repository", () => {
    expect(render(tr40x.CONFIG_COLUMNS, tr40x.configAttributeRows(TR40_GIT))).toBe(fs.readFileSync(TR40_CSV, "utf8"));
  });
});
