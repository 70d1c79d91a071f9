import { describe, expect, it } from "vitest";
import { compareCsvText, DEFAULT_LIVE_TOLERANCE } from "../../pipeline/lib/compare.ts";

const A = "tool,cell_id,predicted,wall_s\nvidur,c1,1.000000,0.5\nzzz,c2,2.5,0.1\n";

describe("make compare: values against the reference outputs", () => {
  it("counts exact matches and ignores provenance columns", () => {
    const r = compareCsvText("f.csv", A, A.replace("0.5", "9.9"));
    expect(r).toMatchObject({ rows_committed: 2, rows_now: 2, values: 6, exact: 6, within_tolerance: 0, differ: 0, tolerance: "exact" });
  });
  it("accepts a live tool's rows within its tolerance and nothing else", () => {
    const now = A.replace("1.000000", String(1 + DEFAULT_LIVE_TOLERANCE / 2));
    expect(compareCsvText("f.csv", A, now).differ).toBe(1); // re-parsed rows: exact only
    const live = compareCsvText("f.csv", A, now, new Set(["vidur"]));
    expect(live).toMatchObject({ exact: 5, within_tolerance: 1, differ: 0, tolerance: "exact; live: vidur 0.000001" });
    const far = compareCsvText("f.csv", A, A.replace("1.000000", "1.1"), new Set(["vidur"]));
    expect(far.differ).toBe(1);
    expect(far.examples[0]).toBe("row 2 predicted: committed '1.000000', now '1.1' (tolerance 0.000001 for vidur)");
  });
  it("reports missing rows and changed headers", () => {
    expect(compareCsvText("f.csv", A, "tool,cell_id,predicted,wall_s\nvidur,c1,1.000000,0.5\n").examples).toEqual(["row 3: missing now"]);
    expect(compareCsvText("f.csv", A, A.replace("predicted", "latency_s")).differ).toBe(1);
  });
});
