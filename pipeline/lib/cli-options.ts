/**
 * Options of `make evaluate` / pipeline/evaluate.ts, parsed strictly: an unknown flag or an unknown
 * tool name (in --tools, --rerun/RERUN or DOCKER_TOOLS) is an error listing the known ones, never
 * silently ignored.
 */
import { parseArgs } from "node:util";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface CliOptions {
  tools?: string[];
  rerun?: string[];
  fresh: boolean;
  acceptFailures: boolean;
  allowOtherBuild: boolean;
  /** Scale-out (pipeline/lib/scale.ts): --jobs N / JOBS, --executor local|slurm / EXECUTOR, --no-cache / NO_CACHE. */
  jobs?: string;
  executor?: string;
  noCache: boolean;
}

const truthy = (v: string | undefined) => v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const xs = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return xs.length ? xs : undefined;
}

/** Checks every name against the known tools; `extra` are other accepted words (e.g. "all"). */
export function checkNames(what: string, names: string[] | undefined, known: string[], extra: string[] = []): void {
  if (!names) return;
  const bad = names.filter((n) => !known.includes(n) && !extra.includes(n));
  if (bad.length)
    throw new UsageError(
      `unknown tool name${bad.length > 1 ? "s" : ""} ${bad.map((b) => `'${b}'`).join(", ")} in ${what}; known tools: ${[...known, ...extra].join(", ")}`,
    );
}

export function parseEvaluateArgs(argv: string[], env: NodeJS.ProcessEnv, known: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        tools: { type: "string" },
        rerun: { type: "string" },
        fresh: { type: "boolean" },
        "accept-failures": { type: "boolean" },
        "allow-other-build": { type: "boolean" },
        jobs: { type: "string" },
        executor: { type: "string" },
        "no-cache": { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; options: --tools a,b  --rerun a,b|all  --fresh  --accept-failures  --allow-other-build  --jobs N  --executor local|slurm  --no-cache`);
  }
  const v = parsed.values;
  if (v.tools !== undefined && list(v.tools) === undefined) throw new UsageError(`--tools needs a comma list of tools; known tools: ${known.join(", ")}`);
  const opts: CliOptions = {
    tools: list(v.tools),
    rerun: list(v.rerun ?? env.RERUN),
    fresh: Boolean(v.fresh),
    acceptFailures: Boolean(v["accept-failures"]) || truthy(env.ACCEPT_FAILURES),
    allowOtherBuild: Boolean(v["allow-other-build"]) || truthy(env.ALLOW_OTHER_BUILD),
    jobs: v.jobs ?? (env.JOBS || undefined),
    executor: v.executor ?? (env.EXECUTOR || undefined),
    noCache: Boolean(v["no-cache"]) || truthy(env.NO_CACHE),
  };
  checkNames("--tools", opts.tools, known);
  checkNames(v.rerun !== undefined ? "--rerun" : "RERUN", opts.rerun, known, ["all"]);
  checkNames("DOCKER_TOOLS", list(env.DOCKER_TOOLS), known, ["all"]);
  return opts;
}
