"""The Dask example: shards on a local cluster merged equal the single-process sweep."""

import sys
from pathlib import Path

from dask.distributed import Client, LocalCluster

import cyclebt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import dask_sweep  # noqa: E402


def test_shards_on_a_local_dask_cluster_equal_the_single_process_sweep(root, tmp_path, monkeypatch):
    monkeypatch.chdir(root)
    grid = {"trend.fast": "10:30:10", "trend.slow": "40:80:20"}
    monkeypatch.setattr(dask_sweep, "GRID", grid)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False) as cluster:
        with Client(cluster) as client:
            merged = dask_sweep.distributed_sweep(client, 3, tmp_path)
    single = cyclebt.sweep(dask_sweep.STRATEGY, grid, dask_sweep.WINDOWS)
    assert (merged.folder / "sweep.csv").read_bytes() == (single.folder / "sweep.csv").read_bytes()
    assert len(merged.summary) == len(single.summary) > 0
