// The layering rule of zzz/ (zzz/README.md): each layer imports only itself and the layers below
// it, and no layer does I/O, reads the clock or draws unseeded random numbers.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname, sep } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../zzz");
/** Which layers each layer may import (itself included). */
const ALLOWED: Record<string, string[]> = {
  ir: ["ir"],
  device: ["ir", "device"],
  engine: ["ir", "device", "engine"],
  system: ["ir", "device", "engine", "system"],
  service: ["ir", "device", "engine", "system", "service"],
  dataflow: ["ir", "dataflow"],
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Layer of a file under zzz/ ("" for zzz/index.ts, the public entry point). */
function layerOf(file: string): string {
  const rel = relative(ROOT, file).split(sep);
  return rel.length > 1 ? rel[0]! : "";
}

function imports(src: string): string[] {
  return [...src.matchAll(/(?:import|export)[^"']*?from\s+["']([^"']+)["']/g)].map((m) => m[1]!);
}

export function layerViolations(files: { path: string; src: string }[]): string[] {
  const out: string[] = [];
  for (const { path, src } of files) {
    const layer = layerOf(path);
    for (const spec of imports(src)) {
      if (!spec.startsWith(".")) {
        out.push(`${relative(ROOT, path)}: imports package "${spec}" (zzz/ is pure: no packages, no node: modules)`);
        continue;
      }
      const target = resolve(dirname(path), spec);
      if (!target.startsWith(ROOT + sep)) {
        out.push(`${relative(ROOT, path)}: imports "${spec}" from outside zzz/`);
        continue;
      }
      const tl = layerOf(target);
      if (layer === "") continue; // zzz/index.ts re-exports every layer
      if (!(layer in ALLOWED)) out.push(`${relative(ROOT, path)}: unknown layer "${layer}"`);
      else if (!ALLOWED[layer]!.includes(tl)) out.push(`${relative(ROOT, path)}: layer ${layer} imports ${tl || "zzz/index.ts"} ("${spec}")`);
    }
    if (/\bDate\.now\(|\bnew Date\(|\bperformance\.now\(|\bMath\.random\(|\bprocess\./.test(src))
      out.push(`${relative(ROOT, path)}: uses the clock, unseeded randomness or process state`);
  }
  return out;
}

describe("zzz layering", () => {
  const files = tsFiles(ROOT).map((path) => ({ path, src: readFileSync(path, "utf8") }));

  it("has the layer folders and every file is in a known layer", () => {
    for (const l of ["ir", "device", "engine", "system"]) expect(statSync(join(ROOT, l)).isDirectory()).toBe(true);
    expect(files.filter((f) => layerOf(f.path) === "").map((f) => relative(ROOT, f.path))).toEqual(["index.ts"]);
  });

  it("each layer imports only the layers below it, and none does I/O or reads the clock", () => {
    expect(layerViolations(files)).toEqual([]);
  });

  it("the checker catches an upward import, a package import and a clock read", () => {
    const bad = [
      { path: join(ROOT, "device/x.ts"), src: 'import { predict } from "../engine/predict.ts";' },
      { path: join(ROOT, "ir/y.ts"), src: 'import { readFileSync } from "node:fs";' },
      { path: join(ROOT, "engine/z.ts"), src: "export const t = Date.now();" },
      { path: join(ROOT, "dataflow/w.ts"), src: 'import { x } from "../device/index.ts";' },
    ];
    const v = layerViolations(bad);
    expect(v).toHaveLength(4);
    expect(v[0]).toContain("layer device imports engine");
    expect(v[1]).toContain('package "node:fs"');
    expect(v[2]).toContain("clock");
    expect(v[3]).toContain("layer dataflow imports device");
  });
});
