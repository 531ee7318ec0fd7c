"""The Dask cluster a run uses: a LocalCluster made for it, or an existing scheduler."""

from __future__ import annotations

import logging
import os
import resource
from collections.abc import Iterator
from contextlib import contextmanager

from auditkit.errors import ParameterError


def memory_bytes(size: str | None) -> int | None:
    """`--memory-limit` as bytes per worker ('4GiB', '800MB'); None means Dask's default."""
    if size is None:
        return None
    from dask.utils import parse_bytes

    try:
        value = parse_bytes(size)
    except (ValueError, TypeError):
        raise ParameterError(
            f"--memory-limit {size!r} is not a size; expected e.g. 4GiB or 800MB"
        ) from None
    if value <= 0:
        raise ParameterError(f"--memory-limit must be more than 0, got {size!r}")
    return value


@contextmanager
def connect(
    scheduler: str | None = None, workers: int | None = None, memory_limit: str | None = None
) -> Iterator[object]:
    """A dask.distributed Client: to `scheduler` when given, else to a new LocalCluster
    of `workers` single-threaded worker processes (default: one per core)."""
    from dask.distributed import Client, LocalCluster

    limit = memory_bytes(memory_limit)
    if workers is not None and workers < 1:
        raise ParameterError(f"--workers must be at least 1, got {workers}")
    if scheduler:
        if workers is not None or limit is not None:
            raise ParameterError(
                "--workers and --memory-limit size a local cluster; an existing scheduler "
                "(--scheduler) keeps its own workers"
            )
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        memory_limit=limit if limit is not None else "auto",
        dashboard_address=":0",  # any free port: never clash with another cluster on 8787
        silence_logs=logging.ERROR,
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker_peaks(client) -> dict[str, int]:
    """Peak resident memory of every worker process so far, in bytes."""
    return client.run(_peak_rss_bytes)
