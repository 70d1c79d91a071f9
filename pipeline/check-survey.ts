/**
 * make check-survey: validate the survey data and regenerate its tables.
 *
 * Parses every bib/*.bib with citation-js, validates taxonomy/ with zod, checks that taxonomy keys,
 * bib entries and the paper's \cite keys agree, then writes (atomically, sorted) results/taxonomy/*.csv,
 * results/claimed-accuracy.csv and results/prisma.csv. Exits 1 listing every problem
 * (file, key, field, message) when anything is wrong.
 *
 * Usage: tsx pipeline/check-survey.ts [ROOT]   (ROOT defaults to the repository root)
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { surveyMain } from "./lib/survey/main.ts";

const root = process.argv[2] !== undefined ? resolve(process.argv[2]) : resolve(dirname(fileURLToPath(import.meta.url)), "..");
process.exit(surveyMain(root));
