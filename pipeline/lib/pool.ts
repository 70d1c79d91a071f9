/**
 * A small worker pool for the runner (make evaluate JOBS=N): at most `jobs` tasks run at once,
 * results come back in the order of the inputs (so a parallel run writes exactly what a serial one
 * does), and the hooks see which items are running.
 *
 * `exclusive(item)` names a resource two tasks must not use at the same time (e.g. Vidur's shared
 * predictor cache): tasks with the same name run one after another, others run beside them.
 */
import { availableParallelism } from "node:os";

export interface PoolHooks<T, R> {
  onStart?(item: T, index: number, running: ReadonlySet<number>): void;
  onDone?(item: T, index: number, result: R, running: ReadonlySet<number>): void;
}

/** The default number of jobs: JOBS, else the number of cores. */
export function defaultJobs(env: NodeJS.ProcessEnv = process.env): number {
  return parseJobs(env.JOBS) ?? availableParallelism();
}

/** JOBS=N as a positive integer; undefined when unset or empty; throws on anything else. */
export function parseJobs(v: string | number | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`JOBS=${v}: expected a positive integer (the number of cells run at once)`);
  return n;
}

/** Runs fn over items with at most `jobs` in flight; resolves to the results in input order. */
export async function runPool<T, R>(items: readonly T[], jobs: number, fn: (item: T, index: number) => Promise<R>, hooks: PoolHooks<T, R> = {}): Promise<R[]> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`pool: jobs must be a positive integer, got ${jobs}`);
  const results = new Array<R>(items.length);
  const running = new Set<number>();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      running.add(i);
      hooks.onStart?.(items[i]!, i, running);
      try {
        results[i] = await fn(items[i]!, i);
      } finally {
        running.delete(i);
      }
      hooks.onDone?.(items[i]!, i, results[i]!, running);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

/** Per-name mutex: `lock(name, fn)` runs fn when no other fn holding the same name runs. */
export class NamedLocks {
  private tails = new Map<string, Promise<unknown>>();

  async lock<R>(name: string | undefined, fn: () => Promise<R>): Promise<R> {
    if (name === undefined) return fn();
    const prev = this.tails.get(name) ?? Promise.resolve();
    const run = prev.then(() => fn());
    const tail = run.catch(() => undefined);
    this.tails.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }
}
