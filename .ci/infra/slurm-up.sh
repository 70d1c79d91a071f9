#!/usr/bin/env bash
# Start a real single-node Slurm (munged, slurmctld, slurmd) on localhost for the Slurm executor's
# test; installs slurm-wlm and munge from Debian when missing (root). State, logs and pid files go
# to $INFRA_DIR/slurm (default /tmp/artifact-infra); $INFRA_DIR/slurm/env.sh exports SLURM_CONF.
# Stop with .ci/infra/slurm-down.sh (by pid file).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
INFRA_DIR="${INFRA_DIR:-/tmp/artifact-infra}"
state="$INFRA_DIR/slurm"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  echo "== installing slurm-wlm and munge from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
mkdir -p "$state/ctld" "$state/d"
t0=$(date +%s.%N)

# munge: its own user, /run/munge first, a key readable only by munge.
mkdir -p /run/munge /etc/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge /etc/munge/munge.key
chmod 0700 /etc/munge
chmod 0400 /etc/munge/munge.key
if [ -f /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; then
  echo "munged already running (pid $(cat /run/munge/munged.pid)); not ours to stop"
else
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  cp /run/munge/munged.pid "$state/munged.pid"
fi
munge -n | unmunge >/dev/null

host="$(hostname -s)"
cpus="$(nproc)"
mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
sed -e "s|@HOST@|$host|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEM_MB@|$mem_mb|g" -e "s|@STATE@|$state|g" \
    -e "s|@CTLD_PORT@|${SLURMCTLD_PORT:-6817}|g" -e "s|@D_PORT@|${SLURMD_PORT:-6818}|g" \
    "$here/slurm.conf.in" > "$state/slurm.conf"
export SLURM_CONF="$state/slurm.conf"
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if running "$state/slurmctld.pid"; then echo "slurmctld already running (pid $(cat "$state/slurmctld.pid"))"; else /usr/sbin/slurmctld -c -f "$SLURM_CONF"; fi
if running "$state/slurmd.pid"; then echo "slurmd already running (pid $(cat "$state/slurmd.pid"))"; else /usr/sbin/slurmd -f "$SLURM_CONF"; fi

# Wait until the node takes jobs.
for i in $(seq 1 60); do
  st="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
  case "$st" in idle*|mix*|alloc*) break ;; esac
  if [ "$i" = 60 ]; then
    echo "slurm did not come up (node state: '${st:-none}'); logs:" >&2
    tail -20 "$state/slurmctld.log" "$state/slurmd.log" >&2 || true
    exit 1
  fi
  sleep 0.5
done
t1=$(date +%s.%N)
echo "export SLURM_CONF=$SLURM_CONF" > "$state/env.sh"
awk -v a="$t0" -v b="$t1" -v h="$host" -v c="$cpus" -v m="$mem_mb" -v f="$SLURM_CONF" \
  'BEGIN { printf "slurm up in %.1f s: node %s (%s CPUs, %s MB), SLURM_CONF=%s\n", b - a, h, c, m, f }'
