/** The shared figure style (figures/style.json): Vega-Lite config and the fixed tool palette. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const StyleFile = z
  .object({
    $comment: z.string().optional(),
    tools: z
      .object({
        $comment: z.string().optional(),
        domain: z.array(z.string().min(1)).min(1),
        labels: z.array(z.string().min(1)).min(1),
        range: z.array(z.string().regex(/^#[0-9A-Fa-f]{6}$/)).min(1),
      })
      .refine((t) => t.domain.length === t.labels.length && t.domain.length === t.range.length, {
        message: "tools.domain, tools.labels and tools.range must have the same length",
      })
      .refine((t) => t.domain.includes("other"), { message: "tools.domain must contain 'other'" }),
    levels: z
      .object({
        $comment: z.string().optional(),
        domain: z.array(z.string().min(1)).min(1),
        range: z.array(z.string().regex(/^#[0-9A-Fa-f]{6}$/)).min(1),
        shapes: z.array(z.string().min(1)).min(1),
      })
      .refine((t) => t.domain.length === t.range.length && t.domain.length === t.shapes.length, {
        message: "levels.domain, levels.range and levels.shapes must have the same length",
      }),
    categorical: z.object({ $comment: z.string().optional(), range: z.array(z.string()).min(1) }),
    config: z.record(z.unknown()),
  })
  .strict();
export type Style = z.infer<typeof StyleFile>;

export const STYLE_PATH = fileURLToPath(new URL("../../../figures/style.json", import.meta.url));

let cached: Style | undefined;
export function loadStyle(): Style {
  if (!cached) {
    const res = StyleFile.safeParse(JSON.parse(readFileSync(STYLE_PATH, "utf8")));
    if (!res.success) throw new Error(`figures/style.json: ${res.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    cached = res.data;
  }
  return cached;
}

/** Normalises a tool name ('ASTRA-sim', 'astra_sim', 'SCALE-Sim v2') to a palette key, or 'other'. */
export function toolKey(tool: string): string {
  const { domain } = loadStyle().tools;
  const k = tool.trim().toLowerCase().replace(/[\s_]+/g, "-");
  if (domain.includes(k)) return k;
  // 'astra-sim-2.0' -> 'astra-sim', 'scale-sim-v2' -> 'scale-sim': the longest known prefix of tokens.
  const tokens = k.split("-");
  for (let n = tokens.length - 1; n >= 1; n--) {
    const prefix = tokens.slice(0, n).join("-");
    if (domain.includes(prefix)) return prefix;
  }
  const squashed = k.replace(/-/g, "");
  const hit = domain.find((d) => d.replace(/-/g, "") === squashed);
  return hit ?? "other";
}

export function toolLabel(tool: string): string {
  const s = loadStyle().tools;
  const k = toolKey(tool);
  if (k === "other") return tool;
  return s.labels[s.domain.indexOf(k)] ?? tool;
}
