"""`auditkit check --engine dask`: the check over a Dask cluster."""

from __future__ import annotations

import argparse
import sys

from auditkit.cli.common import EXIT_OK, PhaseClock
from auditkit.errors import ParameterError
from auditkit.params import Params
from auditkit.rules.model import Catalogue


def check_on_dask(args: argparse.Namespace, params: Params, catalogue: Catalogue) -> int:
    """Validate, judge and write with the Dask engine; print the same summary as pandas."""
    if args.db is not None:
        raise ParameterError(
            "--db records findings from a run held in memory; use the pandas engine for it"
        )
    if params.at_requested:  # refused before a cluster is started for nothing
        raise ParameterError(
            "--at requested runs on the pandas engine only; the Dask engine judges the "
            "snapshot at --as-of (--at snapshot)"
        )
    from auditkit.analysis.summaries import format_summary, late_warning
    from auditkit.cli.common import peak_rss_mib
    from auditkit.engine.distributed.cluster import connect, worker_peaks
    from auditkit.engine.distributed.run import run_check

    clock = PhaseClock()
    clock("start cluster")
    with connect(args.scheduler, args.workers, args.memory_limit) as client:
        run, _ = run_check(client, args.data, args.out, args.format, params, catalogue, clock)
        peaks = worker_peaks(client) if not args.scheduler else {}
    clock.finish()
    if peaks:
        summed = peak_rss_mib() + sum(peaks.values()) / 2**20
        print(
            f"[auditkit] peak RSS of this process and {len(peaks)} worker(s), added up: "
            f"{summed:.0f} MiB",
            file=sys.stderr,
        )
    late = late_warning(run.late, run.latest, params)
    if late:
        print(f"auditkit: warning: {late}", file=sys.stderr)
    print(format_summary(params, run.verdict_counts, run.rule_counts, run.exception_counts))
    for location in run.written.values():
        print(f"wrote {location}")
    return EXIT_OK
