#!/bin/bash
# The start-up share of the 100-combination sweep (benches/peers.py's grid): perf samples of
# every thread of three runs, by phase (benches/startup.py), and the process wall and CPU of
# the sweep, of `data check` (start, manifests, snapshot discovery, loading sh000001, its
# report) and of `--version` (process start alone). Not part of the test suite. Needs perf.
# Usage, from the project root:
#
#   bash benches/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p cyclebt
bin=target/release/cyclebt
sweep=(sweep strategies/sma-trend.toml --param trend.fast=5:50:5 --param trend.slow=20:200:20 --window full)
cat /proc/loadavg
for command in "--version" "data check" "${sweep[*]}"; do
  # shellcheck disable=SC2086
  perf stat -r 30 -e task-clock $bin $command 2>&1 >/dev/null \
    | awk -v c="$command" '/task-clock/ {cpu=$1} /elapsed/ {wall=$1*1000} END {printf "%s: %.2f ms CPU, %.2f ms wall (mean of 30)\n", c, cpu, wall}'
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for run in 1 2 3; do
  perf record -q -F 20000 --call-graph dwarf,32768 -o "$dir/$run.data" $bin "${sweep[@]}" >/dev/null 2>&1
done
python3 benches/startup.py "$dir"/*.data
cat /proc/loadavg
