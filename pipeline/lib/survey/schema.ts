/**
 * zod schemas of the survey data: one taxonomy record per surveyed work (taxonomy/works/*.yaml),
 * the background list (taxonomy/background.yaml) and the systematic-review log
 * (taxonomy/search-log.yaml).
 *
 * The axis values are exactly the categories of the survey's taxonomy; multi-valued axes are lists
 * (a work that spans two categories lists both). Unknown facts are explicit ("unknown",
 * "not stated"), never omitted.
 */
import { z } from "zod";

// ---------------------------------------------------------------- taxonomy axes

export const METHODOLOGY = [
  "analytical",
  "cycle-level simulation",
  "event-driven simulation",
  "trace-driven/replay",
  "hybrid (analytical + profiling)",
  "ml-based (contrast only)",
] as const;
export const ABSTRACTION = ["operator/kernel", "layer/graph", "device", "node", "cluster", "serving system"] as const;
export const HARDWARE = [
  "GPU",
  "TPU",
  "DNN accelerator (dataflow)",
  "CPU/edge SoC",
  "multi-device cluster",
  "memory/network subsystem",
] as const;
export const WORKLOADS = [
  "CNN",
  "encoder transformer",
  "LLM training",
  "LLM inference/serving",
  "recommendation",
  "GNN",
  "generic DNN",
] as const;
export const OUTPUTS = ["latency", "throughput", "energy", "memory", "area", "cost"] as const;

export const Methodology = z.enum(METHODOLOGY);
export const Abstraction = z.enum(ABSTRACTION);
export const Hardware = z.enum(HARDWARE);
export const Workload = z.enum(WORKLOADS);
export const Output = z.enum(OUTPUTS);

/** A non-empty list of distinct axis values. */
function axisList<T extends z.ZodTypeAny>(item: T) {
  return z
    .array(item)
    .min(1, "list at least one value")
    .refine((xs) => new Set(xs).size === xs.length, { message: "values must be distinct" });
}

export const BibKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_:.+-]*$/, "expected a BibTeX key such as 'parashar2019timeloop'");

// ---------------------------------------------------------------- validation (claimed accuracy)

/** Where a claimed number was read. */
export const ClaimSource = z.enum(["paper abstract", "paper text", "project README", "project documentation"]);

/** How the claim reached this record: read by us in a public copy of the primary text during this review, or taken from the project's notes (which name their source). */
export const ClaimEvidence = z.enum(["read in this review", "literature notes (primary)", "tool notes (with source)"]);

/** One claimed-accuracy statement of a work, as read in a primary source. */
export const Claim = z
  .object({
    /** The claim as stated, with its unit, e.g. "<9%", "0.1%-8%", "23.59%". */
    error: z.string().min(1),
    /** What the number measures, e.g. "average error of inference latency", "MAPE". */
    metric: z.string().min(1),
    /** Workload and hardware it was validated on, e.g. "Llama-2 inference on A100". */
    validated_on: z.string().min(1),
    /** Where in the work it is stated (section, figure, abstract) or the URL of the page. */
    place: z.string().min(1),
    source: ClaimSource,
    evidence: ClaimEvidence,
  })
  .strict();
export type Claim = z.infer<typeof Claim>;

export const ValidationStatus = z.enum([
  /** At least one number read in a primary source: `claims` lists them. */
  "stated",
  /** A number circulates only in a third-party summary; not checked in the primary source. */
  "unverified",
  /** The primary text read states no number. */
  "not stated",
  /** The work is not a predictor (e.g. a workload-trace format or a network simulator used as a back-end). */
  "not applicable",
  /** We have not read the primary text for an accuracy claim; nothing is asserted either way. */
  "not checked",
]);

export const Validation = z
  .object({
    /** What the predictions were compared against: hardware measurements, RTL, another simulator, or "not stated". */
    ground_truth: z.string().min(1),
    status: ValidationStatus,
    claims: z.array(Claim).default([]),
    note: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.status === "stated" && v.claims.length === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["claims"], message: "status 'stated' needs at least one claim (error, metric, validated_on, place, source)" });
    }
    if (v.status !== "stated" && v.claims.length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["claims"], message: `claims are only allowed with status 'stated' (status is '${v.status}'): a number not read in the primary source stays out` });
    }
    if (v.status === "unverified" && v.note === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["note"], message: "status 'unverified' needs a note saying where the unchecked number comes from" });
    }
  });
export type Validation = z.infer<typeof Validation>;

// ---------------------------------------------------------------- artifact

const Unknown = z.literal("unknown");
export const Artifact = z
  .object({
    open_source: z.union([z.literal("yes"), z.literal("no"), Unknown]),
    /** SPDX id where known (e.g. "MIT", "BSD-3-Clause"), else "unknown"; "none" for closed works. */
    license: z.string().min(1),
    /** A published image name, "none" when we found none, or "unknown". */
    docker_image: z.string().min(1),
    /** Main implementation language(s), e.g. "C++", "Python", or "unknown". */
    language: z.string().min(1),
    last_release_year: z.union([z.number().int().min(1990).max(2100), Unknown]),
    repository: z.string().url().optional(),
  })
  .strict();
export type Artifact = z.infer<typeof Artifact>;

// ---------------------------------------------------------------- work record

export const Work = z
  .object({
    key: BibKey,
    /** Short name of the method or tool (e.g. "Timeloop"). */
    name: z.string().min(1),
    methodology: axisList(Methodology),
    abstraction: axisList(Abstraction),
    hardware: axisList(Hardware),
    workloads: axisList(Workload),
    outputs: axisList(Output),
    validation: Validation,
    artifact: Artifact,
    /** One line, in our own words. */
    summary: z
      .string()
      .min(20, "write a one-line summary (at least 20 characters)")
      .max(300, "keep the summary to one line (300 characters at most)")
      .refine((s) => !s.includes("\n"), { message: "the summary is one line" }),
    /** The project runs this tool in its evaluation (ASTRA-sim, Vidur, Timeloop, ...). */
    evaluated: z.boolean().default(false),
    /** Caveats on the classification itself (e.g. internals not re-read, a general-purpose tool). */
    note: z.string().min(1).optional(),
  })
  .strict();
export type Work = z.infer<typeof Work>;

export const WorkFile = z.array(Work);

// ---------------------------------------------------------------- background

export const BackgroundReason = z.enum([
  "survey",
  "benchmark or characterization",
  "ground-truth system",
  "workload model",
  "measurement or tracing tool",
]);
export const Background = z
  .object({
    key: BibKey,
    category: BackgroundReason,
    /** Why it is cited but not classified as a modelling method. */
    reason: z.string().min(10),
  })
  .strict();
export type Background = z.infer<typeof Background>;
export const BackgroundFile = z.array(Background);

// ---------------------------------------------------------------- search log

export const Query = z
  .object({
    id: z.string().min(1),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "date as YYYY-MM-DD"),
    source: z.string().min(1),
    query: z.string().min(1),
    purpose: z.enum(["identification", "verification"]),
    /** Results returned by the source for this query, as reported by the source. */
    hits: z.number().int().nonnegative(),
    /** What the query established (e.g. the doi found), or that the target was not found. */
    outcome: z.string().min(1),
    bib_key: BibKey.optional(),
  })
  .strict();

export const ExcludedCandidate = z
  .object({
    candidate: z.string().min(1),
    stage: z.enum(["duplicate", "screening", "eligibility"]),
    reason: z.string().min(10),
  })
  .strict();

export const SearchLog = z
  .object({
    protocol: z
      .object({
        research_question: z.string().min(1),
        inclusion: z.array(z.string().min(1)).min(1),
        exclusion: z.array(z.string().min(1)).min(1),
        sources: z.array(z.string().min(1)).min(1),
        search_strings: z.array(z.string().min(1)).min(1),
        notes: z.array(z.string().min(1)).default([]),
      })
      .strict(),
    /** The identification step as it was carried out (the candidate list and its provenance). */
    identification: z
      .object({
        description: z.string().min(1),
        date: z.string().min(1),
        records: z.array(z.object({ source: z.string().min(1), count: z.number().int().nonnegative(), note: z.string().optional() }).strict()).min(1),
      })
      .strict(),
    queries: z.array(Query).default([]),
    excluded: z.array(ExcludedCandidate).default([]),
  })
  .strict();
export type SearchLog = z.infer<typeof SearchLog>;
