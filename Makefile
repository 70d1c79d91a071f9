# Entry points of the artifact. Every target installs the npm dependencies on first use.
# Heavy work (tool runs, measurements) is cached; see README.md.

SHELL := /bin/bash
TSX := node_modules/.bin/tsx
STAMP := node_modules/.install-stamp

.PHONY: all evaluate test test-infra check check-suite check-survey check-paper figures paper measure bench clean clean-cache deps typecheck report compare smoke zzz zzz-cli

all: evaluate figures

# npm ci only when the lockfile changed (or node_modules is missing). Then the `zzz` command line:
# bundled to one JavaScript file (.work/zzz-cli/zzz.mjs, pipeline/build-zzz-cli.mjs; bin/zzz rebuilds
# it when a source is newer) and linked as node_modules/.bin/zzz, which `npx zzz` runs.
$(STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	ln -sf ../../bin/zzz node_modules/.bin/zzz
	node pipeline/build-zzz-cli.mjs
	@touch $(STAMP)

deps: $(STAMP)

## make evaluate: load and validate the suite, run every available tool, stage the outputs,
## validate them and swap them into results/ in one step (nothing is written on failure).
## RERUN=astra-sim,vidur (or all): run those tools live on every cell, not only unrecorded ones.
## TOOLS=zzz,vidur: run only those tools; the other tools' published rows are kept.
## ACCEPT_FAILURES=1: publish even when cells failed that had predictions (exit 2 otherwise).
## ALLOW_OTHER_BUILD=1: run a tool build other than the one pinned in its metadata.yaml.
## DOCKER_TOOLS=astra-sim,timeloop: run those tools in their Docker image (pipeline/lib/exec.ts).
## JOBS=N: live cells run at once (default: the number of cores). EXECUTOR=slurm: each tool's live
## cells go to Slurm as one job array. NO_CACHE=1: ignore the cell cache. README "Running at scale".
evaluate: deps
	$(TSX) pipeline/evaluate.ts $(if $(RERUN),--rerun $(RERUN)) $(if $(TOOLS),--tools $(TOOLS)) $(if $(JOBS),--jobs $(JOBS)) $(if $(EXECUTOR),--executor $(EXECUTOR))
	$(TSX) pipeline/decision.ts
	$(TSX) pipeline/zzz-serving.ts
	$(TSX) pipeline/report.ts

## make report: results/report.html, one self-contained page of every result view (Vega, no network).
report: deps
	$(TSX) pipeline/report.ts

## make compare: regenerated results/ against the committed reference outputs (exact; RERUN=<tools>:
## those tools' rows within their live-rerun tolerance, pipeline/lib/compare.ts); prints a table.
compare: deps
	$(TSX) pipeline/compare.ts

## make test: type-check, then the unit and integration tests (vitest).
test: deps typecheck
	node_modules/.bin/vitest run

## make test-infra: the tests against real daemons (test/infra): starts munged + slurmctld + slurmd
## and dockerd on localhost (root; installs slurm-wlm, munge, docker.io, debootstrap from Debian when
## missing), runs the tests, stops the daemons by their pid files. CI runs it after make test.
test-infra: deps
	bash .ci/infra/test-infra.sh

typecheck: deps
	node_modules/.bin/tsc --noEmit -p .

## make check: every schema and consistency check (suite and ground truth, survey data, paper).
check: check-suite check-survey check-paper

check-suite: deps
	$(TSX) pipeline/check-suite.ts

check-survey: deps
	$(TSX) pipeline/check-survey.ts

check-paper: deps
	$(TSX) pipeline/check-paper.ts

## make figures: render every Vega-Lite figure (SVG + PDF) and LaTeX table from results/.
figures: deps
	$(TSX) pipeline/figures.ts

## make paper: build paper/main.pdf with latexmk. TeX Live comes from Debian; when missing:
##   apt-get install -y latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra \
##     texlive-publishers texlive-fonts-recommended
paper: deps
	$(TSX) pipeline/paper.ts

## make measure: run the measurement script on this machine and file the set under suite/ground-truth/measured/.
measure: deps
	$(TSX) pipeline/measure.ts

## make bench: time ZZZ over the whole suite and the whole evaluate pipeline, and the start-up of
## `zzz predict` as a new process (target 300 ms).
bench: deps
	$(TSX) pipeline/bench.ts
	$(TSX) pipeline/zzz-serving.ts --bench
	$(TSX) pipeline/bench-zzz-cli.ts

## make zzz ARGS="predict -m llama-2-7b -H h100-sxm5-80gb": ZZZ from the command line (bin/zzz;
## also npx zzz and node_modules/.bin/zzz). make zzz-cli: rebuild its bundle.
zzz: deps
	@bin/zzz $(ARGS)

zzz-cli: deps
	node pipeline/build-zzz-cli.mjs

## make smoke: the reviewers' tier, minutes on 2 cores: install, a subset of recorded cells of every
## tool re-parsed and checked against results/predictions.csv, ZZZ on the same cells, one figure and
## the report, written under .work/smoke/ (results/ untouched); pipeline/smoke.ts.
smoke: deps
	$(TSX) pipeline/smoke.ts

clean:
	rm -rf .work figures/out paper/main.pdf

## make clean-cache: remove the content-addressed cell cache (CELL_CACHE_DIR, default
## $XDG_CACHE_HOME or ~/.cache, then ml-sim-survey/cells); results/ are not touched.
CELL_CACHE := $(or $(CELL_CACHE_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ml-sim-survey/cells)
clean-cache:
	rm -rf "$(CELL_CACHE)"
