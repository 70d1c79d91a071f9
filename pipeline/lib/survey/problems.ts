/** A problem found by the survey checks: always names the file, the key (entry or record) and the field. */
export interface Problem {
  file: string;
  /** The BibTeX key or taxonomy key concerned; "-" when the problem is about the whole file. */
  key: string;
  field: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}: key '${p.key}', field '${p.field}': ${p.message}`;
}

export function compareProblems(a: Problem, b: Problem): number {
  return a.file.localeCompare(b.file) || a.key.localeCompare(b.key) || a.field.localeCompare(b.field) || a.message.localeCompare(b.message);
}
