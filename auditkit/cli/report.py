"""`auditkit report`: one period's compliance report (see `auditkit.report.runner`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditkit.cli.common import (
    EXIT_OK,
    PARAMS_HELP,
    PhaseClock,
    add_catalogue_options,
    add_data_option,
    add_db_option,
    catalogue_of,
    open_register,
)
from auditkit.cli.sample import add_sampling_options, report_sample_options
from auditkit.params import read_params_file
from auditkit.report.execute import CELL_TIMEOUT, KERNEL_NAME, NOTEBOOK_NAME
from auditkit.vocab import Moment, values


def cmd_report(args: argparse.Namespace) -> int:
    clock = PhaseClock()
    register = open_register(args.db)
    try:
        run = _run(args, clock, register)
    finally:
        if register is not None:
            register.close()
    clock.finish()
    summary = run.manifest["summary"]
    population = run.manifest["population"]
    print(
        f"{run.manifest['period']} (as of {run.manifest['as_of']}, judged at "
        f"{population['moment']}): {summary['requests']} requests, {summary['eligible']} "
        f"eligible, {summary['ineligible']} ineligible, {summary['unknown']} unknown; "
        f"{population['requests_before_period']} before and "
        f"{population['requests_after_period']} after the period not judged"
    )
    review = run.manifest.get("review")
    if review:
        print(
            f"review register {review['register']}: run {review['run_id']} recorded "
            f"{review['findings']} finding(s), {review['new']} seen for the first time"
        )
    for warning in run.warnings:
        print(f"auditkit: {warning}", file=sys.stderr)
    if run.superseded:
        print(f"superseded: the signed report is kept in {run.superseded}/")
    print(f"report: {run.html}")
    print(f"workpaper: {run.folder / 'report.xlsx'}")
    if "sample" in run.manifest:
        print(
            f"sample: {run.folder / run.manifest['sample']['file']} ({run.manifest['sample']['size']} items)"
        )
    if run.pdf:
        print(f"pdf:    {run.pdf}")
    print(f"index:  {run.index}")
    return EXIT_OK


def settings_of(args: argparse.Namespace):
    """The report's settings from the command line."""
    from auditkit.report.settings import ReportSettings

    return ReportSettings(
        data_dir=args.data,
        period=args.period,
        out=args.out,
        as_of=args.as_of,
        at=args.at,
        previous=args.previous,
        params=read_params_file(args.params) or {},
        pdf=args.pdf,
        notebook=args.notebook,
        kernel_name=args.kernel,
        cell_timeout=args.cell_timeout,
        supersede=args.supersede,
        catalogue=catalogue_of(args),
        tolerable_rate=args.tolerable_rate,
        sample=report_sample_options(args),
        currency=args.currency,
    )


def _run(args: argparse.Namespace, clock: PhaseClock, register: object):
    from auditkit.report.runner import run_report

    return run_report(settings_of(args), register=register, progress=clock)


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report",
        help="run the compliance report notebook for one period; write reports/<period>/",
        description=(
            "Judge one period's data, run the report notebook with papermill and write "
            "report.html, report.ipynb, results.parquet, verdicts.csv, cases.parquet and "
            "manifest.json into OUT/PERIOD/, replacing an earlier report of that period only "
            "on success."
        ),
    )
    add_data_option(report)
    report.add_argument(
        "--period",
        required=True,
        help="the month reported, YYYY-MM: the requests whose requested_at falls in it (UTC)",
    )
    report.add_argument(
        "--as-of", help="date of the data snapshot YYYY-MM-DD (default: today in UTC)"
    )
    report.add_argument(
        "--at",
        choices=values(Moment),
        help="judge requests against the snapshot at --as-of (default) or each at its requested_at",
    )
    report.add_argument(
        "--previous",
        type=Path,
        help="an earlier report folder to compare with (default: the latest earlier period in OUT)",
    )
    report.add_argument("--out", type=Path, default=Path("reports"), help="default: reports/")
    report.add_argument("--params", help=PARAMS_HELP)
    report.add_argument("--pdf", action="store_true", help="also print report.pdf with Chromium")
    report.add_argument(
        "--notebook",
        type=Path,
        help=f"report notebook to run (default: notebooks/{NOTEBOOK_NAME} of auditkit)",
    )
    report.add_argument(
        "--kernel", default=KERNEL_NAME, help=f"Jupyter kernel (default {KERNEL_NAME})"
    )
    report.add_argument(
        "--cell-timeout",
        type=int,
        default=CELL_TIMEOUT,
        help=f"seconds one notebook cell may run (default {CELL_TIMEOUT})",
    )
    add_db_option(report, records=True)
    report.add_argument(
        "--supersede",
        action="store_true",
        help="replace a report that was signed off; the signed version is kept as "
        "OUT/PERIOD/superseded-<timestamp>/",
    )
    add_catalogue_options(report)
    report.add_argument(
        "--currency",
        help="ISO 4217 code of the data's amounts, e.g. CNY or USD (default: the data's "
        "currency column if it has one, else CNY, stated as assumed in the report)",
    )
    report.add_argument(
        "--tolerable-rate",
        type=float,
        default=0.05,
        help="the control's tolerable deviation rate: the conclusion compares the exception "
        "rate with it, and --sample sizes for it (default 0.05)",
    )
    report.add_argument(
        "--sample",
        action="store_true",
        help="also draw an attribute sample for manual re-performance (sample.csv, and a sheet "
        "of report.xlsx); see auditkit sample --help for the sampling options below",
    )
    add_sampling_options(report, with_tolerable=False)
    report.set_defaults(run=cmd_report)
