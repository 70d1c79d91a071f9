#!/usr/bin/env bash
# make test-infra: the tests against real daemons (test/infra/*.test.ts). Starts a single-node
# Slurm (munged, slurmctld, slurmd) and dockerd on localhost, runs the tests with INFRA_TESTS=1,
# and stops every daemon it started by its pid file, also when a test fails. Needs root (CI is).
# INFRA_SLOW=0 skips the test that waits for Slurm to kill a task at its --time (about 2 minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
export INFRA_DIR="${INFRA_DIR:-/tmp/artifact-infra}"
stop() {
  bash .ci/infra/docker-down.sh || true
  bash .ci/infra/slurm-down.sh || true
}
trap stop EXIT
t0=$(date +%s)
bash .ci/infra/slurm-up.sh
bash .ci/infra/docker-up.sh
# shellcheck disable=SC1091
source "$INFRA_DIR/slurm/env.sh"
# shellcheck disable=SC1091
source "$INFRA_DIR/docker/env.sh"
echo "== daemons up in $(( $(date +%s) - t0 )) s; running test/infra"
INFRA_TESTS=1 node_modules/.bin/vitest run test/infra
echo "== make test-infra: $(( $(date +%s) - t0 )) s in all"
