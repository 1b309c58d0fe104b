#!/usr/bin/env bash
# Installs what swi-stream needs from Debian's packages (when run as root) and
# builds it. Idempotent: a second run only rebuilds what changed.
#   tools/setup.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
shift || true

pkgs=(build-essential cmake pkg-config git librdkafka-dev libavro-dev libpq-dev check
      libsubunit-dev libjansson-dev libcurl4-openssl-dev libssl-dev libmicrohttpd-dev
      postgresql postgresql-client kcat openssl procps jq curl
      prometheus python3 python3-yaml nodejs systemd zlib1g-dev
      clang libclang-rt-14-dev dpkg-dev)
# prometheus: promtool (tests lint /metrics and the alert rules); python3: the
# tests' log and compose checks; nodejs: kafkajs, the independent Kafka client
# of the offset tests, and the dashboard's build and tests; systemd:
# systemd-analyze verify of deploy/systemd; zlib1g-dev: swi-dashboard gzips its
# front end; clang, libclang-rt-14-dev: libFuzzer (tools/fuzz.sh); dpkg-dev: apt-get source.
# the test suite also drives the dashboard in a headless browser (tools/test.sh sets this)
if [ "${SWI_SETUP_TESTS:-0}" = 1 ]; then pkgs+=(chromium); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Debian's nodejs comes without npm (NodeSource's includes it): the dashboard's
# front end is built with npm ci
if ! command -v npm >/dev/null 2>&1 && ! printf '%s\n' "${missing[@]}" | grep -qx nodejs; then
  missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$here" -B "$build" "$@" >/dev/null
cmake --build "$build" -j "$jobs" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^-- ' || true
# The grep above hides progress lines; fail if the build did not finish.
cmake --build "$build" -j "$jobs" >/dev/null
