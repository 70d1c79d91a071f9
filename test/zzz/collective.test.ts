import { describe, expect, it } from "vitest";
import { collectiveLatency } from "../../zzz/index.ts";

// 1 GB over 8 devices, 100 GB/s per direction, 5 us per step: bytes/B = 0.01 s
const link = { bandwidth_bytes_per_s: 100e9, latency_s: 5e-6 };

describe("collective latency (ring, alpha-beta)", () => {
  it("all-reduce: 2*7/8 * 0.01 + 14 * 5 us = 0.01757 s", () => {
    expect(collectiveLatency("all-reduce", 1e9, 8, link)).toBeCloseTo(0.0175 + 70e-6, 12);
  });
  it("all-gather and reduce-scatter: 7/8 * 0.01 + 7 * 5 us = 0.008785 s", () => {
    expect(collectiveLatency("all-gather", 1e9, 8, link)).toBeCloseTo(0.00875 + 35e-6, 12);
    expect(collectiveLatency("reduce-scatter", 1e9, 8, link)).toBeCloseTo(0.008785, 12);
  });
  it("send-recv: 0.01 + 5 us", () => {
    expect(collectiveLatency("send-recv", 1e9, 2, link)).toBeCloseTo(0.010005, 12);
  });
  it("two devices: all-reduce moves the buffer once each way (2*1/2)", () => {
    expect(collectiveLatency("all-reduce", 1e9, 2, link)).toBeCloseTo(0.01 + 10e-6, 12);
  });
  it("one device costs nothing", () => {
    expect(collectiveLatency("all-reduce", 1e9, 1, link)).toBe(0);
  });
});
