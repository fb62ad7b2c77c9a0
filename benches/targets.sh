#!/bin/bash
# The speed targets of the sweep issue (BENCHMARKS.md, "Where the sweep issue's targets stand"),
# each measured the same way every time, in one run. Not part of the test suite. Usage, from
# the project root:
#
#   bash benches/targets.sh [REFERENCE]
#
# REFERENCE, optional, is a folder holding another build's `cyclebt` and plugin libraries
# (copied from a target/release) and, optionally, that build's criterion binaries of the sweep
# and snapshot benches as `bench-sweep` and `bench-snapshot` (from target/release/deps). Every
# timing then alternates between this build and the reference, round by round: this machine's
# speed drifts by a third within the hour, and the reference's column shows how fast the
# machine was at the time.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --workspace
# This build's criterion binaries, by the paths cargo reports for them.
bench_binary() {
  cargo bench -q -p "$1" --bench "$2" --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])' "$2"
}
scratch=$(mktemp -d target/targets.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/this"
ln -s "$PWD/target/release/cyclebt" "$scratch/this/cyclebt"
ln -s "$(bench_binary cyclebt-exec sweep)" "$scratch/this/bench-sweep"
ln -s "$(bench_binary cyclebt-data snapshot)" "$scratch/this/bench-snapshot"
builds=("$scratch/this")
if [ $# -ge 1 ]; then builds+=("$(cd "$1" && pwd)"); fi
name() { if [ "$1" = "$scratch/this" ]; then echo "this build"; else echo "$1"; fi; }

# The issue's grid as benches/peers.py runs it beside backtesting.py and vectorbt (no costs,
# one sizing rule), and the shipped strategies/sma-trend.toml (two sizing rules, costs): twice
# the runs, and every fill pays commission, stamp duty and slippage.
python3 -c 'import sys; sys.path.insert(0, "benches"); import peers; sys.stdout.write(peers.STRATEGY)' \
  > "$scratch/sma-grid.toml"
grid=(--param trend.fast=5:50:5 --param trend.slow=20:200:20 --window full)

# The machine's own speed at the time: a fixed single-threaded workload (ten million Python
# additions), before and after, to read the figures against.
calibrate() {
  python3 -c 'import sys, time; t = time.perf_counter(); s = sum(range(10_000_000)); print(f"calibration ({sys.argv[1]}): 10^7 Python additions in {(time.perf_counter() - t) * 1000:.0f} ms")' "$1"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
calibrate before

for strategy in "$scratch/sma-grid.toml" strategies/sma-trend.toml; do
  echo "== the 100-combination sweep of $(basename "$strategy"), table only, process wall (perf stat -r 20), target 50 ms"
  for round in 1 2 3 4 5; do
    for build in "${builds[@]}"; do
      perf stat -r 20 "$build/cyclebt" sweep "$strategy" "${grid[@]}" 2>&1 >/dev/null \
        | awk -v b="$(name "$build")" -v r="$round" '/seconds time elapsed/ { printf "round %d  %-28s %6.1f ms\n", r, b, $1 * 1000 }'
    done
  done
done

# compare --out writes 978 files in 446 folders. On this VM's ext4 the kernel's cost of
# creating a file varies thirtyfold with the file system's recent history (its inode allocator
# skips recently freed inodes, reading their table blocks: `recently_deleted` and
# `find_inode_bit` in a profile), so the time to create 1,000 empty files is printed beside
# the ext4 rounds, and the same command is timed on tmpfs, where creating a file costs the
# same every time.
shm=$(mktemp -d /dev/shm/cyclebt-targets.XXXXXX)
trap 'rm -rf "$scratch" "$shm"' EXIT
file_creation() {
  local dir
  dir=$(mktemp -d "$1/creation.XXXXXX")
  /usr/bin/time -f "1,000 empty files created in %e s ($(df --output=fstype "$1" | tail -1))" \
    bash -c 'for i in $(seq 1000); do : > "$0/f$i"; done' "$dir" 2>&1 | tail -1
}
# Times compare --out under PLACE, ROUNDS rounds: into a fresh folder each round (MODE
# "fresh") or into one folder per build that an unmeasured run filled first (MODE "rerun").
time_compare() {
  local place=$1 mode=$2 rounds=$3 round build out
  for round in $(seq "$rounds"); do
    for build in "${builds[@]}"; do
      out="$place/$mode-$(basename "$build")"
      if [ "$mode" = rerun ]; then
        [ "$round" -gt 1 ] || "$build/cyclebt" compare strategies/*.toml --out "$out" >/dev/null 2>&1
      else
        out="$out-$round"
      fi
      /usr/bin/time -f "round $round  $(name "$build")  %e s elapsed, %U s user, %S s sys" \
        "$build/cyclebt" compare strategies/*.toml --out "$out" 2>&1 >/dev/null | tail -1
    done
  done
}
for place in "$scratch" "$shm"; do
  fs=$(df --output=fstype "$place" | tail -1 | tr -d ' ')
  echo "== compare strategies/*.toml --out DIR (a fresh folder each run, on $fs), target 0.5 s"
  file_creation "$place"
  time_compare "$place" fresh 5
  echo "-- the same, rerun into a folder holding the earlier outputs (the README's main command run again)"
  time_compare "$place" rerun 3
  file_creation "$place"
done

# Criterion's median over 782,460 day-steps (90 runs of the grid without costs over the whole
# history). `executor` is what the issue's ~250 ns measured: the sweep's in-process time (90
# signals evaluated and 90 runs, on both cores) over its day-steps. `day loop, summary` is the
# runs alone on one core, as a sweep makes them.
criterion() {
  local binary=$1 filter=$2 build=$3 round=$4
  [ -x "$build/$binary" ] || return 0
  "$build/$binary" --bench "$filter" --warm-up-time 1 --measurement-time 3 --noplot 2>&1 \
    | awk -v b="$(name "$build")" -v r="$round" -v steps="${5:-0}" '
        /time:/ && !done { gsub(/[\[\]]/, ""); ms = ($5 == "ms" ? $4 : ($5 == "µs" ? $4 / 1000 : $4 * 1000))
          printf "round %d  %-28s median %.2f ms", r, b, ms
          if (steps > 0) printf " = %.1f ns per day-step", ms * 1e6 / steps
          printf "\n"; done = 1 }'
}
for filter in "executor" "day loop, summary"; do
  echo "== the sweep's engine cost per day-step, criterion '$filter', target 25 ns"
  for round in 1 2 3; do
    for build in "${builds[@]}"; do
      criterion bench-sweep "sma_grid_90_full_history/$filter\$" "$build" "$round" 782460
    done
  done
done

echo "== loading and validating sh000001 from the snapshot (criterion), target 5 ms"
for round in 1 2 3; do
  for build in "${builds[@]}"; do
    criterion bench-snapshot "sh000001 from the snapshot" "$build" "$round"
  done
done
calibrate after
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
