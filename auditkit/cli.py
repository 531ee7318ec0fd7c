"""The `auditkit` command line: check, rules, demo (and the front ends that build on them)."""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from auditkit import __version__, report, serve
from auditkit.errors import AuditkitError, InputError, ParameterError
from auditkit.params import Params, parse_date

EXIT_OK, EXIT_FAILURE, EXIT_INPUT = 0, 1, 2


class PhaseClock:
    """Prints each phase with its wall time and the process's peak memory to stderr."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
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
                f"[auditkit] {self.phase} done in {now - self.last:.2f}s (peak RSS {peak_rss_mib():.0f} MiB)",
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


def _params(args: argparse.Namespace) -> Params:
    return Params(as_of=parse_date(args.as_of)) if args.as_of else Params()


def cmd_check(args: argparse.Namespace) -> int:
    from auditkit.engine import evaluate
    from auditkit.loading import load_tables
    from auditkit.manifest import describe_check, input_files
    from auditkit.output import write_tables
    from auditkit.summary import summary_text

    params = _params(args)
    clock = PhaseClock()
    tables = load_tables(args.data, progress=clock)
    clock("evaluate")
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Hashing the input files releases the GIL: it runs on the other core meanwhile.
        inputs = pool.submit(input_files, tables)
        result = evaluate(tables, params)
        clock("tabulate")
        results = result.results_table() if args.format == "parquet" else result.results
        frames = {"results": results, "verdicts": result.verdicts}
        clock("write")
        # as_of and the inputs are recorded next to the results, in the same atomic step.
        manifest = describe_check(tables, result, inputs.result())
    written = write_tables(
        frames,
        Path(args.out),
        args.format,
        documents={"manifest.json": manifest},
    )
    clock.finish()
    print(summary_text(result))
    for path in written.values():
        print(f"wrote {path}")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from auditkit.rules import SOURCE_DOCUMENT, catalogue_frame

    catalogue = catalogue_frame()
    print(f"Rule catalogue (source: {SOURCE_DOCUMENT})\n")
    for row in catalogue.to_dict("records"):  # 13 rules, not data rows
        print(f"{row['rule_id']}  {row['title']}")
        print(f"    applies to: {row['applies_to']}")
        print(f"    reads:      {row['reads']}")
        print(f"    source:     {row['citation']}\n")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from auditkit import demo

    as_of = parse_date(args.as_of) if args.as_of else demo.DEFAULT_AS_OF
    if args.requests < 1:
        raise ParameterError(f"--requests must be at least 1, got {args.requests}")
    clock = PhaseClock()
    clock("generate")
    tables = demo.generate(requests=args.requests, seed=args.seed, as_of=as_of, months=args.months)
    clock("write")
    written = demo.write(tables, Path(args.out), args.format)
    clock.finish()
    for name, path in written.items():
        print(f"wrote {path} ({len(tables[name])} rows)")
    print(
        f"demo snapshot date: {as_of.isoformat()} (use --as-of {as_of.isoformat()} with auditkit check)"
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auditkit",
        description="Check Tencent Cloud Organization pay-on-behalf requests against the access requirements.",
    )
    parser.add_argument("--version", action="version", version=f"auditkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="judge every request; write results.csv and verdicts.csv")
    check.add_argument(
        "--data", required=True, type=Path, help="folder with accounts, orders, vouchers, requests"
    )
    check.add_argument(
        "--out", required=True, type=Path, help="folder to write results and verdicts into"
    )
    check.add_argument("--as-of", help="snapshot date YYYY-MM-DD (default: today in UTC)")
    check.add_argument("--format", choices=("csv", "parquet"), default="csv")
    check.set_defaults(run=cmd_check)

    rules = sub.add_parser("rules", help="print the rule catalogue")
    rules.set_defaults(run=cmd_rules)

    demo = sub.add_parser("demo", help="write a deterministic synthetic data set")
    demo.add_argument("--out", required=True, type=Path)
    demo.add_argument("--requests", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--as-of", help="snapshot date the data describes (default 2026-11-01)")
    demo.add_argument(
        "--months",
        type=int,
        default=0,
        help="the same population this many months later (findings resolve, new ones appear)",
    )
    demo.add_argument("--format", choices=("csv", "parquet"), default="csv")
    demo.set_defaults(run=cmd_demo)

    for extend in EXTENSIONS:
        extend(sub)
    return parser


# Front ends (explorer, report) register their sub-commands here, explicitly.
EXTENSIONS: list[Callable[[argparse._SubParsersAction], None]] = [serve.register, report.register]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except InputError as error:
        print(error.message(), file=sys.stderr)
        return EXIT_INPUT
    except ParameterError as error:
        print(f"invalid parameter: {error}", file=sys.stderr)
        return EXIT_INPUT
    except AuditkitError as error:
        print(f"auditkit: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("auditkit: interrupted; nothing was replaced", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as error:  # unwritable --out, disk full: the user's to fix, not a crash
        print(f"auditkit: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:
        if os.environ.get("AUDITKIT_DEBUG"):
            traceback.print_exc()
        print(
            f"auditkit: internal error: {type(error).__name__}: {error}\n"
            "Set AUDITKIT_DEBUG=1 to see the traceback, and please report it.",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
