/**
 * MAESTRO (maestro-project/maestro @ 4eb08d17, analytical data-centric cost model of DNN dataflows)
 * as a tool under test.
 *
 * MAESTRO takes a layer, a dataflow written in its directives (SpatialMap, TemporalMap, Cluster) and a
 * PE array with its NoC bandwidth and buffers, and computes runtime (cycles), energy and buffer / NoC
 * requirements analytically. It is attempted here on the cells of the Eyeriss chip (row-stationary),
 * with the row-stationary dataflows MAESTRO's authors wrote (fixtures/, copied unchanged):
 *   alexnet_rs_validation.m   validation/eyeriss/ (their Eyeriss AlexNet validation, 168 PEs)
 *   vgg16_rs.m, Resnet50_rs.m data/mapping/ (their row-stationary mappings of those networks)
 * A cell runs when one of these files has a layer of the same shape (K, C per group, R, S, stride and
 * input height, padded or not): its Dataflow block is used, with the cell's dimensions.
 *
 * prepare() writes <workDir>/<cell id>/layer.m (one layer: the cell's dimensions, the matched
 * dataflow); invoke() runs `maestro --Mapping_file=layer.m ...` with the hardware flags of the
 * authors' Eyeriss validation script, every number the suite gives replaced by the suite's value
 * (num_pes, NoC bandwidth = the global buffer's read words per cycle, L1 = the PE's register files,
 * L2 = the global buffer), and returns the inputs (as '#' lines) and the CSV MAESTRO writes (layer.csv).
 * parse() reads ' Runtime (Cycles)' and divides by the hardware's clock.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ToolMetadata, type Cell, type Hardware } from "../../pipeline/lib/schema.ts";
import type { Suite } from "../../pipeline/lib/suite.ts";
import type { Support, ToolAdapter, ToolContext } from "../../pipeline/lib/tool.ts";
import { launcherFor, runProcess, toolAvailability, ToolRunError, ToolVerdict } from "../../pipeline/lib/exec.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
export const metadata = ToolMetadata.parse(parseYaml(readFileSync(`${here}metadata.yaml`, "utf8")));

export const ENV_BIN = "MAESTRO_BIN";
export const ENV_TIMEOUT = "MAESTRO_TIMEOUT_S";
/** Upstream mapping files searched in this order (fixtures/, copied from maestro@4eb08d17). */
export const MAPPING_FILES = ["alexnet_rs_validation.m", "vgg16_rs.m", "Resnet50_rs.m"] as const;

export interface MaestroLayer {
  file: string;
  name: string;
  dims: Record<string, number>;
  stride: number;
  dataflow: string;
}

/** The block after `<keyword> ... {` up to its matching brace, and where it ends. */
function block(text: string, from: number): { body: string; end: number } {
  const open = text.indexOf("{", from);
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return { body: text.slice(open + 1, i), end: i + 1 };
  }
  throw new Error("unbalanced braces in a MAESTRO mapping file");
}

/** The layers of a MAESTRO mapping file: dimensions ('K: 64' or 'K 64'), stride and dataflow text. */
export function parseMapping(text: string, file: string): MaestroLayer[] {
  const layers: MaestroLayer[] = [];
  const re = /Layer\s+(\S+)\s*\{/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const { body, end } = block(text, m.index);
    const dimsText = /Dimensions\s*\{([^}]*)\}/.exec(body)?.[1] ?? "";
    const dims: Record<string, number> = {};
    for (const d of dimsText.matchAll(/([A-Z]'?)\s*:?\s*(\d+)/g)) dims[d[1]!] = Number(d[2]);
    const stride = Number(/Stride\s*\{\s*X:\s*(\d+)/.exec(body)?.[1] ?? 1);
    const df = body.indexOf("Dataflow");
    const dataflow = df >= 0 ? block(body, df).body : "";
    layers.push({ file, name: m[1]!, dims, stride, dataflow });
    re.lastIndex = end;
  }
  return layers;
}

let cache: MaestroLayer[] | undefined;
export function upstreamLayers(): MaestroLayer[] {
  cache ??= MAPPING_FILES.flatMap((f) => parseMapping(readFileSync(join(here, "fixtures", f), "utf8"), f));
  return cache;
}

/** The cell's layer in MAESTRO's dimensions: one group's C, all K, padded input (X/Y), batch N. */
export function dimsOf(cell: Cell): { N: number; K: number; C: number; R: number; S: number; Y: number; X: number; stride: number } {
  const w = cell.workload;
  if (w.kind !== "conv2d") throw new Error("not a conv2d cell");
  return { N: w.n, K: w.k, C: w.c / w.groups, R: w.r, S: w.s, Y: w.h + 2 * w.padding, X: w.w + 2 * w.padding, stride: w.stride };
}

/** The first upstream layer of the same shape (its input size may be given padded or not). */
export function matchLayer(cell: Cell): MaestroLayer | undefined {
  const w = cell.workload;
  if (w.kind !== "conv2d") return undefined;
  const d = dimsOf(cell);
  return upstreamLayers().find(
    (l) => l.dims.K === d.K && l.dims.C === d.C && l.dims.R === d.R && l.dims.S === d.S && l.stride === d.stride && (l.dims.Y === d.Y || l.dims.Y === w.h),
  );
}

export function supports(cell: Cell, suite: Suite): Support {
  const hw = suite.hardware.get(cell.hardware);
  if (!hw) return { ok: false, reason: `unknown hardware ${cell.hardware}` };
  if (hw.dataflow?.dataflow !== "row-stationary")
    return { ok: false, reason: hw.kind === "gpu" || hw.kind === "cpu" ? "cannot express: MAESTRO models spatial dataflow accelerators, not a GPU or CPU" : "no input generated: MAESTRO is attempted on the Eyeriss (row-stationary) cells only: no mapping for other accelerators is generated in this artifact" };
  if (!hw.boost_clock_hz) return { ok: false, reason: `${hw.id} has no clock` };
  if (cell.workload.kind !== "conv2d") return { ok: false, reason: `workload '${cell.workload.kind}' is not translated to MAESTRO` };
  if (cell.metric !== "latency") return { ok: false, reason: `metric ${cell.metric} is not derived from MAESTRO's runtime` };
  if (!matchLayer(cell)) return { ok: false, reason: `no input generated: no row-stationary mapping of this layer shape among MAESTRO's own files (${MAPPING_FILES.join(", ")})` };
  return { ok: true };
}

export function layerText(cell: Cell, l: MaestroLayer): string {
  const d = dimsOf(cell);
  return [
    "Network suite {",
    `Layer ${l.name} {`,
    "Type: CONV",
    ...(d.stride > 1 ? [`Stride { X: ${d.stride}, Y: ${d.stride} }`] : []),
    `Dimensions { N ${d.N}, K ${d.K}, C ${d.C}, R ${d.R}, S ${d.S}, Y ${d.Y}, X ${d.X} }`,
    "Dataflow {",
    ...l.dataflow
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => `  ${s}`),
    "}",
    "}",
    "}",
    "",
  ].join("\n");
}

/** MAESTRO's hardware flags: the authors' Eyeriss validation script, with the suite's numbers. */
export function hardwareFlags(hw: Hardware): Record<string, string | number | boolean> {
  const d = hw.dataflow;
  if (!d) throw new Error(`no dataflow architecture for ${hw.id}`);
  const perPe = d.levels.filter((l) => l.class === "regfile" && l.instances === d.compute.instances);
  const glb = d.levels.filter((l) => l.class === "sram" && l.instances === 1).at(-1);
  if (!glb || glb.entries === undefined || glb.read_bandwidth_words_per_cycle === undefined) throw new Error(`${hw.id}: no global buffer with entries and read bandwidth`);
  return {
    noc_bw: glb.read_bandwidth_words_per_cycle,
    noc_hop_latency: 1,
    noc_mc_support: true,
    num_pes: d.compute.instances,
    num_simd_lanes: 1,
    l1_size: perPe.reduce((a, l) => a + (l.entries ?? 0), 0),
    l2_size: glb.entries,
    do_implicit_reduction: false,
    do_fg_sync: false,
    do_reduction_op: true,
    do_dse: false,
  };
}

// ---------------------------------------------------------------- raw output

export function parseCsv(raw: string): Record<string, string> {
  const crash = raw.split("\n").find((l) => l.startsWith("CRASH: "));
  if (crash) throw new ToolVerdict(`MAESTRO crashed on this layer: ${crash.slice(7)}`);
  const lines = raw.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  if (lines.length < 2) throw new Error("MAESTRO output has no CSV row");
  const head = lines[0]!.split(",").map((s) => s.trim());
  const vals = lines[1]!.split(",").map((s) => s.trim());
  return Object.fromEntries(head.map((h, i) => [h, vals[i] ?? ""]));
}

export function runtimeCycles(raw: string): number {
  const r = parseCsv(raw);
  const v = Number(r["Runtime (Cycles)"]);
  if (!(v > 0)) throw new Error(`MAESTRO CSV: Runtime (Cycles) is '${r["Runtime (Cycles)"]}'`);
  return v;
}

// ---------------------------------------------------------------- running

export function availability(env: NodeJS.ProcessEnv = process.env) {
  return toolAvailability(metadata, ENV_BIN, env);
}

export interface Prepared {
  dir: string;
  mapping: string;
  args: string[];
  header: string[];
}

export function prepareCell(cell: Cell, hw: Hardware, workDir: string): Prepared {
  const l = matchLayer(cell);
  if (!l) throw new Error(`no MAESTRO mapping for ${cell.id}`);
  const dir = resolve(workDir, cell.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mapping = join(dir, "layer.m");
  const text = layerText(cell, l);
  writeFileSync(mapping, text);
  const flags = hardwareFlags(hw);
  // Relative to the working directory: MAESTRO names its CSV by cutting the mapping path at its
  // first two '/' and its first '.', so an absolute path (or a '.' in a directory name) sends the CSV
  // elsewhere (API_user-interface-v2.hpp, ConstructOutputFileName).
  const args = ["--Mapping_file=layer.m", "--print_res=false", "--print_res_csv_file=true", "--print_log_file=false", ...Object.entries(flags).map(([k, v]) => `--${k}=${v}`)];
  const header = [
    `# maestro: ${metadata.commit} output for suite cell ${cell.id}`,
    `# dataflow: layer ${l.name} of ${l.file} (maestro@${metadata.commit?.slice(0, 8)})`,
    `# flags: ${Object.entries(flags).map(([k, v]) => `--${k}=${v}`).join(" ")}`,
    ...text.split("\n").filter(Boolean).map((s) => `# layer.m: ${s}`),
  ];
  return { dir, mapping, args, header };
}

export async function runMaestro(prepared: Prepared, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const v = Number(env[ENV_TIMEOUT]);
  try {
    await runProcess(
    metadata,
    {
      program: "maestro",
      localBin: env[ENV_BIN],
      args: prepared.args,
      cwd: prepared.dir,
      readOnly: [prepared.mapping],
      writable: [prepared.dir],
      timeout_s: Number.isFinite(v) && v > 0 ? v : 120,
    },
    env,
  );
  } catch (e) {
    // A deterministic crash of the analysis (upstream's own VGG-16 and ResNet-50 row-stationary
    // files die with SIGFPE in this build) is MAESTRO's outcome for the cell: recorded, so that the
    // re-parse reports the same failure.
    const signal = /killed with (SIG[A-Z]+)/.exec((e as Error).message)?.[1];
    if (e instanceof ToolRunError && signal && signal !== "SIGKILL") return prepared.header.join("\n") + `\nCRASH: maestro was killed with ${signal}\n`;
    throw e;
  }
  // MAESTRO writes <mapping name>.csv into its working directory.
  const csv = join(prepared.dir, "layer.csv");
  if (!existsSync(csv)) throw new ToolRunError("maestro wrote no layer.csv");
  const text = readFileSync(csv, "utf8");
  return prepared.header.join("\n") + "\n" + (text.endsWith("\n") ? text : text + "\n");
}

export const maestroAdapter: ToolAdapter<Prepared> = {
  metadata,
  recordRaw: true,
  async availability() {
    return availability();
  },
  supports: (cell, ctx) => supports(cell, ctx.suite),
  async prepare(cell: Cell, ctx: ToolContext) {
    const hw = ctx.suite.hardware.get(cell.hardware);
    if (!hw) throw new Error(`unknown hardware ${cell.hardware}`);
    return prepareCell(cell, hw, ctx.workDir);
  },
  inputFiles: (p) => [p.mapping],
  invoke: (prepared) => runMaestro(prepared),
  parse(raw, cell, ctx) {
    const hw = ctx.suite.hardware.get(cell.hardware);
    if (!hw?.boost_clock_hz) throw new Error(`${cell.hardware} has no clock`);
    return { value: runtimeCycles(raw) / hw.boost_clock_hz.value, unit: "s" };
  },
};
