import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluationNumbers } from "../../pipeline/lib/render/evaluation-numbers.ts";
import type { SuiteData } from "../../pipeline/lib/render/data.ts";

const suite = { cells: [], groundTruth: [], problems: [], hardware: new Map([["h100", { kind: "gpu" }], ["cpu-host", { kind: "cpu" }]]) } as unknown as SuiteData;

function root(files: Record<string, string>): string {
  const r = mkdtempSync(join(tmpdir(), "evalnum-"));
  mkdirSync(join(r, "results"), { recursive: true });
  for (const [f, t] of Object.entries(files)) writeFileSync(join(r, f), t);
  return r;
}

const MVC = `tool,tier,n,mape_pct,median_ape_pct,geomean_ape_pct,worst_cell,worst_ape_pct,claim_bib,claimed_error,claimed_metric,claimed_validated_on,claim_place
astra-sim,claim-setting:x2,8,58.1,59.6,49.8,c1,79.1,b,9%,m,v,p
astra-sim,claim-setting:x8,8,32.6,32.3,22.8,c2,62.4,b,9%,m,v,p
astra-sim,published:training,12,83.8,51.4,55.9,c3,176.8,b,9%,m,v,p
timeloop,none,0,,,,,,t,not stated,,,
`;
const SERVING = `cell_id,metric,unit,predicted,derived,abs_pct_error,comparison,derived_from,formula_or_reason
mix.a.h100.ttft,ttft_p50,s,1,1.1,10,derived from measured components,x,f
mix.b.h100.ttft,ttft_p50,s,1,1.3,20,derived from measured components,x,f
mix.c.cpu-host.ttft,ttft_p50,s,1,1.1,5,derived from measured components,x,f
mix.d.h100.e2e,e2e,s,1,,,not comparable,,no reference
`;

describe("evaluation number macros", () => {
  it("names a macro per tool, tier and statistic, with the claim-setting range", () => {
    const m = new Map(evaluationNumbers(root({ "results/measured-vs-claimed.csv": MVC, "results/vidur-serving-check.csv": SERVING }), suite).map((x) => [x.name, x]));
    expect(m.get("mvcAstraSimClaimSettingXEightGeomean")?.value).toBe("22.8\\,\\%");
    expect(m.get("mvcAstraSimPublishedTrainingN")?.value).toBe("12");
    expect(m.get("mvcAstraSimClaimSettingGeomeanRange")?.value).toBe("22.8\\,\\%--49.8\\,\\%");
    expect(m.get("mvcAstraSimClaimSettingN")?.value).toBe("16");
    expect(m.get("mvcTimeloopNoneMape")).toMatchObject({ value: undefined });
    expect(m.get("vidurServingDerivedN")?.value).toBe("3");
    expect(m.get("vidurServingNotComparableN")?.value).toBe("1");
    expect(m.get("vidurServingDerivedMapeGpu")?.value).toBe("15.0\\,\\%");
    expect(m.get("vidurServingDerivedMapeCpu")?.value).toBe("5.0\\,\\%");
  });

  it("defines \\mvc<Tool>ClaimSettingN once when a tool's only claim-setting row is ungrouped (tier 'claim-setting')", () => {
    const csv = MVC.split("\n")[0] + "\ncalculon,claim-setting,8,3.6,2.6,2.4,c4,8.8,b,not stated,,v,p\n";
    const names = evaluationNumbers(root({ "results/measured-vs-claimed.csv": csv }), suite).map((x) => x.name);
    expect(names.filter((n) => n === "mvcCalculonClaimSettingN")).toHaveLength(1);
    expect(names).toContain("mvcCalculonClaimSettingGeomeanRange");
  });

  it("prints n/a, never a number, when the files are absent", () => {
    const m = evaluationNumbers(root({}), suite);
    expect(m.filter((x) => x.name.startsWith("mvc"))).toEqual([]);
    expect(m.find((x) => x.name === "vidurServingDerivedMapeGpu")).toMatchObject({ value: undefined, missing: expect.stringMatching(/missing/) });
  });
});
