#!/bin/bash
# Peak memory and time of loading a history 100 times longer than the Shanghai Composite's
# (870,000 days in the bundled snapshot's format, with margin series and a PE), through the
# real loader (core/data/examples/long_history.rs), from the snapshot's format and from the
# same figures as vendor exports. Not part of the test suite. The files (about 310 MB, the same
# bytes each run) go to a temporary folder, removed at the end.
# Usage, from the project root:
#
#   bash benches/long_history.sh [DAYS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p cyclebt-data --example long_history
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
target/release/examples/long_history write "$dir" "${1:-870000}"
cat /proc/loadavg
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s elapsed, %U s user, %M KB peak RSS" \
    target/release/examples/long_history load "$dir"
done
# The same figures from the vendor-format exports (baostock, akshare, Eastmoney, legulegu).
/usr/bin/time -f "exports: %e s elapsed, %U s user, %M KB peak RSS" \
  target/release/examples/long_history load "$dir" --exports
