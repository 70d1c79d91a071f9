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
export const OUTPUTS = ["latency", "throughput", "tail latency", "energy", "memory", "area", "cost"] as const;

// ---------------------------------------------------------------- decision-relevant axes (issue 23)

/** What the method needs from the target system before it can predict. */
export const NEEDS = [
  "datasheet only",
  "microbenchmarks",
  "per-op profiles",
  "execution traces",
  "the real system",
  "RTL or architecture description",
  "not stated",
] as const;
/** How long one prediction takes, as the text read states it or as the method class implies (basis says which). */
export const SPEED = ["interactive (seconds or less)", "minutes", "hours or more", "not stated"] as const;

/** Reading status of a work in the claims audit. */
export const READING = ["full text read", "full text excerpts", "abstract only", "project docs only", "no public copy", "not read"] as const;

export const Methodology = z.enum(METHODOLOGY);
export const Abstraction = z.enum(ABSTRACTION);
export const Hardware = z.enum(HARDWARE);
export const Workload = z.enum(WORKLOADS);
export const Output = z.enum(OUTPUTS);
export const Needs = z.enum(NEEDS);
export const Speed = z.enum(SPEED);
export const ReadingStatus = z.enum(READING);

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

export const ClaimAgainst = z.enum([
  "hardware measurements (own)",
  "published measurements",
  "RTL or cycle-level simulator",
  "another model or simulator",
  "not stated",
]);
export const ClaimKind = z.enum(["model error", "correlation", "design-search result", "speed-up or cost"]);

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
    /** What the prediction was compared against. */
    against: ClaimAgainst,
    /** How many points (kernels, configurations, runs) the number summarises, or "not stated" in the text read. */
    n_points: z.union([z.number().int().positive(), z.literal("not stated")]),
    /** A model error (prediction vs reference) or a design-search/speed-up result (not an accuracy). */
    kind: ClaimKind,
    /** The bib key of the version of the tool whose text states the claim, when the work lists several versions. */
    version: BibKey.optional(),
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
    /** How the open-source status was checked: the look-up (index, query, date); required unless open_source is unknown. */
    checked: z.string().min(10).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.open_source === "yes" && a.repository === undefined)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["repository"], message: "open_source 'yes' needs the repository url" });
    if (a.open_source !== "unknown" && a.checked === undefined)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["checked"], message: `open_source '${a.open_source}' needs 'checked': where and how it was looked up (for 'no': the search that found nothing)` });
  });
export type Artifact = z.infer<typeof Artifact>;

// ---------------------------------------------------------------- reading and decision axes

export const Reading = z
  .object({
    status: ReadingStatus,
    /** What was read: URLs or repository paths. */
    sources: z.array(z.string().min(1)).default([]),
    /** Why not the full text (required for every status but 'full text read'). */
    reason: z.string().min(10).optional(),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "date as YYYY-MM-DD"),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.status !== "full text read" && r.reason === undefined)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["reason"], message: `reading status '${r.status}' needs a reason (why not the full text)` });
    if (r.status !== "not read" && r.status !== "no public copy" && r.sources.length === 0)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["sources"], message: `reading status '${r.status}' needs the sources read` });
  });
export type Reading = z.infer<typeof Reading>;

export const Decision = z
  .object({
    needs: axisList(Needs),
    speed: Speed,
    /** Largest scale the text read reports (e.g. "1024 GPUs", "one chip"), or "not stated". */
    scale: z.string().min(1),
    /** Real frameworks or libraries the method runs, emulates or replays (vLLM, Megatron-LM, NCCL); empty when none. */
    frameworks: z.array(z.string().min(1)).default([]),
    /** Where these values come from: "text read" (the reading sources) or "method class" (inferred from the method, not stated). */
    basis: z.enum(["text read", "method class"]),
  })
  .strict();
export type Decision = z.infer<typeof Decision>;

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
    /** Other bib entries of the same tool (earlier or later versions, letters, journal versions): one work, several versions. */
    versions: z.array(z.object({ key: BibKey, label: z.string().min(1) }).strict()).default([]),
    /** The claims audit: what of the work was read, where, and why not more. */
    reading: Reading,
    /** Decision-relevant axes: what the method needs from the target, how fast, how far it scales, which frameworks it emulates. */
    decision: Decision,
    /** The search-log source or query id through which this record entered the review. */
    found_by: z.string().min(1),
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
    /** The search-log source or query id through which this record entered the review. */
    found_by: z.string().min(1),
  })
  .strict();
export type Background = z.infer<typeof Background>;
export const BackgroundFile = z.array(Background);

// ---------------------------------------------------------------- search log

export const QueryPurpose = z.enum(["identification", "verification", "snowballing", "gap search", "open-source check", "claim audit"]);
export const Query = z
  .object({
    id: z.string().min(1),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "date as YYYY-MM-DD"),
    source: z.string().min(1),
    query: z.string().min(1),
    purpose: QueryPurpose,
    /** Results returned by the source for this query, as reported by the source. */
    hits: z.number().int().nonnegative(),
    /** What the query established (e.g. the doi found), or that the target was not found. */
    outcome: z.string().min(1),
    bib_key: BibKey.optional(),
  })
  .strict();
export type Query = z.infer<typeof Query>;

/**
 * Valid screening and eligibility criteria (PRISMA 2020). Whether a reviewer has seen an author list is
 * not one: a record whose metadata or text could not be obtained is stage 'not retrieved', never excluded.
 */
export const CRITERIA = [
  "not a performance model or simulator",
  "ML-model design method whose latency predictor is not the contribution",
  "no paper: blog, course or repository only",
  "short or abstract-only version of an included work",
  "out of scope: neither ML workloads nor a substrate ML-system simulators build on",
] as const;
export const Criterion = z.enum(CRITERIA);

export const ExcludedCandidate = z
  .object({
    candidate: z.string().min(1),
    stage: z.enum(["duplicate", "screening", "not retrieved", "eligibility"]),
    /** For screening and eligibility: the criterion applied. */
    criterion: Criterion.optional(),
    reason: z.string().min(10),
    /** The search-log source or query id through which this record entered the review. */
    found_by: z.string().min(1),
    /** Queries that tried to retrieve the record (for 'not retrieved'). */
    tried: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.stage === "screening" || e.stage === "eligibility") && e.criterion === undefined)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["criterion"], message: `stage '${e.stage}' needs a criterion (one of: ${CRITERIA.join("; ")})` });
    if (e.stage === "not retrieved" && e.tried.length === 0)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["tried"], message: "stage 'not retrieved' needs the query ids that tried to retrieve it" });
  });
export type ExcludedCandidate = z.infer<typeof ExcludedCandidate>;

export const Source = z
  .object({
    id: z.string().min(1),
    kind: z.enum(["prior list", "corpus query", "snowballing", "review list", "incidental"]),
    description: z.string().min(1),
    date: z.string().min(1),
  })
  .strict();

export const Snowball = z
  .object({
    seed: BibKey,
    direction: z.enum(["backward", "forward"]),
    /** What was read: the reference list, a README's comparison, the works citing the seed found by a query. */
    read: z.string().min(1),
    queries: z.array(z.string().min(1)).default([]),
    /** Records this step added to the review (bib keys or candidate names). */
    added: z.array(z.string().min(1)).default([]),
    note: z.string().min(1).optional(),
  })
  .strict();

export const GapSearch = z
  .object({
    matrix: z.string().min(1),
    row: z.string().min(1),
    col: z.string().min(1),
    query: z.string().min(1),
    /** What the search found: works added to the review (then the cell is no longer empty) or nothing. */
    found: z.array(z.string().min(1)).default([]),
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
    /** Where records came from; every record's found_by names one of these ids or a query id. */
    sources: z.array(Source).min(1),
    queries: z.array(Query).default([]),
    snowballing: z.array(Snowball).default([]),
    gap_searches: z.array(GapSearch).default([]),
    excluded: z.array(ExcludedCandidate).default([]),
  })
  .strict();
export type SearchLog = z.infer<typeof SearchLog>;
