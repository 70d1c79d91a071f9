/** Collect the \cite keys of the paper's LaTeX sources (paper/**\/*.tex). */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface Cite {
  file: string;
  line: number;
  key: string;
  command: string;
}

function listTex(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTex(p));
    else if (name.endsWith(".tex")) out.push(p);
  }
  return out;
}

// \cite, \citep, \citet, \citeauthor, \nocite, \Cite..., with optional * and up to two [..] arguments.
const CITE = /\\((?:no)?[cC]ite[a-zA-Z]*)\*?(?:\s*\[[^\]]*\]){0,2}\s*\{([^}]*)\}/g;

/** Strip LaTeX comments (an unescaped % to the end of the line). */
function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\\") {
      i++;
      continue;
    }
    if (line[i] === "%") return line.slice(0, i);
  }
  return line;
}

export function collectCites(paperDir: string, root: string): { cites: Cite[]; files: string[] } {
  const files = listTex(paperDir);
  const cites: Cite[] = [];
  for (const f of files) {
    const rel = relative(root, f).split("\\").join("/");
    const lines = readFileSync(f, "utf8").split("\n");
    lines.forEach((raw, i) => {
      const line = stripComment(raw);
      for (const m of line.matchAll(CITE)) {
        const cmd = m[1] ?? "cite";
        for (const k of (m[2] ?? "").split(",")) {
          const key = k.trim();
          if (key !== "" && key !== "*") cites.push({ file: rel, line: i + 1, key, command: cmd });
        }
      }
    });
  }
  return { cites, files: files.map((f) => relative(root, f).split("\\").join("/")) };
}
