/**
 * Re-create data/ from LLMCompass' repository at the pinned commit (files copied byte for byte).
 *   LLMCOMPASS_GIT=/path/to/LLMCompass.git node_modules/.bin/tsx suite/ground-truth/published/llmcompass/extract.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gitShow, requireGitDir } from "../git-source.ts";

export const LLMCOMPASS_COMMIT = "b95c6c95a80071414d31da8ba8d2e62334753f3d";
export const FILES = [
  "ae/figure5/ab/real_hardware/matmul_A100.csv",
  "ae/figure5/cf/real_hardware/softmax_A100.csv",
  "ae/figure5/de/real_hardware/layernorm_A100.csv",
  "ae/figure5/g/real_hardware/gelu_A100.csv",
];
const here = path.dirname(fileURLToPath(import.meta.url));
const git = requireGitDir("LLMCOMPASS_GIT", "/work/.mirror/PrincetonUniversity+LLMCompass/repo");
for (const f of FILES) {
  const out = path.join(here, "data", path.basename(f));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, gitShow(git, LLMCOMPASS_COMMIT, f));
  console.log(`${f} -> ${path.relative(process.cwd(), out)}`);
}
