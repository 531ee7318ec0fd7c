"""What every sub-command shares: exit codes, phase timing, the parameter options."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from auditkit.dates import parse_date
from auditkit.json_input import read_json_file
from auditkit.params import Params, read_params_file
from auditkit.review import DEFAULT_DB
from auditkit.vocab import Engine, Moment, values

if TYPE_CHECKING:  # imported lazily at run time: SQLAlchemy and pandas are heavy
    from auditkit.review.register import Register

EXIT_OK, EXIT_FAILURE, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C; a Stopped run exits 128 + its signal (130 SIGINT, 143 SIGTERM)


class PhaseClock:
    """Prints each phase with its wall time and the process's peak memory to stderr."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.start = self.last = time.perf_counter()
        self.phase: str | None = None
        self.timings: dict[str, float] = {}

    def __call__(self, phase: str) -> None:
        self._close()
        self.phase = phase
        print(f"[auditkit] {phase} ...", file=self.stream, flush=True)

    def _close(self) -> None:
        now = time.perf_counter()
        if self.phase is not None:
            self.timings[self.phase] = now - self.last
            print(
                f"[auditkit] {self.phase} done in {now - self.last:.2f}s "
                f"(peak RSS {peak_rss_mib():.0f} MiB)",
                file=self.stream,
                flush=True,
            )
        self.last = now

    def finish(self) -> None:
        self._close()
        self.phase = None
        print(
            f"[auditkit] total {time.perf_counter() - self.start:.2f}s",
            file=self.stream,
            flush=True,
        )


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def add_data_option(
    parser: argparse.ArgumentParser, required: bool = True, urls: bool = False
) -> None:
    """--data: a folder; with `urls`, also an fsspec URL (s3://, gs://, file://), kept as text."""
    where = ": a path or a URL such as s3://bucket/extract" if urls else ""
    parser.add_argument(
        "--data",
        required=required,
        type=str if urls else Path,
        help=f"folder with accounts, orders, vouchers, requests (.csv or .parquet){where}",
    )


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """--engine and the Dask cluster's options."""
    parser.add_argument(
        "--engine",
        choices=values(Engine),
        default=Engine.PANDAS.value,
        help="pandas (default: in this process) or dask (partitions over a Dask cluster)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: an existing dask.distributed scheduler, e.g. tcp://host:8786 "
        "(default: a local cluster started for the run)",
    )
    parser.add_argument(
        "--workers", type=int, help="with --engine dask: local worker processes (default: cores)"
    )
    parser.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="with --engine dask: memory per local worker, e.g. 4GiB (default: Dask's share)",
    )


PARAMS_HELP = (
    "rule parameters: a JSON file, or a JSON object such as '{\"j10_require_both\": true}'"
)


def add_params_options(parser: argparse.ArgumentParser, as_of_help: str = "") -> None:
    parser.add_argument(
        "--as-of", help=as_of_help or "date of the data snapshot YYYY-MM-DD (default: today in UTC)"
    )
    parser.add_argument(
        "--at",
        choices=values(Moment),
        help=(
            "judge each request against the snapshot at --as-of (snapshot, the default) or at "
            "its own requested_at from the history tables (requested)"
        ),
    )
    parser.add_argument("--params", help=PARAMS_HELP)


def add_catalogue_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--decision-codes",
        type=Path,
        help="JSON file mapping platform error codes to rule ids, replacing the built-in map",
    )


def catalogue_of(args: argparse.Namespace):
    """The rule catalogue of the run: POB, with the --decision-codes map when one is given."""
    from auditkit.rules.pob import POB

    path = getattr(args, "decision_codes", None)
    if path is None:
        return POB
    return POB.with_decision_codes(read_json_file(path, f"--decision-codes {path}"))


def params_of(args: argparse.Namespace) -> Params:
    """The run's Params from --params (a JSON file or object), --as-of and --at."""
    overrides = read_params_file(getattr(args, "params", None))
    if args.as_of is not None:  # "" is refused as a date, not taken as "today"
        overrides["as_of"] = parse_date(args.as_of)
    if getattr(args, "at", None):
        overrides["at"] = args.at
    return Params.from_dict(overrides)


def add_db_option(parser: argparse.ArgumentParser, records: bool = False) -> None:
    """--db: the review register. Commands that only `records` use it when it is given."""
    where = f"an SQLite file (default {DEFAULT_DB}) or a database URL such as postgresql://host/db"
    if records:
        parser.add_argument(
            "--db",
            nargs="?",
            const=str(DEFAULT_DB),
            default=None,
            metavar="DB",
            help=f"record the run's findings in the review register and add review_state: {where}",
        )
    else:
        parser.add_argument(
            "--db", default=str(DEFAULT_DB), metavar="DB", help=f"the review register: {where}"
        )


def open_register(db: str | None) -> Register | None:
    """The review register of --db, opened and migrated; None when --db was not given."""
    if db is None:
        return None
    from auditkit.review.register import Register

    return Register.open(db)
