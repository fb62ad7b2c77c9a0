#!/bin/bash
# Times the 100-combination SMA sweep in cyclebt, backtesting.py and vectorbt side by side
# (benches/peers.py). Not part of the test suite. The Python packages go into a venv under
# target/ (created on first use; the repository is not touched). Usage, from the project root:
#
#   bash benches/peers.sh            # builds cyclebt --release, then runs the comparison
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/peer-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q backtesting vectorbt
fi
cargo build --release -q -p cyclebt
"$venv/bin/python" benches/peers.py target/release/cyclebt
