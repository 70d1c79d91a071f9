/**
 * MAESTRO adapter: the authors' mapping files as parsed, the translation of the Eyeriss AlexNet cells
 * checked against the authors' own validation file (same dimensions), hardware flags from the suite,
 * every recorded output, and the runner with a fake binary (ok, crash by signal, plain failure).
 * MAESTRO itself is never run here.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSuite, type Suite } from "../../pipeline/lib/suite.ts";
import { runTool } from "../../pipeline/lib/runner.ts";
import { dimsOf, hardwareFlags, layerText, maestroAdapter, matchLayer, parseCsv, runtimeCycles, supports, upstreamLayers } from "../../tools-under-test/maestro/adapter.ts";

const RAW = "results/raw/maestro";
let suite: Suite;
beforeAll(() => {
  suite = loadSuite(".", { groundTruth: false });
});
afterEach(() => {
  vi.unstubAllEnvs();
});
const cell = (id: string) => suite.cells.get(id)!;

describe("translation", () => {
  it("reads the authors' files: 5 AlexNet validation layers, 13 VGG-16 layers, the ResNet-50 layers", () => {
    const by = (f: string) => upstreamLayers().filter((l) => l.file === f);
    expect(by("alexnet_rs_validation.m").map((l) => l.name)).toEqual(["CONV1", "CONV2", "CONV3", "CONV4", "CONV5"]);
    expect(by("vgg16_rs.m")).toHaveLength(13);
    expect(by("Resnet50_rs.m").length).toBeGreaterThan(50);
    for (const l of upstreamLayers()) expect(l.dataflow, `${l.file}:${l.name}`).toMatch(/(Spatial|Temporal)Map/);
  });

  it("the AlexNet cells translate to exactly the dimensions of the authors' Eyeriss validation layers", () => {
    for (let i = 1; i <= 5; i++) {
      const c = cell(`eyeriss.alexnet-conv${i}.n4.eyeriss-65nm`);
      const l = matchLayer(c)!;
      expect(l.file).toBe("alexnet_rs_validation.m");
      expect(l.name).toBe(`CONV${i}`);
      const d = dimsOf(c);
      for (const k of ["N", "K", "C", "R", "S", "Y", "X"] as const) expect(d[k], `CONV${i} ${k}`).toBe(l.dims[k]);
      expect(d.stride).toBe(l.stride);
      expect(layerText(c, l)).toContain(`Dimensions { N 4, K ${l.dims.K}, C ${l.dims.C}`);
    }
  });

  it("hardware flags come from the suite's Eyeriss file", () => {
    expect(hardwareFlags(suite.hardware.get("eyeriss-65nm")!)).toMatchObject({ num_pes: 168, noc_bw: 16, l1_size: 260, l2_size: 51200 });
  });

  it("supports Eyeriss cells with a matching mapping only, and says why not otherwise", () => {
    expect(supports(cell("timeloop.resnet50-s2-conv1x1a.n1.eyeriss-65nm"), suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/no row-stationary mapping/) });
    expect(supports(cell("timeloop.resnet50-s1-conv1x1a.n1.ws-systolic-16x16"), suite)).toMatchObject({ ok: false, reason: expect.stringMatching(/Eyeriss/) });
    expect([...suite.cells.values()].filter((c) => supports(c, suite).ok)).toHaveLength(27);
  });
});

describe("recorded outputs", () => {
  it("one per supported cell, made from today's layer.m; AlexNet within 10 % of the chip, 3x3 VGG/ResNet crashes", () => {
    const supported = [...suite.cells.values()].filter((c) => supports(c, suite).ok);
    expect(readdirSync(RAW).filter((f) => f.endsWith(".txt")).sort()).toEqual(supported.map((c) => `${c.id}.txt`).sort());
    let crashed = 0;
    for (const c of supported) {
      const raw = readFileSync(join(RAW, `${c.id}.txt`), "utf8");
      const mine = layerText(c, matchLayer(c)!).split("\n").filter(Boolean).map((s) => `# layer.m: ${s}`);
      expect(raw.split("\n").filter((l) => l.startsWith("# layer.m: ")), c.id).toEqual(mine);
      if (raw.includes("\nCRASH: ")) {
        crashed++;
        expect(() => runtimeCycles(raw)).toThrow(/SIGFPE/);
        expect(c.workload.kind === "conv2d" && c.workload.r).toBe(3);
        continue;
      }
      expect(runtimeCycles(raw)).toBeGreaterThan(0);
    }
    expect(crashed).toBe(17);
    const measured: Record<number, number> = { 1: 16.5, 2: 39.2, 3: 21.8, 4: 16.0, 5: 10.0 }; // JSSC 2017 Table V (ground-truth.csv)
    for (let i = 1; i <= 5; i++) {
      const ms = (runtimeCycles(readFileSync(join(RAW, `eyeriss.alexnet-conv${i}.n4.eyeriss-65nm.txt`), "utf8")) / 200e6) * 1e3;
      expect(Math.abs(ms - measured[i]!) / measured[i]!).toBeLessThan(0.1);
    }
  });

  it("rejects a file without a CSV row", () => {
    expect(() => parseCsv("# maestro\n")).toThrow(/no CSV row/);
  });
});

describe("the runner with a fake maestro", () => {
  const ID = "eyeriss.alexnet-conv5.n4.eyeriss-65nm";
  const small = (): Suite => ({ ...suite, cells: new Map([[ID, cell(ID)]]) });
  const fake = (body: string) => {
    const dir = mkdtempSync(join(tmpdir(), "maestro-fake-"));
    const bin = join(dir, "maestro");
    writeFileSync(bin, `#!/bin/sh\n${body}\n`);
    chmodSync(bin, 0o755);
    return bin;
  };
  const run = async (bin: string) => {
    vi.stubEnv("MAESTRO_BIN", bin);
    vi.stubEnv("DOCKER_TOOLS", "");
    const root = mkdtempSync(join(tmpdir(), "maestro-run-"));
    const rows = await runTool(maestroAdapter, small(), { rawDir: join(root, "raw"), journalDir: join(root, "j"), workDir: join(root, "w") });
    const dir = join(root, "raw", "maestro");
    return { row: rows[0]!, recorded: existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".txt")) : [] };
  };
  it("a CSV in the working directory gives an ok row", async () => {
    const r = await run(fake('printf "Neural Network Name, Layer Number, NumPEs, Runtime (Cycles)\\nsuite,CONV5,168,2000000\\n" > layer.csv'));
    expect(r.row).toMatchObject({ status: "ok", predicted: 10 });
    expect(r.recorded).toEqual([`${ID}.txt`]);
  });
  it("a crash by signal is recorded and fails the cell; a plain non-zero exit fails and records nothing", async () => {
    const crash = await run(fake("kill -FPE $$"));
    expect(crash.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/crashed on this layer: .*SIGFPE/) });
    expect(crash.recorded).toEqual([`${ID}.txt`]);
    const plain = await run(fake("echo boom >&2; exit 3"));
    expect(plain.row).toMatchObject({ status: "failed", reason: expect.stringMatching(/exited with code 3/) });
    expect(plain.recorded).toEqual([]);
  });
});
