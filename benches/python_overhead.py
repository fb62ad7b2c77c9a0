"""The Python package's overhead against the binary on the 100-combination SMA sweep of
benches/peers.py: `cyclebt sweep --out` as a process against `cyclebt.sweep(..., out=...)` in a
warm interpreter (the same release-built code, in-process), both writing sweep.csv and
report.html, and the interpreter's start plus `import cyclebt` once.

    bash benches/python_overhead.sh    # release binary and wheel into target/bench-venv
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from peers import STRATEGY  # noqa: E402  (the same grid and strategy as the peers' bench)

import cyclebt  # noqa: E402

CYCLEBT = sys.argv[1] if len(sys.argv) > 1 else "target/release/cyclebt"
GRID = {"trend.fast": "5:50:5", "trend.slow": "20:200:20"}
REPEATS = 10


def best(step, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        strategy = os.path.join(tmp, "sma-grid.toml")
        with open(strategy, "w") as f:
            f.write(STRATEGY)
        params = [a for k, v in GRID.items() for a in ("--param", f"{k}={v}")]
        command = [CYCLEBT, "sweep", strategy, *params, "--window", "full", "--top", "1",
                   "--out", os.path.join(tmp, "cli")]
        binary = best(lambda: subprocess.run(command, check=True, capture_output=True))
        python = best(lambda: cyclebt.sweep(strategy, GRID, "full", top=1,
                                            out=os.path.join(tmp, "py")))
        rows = len(cyclebt.sweep(strategy, GRID, "full", top=1).summary)
        same = open(os.path.join(tmp, "cli", "sweep.csv"), "rb").read() == open(
            os.path.join(tmp, "py", "sweep.csv"), "rb").read()
        start = best(lambda: subprocess.run([sys.executable, "-c", "import cyclebt"],
                                            check=True), repeats=3)
        print(f"binary, process wall (best of {REPEATS}): {binary * 1e3:.1f} ms")
        print(f"cyclebt.sweep in-process, warm (best of {REPEATS}): {python * 1e3:.1f} ms "
              f"({rows} rows; sweep.csv identical: {same})")
        print(f"python -c 'import cyclebt' (best of 3): {start * 1e3:.1f} ms")
        print(f"overhead of the warm call against the process: {(python - binary) * 1e3:+.1f} ms "
              f"({python / binary:.2f}x)")


if __name__ == "__main__":
    main()
