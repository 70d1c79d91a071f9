/**
 * results/measured-vs-claimed.csv: for every third-party tool, the error we measured on the common
 * suite beside the accuracy its authors claim.
 *
 *  - claimed: the tool's claims in the taxonomy (taxonomy/works/*.yaml, the same rows as
 *    results/claimed-accuracy.csv), selected by the tool metadata's `bib` and, when several settings
 *    were validated, `claim_match` (a substring of the claim's validated_on or metric);
 *  - measured: the tool's rows of results/accuracy.csv, one row per ground-truth tier:
 *    published, measured-gpu, measured-cpu (the hardware kind of the measured cells); and, when the
 *    metadata names the cells that reproduce the claim's setting (`claim_cells`), one row
 *    `claim-setting` (or `claim-setting:<group>` per value of its capture group) over those cells.
 *    A tier that mixes workload kinds (e.g. collectives and training steps) also gets one row per
 *    kind, `<tier>:<workload kind>`.
 * Claims are often geometric means: every row gives both MAPE and the geometric mean of the APEs.
 * A tool with no comparison against ground truth gets one row with n = 0, never a number.
 */
import type { Cell, Hardware, ToolMetadata } from "./schema.ts";
import type { AccuracyRow } from "./metrics.ts";
import { fmt } from "./io.ts";

export const MVC_COLUMNS = [
  "tool",
  "tier",
  "n",
  "mape_pct",
  "median_ape_pct",
  "geomean_ape_pct",
  "worst_cell",
  "worst_ape_pct",
  "claim_bib",
  "claimed_error",
  "claimed_metric",
  "claimed_validated_on",
  "claim_place",
] as const;

/** A claim row as produced by claimedAccuracyRows (pipeline/lib/survey/outputs.ts). */
export type ClaimRow = Record<string, string | number>;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function geomean(xs: number[]): number | undefined {
  const pos = xs.filter((x) => x > 0);
  if (pos.length === 0) return undefined;
  return Math.exp(pos.reduce((s, x) => s + Math.log(x), 0) / pos.length);
}

export function tierOf(a: AccuracyRow, hardware: Map<string, Hardware>): string {
  if (a.gt_source_kind !== "measured") return a.gt_source_kind;
  const kind = hardware.get(a.hardware)?.kind;
  return kind === "cpu" ? "measured-cpu" : kind === "gpu" ? "measured-gpu" : `measured-${kind ?? "unknown"}`;
}

export function measuredVsClaimedRows(tools: ToolMetadata[], claims: ClaimRow[], acc: AccuracyRow[], hardware: Map<string, Hardware>, cells: Map<string, Cell> = new Map()): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const meta of tools) {
    if (meta.runner.kind === "library" || !meta.bib) continue; // ZZZ is this artifact's own engine: no claim to check
    const mine = claims.filter(
      (c) => c.bib === meta.bib && (!meta.claim_match || String(c.validated_on).includes(meta.claim_match) || String(c.metric).includes(meta.claim_match)),
    );
    const claim = {
      claim_bib: meta.bib,
      claimed_error: mine.length ? mine.map((c) => String(c.claimed_error)).join(" | ") : "no claim recorded in taxonomy/",
      claimed_metric: mine.map((c) => String(c.metric)).join(" | "),
      claimed_validated_on: mine.map((c) => String(c.validated_on)).join(" | "),
      claim_place: mine.map((c) => String(c.place)).join(" | "),
    };
    const tiers = new Map<string, AccuracyRow[]>();
    const add = (t: string, a: AccuracyRow) => tiers.set(t, [...(tiers.get(t) ?? []), a]);
    const setting = meta.claim_cells ? new RegExp(meta.claim_cells) : undefined;
    const kinds = new Map<string, Set<string>>();
    for (const a of acc.filter((x) => x.tool === meta.name)) {
      const t = tierOf(a, hardware);
      add(t, a);
      const kind = cells.get(a.cell_id)?.workload.kind;
      if (kind) kinds.set(t, (kinds.get(t) ?? new Set()).add(kind));
      const m = setting?.exec(a.cell_id);
      if (m) add(m[1] === undefined ? "claim-setting" : `claim-setting:${m[1]}`, a);
    }
    for (const [t, ks] of [...kinds]) {
      if (ks.size < 2) continue;
      for (const a of tiers.get(t)!) add(`${t}:${cells.get(a.cell_id)!.workload.kind}`, a);
    }
    if (tiers.size === 0) out.push({ tool: meta.name, tier: "none", n: "0", mape_pct: "", median_ape_pct: "", geomean_ape_pct: "", worst_cell: "", worst_ape_pct: "", ...claim });
    for (const [tier, rows] of tiers) {
      const apes = rows.map((r) => r.abs_pct_error);
      const worst = [...rows].sort((a, b) => b.abs_pct_error - a.abs_pct_error || (a.cell_id < b.cell_id ? -1 : 1))[0]!;
      out.push({
        tool: meta.name,
        tier,
        n: String(rows.length),
        mape_pct: fmt(apes.reduce((s, x) => s + x, 0) / apes.length),
        median_ape_pct: fmt(median(apes)),
        // Geometric mean over non-zero errors (an exact prediction has no logarithm).
        geomean_ape_pct: fmt(geomean(apes)),
        worst_cell: worst.cell_id,
        worst_ape_pct: fmt(worst.abs_pct_error),
        ...claim,
      });
    }
  }
  return out.sort((a, b) => (a.tool + "\u0000" + a.tier < b.tool + "\u0000" + b.tier ? -1 : 1));
}

/**
 * Problems evaluate stops on before running anything: a third-party tool whose `bib` or
 * `claim_match` selects no claim of the taxonomy (a typo in a record or in the metadata would
 * otherwise turn its claimed accuracy into "no claim recorded" silently).
 */
export function claimProblems(tools: ToolMetadata[], claims: ClaimRow[]): string[] {
  const out: string[] = [];
  for (const meta of tools) {
    if (meta.runner.kind === "library" || !meta.bib) continue;
    const ofBib = claims.filter((c) => c.bib === meta.bib);
    const file = `tools-under-test/${meta.name}/metadata.yaml`;
    if (ofBib.length === 0) {
      out.push(`${file}: bib '${meta.bib}' has no claim in taxonomy/works/*.yaml (validation.claims): fix the key or the record`);
      continue;
    }
    const m = meta.claim_match;
    if (m && !ofBib.some((c) => String(c.validated_on).includes(m) || String(c.metric).includes(m)))
      out.push(
        `${file}: claim_match '${m}' matches no claim of ${meta.bib} (validated_on: ${ofBib.map((c) => `'${String(c.validated_on)}'`).join(", ")}): fix the record in taxonomy/works/ or claim_match`,
      );
  }
  return out;
}
