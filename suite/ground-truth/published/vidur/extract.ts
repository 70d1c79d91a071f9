/**
 * Re-create the committed excerpts in data/ from Vidur's repository at the pinned commit.
 *   VIDUR_GIT=/path/to/vidur.git node_modules/.bin/tsx suite/ground-truth/published/vidur/extract.ts
 * Keeps the rows whose num_tokens (compute) or size in bytes (network) is a power of two, all columns.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gitShow, parseCsvText, requireGitDir, writeCsvExcerpt } from "../git-source.ts";

export const VIDUR_COMMIT = "7d47513363ec447a741ac5e47241580b47724fbf";
const here = path.dirname(fileURLToPath(import.meta.url));
const isPow2 = (s: string) => {
  const n = Number(s);
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
};

const git = requireGitDir("VIDUR_GIT", "/work/.mirror/microsoft+vidur/repo");
for (const dev of ["a100", "h100"])
  for (const model of ["Llama-2-7b-hf", "Llama-2-70b-hf"]) {
    const src = `data/profiling/compute/${dev}/meta-llama/${model}/mlp.csv`;
    const { header, rows } = parseCsvText(gitShow(git, VIDUR_COMMIT, src));
    const keep = rows.filter((r) => isPow2(r.num_tokens ?? ""));
    writeCsvExcerpt(path.join(here, "data", "compute", dev, model, "mlp.csv"), header, keep);
    console.log(`${src}: kept ${keep.length} of ${rows.length} rows`);
  }
for (const node of ["a100_dgx", "h100_dgx"])
  for (const coll of ["all_reduce", "send_recv"]) {
    const src = `data/profiling/network/${node}/${coll}.csv`;
    const { header, rows } = parseCsvText(gitShow(git, VIDUR_COMMIT, src));
    const keep = rows.filter((r) => isPow2(r.size ?? ""));
    writeCsvExcerpt(path.join(here, "data", "network", node, `${coll}.csv`), header, keep);
    console.log(`${src}: kept ${keep.length} of ${rows.length} rows`);
  }
