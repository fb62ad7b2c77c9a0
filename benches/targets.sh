#!/bin/bash
# The speed targets of the sweep issue (BENCHMARKS.md, "Parameter sweeps"), each measured
# the same way every time, in one run. Not part of the test suite. Usage, from the project root:
#
#   bash benches/targets.sh [REFERENCE]
#
# REFERENCE, optional, is a folder holding another build's `cyclebt` and plugin libraries
# (copied from a target/release). The whole-command timings then alternate between this build
# and the reference, round by round: this machine's speed drifts by 10 to 20% over minutes, and
# the reference's column shows how fast the machine was at the time.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --workspace
builds=(target/release)
if [ $# -ge 1 ]; then builds+=("$1"); fi
sweep=(sweep strategies/sma-trend.toml --param trend.fast=5:50:5 --param trend.slow=20:200:20 --window full)
scratch=$(mktemp -d target/targets.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
# The machine's own speed at the time: a fixed single-threaded workload (ten million Python
# additions), before and after, to read the figures against.
calibrate() {
  python3 -c 'import sys, time; t = time.perf_counter(); s = sum(range(10_000_000)); print(f"calibration ({sys.argv[1]}): 10^7 Python additions in {(time.perf_counter() - t) * 1000:.0f} ms")' "$1"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
calibrate before

echo "== the 100-combination sweep, table only, process wall (perf stat -r 20), target 50 ms"
for round in 1 2 3 4 5; do
  for build in "${builds[@]}"; do
    perf stat -r 20 "$build/cyclebt" "${sweep[@]}" 2>&1 >/dev/null \
      | awk -v b="$build" -v r="$round" '/seconds time elapsed/ { printf "round %d  %-28s %6.1f ms\n", r, b, $1 * 1000 }'
  done
done

echo "== compare strategies/*.toml --out DIR (a fresh folder each run, on $(df --output=fstype target | tail -1)), target 0.5 s"
for round in 1 2 3 4 5; do
  for build in "${builds[@]}"; do
    out="$scratch/compare-$round-$(basename "$build")"
    /usr/bin/time -f "round $round  $build  %e s elapsed, %U s user, %S s sys" \
      "$build/cyclebt" compare strategies/*.toml --out "$out" 2>&1 >/dev/null | tail -1
  done
done

echo "== the sweep's engine cost per day-step (criterion, 782,460 day-steps), target 25 ns"
cargo bench -q -p cyclebt-exec --bench sweep -- "day loop" 2>&1 \
  | awk '/^sma_grid/ { name = $0 } /time:/ && name != "" {
      gsub(/[\[\]]/, ""); printf "%-45s median %s %s = %.1f ns per day-step\n", name, $4, $5, ($5 == "ms" ? $4 * 1e6 : $4 * 1e3) / 782460; name = "" }'

echo "== loading and validating sh000001 from the snapshot (criterion), target 5 ms"
cargo bench -q -p cyclebt-data --bench snapshot -- "sh000001 from the snapshot" 2>&1 \
  | awk '/time:/ { gsub(/[\[\]]/, ""); printf "median %s %s\n", $4, $5; exit }'
calibrate after
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
