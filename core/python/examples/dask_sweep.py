"""A parameter sweep on a Dask cluster: one task per shard, merged into the whole sweep.

    python core/python/examples/dask_sweep.py [SCHEDULER_ADDRESS] [SHARDS]

Without an address, a local cluster of worker processes is started here. On a real cluster
(`dask scheduler` on one machine, `dask worker tcp://HOST:8786` on the others, each with the
package installed from the same checkout and the same data), pass the scheduler's address: the
script is the same. Each task writes its shard's folder where the client can read it, so the
shard folders must be on a file system the workers and the client share.
"""

import sys
import tempfile
import time
from pathlib import Path

from dask.distributed import Client, LocalCluster

import cyclebt

STRATEGY = "strategies/sma-trend.toml"
GRID = {"trend.fast": "5:50:5", "trend.slow": "20:200:20"}
WINDOWS = ["bulls", "full"]


def run_shard(index: int, shards: int, folder: str) -> str:
    """One task: shard `index` of `shards`, written to `folder`."""
    cyclebt.sweep(STRATEGY, GRID, WINDOWS, shard=(index, shards), out=folder)
    return folder


def distributed_sweep(client: Client, shards: int, work: Path) -> cyclebt.Sweep:
    folders = [str(work / f"shard-{i}") for i in range(shards)]
    tasks = [client.submit(run_shard, i, shards, folders[i], pure=False) for i in range(shards)]
    return cyclebt.merge(client.gather(tasks), out=work / "merged")


def main() -> None:
    address = sys.argv[1] if len(sys.argv) > 1 else None
    shards = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    work = Path(tempfile.mkdtemp(prefix="cyclebt-dask-"))
    cluster = None if address else LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
    with Client(address or cluster) as client:
        started = time.perf_counter()
        merged = distributed_sweep(client, shards, work)
        distributed = time.perf_counter() - started
    if cluster is not None:
        cluster.close()
    started = time.perf_counter()
    single = cyclebt.sweep(STRATEGY, GRID, WINDOWS, out=work / "single")
    alone = time.perf_counter() - started
    same = (merged.folder / "sweep.csv").read_bytes() == (single.folder / "sweep.csv").read_bytes()
    print(f"{shards} shards on Dask: {distributed:.2f} s; one process: {alone:.2f} s; "
          f"{len(merged.summary)} rows; sweep.csv identical: {same}")


if __name__ == "__main__":
    main()
