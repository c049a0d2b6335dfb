#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks: the two browsers the end-to-end
# tests drive, the secp256k1 library the relay verifies with, the desktop BitTorrent
# clients and trackers the tracker tests and the benchmark run, then the exact npm
# dependency tree, then the relay's native addon. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PUPPETEER_SKIP_DOWNLOAD=1

APT_PACKAGES=(chromium firefox-esr libsecp256k1-dev)
# Desktop clients (tests/integration/desktop-clients.test.ts), the tracker benchmark's load
# generator and C tracker (bench/tracker.ts), and iproute2's `ip` for the private network
# namespaces of the desktop-client and WebRTC tests (scripts/netns-run.sh).
APT_PACKAGES+=(transmission-daemon transmission-cli aria2 qbittorrent-nox iproute2 wrk opentracker)
# PostgreSQL: the server the tests and the benchmark start a throwaway cluster of
# (relay/src/store/pg/throwaway-cluster.ts), and libpq's headers, which the `libpq`
# npm package compiles against during `npm ci`.
APT_PACKAGES+=(postgresql libpq-dev)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]} from Debian"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund

# The relay's signature verifier over libsecp256k1 (docs/relay.md). Its tests
# require it, so a failed build stops setup here.
echo "setup: npm run build:native"
npm run build:native --silent
