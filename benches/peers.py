"""The issue-9 speed comparison: one grid, three systems, the same data.

Grid: SMA(fast, slow) crossover, fast 5..50 step 5 x slow 20..200 step 20 = 100 combinations,
of which those with fast >= slow are invalid (10: counted, not run). Rules: hold while the fast
average is above the slow one, out while below; fills at the next open; no costs; one sizing
(all in). Data: the Shanghai Composite of the bundled snapshot (datasets/snapshot), whole
history. The snapshot's repaired 1990s bars are used as they are (only high and low were
repaired, which none of the three reads for these rules).

Timed: the process wall of each (a fresh interpreter or binary, the best of several runs), and
in-process for the Python libraries (the sweep call alone, warm: the second of two calls).
Prints one line per measurement and the ratios against cyclebt's process wall.
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import time

CYCLEBT = sys.argv[1] if len(sys.argv) > 1 else "target/release/cyclebt"
SNAPSHOT = "datasets/snapshot/baostock_sh000001.csv"
FAST = list(range(5, 51, 5))
SLOW = list(range(20, 201, 20))
REPEATS = 5

STRATEGY = """
name = "sma-grid"
dataset = "sh000001"
[[signal]]
id = "trend"
builtin = "sma_cross"
params = { fast = 20, slow = 60 }
[[entry]]
signal = "trend"
above = 0.0
[[exit]]
signal = "trend"
below = 0.0
[[sizing]]
name = "full"
rule = "full"
[costs]
commission_bps = 0
min_commission = 0
slippage_bps = 0
stamp_duty = false
[execution]
fill = "next_open"
"""

LOAD = textwrap.dedent(
    f"""
    import pandas as pd
    df = pd.read_csv({SNAPSHOT!r}, comment="#", parse_dates=["date"], index_col="date")
    df = df.rename(columns=str.capitalize)[["Open", "High", "Low", "Close", "Volume"]]
    df["High"] = df[["Open", "High", "Close"]].max(axis=1)
    df["Low"] = df[["Open", "Low", "Close"]].min(axis=1)
    """
)

BACKTESTING = LOAD + textwrap.dedent(
    """
    import time, warnings
    warnings.filterwarnings("ignore")
    from backtesting import Backtest, Strategy
    def sma(values, n):
        return pd.Series(values).rolling(n).mean()
    class SmaCross(Strategy):
        n1 = 20
        n2 = 60
        def init(self):
            self.fast = self.I(sma, self.data.Close, self.n1)
            self.slow = self.I(sma, self.data.Close, self.n2)
        def next(self):
            if self.fast[-1] > self.slow[-1]:
                if not self.position:
                    self.buy()
            elif self.fast[-1] < self.slow[-1] and self.position:
                self.position.close()
    bt = Backtest(df, SmaCross, cash=1e9, commission=0, trade_on_close=False)
    def sweep():
        return bt.optimize(n1=range(5, 51, 5), n2=range(20, 201, 20),
                           constraint=lambda p: p.n1 < p.n2, maximize="Sharpe Ratio",
                           return_heatmap=True)
    sweep()
    t = time.perf_counter(); stats, heat = sweep(); elapsed = time.perf_counter() - t
    print(f"INPROCESS {elapsed} {len(heat)}")
    """
)

VECTORBT = LOAD + textwrap.dedent(
    """
    import time
    import numpy as np
    import vectorbt as vbt
    pairs = [(f, s) for f in range(5, 51, 5) for s in range(20, 201, 20) if f < s]
    close, open_ = df["Close"], df["Open"]
    def sweep():
        fast = vbt.MA.run(close, [f for f, _ in pairs], short_name="fast")
        slow = vbt.MA.run(close, [s for _, s in pairs], short_name="slow")
        above = fast.ma.values > slow.ma.values
        below = fast.ma.values < slow.ma.values
        # Decided at the close, filled at the next open.
        entries = np.vstack([np.zeros((1, above.shape[1]), bool), above[:-1]])
        exits = np.vstack([np.zeros((1, below.shape[1]), bool), below[:-1]])
        opens = np.repeat(open_.values[:, None], len(pairs), axis=1)
        closes = np.repeat(close.values[:, None], len(pairs), axis=1)
        pf = vbt.Portfolio.from_signals(closes, entries, exits, price=opens,
                                        fees=0.0, init_cash=1e6, freq="1D")
        return pf.sharpe_ratio()
    sweep()
    t = time.perf_counter(); sharpe = sweep(); elapsed = time.perf_counter() - t
    print(f"INPROCESS {elapsed} {len(sharpe)}")
    """
)


def wall(command, repeats=REPEATS, env=None):
    """Best process wall of `repeats` runs, and the last run's stdout."""
    best, out = float("inf"), ""
    for _ in range(repeats):
        t = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - t
        if done.returncode != 0:
            sys.exit(f"{command[0]} failed:\n{done.stderr}")
        best, out = min(best, elapsed), done.stdout
    return best, out


def in_process(out):
    line = next(l for l in out.splitlines() if l.startswith("INPROCESS"))
    _, seconds, rows = line.split()
    return float(seconds), int(rows)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        strategy = os.path.join(tmp, "sma-grid.toml")
        with open(strategy, "w") as f:
            f.write(STRATEGY)
        command = [CYCLEBT, "sweep", strategy, "--param", "trend.fast=5:50:5",
                   "--param", "trend.slow=20:200:20", "--window", "full", "--top", "1"]
        cyclebt, out = wall(command, repeats=10)
        print(f"cyclebt sweep, process wall (best of 10): {cyclebt * 1e3:.1f} ms; {out.splitlines()[0]}")
        with_out, _ = wall(command + ["--out", os.path.join(tmp, "out")], repeats=5)
        print(f"cyclebt sweep --out (sweep.csv), process wall: {with_out * 1e3:.1f} ms")

        cold_env = dict(os.environ, NUMBA_CACHE_DIR=os.path.join(tmp, "numba-cold"))
        bt_wall, out = wall([sys.executable, "-c", BACKTESTING], repeats=2)
        bt_in, bt_rows = in_process(out)
        print(f"backtesting.py optimize: in-process {bt_in:.3f} s ({bt_rows} combinations), process wall {bt_wall:.2f} s")
        vbt_cold, _ = wall([sys.executable, "-c", VECTORBT], repeats=1, env=cold_env)
        vbt_warm_wall, out = wall([sys.executable, "-c", VECTORBT], repeats=2)
        vbt_in, vbt_rows = in_process(out)
        print(f"vectorbt broadcast: in-process {vbt_in:.3f} s warm ({vbt_rows} columns), process wall {vbt_warm_wall:.2f} s (JIT cache warm), {vbt_cold:.2f} s cold (empty JIT cache)")

        print("ratios (their time / cyclebt's process wall):")
        print(f"  backtesting.py optimize, process wall: {bt_wall / cyclebt:.0f}x (target >= 80x)")
        print(f"  vectorbt, cold process: {vbt_cold / cyclebt:.0f}x (target >= 100x)")
        print(f"  vectorbt, warm in-process call: {vbt_in / cyclebt:.2f}x (target > 1: cyclebt's whole process faster)")


if __name__ == "__main__":
    main()
