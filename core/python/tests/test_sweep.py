"""sweep(), merge() and validate() against the binary: the same files, byte for byte."""

import filecmp

import pytest

import cyclebt

GRID = {"trend.fast": "10:30:10", "trend.slow": "40:80:20"}
PARAMS = [arg for key, value in GRID.items() for arg in ("--param", f"{key}={value}")]
WINDOWS = ["bull5", "cycle4"]


def test_sweep_equals_the_binarys_and_its_shards_merge_to_it(root, run_binary, tmp_path, monkeypatch):
    monkeypatch.chdir(root)
    strategy = "strategies/sma-trend.toml"
    window_args = [arg for w in WINDOWS for arg in ("--window", w)]
    run_binary("sweep", strategy, *PARAMS, *window_args, "--out", tmp_path / "cli")
    whole = cyclebt.sweep(strategy, GRID, WINDOWS, out=tmp_path / "py")
    assert not whole.is_shard
    assert filecmp.cmp(tmp_path / "cli" / "sweep.csv", tmp_path / "py" / "sweep.csv", shallow=False)
    assert {"trend.fast", "trend.slow", "sharpe", "final_equity"} <= set(whole.summary.columns)
    # 3 x 3 combinations of which fast >= slow never happens here, 2 windows, 2 sizing rules.
    assert len(whole.summary) == 9 * 2 * 2
    shards = [cyclebt.sweep(strategy, GRID, WINDOWS, shard=(i, 3)) for i in range(3)]
    assert all(part.is_shard for part in shards)
    assert sum(len(part.summary) for part in shards) == len(whole.summary)
    merged = cyclebt.merge(shards)
    assert (merged.folder / "sweep.csv").read_bytes() == (tmp_path / "cli" / "sweep.csv").read_bytes()
    assert (merged.folder / "report.html").read_bytes() == (tmp_path / "cli" / "report.html").read_bytes()
    by_cagr = cyclebt.merge(shards, rank="cagr")
    run_binary("sweep", strategy, *PARAMS, *window_args, "--rank", "cagr", "--out", tmp_path / "cagr")
    assert (by_cagr.folder / "report.html").read_bytes() == (tmp_path / "cagr" / "report.html").read_bytes()


def test_validate_writes_the_binarys_files(root, run_binary, tmp_path, monkeypatch):
    monkeypatch.chdir(root)
    strategy = "strategies/sma-trend.toml"
    run_binary("validate", strategy, *PARAMS, "--out", tmp_path / "cli")
    result = cyclebt.validate(strategy, GRID, out=tmp_path / "py")
    for name in ["validate_loco.csv", "walkforward_steps.csv", "walkforward_curve.csv", "pbo_logits.csv"]:
        assert filecmp.cmp(tmp_path / "cli" / name, tmp_path / "py" / name, shallow=False), name
    assert len(result.loco) > 0 and "Deflated Sharpe" in result.table


def test_unknown_options_are_errors():
    with pytest.raises(TypeError, match="unknown option"):
        cyclebt.sweep("strategies/sma-trend.toml", risk_fre=0.02)
