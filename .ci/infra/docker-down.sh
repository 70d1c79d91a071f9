#!/usr/bin/env bash
# Stop the dockerd that docker-up.sh started, by its pid file (containers are stopped with it).
set -uo pipefail
INFRA_DIR="${INFRA_DIR:-/tmp/artifact-infra}"
pidfile="$INFRA_DIR/docker/dockerd.pid"
[ -f "$pidfile" ] || exit 0
pid="$(cat "$pidfile")"
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  echo "stopped dockerd (pid $pid)"
fi
rm -f "$pidfile"
