"""What every sub-command shares: exit codes, phase timing, the parameter options."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from auditkit.params import Params, parse_date, read_params_file

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


def add_data_option(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument(
        "--data",
        required=required,
        type=Path,
        help="folder with accounts, orders, vouchers, requests (.csv or .parquet)",
    )


PARAMS_HELP = (
    "rule parameters: a JSON file, or a JSON object such as '{\"j10_require_both\": true}'"
)


def add_params_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", help="snapshot date YYYY-MM-DD (default: today in UTC)")
    parser.add_argument("--params", help=PARAMS_HELP)


def params_of(args: argparse.Namespace) -> Params:
    """The run's Params from --params (a JSON file or object) and --as-of."""
    overrides = read_params_file(getattr(args, "params", None))
    if args.as_of is not None:  # "" is refused as a date, not taken as "today"
        overrides["as_of"] = parse_date(args.as_of)
    return Params.from_dict(overrides)
