#!/usr/bin/env bash
# The Python package's overhead against the binary (benches/python_overhead.py): builds the
# release binary and a release wheel into a venv under target/ (PyPI only), then times both.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
cargo build --release -q -p cyclebt
"$venv/bin/pip" install -q ./core/python
"$venv/bin/python" benches/python_overhead.py target/release/cyclebt
