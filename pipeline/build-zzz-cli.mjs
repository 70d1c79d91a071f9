#!/usr/bin/env node
/**
 * Bundles the `zzz` command line (pipeline/lib/zzz-cli/run.ts and everything it imports, npm
 * packages included) into one minified CommonJS file, .work/zzz-cli/zzz.cjs, with the esbuild that
 * ships with tsx (node_modules/esbuild): node starts it in well under tsx's start-up time, and
 * bin/zzz-run.cjs loads it through a V8 code cache (.work/zzz-cli/zzz.cjs.v8cache) so that it is
 * not compiled again on every call. Plain JavaScript so
 * that it runs before anything is compiled. Run by bin/zzz when a source is newer than the bundle,
 * and by `make zzz-cli`.
 *
 * Modules that find their data files next to themselves (`new URL(".", import.meta.url)`, e.g. the
 * ZZZ adapter's metadata.yaml) keep doing so: each repository module's `import.meta.url` is replaced
 * by the URL of its source file, so the bundle reads the same files as `tsx pipeline/zzz-cli.ts`.
 */
import { build } from "esbuild";
import { readFileSync, mkdirSync, writeFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, ".work/zzz-cli");
const out = join(outDir, "zzz.cjs");
mkdirSync(outDir, { recursive: true });

const sourceUrl = {
  name: "source-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${"/"}node_modules${"/"}`)) return undefined;
      const text = readFileSync(args.path, "utf8").replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href));
      return { contents: text, loader: "ts" };
    });
  },
};

// a temporary name per process: concurrent builds (parallel test files) each rename a whole bundle into place
const tmp = `${out}.${process.pid}.tmp`;
const t0 = performance.now();
const r = await build({
  absWorkingDir: root,
  entryPoints: [join(root, "pipeline/lib/zzz-cli/run.ts")],
  bundle: true,
  platform: "node",
  // CommonJS, minified: bin/zzz-run.cjs compiles it with a V8 code cache (start-up, issue 22)
  format: "cjs",
  minify: true,
  target: "node20",
  outfile: tmp,
  write: true,
  metafile: true,
  logLevel: "warning",
  plugins: [sourceUrl],
});
renameSync(tmp, out);
// the V8 code cache of the previous bundle (bin/zzz-run.cjs writes a new one on the next run)
rmSync(`${out}.v8cache`, { force: true });
// The inputs, for bin/zzz's staleness check (one path a line, relative to the repository root).
writeFileSync(join(outDir, "inputs.txt"), `${Object.keys(r.metafile.inputs).filter((p) => !p.includes("node_modules")).sort().join("\n")}\n`);
if (!process.argv.includes("--quiet")) console.error(`zzz: bundled ${Object.keys(r.metafile.inputs).length} modules into ${out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
