// zzz/dataflow: hand-computed access counts, invalid mappings, the identical-mapping agreement with
// Timeloop's recorded runs (results/raw/timeloop/), and the mapper.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadSuite } from "../../pipeline/lib/suite.ts";
import { archOf, parseTimeloopLevels, timeloopMapping, workloadOf } from "../../tools-under-test/zzz/dataflow-cells.ts";
import { DATA_SPACES, evaluateMapping, MappingError, searchMapping, type Arch, type LoopNestWorkload, type Mapping } from "../../zzz/dataflow/index.ts";
import { boundsOf } from "../../zzz/dataflow/workload.ts";

/** A 1-D convolution: 2 filters of width 3 over 6 inputs (4 outputs each). */
const small: LoopNestWorkload = { name: "small", bounds: boundsOf({ R: 3, P: 4, K: 2 }), w_stride: 1, h_stride: 1, w_dilation: 1, h_dilation: 1, repeats: 1 };
const twoLevel = (entries: number): Arch => ({
  name: "two-level",
  compute: { instances: 1, mesh_x: 1 },
  levels: [
    { name: "Buf", kind: "sram", entries, instances: 1, mesh_x: 1, word_bits: 16, block_size_words: 1, keeps: ["Weights", "Inputs", "Outputs"], may_bypass: [] },
    { name: "DRAM", kind: "dram", instances: 1, mesh_x: 1, word_bits: 16, block_size_words: 1, shared_bandwidth_words_per_cycle: 1, keeps: ["Weights", "Inputs", "Outputs"], may_bypass: [] },
  ],
  constraints: [],
});
// Buf holds one filter row (R3); DRAM walks the outputs (P4, inner) of each filter (K2, outer).
const smallMapping: Mapping = [
  { temporal: [{ dim: "R", bound: 3 }], spatial: [] },
  { temporal: [{ dim: "K", bound: 2 }, { dim: "P", bound: 4 }], spatial: [] },
];

describe("dataflow model: hand-computed counts", () => {
  it("counts the accesses of a small conv on a 2-level hierarchy", () => {
    const e = evaluateMapping(small, twoLevel(100), smallMapping);
    expect(e.macs).toBe(24);
    expect(e.compute_cycles).toBe(24);
    const buf = e.levels[0]!.data;
    // tiles: 3 weights, a window of 3 inputs, 1 output
    expect([buf.Weights!.utilized_capacity, buf.Inputs!.utilized_capacity, buf.Outputs!.utilized_capacity]).toEqual([3, 3, 1]);
    // weights: the row stays while P advances, a new row when K advances: 3 + 3
    expect(buf.Weights!.fills).toBe(6);
    // inputs: 3, then one new input per P step (3 steps x 2 filters), then a whole window after the wrap: 3 + 6 + 3
    expect(buf.Inputs!.fills).toBe(12);
    // the MAC reads a weight and an input per MAC; outputs: 24 updates, of which 8 are first writes (no read)
    expect([buf.Weights!.reads, buf.Inputs!.reads, buf.Outputs!.updates, buf.Outputs!.reads]).toEqual([24, 24, 24, 16]);
    const dram = e.levels[1]!.data;
    expect([dram.Weights!.reads, dram.Inputs!.reads, dram.Outputs!.updates, dram.Outputs!.reads]).toEqual([6, 12, 8, 0]);
    // DRAM moves 6 + 12 + 8 = 26 words at 1 word/cycle: bandwidth-bound, 26 cycles > 24 MAC steps
    expect(e.cycles).toBe(26);
    expect(e.bound_by).toBe("DRAM");
  });

  it("rejects a mapping whose tiles exceed a buffer, naming the level", () => {
    expect(() => evaluateMapping(small, twoLevel(6), smallMapping)).toThrow(MappingError);
    expect(() => evaluateMapping(small, twoLevel(6), smallMapping)).toThrow(/level Buf: tiles need 7 words \(Weights 3, Inputs 3, Outputs 1\) but it holds 6/);
  });

  it("rejects factors that do not multiply to the bounds, and spatial factors beyond the fan-out", () => {
    const bad: Mapping = [smallMapping[0]!, { temporal: [{ dim: "K", bound: 2 }, { dim: "P", bound: 2 }], spatial: [] }];
    expect(() => evaluateMapping(small, twoLevel(100), bad)).toThrow(/dimension P: factors over all levels multiply to 2, but the workload's bound is 4/);
    const wide: Arch = { ...twoLevel(100), compute: { instances: 2, mesh_x: 2 }, levels: twoLevel(100).levels.map((l, i) => (i === 0 ? { ...l, instances: 2, mesh_x: 2 } : l)) };
    const spatial: Mapping = [smallMapping[0]!, { temporal: [{ dim: "P", bound: 1 }], spatial: [{ dim: "K", bound: 2, axis: "X" }, { dim: "P", bound: 4, axis: "X" }] }];
    expect(() => evaluateMapping(small, wide, spatial)).toThrow(/level DRAM: spatial X factors \(K2 P4\) = 8 exceed its X fan-out 2/);
  });

  it("multicasts one read to the instances that need the same data", () => {
    const wide: Arch = { ...twoLevel(100), compute: { instances: 2, mesh_x: 2 }, levels: twoLevel(100).levels.map((l, i) => (i === 0 ? { ...l, instances: 2, mesh_x: 2 } : l)) };
    // K across two buffers: both need the same inputs (one multicast read), different weights
    const m: Mapping = [smallMapping[0]!, { temporal: [{ dim: "P", bound: 4 }], spatial: [{ dim: "K", bound: 2, axis: "X" }] }];
    const e = evaluateMapping(small, wide, m);
    expect(e.levels[0]!.data.Inputs!.fills).toBe(3 + 3); // per buffer: a window, then one input per P step
    expect(e.levels[1]!.data.Inputs!.reads).toBe(6); // read once for both
    expect(e.levels[1]!.data.Weights!.reads).toBe(6); // each buffer its own row
    expect(e.utilized_macs).toBe(2);
  });
});

describe("dataflow model vs Timeloop on Timeloop's own mappings (results/raw/timeloop/)", () => {
  const suite = loadSuite(".");
  const cells = [...suite.cells.values()].filter((c) => suite.hardware.get(c.hardware)?.dataflow).sort((a, b) => a.id.localeCompare(b.id));
  const fields = ["utilized_capacity", "utilized_instances", "partition_size", "reads", "fills", "updates", "temporal_reductions"] as const;

  it("covers the 38 accelerator cells", () => expect(cells).toHaveLength(38));

  it.each(cells.map((c) => [c.id, c] as const))("%s: same counts per level and data space, same cycles, energy within 0.5% with Timeloop's energies per access", (_id, cell) => {
    const raw = readFileSync(`results/raw/timeloop/${cell.id}.txt`, "utf8");
    const arch = archOf(suite.hardware.get(cell.hardware)!);
    const tl = parseTimeloopLevels(raw);
    const e = evaluateMapping(workloadOf(cell), arch, timeloopMapping(raw, arch));
    const mismatches: string[] = [];
    let pj = e.macs * tl[0]!.compute_energy_pj!;
    arch.levels.forEach((l, lv) => {
      for (const ds of DATA_SPACES) {
        const z = e.levels[lv]!.data[ds];
        const t = tl[lv + 1]!.data[ds];
        if (!z !== !t) mismatches.push(`${l.name}.${ds}: held by ${z ? "ZZZ" : "Timeloop"} only`);
        if (!z || !t) continue;
        for (const f of fields) if (z[f] !== t[f]) mismatches.push(`${l.name}.${ds}.${f}: ZZZ ${z[f]}, Timeloop ${t[f]}`);
        pj += (z.reads + z.fills + z.updates) * z.utilized_instances * t.energy_per_access_pj;
      }
    });
    expect(mismatches).toEqual([]);
    expect(e.cycles).toBe(Number(/^Cycles: (\d+)/m.exec(raw.slice(raw.lastIndexOf("Summary Stats")))![1]));
    const tlUj = Number(/^Energy: ([0-9.]+) uJ/m.exec(raw.slice(raw.lastIndexOf("Summary Stats")))![1]);
    expect(Math.abs(pj / 1e6 - tlUj) / tlUj).toBeLessThan(0.005);
  });
});

describe("dataflow mapper", () => {
  const suite = loadSuite(".");
  const cell = suite.cells.get("eyeriss.alexnet-conv1.n4.eyeriss-65nm")!;
  const arch = archOf(suite.hardware.get(cell.hardware)!);
  const w = workloadOf(cell);

  it("finds a mapping as fast as Timeloop's for AlexNet CONV1 on Eyeriss, deterministically, and says how many it evaluated", () => {
    const a = searchMapping(w, arch);
    const b = searchMapping(w, arch);
    expect(a.evaluation.cycles).toBe(3484800); // Timeloop v3.0.3's mapper: Cycles 3484800 (results/raw/timeloop/)
    expect(a.mapping).toEqual(b.mapping);
    expect(a.evaluated).toBeGreaterThan(1);
    expect(a.valid).toBeLessThanOrEqual(a.evaluated);
    expect(a.exhaustive).toBe(true);
  });

  it("respects the dataflow's constraints and the buffers", () => {
    const r = searchMapping(w, arch);
    expect(() => evaluateMapping(w, arch, r.mapping)).not.toThrow();
    // row-stationary: a filter row (R) lives in the weight spad, S rows go across the PE column
    const level = (name: string) => r.mapping[arch.levels.findIndex((l) => l.name === name)]!;
    expect(level("WeightRegFile").temporal.find((t) => t.dim === "R")?.bound).toBe(11);
    expect(level("DummyBuffer").spatial.find((s) => s.dim === "S")?.bound).toBe(11);
  });
});
