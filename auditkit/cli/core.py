"""`auditkit check`, `auditkit rules` and `auditkit demo`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditkit.cli.common import (
    EXIT_OK,
    PhaseClock,
    add_catalogue_options,
    add_data_option,
    add_db_option,
    add_engine_options,
    add_params_options,
    catalogue_of,
    params_of,
    peak_rss_mib,
)
from auditkit.dates import parse_date
from auditkit.vocab import Engine


def cmd_check(args: argparse.Namespace) -> int:
    from auditkit.analysis.summaries import format_summary
    from auditkit.check import CheckSettings, run_check

    settings = CheckSettings(
        data=args.data,
        out=args.out,
        params=params_of(args),
        catalogue=catalogue_of(args),
        fmt=args.format,
        db=args.db,
        engine=Engine(args.engine),
        scheduler=args.scheduler,
        workers=args.workers,
        memory_limit=args.memory_limit,
    )
    clock = PhaseClock()
    run = run_check(settings, progress=clock)
    clock.finish()
    if run.worker_peaks:
        summed = peak_rss_mib() + sum(run.worker_peaks.values()) / 2**20
        print(
            f"[auditkit] peak RSS of this process and {len(run.worker_peaks)} worker(s), "
            f"added up: {summed:.0f} MiB",
            file=sys.stderr,
        )
    if run.late_warning:
        print(f"auditkit: warning: {run.late_warning}", file=sys.stderr)
    print(format_summary(run.params, run.verdict_counts, run.rule_counts, run.exception_counts))
    if run.review is not None:
        review = run.review
        print(
            f"review register {review['register']}: run {review['run_id']} recorded "
            f"{review['findings']} finding(s), {review['new']} seen for the first time"
        )
    for location in run.written.values():
        print(f"wrote {location}")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from auditkit.params import Params
    from auditkit.rules.pob import POB

    catalogue = POB.describe(Params())
    print(f"Rule catalogue (source: {POB.source.cite()})\n")
    for row in catalogue.to_dict("records"):  # 13 rules, not data rows
        print(f"{row['rule_id']}  {row['title']}")
        print(f"    applies to: {row['applies_to']}")
        print(f"    reads:      {row['reads']}")
        print(f"    source:     {row['citation']}\n")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    import auditkit.demo as demo

    as_of = demo.DEFAULT_AS_OF if args.as_of is None else parse_date(args.as_of)
    demo.check_options(args.requests, args.seed, args.months, args.request_months)
    clock = PhaseClock()
    clock("generate")
    tables = demo.generate(
        requests=args.requests,
        seed=args.seed,
        as_of=as_of,
        months=args.months,
        request_months=args.request_months,
        history=not args.snapshot_only,
    )
    clock("write")
    written = demo.write(tables, Path(args.out), args.format)
    clock.finish()
    for name, path in written.items():
        print(f"wrote {path} ({len(tables[name])} rows)")
    first = demo.first_request_day(as_of, args.request_months)
    included = (
        "snapshot tables only, decisions drawn at random"
        if args.snapshot_only
        else "history tables included (--at requested)"
    )
    print(
        f"demo snapshot date: {as_of.isoformat()} (use --as-of {as_of.isoformat()} with auditkit "
        f"check); requests made from {first.isoformat()} to the day before; {included}"
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="judge every request; write results.csv and verdicts.csv")
    add_data_option(check, urls=True)
    check.add_argument(
        "--out",
        required=True,
        help="folder to write results and verdicts into: a path or a URL (s3://bucket/out)",
    )
    add_params_options(check)
    add_catalogue_options(check)
    check.add_argument("--format", choices=("csv", "parquet"), default="csv")
    add_db_option(check, records=True)
    add_engine_options(check)
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
    demo.add_argument(
        "--request-months",
        type=int,
        default=1,
        help="requests fall in this many calendar months before --as-of (default 1)",
    )
    demo.add_argument("--format", choices=("csv", "parquet"), default="csv")
    demo.add_argument(
        "--snapshot-only",
        action="store_true",
        help="only accounts, orders, vouchers and requests, decisions drawn at random: no "
        "history and no judging, for benchmarks of tens of millions of requests",
    )
    demo.set_defaults(run=cmd_demo)
