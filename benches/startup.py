"""Where the CPU time of one cyclebt command goes, by phase: perf samples (perf script output)
of every thread, each put in the first phase one of its stack frames names. Not part of the
test suite; run through benches/startup.sh.

Usage: python3 benches/startup.py PERF_DATA...
"""
import collections
import subprocess
import sys

# First match wins: loading and the grid's expansion run on rayon's threads too, so they are
# checked before the executor.
PHASES = [
    ("data loading (Datasets::get)", ["Datasets::get", "cyclebt_data::load"]),
    ("manifests", ["inputs::manifest", "builtin_manifests", "Manifest::parse"]),
    ("snapshot discovery (origin, sources.toml)", ["inputs::origin", "snapshot_sources"]),
    ("strategy file and its grid", ["inputs::strategy", "Strategy::parse", "sweep::expand"]),
    ("cycles and rule files", ["inputs::cycles", "parse_cycles", "inputs::regulation"]),
    ("plugin discovery", ["cyclebt_host"]),
    ("engine, metrics, executor", ["cyclebt_exec", "cyclebt_engine", "cyclebt_report", "rayon"]),
    ("process start (exec, dynamic linking)", ["_dl_", "ld-linux", "execve"]),
]


def phases(path):
    text = subprocess.run(
        ["perf", "script", "-i", path, "-F", "tid,ip,sym"],
        capture_output=True, text=True, check=True,
    ).stdout
    counts = collections.Counter()
    for sample in text.split("\n\n"):
        frames = [line.strip() for line in sample.strip().split("\n") if line.strip()]
        if not frames:
            continue
        stack = " ".join(frames[1:])
        phase = next((name for name, keys in PHASES if any(k in stack for k in keys)), "other")
        counts[phase] += 1
    return counts


for path in sys.argv[1:]:
    counts = phases(path)
    total = sum(counts.values())
    print(f"{path}: {total} samples")
    for name, n in counts.most_common():
        print(f"  {name:45s} {100 * n / total:5.1f}%")
