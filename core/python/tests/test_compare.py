"""compare() against the binary: the same rows, columns and bytes."""

import filecmp

import pandas as pd

import cyclebt

STRATEGIES = ["strategies/sma-trend.toml", "strategies/margin-state.toml"]


def test_summary_equals_the_binarys_summary_csv(root, binary, run_binary, tmp_path, monkeypatch):
    monkeypatch.chdir(root)
    run_binary("compare", *STRATEGIES, "--out", tmp_path / "cli")
    # The binary finds the plugins beside itself; the package is told where they are.
    ours = cyclebt.compare(STRATEGIES, out=tmp_path / "py", plugin_dirs=[binary.parent])
    expected = pd.read_csv(tmp_path / "cli" / "summary.csv")
    assert list(ours.summary.columns) == list(expected.columns)
    assert len(ours.summary) == len(expected) > 0
    pd.testing.assert_frame_equal(ours.summary, expected, check_exact=True)
    # And every file byte for byte, ledgers, fills and trades of every run included.
    for name in ["summary.csv", "conventions.txt", "sharpe_ci.csv", "deflated.csv"]:
        assert filecmp.cmp(tmp_path / "cli" / name, tmp_path / "py" / name, shallow=False), name
    runs = sorted(p.relative_to(tmp_path / "cli") for p in (tmp_path / "cli" / "runs").rglob("*.csv"))
    assert runs == sorted(
        p.relative_to(tmp_path / "py") for p in (tmp_path / "py" / "runs").rglob("*.csv")
    )
    for run in runs:
        assert filecmp.cmp(tmp_path / "cli" / run, tmp_path / "py" / run, shallow=False), run


def test_windows_and_results_read_as_the_files(root, monkeypatch, tmp_path):
    monkeypatch.chdir(root)
    result = cyclebt.compare("strategies/sma-trend.toml", windows="bull2")
    assert set(result.summary["window"]) == {"bull2"}
    assert set(result.summary["strategy"]) == {"buy_and_hold", "sma-trend"}
    run = result.folder / "runs" / "bull2" / "sma-trend" / "full"
    ledger = result.equity("bull2", "sma-trend")
    assert ledger.index.name == "date"
    assert ledger.reset_index()["date"].dt.strftime("%Y-%m-%d").tolist() == pd.read_csv(
        run / "ledger.csv"
    )["date"].tolist()
    row = result.summary.query("strategy == 'sma-trend' and sizing == 'full'").iloc[0]
    # The ledger keeps the account's full precision; the summary rounds to the cent.
    assert round(ledger["equity"].iloc[-1], 2) == row["final_equity"]
    pd.testing.assert_frame_equal(result.trades("bull2", "sma-trend"), pd.read_csv(run / "trades.csv"))
    pd.testing.assert_frame_equal(result.fills("bull2", "sma-trend"), pd.read_csv(run / "fills.csv"))
    assert len(result.trades("bull2", "sma-trend")) == row["trades"]
    copied = result.report(tmp_path / "report.html")
    assert copied.read_bytes() == (result.folder / "report.html").read_bytes()
