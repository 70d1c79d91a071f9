import { describe, expect, it } from "vitest";
import { Cell } from "../../pipeline/lib/schema.ts";
import { decisionFidelity } from "../../pipeline/lib/decision.ts";

const cell = (id: string, n: number, engine: string, metric = "latency") =>
  Cell.parse({ id, level: "model", workload: { kind: "prefill", model: "m", batch: 1, seq_len: 128 }, hardware: "h", n_devices: n, parallelism: { tp: n }, precision: "bf16", engine, metric, unit: metric === "latency" ? "s" : "tokens/s" });

describe("decision fidelity", () => {
  const cells = new Map([cell("a", 1, "eager"), cell("b", 1, "graph"), cell("c", 2, "graph")].map((c) => [c.id, c]));
  it("scores device-seconds: the tool's pick against the measured best, with regret", () => {
    // measured device-seconds: a 10, b 6, c 2*4 = 8 -> best b; tool predicts c cheapest (2*2.5 = 5)
    const rows = decisionFidelity(
      [
        { tool: "t", cell_id: "a", measured: 10, predicted: 9 },
        { tool: "t", cell_id: "b", measured: 6, predicted: 7 },
        { tool: "t", cell_id: "c", measured: 4, predicted: 2.5 },
        { tool: "u", cell_id: "a", measured: 10, predicted: 3 }, // only one configuration: not scored
      ],
      cells,
    );
    expect(rows).toEqual([{ tool: "t", job: "prefill:m@h/bf16 (a)", metric: "latency", configurations: 3, tool_pick: "x2 tp2.pp1.dp1 graph", measured_best: "x1 tp1.pp1.dp1 graph", top1: false, regret: 0.333333 }]);
  });
  it("throughput: per device, higher is better", () => {
    const tc = new Map([cell("p", 1, "x", "throughput"), cell("q", 2, "x", "throughput")].map((c) => [c.id, c]));
    const rows = decisionFidelity([{ tool: "t", cell_id: "p", measured: 100, predicted: 90 }, { tool: "t", cell_id: "q", measured: 150, predicted: 200 }], tc);
    expect(rows[0]).toMatchObject({ tool_pick: "x2 tp2.pp1.dp1 x", measured_best: "x1 tp1.pp1.dp1 x", top1: false, regret: 0.25 });
  });
});
