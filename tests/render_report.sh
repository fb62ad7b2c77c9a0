#!/usr/bin/env bash
# Renders the report pages in headless Chromium and checks them (tests/render_report.mjs): on
# each no page errors and no network request; on the comparison's, the overview's grids, the
# summary sorted and filtered, a window's charts (a legend click hides a line, a hover shows a
# value), a tearsheet opened, the page ready within 0.3 s, and the page under 3 MB; the sweep's
# heat maps; the validation page's tables and charts.
# Needs Debian's chromium (apt-get install chromium), node and npm; installs playwright-core
# into a temporary folder (it drives the system Chromium, it downloads no browser).
#
#   bash tests/render_report.sh [DATA_ROOT]      # default: the bundled snapshot
#
# Leaves the pages and screenshots (overview, a window, a tearsheet, the sweep, the validation)
# in target/render-report/ to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
data=()
if [ $# -gt 0 ]; then data=(--data "$1"); fi
out="target/render-report"
command -v chromium >/dev/null || { echo "SKIPPED render_report: no chromium (apt-get install chromium)"; exit 0; }
command -v node >/dev/null || { echo "SKIPPED render_report: no node"; exit 0; }
cargo build --release --quiet
rm -rf "$out" && mkdir -p "$out"
./target/release/cyclebt compare strategies/*.toml "${data[@]}" --out "$out" >/dev/null 2>&1
./target/release/cyclebt sweep strategies/sma-trend.toml "${data[@]}" --param trend.fast=5:50:5 \
  --param trend.slow=20:200:20 --window full --out "$out/sweep" >/dev/null 2>&1
./target/release/cyclebt validate strategies/sma-trend.toml "${data[@]}" --param trend.fast=5,10,20 \
  --param trend.slow=40,60 --out "$out/validate" >/dev/null 2>&1
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
cp tests/render_report.mjs "$tools/"
if ! (cd "$tools" && npm install --silent --no-audit --no-fund playwright-core >/dev/null 2>&1); then
  echo "SKIPPED render_report: playwright-core could not be installed from the npm registry"
  exit 0
fi
size=$(stat -c %s "$out/report.html")
if [ "$size" -ge 3000000 ]; then echo "report.html is $size bytes; expected under 3 MB"; exit 1; fi
node "$tools/render_report.mjs" "$PWD/$out/report.html" "$PWD/$out/sweep/report.html" \
  "$PWD/$out/validate/report.html" "$PWD/$out/report"
echo "report.html: $size bytes; screenshots: $out/report-{overview,window,tearsheet,sweep,validation}.png"
