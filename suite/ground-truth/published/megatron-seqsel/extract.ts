/**
 * Re-create the committed excerpts in data/ from Calculon's repository at the pinned commit:
 *   CALCULON_GIT=/path/to/calculon.git node_modules/.bin/tsx suite/ground-truth/published/megatron-seqsel/extract.ts
 * Copies, unchanged: calculon/llm/validation.py (its seqsel_tab5 holds the transcribed Table 5 of
 * Korthikanti et al. 2022), the eight execution files of validation/seqsel/tab5/, the four model files
 * they use, and LICENSE and NOTICE (Apache-2.0).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gitLsTree, gitShow, requireGitDir } from "../git-source.ts";

export const CALCULON_COMMIT = "caa4b11f8fe1fee3ba57adaacb7590d7deabd053";
const here = path.dirname(fileURLToPath(import.meta.url));
const git = requireGitDir("CALCULON_GIT", "/work/.mirror/calculon-ai+calculon/repo");
const files = [
  "LICENSE",
  "NOTICE",
  "calculon/llm/validation.py",
  ...gitLsTree(git, CALCULON_COMMIT, "validation/seqsel/tab5"),
  ...["megatron-22B", "gpt3-175B", "turing-530B", "megatron-1T"].map((m) => `models/${m}.json`),
];
for (const f of files) {
  const out = path.join(here, "data", f);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, gitShow(git, CALCULON_COMMIT, f));
  console.log(`${f}@${CALCULON_COMMIT.slice(0, 8)}`);
}
