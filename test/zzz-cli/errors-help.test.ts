/**
 * `zzz` inputs and usage: a user's own model/hardware YAML is validated with the suite's schemas
 * (errors name the file, the field and what was expected; exit status 1), unknown ids and flags get
 * a helpful message, a configuration ZZZ does not predict exits 2, and every command has --help.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { estimate } from "../../tools-under-test/zzz/adapter.ts";
import { fullSuite, json, ROOT, zzz } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "zzz-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const llama = readFileSync(join(ROOT, "suite/models/llama-2-7b.yaml"), "utf8");
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("a user's own YAML files", () => {
  it("a valid model file (a renamed copy of a suite model) gives the suite model's number", () => {
    const mine = write("my-llama.yaml", llama.replace(/^id: llama-2-7b$/m, "id: my-llama"));
    const j = json(["predict", "-m", mine, "-H", "h100-sxm5-80gb", "--phase", "decode", "--batch", "8", "--context", "1024"]);
    expect(j.files.model).toBe(mine);
    expect(j.cell.workload.model).toBe("my-llama");
    const suiteCell = { ...j.cell, workload: { ...j.cell.workload, model: "llama-2-7b" } };
    expect(j.prediction.latency_s).toBe(estimate(suiteCell, fullSuite()).latency_s);
  });

  it("a field of the wrong type: the error names the file, the field and the expected type; exit 1", () => {
    const bad = write("bad-layers.yaml", llama.replace(/n_layers: 32/, "n_layers: thirty-two"));
    expect(readFileSync(bad, "utf8")).toContain("thirty-two");
    const r = zzz(["predict", "-m", bad, "-H", "h100-sxm5-80gb"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${bad}: arch.n_layers: expected number, got string`);
  });

  it("a hardware file missing a required field names it", () => {
    const h100 = readFileSync(join(ROOT, "suite/hardware/h100-sxm5-80gb.yaml"), "utf8");
    expect(h100).toMatch(/^mem_bandwidth_bytes_per_s:.*$/m);
    const bad = write("my-gpu.yaml", h100.replace(/^id: .*$/m, "id: my-gpu").replace(/^mem_bandwidth_bytes_per_s:.*\n/m, ""));
    const r = zzz(["predict", "-m", "llama-2-7b", "-H", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}: mem_bandwidth_bytes_per_s: missing required field (expected object)`);
  });

  it("a file that is not YAML, and a path that does not exist", () => {
    const broken = write("broken.yaml", "id: x\n  arch: [\n");
    const r = zzz(["predict", "-m", broken, "-H", "h100-sxm5-80gb"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${broken}: (file): not valid YAML`);
    const missing = zzz(["predict", "-m", join(dir, "nope.yaml"), "-H", "h100-sxm5-80gb"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("nope.yaml: no such file");
  });
});

describe("helpful errors", () => {
  it("an unknown model names the closest ids and lists the known ones", () => {
    const r = zzz(["predict", "-m", "llama-3-8b", "-H", "h100-sxm5-80gb"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown model 'llama-3-8b'; did you mean llama-2-7b");
    expect(r.stderr).toContain("known models: bert-base, bert-large, gpt-2");
  });
  it("unknown hardware", () => {
    const r = zzz(["serve", "-m", "llama-2-7b", "-H", "h100"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown hardware 'h100'; did you mean h100-sxm5-80gb?");
  });
  it("missing --model, an unknown flag, a bad value, an unknown command", () => {
    expect(zzz(["predict", "-H", "h100-sxm5-80gb"]).stderr).toContain("--model is required; known models:");
    const flag = zzz(["predict", "-m", "gpt-2", "-H", "h100-sxm5-80gb", "--batchsize", "4"]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("'--batchsize'");
    expect(flag.stderr).toContain("zzz predict --help");
    const val = zzz(["predict", "-m", "gpt-2", "-H", "h100-sxm5-80gb", "--batch", "0"]);
    expect(val.code).toBe(1);
    expect(val.stderr).toContain("--batch: expected a positive integer, got '0'");
    const cmd = zzz(["simulate"]);
    expect(cmd.code).toBe(1);
    expect(cmd.stderr).toContain("unknown command 'simulate'; known: predict, serve, train, search");
  });
  it("a configuration that does not fit exits 2 with ZZZ's reason", () => {
    const r = zzz(["predict", "-m", "llama-2-70b", "-H", "h100-sxm5-80gb", "--batch", "64", "--seq", "4096"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ZZZ does not predict this configuration: .*GB > 80\.0 GB/);
  });
});

describe("--help", () => {
  it.each(["predict", "serve", "train", "search"])("zzz %s --help: usage, the flags, an example; exit 0", (cmd) => {
    const r = zzz([cmd, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`usage: zzz ${cmd} --model ID|FILE --hardware ID|FILE`);
    expect(r.stdout).toContain("--json | --csv");
    expect(r.stdout).toMatch(new RegExp(`example: zzz ${cmd} `));
  });
  it("zzz --help lists the commands (exit 0); zzz alone prints it and exits 1", () => {
    const h = zzz(["--help"]);
    expect(h.code).toBe(0);
    for (const c of ["predict", "serve", "train", "search"]) expect(h.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
    expect(zzz([]).code).toBe(1);
  });
  it("the help's examples run", () => {
    for (const cmd of ["predict", "train"]) {
      const ex = zzz([cmd, "--help"]).stdout.split("example: zzz ")[1]!.replace(/\\\n\s*/g, "").trim().split(/\s+/);
      const r = zzz(ex);
      expect(r.code, `${ex.join(" ")}: ${r.stderr}`).toBe(0);
    }
  });
});
