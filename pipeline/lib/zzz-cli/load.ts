/**
 * The `zzz` command line's inputs: a model and a hardware entry, each a suite id
 * (`suite/models/<id>.yaml`, `suite/hardware/<id>.yaml`) or the path of the user's own YAML file,
 * validated with the suite's zod schemas (pipeline/lib/schema.ts). Only the named files are read
 * (plus the device whose calibration microbenchmarks a device without its own borrows), never the
 * whole suite: the result is a `Suite` with no cells and no ground truth, which is all the ZZZ
 * adapter needs to estimate a cell built from the command line.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { Hardware, Model } from "../schema.ts";
import { formatProblems, validate, type Problem, type Suite } from "../suite.ts";
import { CALIBRATION_FALLBACK } from "../../../tools-under-test/zzz/adapter.ts";

/** A usage or input error: printed without a stack, exit status 1. */
export class CliError extends Error {
  override name = "CliError";
}

export function knownIds(root: string, dir: "models" | "hardware"): string[] {
  const d = join(root, "suite", dir);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => f.replace(/\.ya?ml$/, ""))
    .sort();
}

const isPath = (s: string) => /\.ya?ml$/.test(s) || s.includes("/");

/** A path as the user reads it: relative to the working directory when inside it, else absolute. */
export function shownPath(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith("..") && !isAbsolute(r) ? r : path;
}

/** Edit distance (for "did you mean"). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** The known ids closest to an unknown one (at most three, within a third of its length). */
export function closest(arg: string, known: string[]): string[] {
  const limit = Math.max(2, Math.ceil(arg.length / 3));
  return known
    .map((k) => [k, distance(arg, k)] as const)
    .filter(([k, d]) => d <= limit || k.startsWith(arg) || arg.startsWith(k))
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 3)
    .map(([k]) => k);
}

function readValidated<T>(schema: typeof Model | typeof Hardware, path: string, shown: string): T {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CliError(`${shown}: (file): not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const problems: Problem[] = [];
  const v = validate(schema, raw, shown, "", problems);
  if (!v) throw new CliError(formatProblems(problems).replace(/^the suite has/, `${shown} has`));
  return v as T;
}

function resolveEntry<T extends { id: string }>(root: string, arg: string, dir: "models" | "hardware", schema: typeof Model | typeof Hardware): { entry: T; file: string; user: boolean } {
  const what = dir === "models" ? "model" : "hardware";
  if (isPath(arg)) {
    const path = resolve(arg);
    if (!existsSync(path)) throw new CliError(`--${what} ${arg}: no such file`);
    const shown = shownPath(path);
    return { entry: readValidated<T>(schema, path, shown), file: shown, user: true };
  }
  const path = join(root, "suite", dir, `${arg}.yaml`);
  if (!existsSync(path)) {
    const known = knownIds(root, dir);
    const near = closest(arg, known);
    throw new CliError(
      `unknown ${what} '${arg}'${near.length ? `; did you mean ${near.join(" or ")}?` : ""} known ${what === "model" ? "models" : "hardware"}: ${known.join(", ")} (or the path of your own YAML file, e.g. a copy of ${shownPath(join(root, "suite", dir, `${known[0] ?? "<id>"}.yaml`))})`,
    );
  }
  const entry = readValidated<T>(schema, path, shownPath(path));
  if (entry.id !== basename(path).replace(/\.ya?ml$/, "")) throw new CliError(`${shownPath(path)}: id: id '${entry.id}' must match the file name`);
  return { entry, file: shownPath(path), user: false };
}

export interface Inputs {
  suite: Suite;
  model: Model;
  hardware: Hardware;
  modelFile: string;
  hardwareFile: string;
}

/** Load the named model and hardware (ids or YAML paths) into a cell-less Suite rooted at `root`. */
export function loadInputs(root: string, modelArg: string | undefined, hardwareArg: string | undefined): Inputs {
  if (!modelArg) throw new CliError(`--model is required; known models: ${knownIds(root, "models").join(", ")} (or the path of a YAML file)`);
  if (!hardwareArg) throw new CliError(`--hardware is required; known hardware: ${knownIds(root, "hardware").join(", ")} (or the path of a YAML file)`);
  const m = resolveEntry<Model>(root, modelArg, "models", Model);
  const h = resolveEntry<Hardware>(root, hardwareArg, "hardware", Hardware);
  const hardware = new Map<string, Hardware>([[h.entry.id, h.entry]]);
  // The calibration of a device without measured microbenchmarks is the fallback device's (adapter.ts).
  if (h.entry.id !== CALIBRATION_FALLBACK) {
    const fb = join(root, "suite/hardware", `${CALIBRATION_FALLBACK}.yaml`);
    if (existsSync(fb)) hardware.set(CALIBRATION_FALLBACK, readValidated<Hardware>(Hardware, fb, shownPath(fb)));
  }
  const suite: Suite = { root, models: new Map([[m.entry.id, m.entry]]), hardware, cells: new Map(), cellFile: new Map(), groundTruth: [] };
  return { suite, model: m.entry, hardware: h.entry, modelFile: m.file, hardwareFile: h.file };
}
