"""Shared fixtures: the project's root and the cyclebt binary the package is checked against."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def binary() -> Path:
    """The cyclebt binary: $CYCLEBT_BIN, else target/debug/cyclebt (built by `cargo build`)."""
    path = Path(os.environ.get("CYCLEBT_BIN", ROOT / "target" / "debug" / "cyclebt"))
    if not path.is_file():
        pytest.fail(f"no cyclebt binary at {path}: run `cargo build` or set CYCLEBT_BIN")
    return path


@pytest.fixture(scope="session")
def run_binary(binary):
    """Runs the binary with arguments from the project's root; returns the finished process."""

    def run(*args, check=True):
        return subprocess.run(
            [str(binary), *map(str, args)], cwd=ROOT, capture_output=True, text=True, check=check
        )

    return run
