/** The check-survey command as a function: run the check on `root`, print, return the exit code. */
import { formatProblemLines } from "./problems.ts";
import { runSurveyCheck } from "./check.ts";

export interface Log {
  out(line: string): void;
  err(line: string): void;
}

const consoleLog: Log = { out: (l) => console.log(l), err: (l) => console.error(l) };

export function surveyMain(root: string, log: Log = consoleLog): number {
  const { problems, summary, outputs } = runSurveyCheck(root, { write: true });
  if (problems.length > 0) {
    const roots = problems.filter((p) => !p.causedBy).length;
    log.err(`check-survey: ${roots} problem(s)${roots < problems.length ? ` (and ${problems.length - roots} follow-on)` : ""}; nothing written:`);
    for (const l of formatProblemLines(problems)) log.err(`  ${l}`);
    return 1;
  }
  const fmtCounts = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
  log.out(
    `check-survey: OK: ${summary.bibEntries} bib entries (${summary.surveyBibEntries} in bib/references.bib: ${summary.withDoi} with doi, ${summary.urlOnly} url only); ` +
      `${summary.works} works classified, ${summary.background} background; ${summary.cites} \\cite keys in ${summary.texFiles} .tex files resolve.`,
  );
  log.out(`  per methodology: ${fmtCounts(summary.perMethodology)}`);
  log.out(`  per hardware: ${fmtCounts(summary.perHardware)}`);
  log.out(`  reading (claims audit): ${fmtCounts(summary.perReading)}`);
  log.out(`  open source: ${fmtCounts(summary.perOpenSource)}`);
  log.out(`  needs from the target: ${fmtCounts(summary.perNeeds)}`);
  if (summary.prisma) log.out(`  PRISMA: ${fmtCounts(summary.prisma as unknown as Record<string, number>)}`);
  log.out(`  ${summary.emptyCells.length} empty coverage cells, ${summary.claimedGaps} of them gaps after a logged targeted search (results/taxonomy/gaps.csv); wrote ${[...outputs.keys()].sort().join(", ")}`);
  return 0;
}
