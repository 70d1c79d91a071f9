import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import type { Loaded } from "../../pipeline/lib/render/data.ts";
import { fmtSignedPct, headToHeadPaper } from "../../pipeline/lib/render/head-to-head-paper.ts";

const TEMPLATES = fileURLToPath(new URL("../../paper/templates", import.meta.url));
const H2H_HEAD = "kind,cell_set,tool,n,mape,median_ape,bias_pct,p90_ape,spearman,gt_tier,rerun_spread_pct,n_cells,set_kind,fed_by,headline";
function csv(file: string, text: string): Loaded {
  const [head, ...lines] = text.trim().split("\n");
  const cols = head!.split(",");
  const rows = lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i]!, v])));
  return { file, status: rows.length ? "ok" : "empty", rows, problems: [] };
}
const missing = (file: string): Loaded => ({ file, status: "missing", rows: [], problems: [] });
const H2H = `${H2H_HEAD}
collective,astra-sim+zzz,astra-sim,64,45.8,48.1,-40.0,72.2,0.88,published,,64,all,,true
collective,astra-sim+zzz,zzz,64,35.0,21.9,13.5,45.4,0.93,published,,64,all,,true
training-step,astra-sim+zzz,astra-sim,12,83.8,51.4,34.0,176.8,0.27,derived,,3,all,astra-sim<-zzz,false
training-step,astra-sim+zzz,zzz,12,14.1,17.2,-14.1,30.3,0.94,derived,,3,all,astra-sim<-zzz,false
training-step,calculon+zzz,calculon,9,4.7,3.5,-0.6,9.7,1.0,published,,9,all,,true
training-step,calculon+zzz,zzz,9,6.8,5.9,-4.5,10.4,1.0,published,,9,all,,true
training-step,calculon+zzz,newtool,9,2.0,1.0,-1.0,3.0,1.0,published,,9,all,,true
collective,astra-sim+zzz,zzz,64,35.0,21.9,13.5,45.4,0.93,published,,64,pair,,true`;

const run = (h2h: Loaded) =>
  headToHeadPaper({ h2h, runtime: missing("results/head-to-head-runtime.csv"), decision: missing("results/decision-fidelity.csv"), ablation: missing("results/zzz-ablation.csv"), calibration: missing("results/zzz-calibration.csv") }, TEMPLATES);

describe("head-to-head paper macros and tables", () => {
  it("names headline and derived rows apart, and counts under-predicting headline rows", () => {
    const r = run(csv("results/head-to-head.csv", H2H));
    const m = new Map(r.numbers.map((x) => [x.name, x.value]));
    expect(r.problems).toEqual([]);
    expect(m.get("hhCollectiveAstraSimMape")).toBe("45.8\\,\\%");
    expect(m.get("hhCollectiveAstraSimBias")).toBe("$-$40.0\\,\\%");
    expect(m.get("hhTrainingStepAstraSimDerivedCells")).toBe("3");
    expect(m.get("hhTrainingStepZzzMape")).toBe("6.8\\,\\%");
    expect(m.get("hhTrainingStepZzzDerivedMape")).toBe("14.1\\,\\%");
    expect(m.get("hhHeadlineRows")).toBe("5");
    expect(m.get("hhHeadlineRowsUnder")).toBe("4");
    expect(m.get("hhKindsTwoThirdParty")).toBe("1");
    expect(new Set(r.numbers.map((x) => x.name)).size).toBe(r.numbers.length);
  });
  it("a tool added to the CSV appears in the tables without a template change; derived rows carry a dagger", () => {
    const r = run(csv("results/head-to-head.csv", H2H));
    const t = r.tables.find((x) => x.name === "head-to-head")!.tex;
    expect(t).toContain("newtool");
    expect(t).toMatch(/ASTRA-sim\$\^\{\\dagger\}\$ & 12 \(3\) & derived/);
    expect(t).toContain("ASTRA-sim fed by ZZZ");
    const g = r.tables.find((x) => x.name === "decision-guide")!.tex;
    expect(g).toMatch(/training step & published & 9 & newtool & 2\.0/);
  });
  it("prints n/a and 'no data yet' when the file is missing, never a number", () => {
    const r = run(missing("results/head-to-head.csv"));
    expect(r.numbers.find((x) => x.name === "hhHeadlineRows")?.value).toBeUndefined();
    expect(r.tables.find((x) => x.name === "head-to-head")!.tex).toContain("no data yet");
  });
  it("formats signed percentages", () => {
    expect(fmtSignedPct(-3.14)).toBe("$-$3.1\\,\\%");
    expect(fmtSignedPct(2)).toBe("$+$2.0\\,\\%");
  });
});
