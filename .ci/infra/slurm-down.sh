#!/usr/bin/env bash
# Stop what slurm-up.sh started, each daemon by its pid file (slurmd, slurmctld, then munged).
set -uo pipefail
INFRA_DIR="${INFRA_DIR:-/tmp/artifact-infra}"
state="$INFRA_DIR/slurm"
stop() { # name pidfile
  [ -f "$2" ] || return 0
  local pid; pid="$(cat "$2")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "stopped $1 (pid $pid)"
  fi
  rm -f "$2"
}
stop slurmd "$state/slurmd.pid"
stop slurmctld "$state/slurmctld.pid"
stop munged "$state/munged.pid"
