/** A small, valid survey tree in os.tmpdir(): two works, one background entry, a search log and a paper. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const BIB = `% fixture
@inproceedings{alpha2020tool,
  author    = {Doe, Jane and Roe, Richard},
  title     = {Alpha: An Analytical Model of {DNN} Accelerators},
  booktitle = {Proceedings of a Symposium},
  year      = {2020},
  doi       = {10.1000/alpha.2020},
  keywords  = {accel-dataflow}
}

@misc{beta2023sim,
  author    = {Poe, Edgar},
  title     = {Beta: Event-Driven Simulation of {LLM} Serving},
  howpublished = {arXiv preprint arXiv:2301.00001},
  year      = {2023},
  url       = {https://arxiv.org/abs/2301.00001},
  keywords  = {llm-inference}
}

@inproceedings{gamma2019bench,
  author    = {Moe, Mary},
  title     = {Gamma: A Benchmark Suite},
  booktitle = {Proceedings of a Workshop},
  year      = {2019},
  url       = {https://example.org/gamma},
  keywords  = {benchmark}
}
`;

export const WORKS = `- key: alpha2020tool
  name: Alpha
  methodology: [analytical]
  abstraction: [layer/graph]
  hardware: [DNN accelerator (dataflow)]
  workloads: [CNN]
  outputs: [latency, energy]
  validation:
    ground_truth: RTL simulation of one accelerator
    status: stated
    claims:
      - error: "5%"
        metric: average error of cycles
        validated_on: CNN layers on an RTL model
        place: abstract
        source: paper abstract
        evidence: read in this review
  artifact:
    open_source: "yes"
    license: MIT
    docker_image: none
    language: Python
    last_release_year: 2021
  summary: Closed-form latency and energy of CNN layers on dataflow accelerators.
  evaluated: true
- key: beta2023sim
  name: Beta
  methodology: [event-driven simulation, hybrid (analytical + profiling)]
  abstraction: [serving system]
  hardware: [GPU, multi-device cluster]
  workloads: [LLM inference/serving]
  outputs: [latency, throughput]
  validation:
    ground_truth: not stated
    status: unverified
    note: a blog post quotes an error figure that the paper was not checked for
  artifact:
    open_source: unknown
    license: unknown
    docker_image: unknown
    language: unknown
    last_release_year: unknown
  summary: Discrete-event simulation of request scheduling over profiled operator times.
`;

export const BACKGROUND = `- key: gamma2019bench
  category: benchmark or characterization
  reason: A benchmark suite that supplies measured ground truth; it models nothing.
`;

export const SEARCH_LOG = `protocol:
  research_question: Which methods model the performance of ML workloads?
  inclusion: [models or simulates ML-workload performance]
  exclusion: [pure ML accuracy work]
  sources: [a stored web index]
  search_strings: ["performance model DNN accelerator"]
identification:
  description: fixture
  date: 2026-01-01
  records:
    - source: candidate list
      count: 5
queries:
  - id: q1
    date: 2026-01-01
    source: pages
    query: Alpha analytical model
    purpose: verification
    hits: 8
    outcome: found the doi
    bib_key: alpha2020tool
excluded:
  - candidate: Alpha (preprint version)
    stage: duplicate
    reason: same work as alpha2020tool, earlier version
  - candidate: Delta
    stage: screening
    reason: author list could not be verified in a public source
`;

export const PAPER = `\\section{Intro}
Analytical models~\\cite{alpha2020tool} and simulators~\\citep[p.~2]{beta2023sim,gamma2019bench}.
% \\cite{commented2020out} is a comment and is ignored
`;

export interface Fixture {
  root: string;
  write(rel: string, text: string): void;
  cleanup(): void;
}

export function makeFixture(overrides: Partial<Record<string, string | null>> = {}): Fixture {
  const root = mkdtempSync(join(tmpdir(), "survey-fixture-"));
  const write = (rel: string, text: string) => {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  };
  const files: Record<string, string | null> = {
    "bib/references.bib": BIB,
    "taxonomy/works/group.yaml": WORKS,
    "taxonomy/background.yaml": BACKGROUND,
    "taxonomy/search-log.yaml": SEARCH_LOG,
    "paper/sections/intro.tex": PAPER,
    ...overrides,
  };
  for (const [rel, text] of Object.entries(files)) if (text !== null && text !== undefined) write(rel, text);
  return { root, write, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
