"""market(): the panel the signals see, lagged as the manifest says."""

import numpy as np
import pandas as pd

import cyclebt


def test_day_t_holds_day_t_minus_1_financing_balance(root):
    panel = cyclebt.market()
    assert panel.index.is_monotonic_increasing and panel.index.is_unique
    # The Eastmoney market total, as the bundled snapshot holds it (yuan), from its splice date.
    raw = pd.read_csv(
        root / "datasets" / "snapshot" / "eastmoney_margin_total.csv", comment="#", index_col="date"
    )
    raw.index = pd.to_datetime(raw.index)
    days = panel.loc["2012-09-28":]
    previous = panel.index[panel.index.get_indexer(days.index) - 1]
    published = raw["financing_balance"].reindex(previous).to_numpy()
    seen = days["financing_balance"].to_numpy()
    both = ~np.isnan(seen) & ~np.isnan(published)
    assert both.sum() > 3000
    np.testing.assert_array_equal(seen[both], published[both])
    # Not the day's own figure: the balance moves on most days.
    own = raw["financing_balance"].reindex(days.index).to_numpy()
    same_day = ~np.isnan(own) & ~np.isnan(seen)
    assert (seen[same_day] != own[same_day]).mean() > 0.9
    # The index's close is that day's own.
    assert panel.loc["2015-06-12", "close"] == 5166.35


def test_market_equals_the_binarys_panel(run_binary):
    text = run_binary("data", "panel").stdout
    from io import StringIO

    expected = pd.read_csv(StringIO(text), index_col="date", parse_dates=["date"])
    pd.testing.assert_frame_equal(cyclebt.market(), expected, check_exact=True)
