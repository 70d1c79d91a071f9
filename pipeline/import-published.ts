/**
 * Regenerate every published ground-truth set from the committed excerpts:
 *   suite/cells/published-<source>.yaml and suite/ground-truth/published/<source>/ground-truth.csv.
 * Usage: node_modules/.bin/tsx pipeline/import-published.ts [source ...]
 * Each source's README.md (suite/ground-truth/published/<source>/) gives origin, commit and license; its
 * extract.ts re-creates the excerpts from the upstream repository (needs a local git copy; not run here).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as llmcompass from "../suite/ground-truth/published/llmcompass/import.ts";
import * as megatronSeqsel from "../suite/ground-truth/published/megatron-seqsel/import.ts";
import * as mlperfInf41 from "../suite/ground-truth/published/mlperf-inf41/import.ts";
import * as mlperfTr40 from "../suite/ground-truth/published/mlperf-tr40/import.ts";
import * as sharedCsv from "../suite/ground-truth/published/shared-csv/import.ts";
import * as vidur from "../suite/ground-truth/published/vidur/import.ts";

// shared-csv last: its mapping checks values against the other sources' ground-truth.csv files.
export const IMPORTERS = [llmcompass, megatronSeqsel, mlperfInf41, mlperfTr40, vidur, sharedCsv] as const;

function main(argv: string[]): void {
  const wanted = new Set(argv);
  const unknown = [...wanted].filter((w) => !IMPORTERS.some((i) => i.SOURCE === w));
  if (unknown.length) {
    console.error(`unknown source(s): ${unknown.join(", ")}; known: ${IMPORTERS.map((i) => i.SOURCE).join(", ")}`);
    process.exit(2);
  }
  const totals: Record<string, number> = {};
  let failed = 0;
  for (const imp of IMPORTERS) {
    if (wanted.size && !wanted.has(imp.SOURCE)) continue;
    try {
      const counts = imp.run();
      console.log(`${imp.SOURCE}: ${Object.entries(counts).map(([l, n]) => `${l} ${n}`).join(", ")}`);
      for (const [l, n] of Object.entries(counts)) totals[l] = (totals[l] ?? 0) + n;
    } catch (e) {
      failed++;
      console.error(`${imp.SOURCE}: FAILED\n${(e as Error).message}`);
    }
  }
  const sum = Object.values(totals).reduce((a, b) => a + b, 0);
  console.log(`total: ${sum} cells (${Object.entries(totals).sort().map(([l, n]) => `${l} ${n}`).join(", ")})`);
  if (failed) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
