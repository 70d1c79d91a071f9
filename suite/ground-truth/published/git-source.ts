/**
 * For the extract scripts only: read files of a pinned commit from a local git directory of a public
 * repository (e.g. one brought in with a `git clone --bare`). Import scripts never need this; they read
 * the committed excerpts.
 */
import fs from "node:fs";
import path from "node:path";
import { execaSync } from "execa";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";

export function gitShow(gitDir: string, commit: string, file: string): string {
  return execaSync("git", ["--git-dir", gitDir, "show", `${commit}:${file}`], { maxBuffer: 512 * 1024 * 1024, stripFinalNewline: false }).stdout;
}

export function gitLsTree(gitDir: string, commit: string, dir: string): string[] {
  return execaSync("git", ["--git-dir", gitDir, "ls-tree", "-r", "--name-only", commit, dir]).stdout.split("\n").filter(Boolean);
}

export function requireGitDir(envVar: string, fallback: string): string {
  const dir = process.env[envVar] ?? fallback;
  if (!fs.existsSync(dir)) throw new Error(`set ${envVar} to a git directory of the source repository (tried ${dir})`);
  return dir;
}

export function parseCsvText(text: string): { header: string[]; rows: Record<string, string>[] } {
  const recs = parse(text, { skip_empty_lines: true }) as string[][];
  const header = recs[0] ?? [];
  const rows = recs.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
  return { header, rows };
}

export function writeCsvExcerpt(file: string, header: string[], rows: Record<string, string>[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, stringify(rows, { header: true, columns: header }));
  fs.renameSync(tmp, file);
}
