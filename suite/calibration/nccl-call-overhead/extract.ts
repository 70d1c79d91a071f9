/**
 * Re-create the committed calibration excerpts in data/ from Vidur's repository at the pinned commit.
 *   VIDUR_GIT=/path/to/vidur.git node_modules/.bin/tsx suite/calibration/nccl-call-overhead/extract.ts
 * Keeps the single-node rows (devices_per_node == num_workers) whose size is above 2 KiB and at most
 * 128 KiB: small messages that are NOT evaluation cells (the evaluation takes only the power-of-two
 * sizes 2 KiB and 1-64 MiB, suite/ground-truth/published/vidur/).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gitShow, parseCsvText, requireGitDir, writeCsvExcerpt } from "../../ground-truth/published/git-source.ts";

export const VIDUR_COMMIT = "7d47513363ec447a741ac5e47241580b47724fbf";
export const MIN_BYTES_EXCLUSIVE = 2048;
export const MAX_BYTES = 131072;
const here = path.dirname(fileURLToPath(import.meta.url));
const git = requireGitDir("VIDUR_GIT", "/work/.mirror/microsoft+vidur/repo");
for (const node of ["a100_dgx", "h100_dgx"])
  for (const coll of ["all_reduce", "send_recv"]) {
    const src = `data/profiling/network/${node}/${coll}.csv`;
    const { header, rows } = parseCsvText(gitShow(git, VIDUR_COMMIT, src));
    const keep = rows.filter((r) => {
      const s = Number(r.size);
      return r.devices_per_node === r.num_workers && s > MIN_BYTES_EXCLUSIVE && s <= MAX_BYTES;
    });
    writeCsvExcerpt(path.join(here, "data", node, `${coll}.csv`), header, keep);
    console.log(`${src}: kept ${keep.length} of ${rows.length} rows`);
  }
