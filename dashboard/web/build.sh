#!/usr/bin/env bash
# dashboard/web/build.sh OUT_DIR - builds the dashboard's front end into OUT_DIR:
# installs the pinned npm packages (npm ci, from package-lock.json; the npm cache
# first, so a second build needs no network; SWI_NPM_OFFLINE=1: the cache only),
# then copies the sources (src/), the boundaries (geo/) and the vendored
# libraries (ECharts, topojson-client, with their licences) into OUT_DIR, which
# swi-dashboard serves. Nothing is loaded from a CDN at run time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT_DIR}
cd "$here"
stamp=node_modules/.swi-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  flags=(--no-audit --no-fund --loglevel=error)
  if [ "${SWI_NPM_OFFLINE:-0}" = 1 ]; then flags+=(--offline); else flags+=(--prefer-offline); fi
  npm ci "${flags[@]}" >&2
  cp package-lock.json "$stamp"
fi
tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/vendor" "$tmp/geo"
cp -R src/. "$tmp/"
cp geo/*.topojson geo/README.md "$tmp/geo/"
cp node_modules/echarts/dist/echarts.min.js "$tmp/vendor/"
cp node_modules/echarts/LICENSE "$tmp/vendor/echarts.LICENSE.txt"
cp node_modules/echarts/NOTICE "$tmp/vendor/echarts.NOTICE.txt"
cp node_modules/topojson-client/dist/topojson-client.min.js "$tmp/vendor/"
cp node_modules/topojson-client/LICENSE "$tmp/vendor/topojson-client.LICENSE.txt"
rm -rf "$out"
mv "$tmp" "$out"
