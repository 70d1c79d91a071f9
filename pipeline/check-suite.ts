#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * make check-suite: validate the benchmark suite (models, hardware, cells, ground truth), check that
 * the generated cell file is up to date, and validate the committed results/*.csv against their
 * schemas. Prints counts; exits 1 listing every problem.
 */
import { chalk } from "zx";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { loadSuite, SuiteError, validate, formatProblems, type Problem } from "./lib/suite.ts";
import { render, OUT } from "./gen-cells.ts";
import { readCsv } from "./lib/io.ts";
import { PredictionRow, PREDICTION_COLUMNS } from "./lib/schema.ts";
import { loadBibDir } from "./lib/survey/bib.ts";

/** Every problem of the suite under `root`, root causes first; `counts` are the lines printed on success. */
export function checkSuite(root = "."): { problems: Problem[]; counts: string[] } {
  const problems: Problem[] = [];
  const counts: string[] = [];
  let suite;
  try {
    suite = loadSuite(root);
  } catch (e) {
    if (!(e instanceof SuiteError)) throw e;
    problems.push(...e.problems);
  }
  // Every bib key the suite cites (models, hardware, ground truth) must exist in bib/*.bib.
  if (suite) {
    const bib = loadBibDir(join(root, "bib"), "bib");
    const keys = new Set(bib.entries.map((e) => e.key));
    // A bib file that does not parse is the root problem; the keys it would have defined are follow-ons.
    for (const p of bib.problems) problems.push({ file: p.file, field: p.key === "-" ? "(file)" : `key '${p.key}', field '${p.field}'`, message: `${p.message} (the whole file is unreadable until this is fixed)` });
    const unparsed = bib.problems.map((p) => p.file);
    const cite = (file: string, field: string, bib: string | undefined) => {
      if (bib && !keys.has(bib))
        problems.push({ file, field, message: `bib key '${bib}' is in no bib/*.bib file`, causedBy: unparsed.length ? `${unparsed.join(", ")} did not parse` : undefined });
    };
    for (const m of suite.models.values()) cite(`suite/models/${m.id}.yaml`, "source.bib", m.source.bib);
    for (const g of suite.groundTruth as (typeof suite.groundTruth[number] & { file?: string; row?: number })[])
      cite(g.file ?? "suite/ground-truth", `line ${g.row ?? "?"}: bib`, g.bib);
  }
  if (!existsSync(join(root, OUT)) || readFileSync(join(root, OUT), "utf8") !== render())
    problems.push({ file: OUT, field: "(file)", message: "out of date with pipeline/gen-cells.ts: run node_modules/.bin/tsx pipeline/gen-cells.ts" });

  const pred = "results/predictions.csv";
  if (existsSync(join(root, pred))) {
    const header = readFileSync(join(root, pred), "utf8").split("\n")[0];
    if (header !== PREDICTION_COLUMNS.join(","))
      problems.push({ file: pred, field: "(header)", message: `expected columns ${PREDICTION_COLUMNS.join(",")}` });
    readCsv(join(root, pred)).forEach((r, i) => validate(PredictionRow, r, pred, `row ${i + 2}`, problems));
  }

  if (suite) {
    const count = (xs: string[]) => Object.fromEntries([...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())].sort());
    const cells = [...suite.cells.values()];
    const gtCells = new Set(suite.groundTruth.map((g) => g.cell_id));
    const j = (o: unknown) => JSON.stringify(o).replace(/,/g, ", ");
    counts.push(`suite: ${suite.models.size} models, ${suite.hardware.size} hardware, ${cells.length} cells`);
    counts.push(`cells per level: ${j(count(cells.map((c) => c.level)))}`);
    counts.push(`cells with ground truth per level: ${j(count(cells.filter((c) => gtCells.has(c.id)).map((c) => c.level)))}`);
    counts.push(`ground-truth values per source kind: ${j(count(suite.groundTruth.map((g) => g.source_kind)))}`);
    counts.push(`ground-truth values per source: ${j(count(suite.groundTruth.map((g) => g.bib ?? g.device ?? "?")))}`);
  }
  return { problems, counts };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { problems, counts } = checkSuite(".");
  for (const l of counts) console.log(l);
  if (problems.length) {
    console.error(chalk.red(`check-suite: FAILED\n${formatProblems(problems)}`));
    process.exit(1);
  }
  console.log(chalk.green("check-suite: ok"));
}
