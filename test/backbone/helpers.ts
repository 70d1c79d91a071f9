/** Test helpers: a throw-away copy of the suite's models and hardware in a temp root. */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

export function tempSuite(cells: unknown[]): string {
  const root = mkdtempSync(join(tmpdir(), "suite-"));
  mkdirSync(join(root, "suite/cells"), { recursive: true });
  cpSync("suite/models", join(root, "suite/models"), { recursive: true });
  cpSync("suite/hardware", join(root, "suite/hardware"), { recursive: true });
  writeFileSync(join(root, "suite/cells/test.yaml"), stringify({ cells }));
  return root;
}

export const goodCell = {
  id: "llama-2-7b.decode.c512.b1.h100-sxm5-80gb.bf16",
  level: "model",
  workload: { kind: "decode-step", model: "llama-2-7b", batch: 1, context_len: 512 },
  hardware: "h100-sxm5-80gb",
  precision: "bf16",
  metric: "latency",
  unit: "s",
};
