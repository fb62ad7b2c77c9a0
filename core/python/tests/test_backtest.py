"""backtest(signals=...): a numpy signal runs through the same rules as a plugin's."""

import numpy as np
import pandas as pd
import pytest

import cyclebt

WINDOWS = ["bull5", "cycle4"]
# strategies/sma-plugin.toml's rules, sizing and costs, as dicts.
RULES = dict(
    entry={"signal": "trend", "above": 0.0},
    exit={"signal": "trend", "below": 0.0},
    sizing={"name": "full", "rule": "full"},
    costs={"commission_bps": 2.5, "min_commission": 5, "slippage_bps": 5},
)


def sma_cross(close: np.ndarray, fast: int, slow: int) -> np.ndarray:
    """+1 while the fast simple average of the close is above the slow one, -1 below, 0 when
    equal or before `slow` days of history: each day's value from that day's close and
    earlier only."""
    sums = np.concatenate([[0.0], np.cumsum(close)])
    days = np.arange(1, len(close) + 1)
    signal = np.zeros(len(close))
    ready = days >= slow
    fast_mean = (sums[days[ready]] - sums[days[ready] - fast]) / fast
    slow_mean = (sums[days[ready]] - sums[days[ready] - slow]) / slow
    signal[ready] = np.sign(fast_mean - slow_mean)
    return signal


def test_a_numpy_signal_equal_to_the_plugins_gives_the_same_equity_to_the_cent(
    root, binary, monkeypatch
):
    monkeypatch.chdir(root)
    plugin = cyclebt.compare(
        ["strategies/sma-plugin.toml"], WINDOWS, plugin_dirs=[binary.parent]
    )
    ours = sma_cross(cyclebt.market()["close"].to_numpy(), 20, 60)
    mine = cyclebt.backtest({"trend": ours}, window=WINDOWS, name="sma-plugin", **RULES)
    for window in WINDOWS:
        expected = plugin.equity(window, "sma-plugin")
        got = mine.equity(window, "sma-plugin")
        # The plugin's values as its ledger records them (empty on the last day, when nothing
        # is decided) are the numpy signal's.
        recorded = expected["signal:trend"].dropna()
        assert len(recorded) == len(expected) - 1
        np.testing.assert_array_equal(recorded.to_numpy(), pd.Series(ours, index=cyclebt.market().index)[recorded.index].to_numpy())
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert (got["equity"].round(2) == expected["equity"].round(2)).all()
    columns = [c for c in plugin.summary.columns if c != "note"]
    pd.testing.assert_frame_equal(
        mine.summary[columns].reset_index(drop=True),
        plugin.summary[columns].reset_index(drop=True),
        check_exact=True,
    )


def test_a_series_by_date_and_its_errors(tmp_path):
    panel = cyclebt.market()
    days = panel.loc["2016-01-01":"2017-12-31"].index
    always = pd.Series(1.0, index=days)
    result = cyclebt.backtest(
        {"always": always}, entry={"signal": "always", "above": 0.0}, window="bull4"
    )
    row = result.summary.query("strategy == 'mine'").iloc[0]
    assert row["status"] == "ran" and row["trades"] == 1
    # A day without a value is not read as 0: the run fails, naming the day.
    gap = always.copy()
    gap["2017-01-03"] = np.nan
    with pytest.warns(UserWarning, match="failed: mine"):
        failed = cyclebt.backtest({"gap": gap}, entry={"signal": "gap", "above": 0.0}, window="bull4")
    assert "returned NaN on 2017-01-03" in failed.failures
    with pytest.raises(ValueError, match="one value per trading day"):
        cyclebt.backtest({"x": np.zeros(5)}, entry={"signal": "x", "above": 0.0})
    weekend = pd.Series([1.0], index=pd.to_datetime(["2015-06-13"]))
    with pytest.raises(cyclebt.InputError, match=r"x\.csv:2: column 1 \(date\): 2015-06-13 is not a trading day"):
        cyclebt.backtest({"x": weekend}, entry={"signal": "x", "above": 0.0})
    with pytest.raises(cyclebt.InputError, match="unknown field `abve`"):
        cyclebt.backtest({"x": always}, entry={"signal": "x", "abve": 0.0})


def test_strategies_as_dicts_equal_their_files(root, monkeypatch):
    import tomllib

    monkeypatch.chdir(root)
    with open(root / "strategies" / "sma-trend.toml", "rb") as f:
        as_dict = tomllib.load(f)
    from_dict = cyclebt.compare([as_dict], "bull2")
    from_file = cyclebt.compare(["strategies/sma-trend.toml"], "bull2")
    pd.testing.assert_frame_equal(from_dict.summary, from_file.summary, check_exact=True)
