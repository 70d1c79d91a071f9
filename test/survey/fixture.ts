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

@misc{alpha2021journal,
  author    = {Doe, Jane and Roe, Richard},
  title     = {Alpha 2: The Journal Version},
  howpublished = {A Journal},
  year      = {2021},
  url       = {https://example.org/alpha2},
  keywords  = {accel-dataflow}
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
        against: RTL or cycle-level simulator
        n_points: 12
        kind: model error
      - error: "2x"
        metric: speed-up of the mappings found
        validated_on: CNN layers
        place: journal version, Table 3
        source: paper text
        evidence: read in this review
        against: not stated
        n_points: not stated
        kind: design-search result
        version: alpha2021journal
  artifact:
    open_source: "yes"
    license: MIT
    docker_image: none
    language: Python
    last_release_year: 2021
    repository: https://example.org/alpha-repo
    checked: find_repos alpha on 2026-01-01 (query q1)
  summary: Closed-form latency and energy of CNN layers on dataflow accelerators.
  evaluated: true
  versions:
    - key: alpha2021journal
      label: journal version
  reading:
    status: full text excerpts
    sources: [https://example.org/alpha.pdf]
    reason: excerpts of the full text only
    date: 2026-01-01
  decision:
    needs: [datasheet only]
    speed: interactive (seconds or less)
    scale: one chip
    frameworks: []
    basis: text read
  found_by: candidates
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
  reading:
    status: not read
    reason: not audited in this fixture
    date: 2026-01-01
  decision:
    needs: [per-op profiles]
    speed: minutes
    scale: not stated
    frameworks: [vLLM]
    basis: method class
  found_by: q1
`;

export const BACKGROUND = `- key: gamma2019bench
  category: benchmark or characterization
  reason: A benchmark suite that supplies measured ground truth; it models nothing.
  found_by: candidates
`;

export const SEARCH_LOG = `protocol:
  research_question: Which methods model the performance of ML workloads?
  inclusion: [models or simulates ML-workload performance]
  exclusion: [pure ML accuracy work]
  sources: [a stored web index]
  search_strings: ["performance model DNN accelerator"]
sources:
  - id: candidates
    kind: prior list
    description: a candidate list
    date: 2026-01-01
queries:
  - id: q1
    date: 2026-01-01
    source: pages
    query: Alpha analytical model
    purpose: verification
    hits: 8
    outcome: found the doi
    bib_key: alpha2020tool
gap_searches:
  - matrix: methodology-x-hardware
    row: analytical
    col: GPU
    query: q1
excluded:
  - candidate: Alpha (preprint version)
    stage: duplicate
    reason: same work as alpha2020tool, earlier version
    found_by: q1
  - candidate: Delta
    stage: screening
    criterion: not a performance model or simulator
    reason: a serving system that predicts nothing
    found_by: candidates
  - candidate: Epsilon
    stage: not retrieved
    reason: only its title was seen in the sources
    found_by: candidates
    tried: [q1]
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
