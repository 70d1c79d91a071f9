#!/usr/bin/env bash
# Start a real Docker engine for the Docker runner's test and build its base image without any
# registry: installs docker.io and debootstrap from Debian when missing (root), starts
#   dockerd --iptables=false --bridge=none
# with its data and exec roots, socket and pid file under $INFRA_DIR/docker (default
# /tmp/artifact-infra), debootstraps a minbase bookworm root file system from the apt mirror this
# machine uses (cached as a tarball in $INFRA_CACHE, default /var/cache/artifact-infra: about 30 s
# to 3 min the first time) and imports it as artifact-base:bookworm. $INFRA_DIR/docker/env.sh
# exports DOCKER_HOST. Stop with .ci/infra/docker-down.sh (by pid file).
set -euo pipefail
INFRA_DIR="${INFRA_DIR:-/tmp/artifact-infra}"
INFRA_CACHE="${INFRA_CACHE:-/var/cache/artifact-infra}"
state="$INFRA_DIR/docker"
base_image="${INFRA_BASE_IMAGE:-artifact-base:bookworm}"
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null || ! [ -x /usr/bin/docker ]; then
  echo "== installing docker.io and debootstrap from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null
fi
mkdir -p "$state" "$INFRA_CACHE"
export DOCKER_HOST="unix://$state/docker.sock"
t0=$(date +%s)
if [ -f "$state/dockerd.pid" ] && kill -0 "$(cat "$state/dockerd.pid")" 2>/dev/null; then
  echo "dockerd already running (pid $(cat "$state/dockerd.pid"))"
else
  # No iptables and no bridge: containers get --network none anyway.
  nohup /usr/sbin/dockerd --iptables=false --ip-masq=false --bridge=none \
    --data-root "$state/data" --exec-root "$state/exec" --pidfile "$state/dockerd.pid" \
    --host "$DOCKER_HOST" > "$state/dockerd.log" 2>&1 &
fi
for i in $(seq 1 120); do
  if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then break; fi
  if [ "$i" = 120 ]; then echo "dockerd did not come up; log:" >&2; tail -30 "$state/dockerd.log" >&2; exit 1; fi
  sleep 0.5
done
echo "dockerd $(docker version --format '{{.Server.Version}}') up (storage driver $(docker info --format '{{.Driver}}'))"

if ! docker image inspect "$base_image" >/dev/null 2>&1; then
  tarball="$INFRA_CACHE/bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
    [ -n "$mirror" ] || mirror="$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
    mirror="${mirror:-http://deb.debian.org/debian}"
    echo "== debootstrap --variant=minbase bookworm from $mirror (cached in $tarball)"
    rootfs="$(mktemp -d "$INFRA_CACHE/rootfs.XXXXXX")"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$INFRA_CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$INFRA_CACHE/debootstrap.log" >&2; exit 1; }
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  docker import "$tarball" "$base_image" >/dev/null
fi
echo "base image $base_image: $(docker image inspect --format '{{.Id}}' "$base_image") (debootstrap + docker import, no registry)"
echo "export DOCKER_HOST=$DOCKER_HOST" > "$state/env.sh"
echo "export INFRA_BASE_IMAGE=$base_image" >> "$state/env.sh"
echo "docker up in $(( $(date +%s) - t0 )) s"
