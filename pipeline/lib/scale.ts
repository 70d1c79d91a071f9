/**
 * make evaluate's scale-out settings in one place (README "Running at scale"):
 *   JOBS=N (--jobs)            live cells at once per tool (default: the number of cores)
 *   EXECUTOR=local|slurm       where launches run (--executor); slurm: one job array per tool
 *   NO_CACHE=1 (--no-cache)    bypass the content-addressed cell cache (CELL_CACHE_DIR)
 *   SLURM_SHARED_DIR           the Slurm executor's shared directory (default .work/slurm)
 *   SLURM_SBATCH_ARGS          extra sbatch arguments, space-separated (e.g. "--partition=debug")
 * scaleOut() checks what the settings need (a reachable Docker daemon when DOCKER_TOOLS is set,
 * Slurm's commands and controller for EXECUTOR=slurm) and throws PreflightError with a one-line
 * message before any work, so that results/ stay unchanged.
 */
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { CellCache, defaultCacheDir } from "./cache.ts";
import { PreflightError, preflightDocker, type Executor } from "./exec.ts";
import { parseJobs } from "./pool.ts";
import { preflightSlurm, SlurmExecutor } from "./slurm.ts";

export { PreflightError };

export interface ScaleOptions {
  jobs?: number | string;
  executor?: string;
  noCache?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Progress lines (stderr by default). */
  log?: (s: string) => void;
}

export interface Scale {
  run: { jobs: number; executor?: Executor; cache?: CellCache };
}

export async function scaleOut(root: string, o: ScaleOptions = {}): Promise<Scale> {
  const env = o.env ?? process.env;
  let jobs: number;
  try {
    jobs = parseJobs(o.jobs ?? env.JOBS) ?? availableParallelism();
  } catch (e) {
    throw new PreflightError((e as Error).message);
  }
  const kind = (o.executor ?? env.EXECUTOR ?? "") || "local";
  if (kind !== "local" && kind !== "slurm") throw new PreflightError(`EXECUTOR=${kind}: expected local or slurm`);
  await preflightDocker(env);
  let executor: Executor | undefined;
  if (kind === "slurm") {
    await preflightSlurm(env);
    const log = o.log ?? ((s: string) => process.stderr.write(s));
    executor = new SlurmExecutor({
      sharedDir: resolve(env.SLURM_SHARED_DIR || join(root, ".work/slurm")),
      env,
      sbatchArgs: (env.SLURM_SBATCH_ARGS ?? "").split(/\s+/).filter(Boolean),
      onSubmit: (s) => log(`\n  ${s.tool}: submitted ${s.tasks} cells as Slurm job array ${s.jobId} (--time=${s.time_min} min, --mem=${s.mem_mb} MB)\n`),
    });
  }
  const noCache = o.noCache ?? (env.NO_CACHE !== undefined && env.NO_CACHE !== "" && env.NO_CACHE !== "0");
  return { run: { jobs, executor, cache: noCache ? undefined : new CellCache(defaultCacheDir(env)) } };
}
