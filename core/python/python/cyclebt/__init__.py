"""cyclebt from Python: the engine of the ``cyclebt`` binary, run in-process.

Every function here runs the binary's own command line (``cyclebt compare``, ``cyclebt data
panel``) through the native module, with no subprocess, and reads the files that command
writes with pandas, so a DataFrame holds exactly the columns and values of the binary's CSV
files. Errors raise :class:`InputError` (bad input: the message names the file, line and
column where there is one) or :class:`InternalError`, carrying the binary's message.

Market data comes from the bundled snapshot (``datasets/snapshot`` of the checkout the package
was built from) unless ``data=`` or ``$CYCLEBT_DATA`` names a folder of raw exports.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd

from ._cyclebt import CyclebtError, InputError, InternalError, StrategiesFailed
from ._cyclebt import cut_points as _cut_points
from ._cyclebt import run as _run
from ._cyclebt import toml_from_json as _toml_from_json

__all__ = [
    "Comparison",
    "CyclebtError",
    "Sweep",
    "Validation",
    "Causality",
    "backtest",
    "check_causal",
    "InputError",
    "InternalError",
    "StrategiesFailed",
    "compare",
    "market",
    "merge",
    "run",
    "sweep",
    "validate",
]

PathLike = Union[str, "os.PathLike[str]"]
StrategyLike = Union[PathLike, Mapping[str, Any]]


def run(*args: PathLike) -> tuple[str, str]:
    """Runs one ``cyclebt`` command line in-process, e.g. ``run("compare", "s.toml")``.

    Returns what the binary prints on stdout and on stderr; raises :class:`InputError` or
    :class:`InternalError` with the binary's message where the binary would exit non-zero.
    """
    return _run([os.fspath(a) for a in args])


def _flags(**options: Any) -> list:
    """The binary's flags for keyword arguments: ``risk_free=0.02`` is ``--risk-free 0.02``,
    ``True`` the bare flag, ``None`` and ``False`` nothing, a list the flag repeated."""
    args: list = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        for item in value if isinstance(value, list) else [value]:
            if item is None or item is False:
                continue
            if item is True:
                args.append(flag)
            else:
                args += [flag, item if isinstance(item, os.PathLike) else str(item)]
    return args


def _output_folder(out: Optional[PathLike]) -> tuple[Path, Optional[tempfile.TemporaryDirectory]]:
    """``out``, or a temporary folder removed with the result that holds it."""
    if out is not None:
        return Path(out), None
    keep = tempfile.TemporaryDirectory(prefix="cyclebt-")
    return Path(keep.name), keep


def _read_csv(source: Union[Path, str]) -> pd.DataFrame:
    """Reads one of the binary's CSV files (a path, or the text itself), the same way for all."""
    if isinstance(source, str):
        source = io.StringIO(source)
    return pd.read_csv(source)


def market(dataset: str = "sh000001", data: Optional[PathLike] = None) -> pd.DataFrame:
    """The joined daily panel a strategy's signals see, indexed by date.

    One row per trading day of the dataset's index; columns: the price fields, turnover, the
    margin-financing series, valuation and the dataset's named series. Each row holds only
    what was published by that day's close: the margin series are lagged by their publication
    delay, so day t's ``financing_balance`` is the balance reported for day t-1. Missing values
    are NaN. This is ``cyclebt data panel`` as a DataFrame.

    ``dataset``: a built-in name or alias (sh000001, csi300, ...) or a manifest path.
    ``data``: a folder of raw exports instead of the bundled snapshot.
    """
    args = ["data", "panel", "--dataset", dataset]
    if data is not None:
        args += ["--data", os.fspath(data)]
    out, _ = run(*args)
    panel = _read_csv(out)
    panel["date"] = pd.to_datetime(panel["date"])
    return panel.set_index("date")


class Comparison:
    """The outputs of one ``cyclebt compare --out``: summary, ledgers, fills, trades, report.

    ``summary`` is ``summary.csv``; ``equity``, ``fills`` and ``trades`` read one run's
    ``ledger.csv``, ``fills.csv`` and ``trades.csv``; ``report`` copies ``report.html``. The
    files stay in ``folder`` (a temporary folder, removed with this object, unless ``out=``
    was given to :func:`compare`).
    """

    def __init__(
        self,
        folder: Path,
        notes: str,
        keep: Optional[tempfile.TemporaryDirectory],
        failures: Optional[str] = None,
    ):
        self.folder = folder
        #: None, or the binary's message naming the strategies that failed (their rows say
        #: why; the other strategies' results are all here).
        self.failures = failures
        #: What the binary said on stderr (the data's origin, findings, failed strategies).
        self.notes = notes
        self._keep = keep
        #: Every row of summary.csv: one per window x strategy x sizing rule.
        self.summary: pd.DataFrame = _read_csv(folder / "summary.csv")

    def _run_file(self, name: str, window: str, strategy: str, sizing: str) -> Path:
        path = self.folder / "runs" / window / strategy / sizing / name
        if not path.is_file():
            ran = self.summary[self.summary["status"] == "ran"]
            known = ", ".join(
                f"({w}, {s}, {z})" for w, s, z in ran[["window", "strategy", "sizing"]].values
            )
            raise KeyError(f"no run ({window}, {strategy}, {sizing}); the runs are: {known}")
        return path

    def equity(self, window: str, strategy: str, sizing: str = "full") -> pd.DataFrame:
        """One run's daily ledger (``ledger.csv``), indexed by date: cash, units, debt,
        interest, fees, equity, exposure, drawdown, the benchmark's equity, the order given
        at the close and each signal's value."""
        ledger = _read_csv(self._run_file("ledger.csv", window, strategy, sizing))
        ledger["date"] = pd.to_datetime(ledger["date"])
        return ledger.set_index("date")

    def fills(self, window: str, strategy: str, sizing: str = "full") -> pd.DataFrame:
        """Every fill of one run (``fills.csv``)."""
        return _read_csv(self._run_file("fills.csv", window, strategy, sizing))

    def trades(self, window: str, strategy: str, sizing: str = "full") -> pd.DataFrame:
        """Every round trip of one run (``trades.csv``)."""
        return _read_csv(self._run_file("trades.csv", window, strategy, sizing))

    def report(self, path: PathLike) -> Path:
        """Copies the comparison's ``report.html`` to ``path``; returns where it went."""
        return Path(shutil.copyfile(self.folder / "report.html", os.fspath(path)))

    def __repr__(self) -> str:
        return f"<cyclebt.Comparison of {len(self.summary)} rows in {self.folder}>"


def compare(
    strategies: Union[StrategyLike, Iterable[StrategyLike]] = (),
    windows: Optional[Union[str, Sequence[str]]] = None,
    *,
    series: Optional[Mapping[str, Any]] = None,
    data: Optional[PathLike] = None,
    datasets: Sequence[str] = (),
    benchmark: Optional[str] = None,
    cycles: Optional[PathLike] = None,
    periods_per_year: Optional[float] = None,
    risk_free: Optional[float] = None,
    stamp_duty: Optional[PathLike] = None,
    margin_rules: Optional[PathLike] = None,
    plugin_dirs: Sequence[PathLike] = (),
    audit_causality: bool = False,
    bootstrap: Optional[int] = None,
    seed: Optional[int] = None,
    out: Optional[PathLike] = None,
) -> Comparison:
    """Every strategy x sizing rule over every window against buy-and-hold: ``cyclebt compare``.

    ``strategies``: strategy files (TOML), or dicts with the TOML's structure (written as
    files under ``inputs/`` of the output folder); none runs buy-and-hold alone. ``windows``:
    window ids or groups (bull1, cycles, full, ...), default the cycle list's. ``series``: your
    own series, ``{"name": values}``, added to every dataset (``--series``; see
    :func:`backtest`), arrays aligned to the first of ``datasets``, else sh000001. The other
    keyword arguments are the binary's options of the same names. ``out``: keep the files in
    this folder (as ``--out``) instead of a temporary one. When some strategies fail (a plugin
    that cannot load or errs), the others' results still come out: a warning names the failed
    ones and ``.failures`` holds the binary's message.
    """
    if isinstance(strategies, (str, os.PathLike, Mapping)):
        strategies = [strategies]
    if isinstance(windows, str):
        windows = [windows]
    folder, keep = _output_folder(out)
    calendar = datasets[0] if datasets else "sh000001"
    paths, series_args = _write_inputs(
        folder, strategies, series or {}, lambda: market(calendar, data).index
    )
    args = ["compare", *paths, "--out", folder, *series_args]
    args += _flags(
        window=list(windows or ()),
        dataset=list(datasets),
        data=data,
        benchmark=benchmark,
        cycles=cycles,
        periods_per_year=periods_per_year,
        risk_free=risk_free,
        stamp_duty=stamp_duty,
        margin_rules=margin_rules,
        bootstrap=bootstrap,
        seed=seed,
        plugin_dir=list(plugin_dirs),
        audit_causality=audit_causality,
    )
    try:
        _, notes = run(*args)
    except StrategiesFailed as failed:
        # As the binary, which exits 2 after writing the others' results: they come out, and
        # the failure is said (a warning, and .failures) instead of losing them.
        warnings.warn(str(failed).splitlines()[0], stacklevel=2)
        return Comparison(folder, str(failed), keep, failures=str(failed))
    return Comparison(folder, notes, keep)


def _write_inputs(
    folder: Path, strategies: Iterable[StrategyLike], series: Mapping[str, Any], dates
) -> tuple[list, list]:
    """Writes strategies given as dicts as TOML files and signals as CSV files under
    ``folder/inputs`` (kept with the results, so a run can be repeated from its files);
    returns the strategy paths and the ``--series`` arguments."""
    inputs = folder / "inputs"
    paths = []
    for i, strategy in enumerate(strategies):
        if isinstance(strategy, Mapping):
            inputs.mkdir(parents=True, exist_ok=True)
            path = inputs / f"strategy-{i + 1}.toml"
            path.write_text(_toml_from_json(json.dumps(strategy)), encoding="utf-8")
            paths.append(path)
        else:
            paths.append(strategy)
    arguments = []
    for name, values in series.items():
        inputs.mkdir(parents=True, exist_ok=True)
        path = inputs / f"{name}.csv"
        _write_signal(path, name, values, dates)
        arguments += ["--series", f"{name}={path}"]
    return paths, arguments


def _write_signal(path: Path, name: str, values: Any, dates) -> None:
    """One signal as the CSV ``compare --series`` reads: a pandas Series by its dates, any
    other array one value per trading day of the market (``dates()``)."""
    if isinstance(values, pd.Series):
        index = pd.DatetimeIndex(values.index)
        numbers = values.to_numpy(dtype=float)
    else:
        numbers = np.asarray(values, dtype=float)
        index = dates()
        if numbers.ndim != 1 or len(numbers) != len(index):
            raise ValueError(
                f"signal {name}: an array needs one value per trading day of the market "
                f"({len(index)}, from {index[0]:%Y-%m-%d} to {index[-1]:%Y-%m-%d}); got shape "
                f"{numbers.shape}. Give a pandas Series indexed by date to cover fewer days."
            )
    # repr() is the shortest text that reads back to the same float.
    lines = [f"date,{name}"]
    lines += [
        f"{day:%Y-%m-%d},{'' if np.isnan(value) else repr(float(value))}"
        for day, value in zip(index, numbers)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def backtest(
    signals: Mapping[str, Any],
    entry: Union[Mapping[str, Any], Sequence[Mapping[str, Any]]],
    exit: Union[Mapping[str, Any], Sequence[Mapping[str, Any]], None] = None,
    sizing: Union[Mapping[str, Any], Sequence[Mapping[str, Any]], None] = None,
    costs: Optional[Mapping[str, Any]] = None,
    leverage: Optional[Mapping[str, Any]] = None,
    window: Optional[Union[str, Sequence[str]]] = None,
    *,
    name: str = "mine",
    dataset: str = "sh000001",
    capital: Optional[Union[str, int]] = None,
    execution: Optional[Mapping[str, Any]] = None,
    data: Optional[PathLike] = None,
    **options: Any,
) -> Comparison:
    """Your own signals through the same rules, sizing, costs, margin account and metrics as a
    plugin's, against buy-and-hold.

    ``signals``: ``{"id": values}``, each a pandas Series indexed by date or an array with one
    value per row of ``market(dataset)``. The value dated day t is what the decision at day
    t's close reads (it must use only what was known then: see ``check_causal``); orders fill
    at the next open. ``entry``, ``exit``, ``sizing``, ``costs``, ``leverage``, ``execution``:
    the strategy file's tables of the same names, as dicts (``entry={"signal": "id",
    "above": 0.0}``). ``window``: window ids or groups. Other keywords are :func:`compare`'s.
    This is ``compare`` on a strategy whose signals are ``builtin = "series"`` reading each
    array through ``--series``.
    """

    def tables(value):
        return [value] if isinstance(value, Mapping) else list(value)

    strategy: dict = {
        "name": name,
        "dataset": dataset,
        "signal": [
            {"id": key, "builtin": "series", "params": {"name": key}} for key in signals
        ],
        "entry": tables(entry),
    }
    optional = {
        "exit": None if exit is None else tables(exit),
        "sizing": None if sizing is None else tables(sizing),
        "costs": costs,
        "leverage": leverage,
        "execution": execution,
        "capital": None if capital is None else str(capital),
    }
    strategy.update({key: value for key, value in optional.items() if value is not None})
    return compare([strategy], window, series=signals, data=data, datasets=[dataset], **options)


class Sweep:
    """The outputs of one ``cyclebt sweep --out`` (or of ``sweep merge``, or one shard).

    ``summary`` is ``sweep.csv`` (a shard's ``sweep.part.csv``, indexed by each row's index in
    the whole sweep): one row per parameter combination x window x sizing rule, the
    swept parameters first. ``table`` is the ranking the binary prints.
    """

    def __init__(
        self, folder: Path, table: str, notes: str, keep: Optional[tempfile.TemporaryDirectory]
    ):
        self.folder = folder
        self.table = table
        self.notes = notes
        self._keep = keep
        part = folder / "sweep.part.csv"
        #: Whether this is one shard's part, to be joined by :func:`merge`.
        self.is_shard = part.is_file()
        if self.is_shard:
            # After its comment line (which part of how many rows), each row starts with its
            # index in the whole sweep, a column the header does not name: the frame's index.
            self.summary: pd.DataFrame = pd.read_csv(part, skiprows=1)
        else:
            self.summary = _read_csv(folder / "sweep.csv")

    def report(self, path: PathLike) -> Path:
        """Copies the sweep's ``report.html`` (heat maps, the ranking's stability)."""
        return Path(shutil.copyfile(self.folder / "report.html", os.fspath(path)))

    def __repr__(self) -> str:
        kind = "shard" if self.is_shard else "sweep"
        return f"<cyclebt.Sweep {kind} of {len(self.summary)} rows in {self.folder}>"


def sweep(
    strategy: StrategyLike,
    params: Union[Mapping[str, str], Sequence[str]] = (),
    windows: Optional[Union[str, Sequence[str]]] = None,
    *,
    rank: Optional[str] = None,
    top: Optional[int] = None,
    shard: Optional[tuple[int, int]] = None,
    out: Optional[PathLike] = None,
    **options: Any,
) -> Sweep:
    """Every combination of a strategy's parameters x window x sizing rule: ``cyclebt sweep``.

    ``strategy``: a file or a dict, its ``[sweep]`` table the grid. ``params``: swept
    parameters overriding it, ``{"trend.fast": "5:50:5"}`` or ``["trend.fast=5:50:5"]`` (the
    binary's ``--param``). ``shard=(i, n)``: only the i-th of n interleaved parts (0-based), for
    :func:`merge`; its parts equal the unsharded sweep's rows exactly. Other keywords:
    ``data``, ``cycles``, ``plugin_dirs``, ... as :func:`compare`.
    """
    folder, keep = _output_folder(out)
    (path,), _ = _write_inputs(folder, [strategy], {}, lambda: None)
    if isinstance(params, Mapping):
        params = [f"{key}={value}" for key, value in params.items()]
    if isinstance(windows, str):
        windows = [windows]
    args = ["sweep", path, "--out", folder]
    args += _flags(
        param=list(params),
        window=list(windows or ()),
        rank=rank,
        top=top,
        shard=None if shard is None else f"{shard[0]}/{shard[1]}",
        **_run_options(options),
    )
    table, notes = run(*args)
    return Sweep(folder, table, notes, keep)


def merge(
    parts: Iterable[Union[Sweep, PathLike]], out: Optional[PathLike] = None, *, rank: Optional[str] = None
) -> Sweep:
    """Joins the shards of one sweep (results of ``sweep(..., shard=(i, n))`` or their
    folders) into the whole sweep's ``sweep.csv``, ``report.html`` (its heat maps by ``rank``,
    as in :func:`sweep`) and ``run.json``, byte for byte the unsharded ones:
    ``cyclebt sweep merge``."""
    folder, keep = _output_folder(out)
    dirs = [part.folder if isinstance(part, Sweep) else part for part in parts]
    table, notes = run("sweep", "merge", *dirs, "--out", folder, *_flags(rank=rank))
    return Sweep(folder, table, notes, keep)


class Validation:
    """The outputs of one ``cyclebt validate --out``: ``loco`` (leave-one-cycle-out),
    ``walkforward_steps``, ``walkforward_curve`` and ``pbo_logits``, each its CSV file;
    ``table`` is what the binary prints (PBO, deflated Sharpe)."""

    def __init__(
        self, folder: Path, table: str, notes: str, keep: Optional[tempfile.TemporaryDirectory]
    ):
        self.folder = folder
        self.table = table
        self.notes = notes
        self._keep = keep
        self.loco = _read_csv(folder / "validate_loco.csv")
        self.walkforward_steps = _read_csv(folder / "walkforward_steps.csv")
        self.walkforward_curve = _read_csv(folder / "walkforward_curve.csv")
        self.pbo_logits = _read_csv(folder / "pbo_logits.csv")


def validate(
    strategy: StrategyLike,
    params: Union[Mapping[str, str], Sequence[str]] = (),
    *,
    over: Optional[str] = None,
    walk_window: Optional[str] = None,
    train_years: Optional[int] = None,
    test_years: Optional[int] = None,
    anchored: bool = False,
    blocks: Optional[int] = None,
    rank: Optional[str] = None,
    out: Optional[PathLike] = None,
    **options: Any,
) -> Validation:
    """Out-of-sample checks of a parameter grid: ``cyclebt validate`` (leave-one-cycle-out,
    walk-forward, PBO, deflated Sharpe). Keywords are the binary's options of the same names;
    ``data``, ``cycles``, ``plugin_dirs``, ... as :func:`compare`."""
    folder, keep = _output_folder(out)
    (path,), _ = _write_inputs(folder, [strategy], {}, lambda: None)
    if isinstance(params, Mapping):
        params = [f"{key}={value}" for key, value in params.items()]
    args = ["validate", path, "--out", folder]
    args += _flags(
        param=list(params),
        over=over,
        walk_window=walk_window,
        train_years=train_years,
        test_years=test_years,
        anchored=anchored,
        blocks=blocks,
        rank=rank,
        **_run_options(options),
    )
    table, notes = run(*args)
    return Validation(folder, table, notes, keep)


_RUN_OPTIONS = {
    "data",
    "cycles",
    "periods_per_year",
    "risk_free",
    "stamp_duty",
    "margin_rules",
    "plugin_dirs",
    "audit_causality",
}


def _run_options(options: Mapping[str, Any]) -> dict:
    """The options every command that runs backtests takes, checked: an unknown keyword is
    an error, not ignored."""
    unknown = sorted(set(options) - _RUN_OPTIONS)
    if unknown:
        raise TypeError(
            f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(_RUN_OPTIONS))}"
        )
    flags = dict(options)
    if "plugin_dirs" in flags:
        flags["plugin_dir"] = list(flags.pop("plugin_dirs"))
    return flags


class Causality:
    """What :func:`check_causal` found. True when no difference was found."""

    def __init__(self, cut_days: list, first_difference, cut_at, detail: str):
        #: The dates the history was cut at.
        self.cut_days = cut_days
        #: The first date whose value changed with the history cut (None: none changed).
        self.first_difference = first_difference
        #: The cut that changed it (None for a difference between two whole evaluations).
        self.cut_at = cut_at
        #: One line saying what was found.
        self.detail = detail

    def __bool__(self) -> bool:
        return self.first_difference is None

    def __repr__(self) -> str:
        return f"<cyclebt.Causality: {self.detail}>"


def check_causal(
    fn,
    market: Optional[pd.DataFrame] = None,
    *,
    cuts: Optional[int] = None,
    seed: Optional[int] = None,
) -> Causality:
    """Checks that a signal function reads no day after the one it answers for.

    ``fn(history)`` gets a market DataFrame (``market()`` by default) and returns one value
    per row. It is called on the whole history twice (a difference means state kept between
    calls) and on the history cut at seeded days (the days ``--audit-causality`` cuts a
    plugin's window at, from the same seed); a day whose value differs once later rows are
    gone read ahead. Returns a :class:`Causality`, false with the first such date.
    """
    if market is None:
        market = globals()["market"]()

    def values(frame: pd.DataFrame) -> np.ndarray:
        out = np.asarray(fn(frame.copy()), dtype=float)
        if out.shape != (len(frame),):
            raise ValueError(
                f"check_causal: fn returned shape {out.shape} for {len(frame)} rows; expected "
                "one value per row"
            )
        return out

    def first_change(a: np.ndarray, b: np.ndarray) -> Optional[int]:
        differ = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        return int(np.argmax(differ)) if differ.any() else None

    dates = market.index
    whole = values(market)
    day = first_change(whole, values(market))
    if day is not None:
        return Causality(
            [], dates[day], None,
            f"two calls on the same history differ first on {dates[day]:%Y-%m-%d}: state kept between calls",
        )
    cut_days = _cut_points(0, len(market) - 1, cuts, seed)
    found = None
    for cut in cut_days:
        day = first_change(values(market.iloc[: cut + 1]), whole[: cut + 1])
        if day is not None and (found is None or day < found[0]):
            found = (day, cut)
    cut_dates = [dates[c] for c in cut_days]
    if found is None:
        return Causality(
            cut_dates, None, None,
            "no value changed with the history cut at "
            + ", ".join(f"{d:%Y-%m-%d}" for d in cut_dates),
        )
    day, cut = found
    return Causality(
        cut_dates, dates[day], dates[cut],
        f"the value of {dates[day]:%Y-%m-%d} changes when the history ends on {dates[cut]:%Y-%m-%d}: it reads ahead",
    )
