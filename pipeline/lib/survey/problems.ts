/** A problem found by the survey checks: always names the file, the key (entry or record) and the field. */
export interface Problem {
  file: string;
  /** The BibTeX key or taxonomy key concerned; "-" when the problem is about the whole file. */
  key: string;
  field: string;
  message: string;
  /** Set on a follow-on problem (e.g. a key missing because its bib file did not parse): the root cause. */
  causedBy?: string;
}

/** Root problems first, one line each; follow-on problems collapsed into one line per cause. */
export function formatProblemLines(problems: Problem[]): string[] {
  const lines = problems.filter((p) => !p.causedBy).map(formatProblem);
  const byCause = new Map<string, Problem[]>();
  for (const p of problems.filter((x) => x.causedBy)) byCause.set(p.causedBy!, [...(byCause.get(p.causedBy!) ?? []), p]);
  for (const [cause, ps] of byCause) lines.push(`and ${ps.length} more caused by the problem above (${cause}), e.g. ${formatProblem(ps[0]!)}`);
  return lines;
}

export function formatProblem(p: Problem): string {
  return `${p.file}: key '${p.key}', field '${p.field}': ${p.message}`;
}

export function compareProblems(a: Problem, b: Problem): number {
  return a.file.localeCompare(b.file) || a.key.localeCompare(b.key) || a.field.localeCompare(b.field) || a.message.localeCompare(b.message);
}
