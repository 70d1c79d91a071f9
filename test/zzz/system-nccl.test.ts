// NCCL's cost model (zzz/system/nccl.ts) against hand-computed values from NCCL's constants
// (NVIDIA/nccl@5067397c2676 src/graph/tuning.cc, topo.h).
import { describe, expect, it } from "vitest";
import { ncclCollective, ncclModel, tierBandwidthGBps } from "../../zzz/system/nccl.ts";
import type { Topology } from "../../zzz/system/types.ts";

const A100: Topology = {
  name: "dgx-a100",
  generation: "ampere",
  devices_per_node: 8,
  intra: { kind: "nvlink", bandwidth_bytes_per_s: 300e9, n_links: 12, latency_s: 0 },
  inter: { kind: "net", bandwidth_bytes_per_s: 25e9, latency_s: 0 },
};
const H100: Topology = {
  name: "dgx-h100",
  generation: "hopper",
  devices_per_node: 8,
  intra: { kind: "nvlink", bandwidth_bytes_per_s: 450e9, n_links: 18, latency_s: 0, nvls: true },
  inter: { kind: "net", bandwidth_bytes_per_s: 50e9, latency_s: 0 },
};
const node8 = { n_ranks: 8, n_nodes: 1 };

describe("NCCL model: ring", () => {
  it("uses NCCL's per-link NVLink bandwidth times the link count", () => {
    expect(tierBandwidthGBps(A100.intra, "ampere")).toBeCloseTo(12 * 20.0, 9);
    expect(tierBandwidthGBps(H100.intra, "hopper")).toBeCloseTo(18 * 20.6, 9);
  });
  it("ring Simple all-reduce on 8 A100: latency 8.4 + 14 x 3.4 us, algorithm bandwidth 240 x 8/14 GB/s", () => {
    const m = ncclModel("all-reduce", "ring", "Simple", node8, A100)!;
    expect(m.latency_us).toBeCloseTo(8.4 + 14 * 3.4, 9);
    expect(m.bw_GBps).toBeCloseTo((240 * 8) / 14, 9);
  });
  it("ring LL: half the bus bandwidth, capped by llMaxBw (87.7 GB/s on Ampere), latency 6.6 + 14 x 0.6 us", () => {
    const m = ncclModel("all-reduce", "ring", "LL", node8, A100)!;
    expect(m.bw_GBps).toBeCloseTo((87.7 * 8) / 14, 9);
    expect(m.latency_us).toBeCloseTo(6.6 + 14 * 0.6, 9);
  });
  it("ring all-gather: n-1 steps, bandwidth x n/(n-1)", () => {
    const m = ncclModel("all-gather", "ring", "Simple", node8, A100)!;
    expect(m.latency_us).toBeCloseTo(8.4 + 7 * 3.4, 9);
    expect(m.bw_GBps).toBeCloseTo((240 * 8) / 7, 9);
  });
});

describe("NCCL model: tree and NVLS", () => {
  it("single-node tree all-reduce: latency 8.4 + 2 x 7 x 4.0 us, bandwidth min(0.92 x 240, 12 x 24) / 2", () => {
    const m = ncclModel("all-reduce", "tree", "Simple", node8, A100)!;
    expect(m.latency_us).toBeCloseTo(8.4 + 2 * 7 * 4.0, 9);
    expect(m.bw_GBps).toBeCloseTo((0.92 * 240) / 2, 9);
  });
  it("NVLS only where the tier has it: none on A100; on H100 latency 25 us, bus bandwidth 370.8 x 0.85 x 15/16 x 2", () => {
    expect(ncclModel("all-reduce", "nvls", "Simple", node8, A100)).toBeUndefined();
    const m = ncclModel("all-reduce", "nvls", "Simple", node8, H100)!;
    expect(m.latency_us).toBe(25);
    expect(m.bw_GBps).toBeCloseTo(((370.8 * 0.85 * 15) / 16) * 2 * (8 / 14), 6);
    expect(ncclModel("all-reduce", "nvls", "LL", node8, H100)).toBeUndefined();
  });
});

describe("NCCL tuner: minimum-time choice", () => {
  it("picks LL for a 2 KiB all-reduce and Simple ring for 64 MiB on 8 A100 (hand-computed times)", () => {
    const small = ncclCollective("all-reduce", 2048, node8, A100);
    expect([small.algorithm, small.protocol]).toEqual(["ring", "LL"]);
    // 15.0 us + 2048 B / (50.114 GB/s)
    expect(small.time_s).toBeCloseTo((15.0 + 2048 / (1000 * ((87.7 * 8) / 14))) * 1e-6, 12);
    const big = ncclCollective("all-reduce", 64 * 2 ** 20, node8, A100);
    expect([big.algorithm, big.protocol]).toEqual(["ring", "Simple"]);
    // Simple: 56 + 67108864 / (1000 x 137.14) = 545.3 us, below LL128's 40.6 + 531.8 = 572.4 us
    expect(big.time_s * 1e6).toBeCloseTo(56.0 + 67108864 / (1000 * ((240 * 8) / 14)), 6);
  });
  it("picks NVLS for a large all-reduce on 8 H100", () => {
    expect(ncclCollective("all-reduce", 64 * 2 ** 20, node8, H100).algorithm).toBe("nvls");
  });
  it("adds the per-call overhead to the chosen time", () => {
    const a = ncclCollective("all-reduce", 1 << 20, node8, A100, 0);
    const b = ncclCollective("all-reduce", 1 << 20, node8, A100, 20e-6);
    expect(b.time_s - a.time_s).toBeCloseTo(20e-6, 12);
  });
  it("one rank costs nothing", () => {
    expect(ncclCollective("all-reduce", 1 << 20, { n_ranks: 1, n_nodes: 1 }, A100).time_s).toBe(0);
  });
});

describe("NCCL model: two nodes and point to point", () => {
  it("16 H100 over 2 nodes, ring Simple: 28 NVLink steps (3.4 us) + 2 network steps (14 us), network bandwidth 50 x 16/30", () => {
    const m = ncclModel("all-reduce", "ring", "Simple", { n_ranks: 16, n_nodes: 2 }, H100)!;
    expect(m.latency_us).toBeCloseTo(8.4 + 28 * 3.4 + 2 * 14, 9);
    expect(m.bw_GBps).toBeCloseTo((50 * 16) / 30, 9);
  });
  it("send-recv inside a node: one Simple step (3.4 us) + bytes over 18 x 20.6 GB/s", () => {
    const t = ncclCollective("send-recv", 1e8, { n_ranks: 2, n_nodes: 1 }, H100).time_s;
    expect(t).toBeCloseTo(3.4e-6 + 1e8 / 370.8e9, 12);
  });
});

describe("bad input", () => {
  it("a topology with a missing tier names it", () => {
    const noNet: Topology = { ...A100, inter: undefined };
    expect(() => ncclCollective("all-reduce", 1 << 20, { n_ranks: 16, n_nodes: 2 }, noNet)).toThrow(/no inter-node tier/);
  });
  it("ranks that do not spread evenly over nodes", () => {
    expect(() => ncclCollective("all-reduce", 1 << 20, { n_ranks: 12, n_nodes: 5 }, A100)).toThrow(/evenly/);
  });
});
