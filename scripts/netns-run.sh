#!/usr/bin/env bash
# Runs a command inside a new, private network namespace for WebRTC between
# browsers on this machine: headless Chromium gathers no ICE candidate on
# loopback alone, so the namespace gets a veth pair that lives entirely inside
# it (10.253.0.1 <-> 10.253.0.2) and a default route over it. Nothing outside
# is reachable, so no test traffic can reach the machine's own address or
# leave it. Servers still listen on 127.0.0.1. Needs root (CI runs as root),
# unshare (util-linux) and ip (iproute2).
#
#   bash scripts/netns-run.sh COMMAND [ARG...]
set -euo pipefail

if [ "${TSEED_NETNS:-}" != inside ]; then
  why=""
  if [ "$(uname -s)" != Linux ]; then
    why="network namespaces exist only on Linux"
  elif [ "$(id -u)" -ne 0 ]; then
    why="creating a network namespace needs root (run as root, as CI does)"
  elif ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
    why="unshare (util-linux) and ip (iproute2) are required"
  fi
  if [ -n "$why" ]; then
    echo "netns-run: cannot create a private network namespace: $why" >&2
    exit 3
  fi
  exec unshare --net env TSEED_NETNS=inside bash "$0" "$@"
fi

ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 10.253.0.1/24 dev v0
ip addr add 10.253.0.2/24 dev v1
ip link set v0 up
ip link set v1 up
# Chromium picks the address to gather candidates on by its default route.
ip route add default via 10.253.0.2 dev v0
exec "$@"
