"""A notebook's first hour with cyclebt, as a script.

Loads the market panel, plots the financing balance against the index (when matplotlib is
installed), tries a numpy signal of margin financing over the five bull cycles and their
aftermath, and sets it beside the shipped margin-timing strategy (a plugin):

    python core/python/examples/margin_signal.py [OUT_DIR] [PLUGIN_DIR]

OUT_DIR gets the comparison's files and the chart (default: a temporary folder); PLUGIN_DIR
holds the built plugins (default: target/release, after `cargo build --release`).
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import cyclebt

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="cyclebt-example-"))
plugins = sys.argv[2] if len(sys.argv) > 2 else "target/release"
out.mkdir(parents=True, exist_ok=True)

# 1. The panel the signals see: day t's financing balance is the one published for day t-1.
market = cyclebt.market()
print(market[["close", "financing_balance"]].dropna().tail(3))

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, index_axis = plt.subplots(figsize=(10, 4))
    market["close"].plot(ax=index_axis, color="black", label="Shanghai Composite")
    balance_axis = index_axis.twinx()
    (market["financing_balance"] / 1e12).plot(ax=balance_axis, color="tab:red")
    balance_axis.set_ylabel("financing balance, trillion yuan")
    fig.savefig(out / "financing_vs_index.png", dpi=100)
    print(f"chart: {out / 'financing_vs_index.png'}")
except ImportError:
    print("matplotlib is not installed: no chart (pip install matplotlib)")

# 2. A signal in three lines of numpy: in while the balance grows faster than its 60-day
#    trend, out otherwise. Each value uses only balances published by that day.
balance = market["financing_balance"]
growth = balance.pct_change(20, fill_method=None) - balance.pct_change(60, fill_method=None) / 3
signal = np.sign(growth).fillna(0.0)

# 3. The same rules as a plugin strategy would use, over the bulls, the whole cycles (bull and
#    aftermath) and the margin era, against buy-and-hold and the shipped margin-timing.
windows = ["bulls", "cycles", "margin-era"]
mine = cyclebt.backtest(
    {"credit_push": signal},
    entry={"signal": "credit_push", "above": 0.0},
    exit={"signal": "credit_push", "below": 0.0},
    window=windows,
    name="credit-push",
    out=out / "mine",
)
shipped = cyclebt.compare(
    ["strategies/margin-timing.toml"], windows, plugin_dirs=[plugins], out=out / "shipped"
)
columns = ["window", "strategy", "sizing", "total_return", "sharpe", "max_drawdown", "status"]
table = pd.concat(
    [mine.summary[columns], shipped.summary.query("strategy != 'buy_and_hold'")[columns]]
).sort_values(["window", "strategy"], kind="stable")
print(table.to_string(index=False))
mine.report(out / "report.html")
print(f"files: {out}")
