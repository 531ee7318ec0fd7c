"""`auditkit report`: one period's compliance report (see `auditkit.report.runner`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditkit.cli.common import EXIT_OK, PARAMS_HELP, PhaseClock, add_data_option
from auditkit.params import read_params_file
from auditkit.report.execute import CELL_TIMEOUT, KERNEL_NAME, NOTEBOOK_NAME


def cmd_report(args: argparse.Namespace) -> int:
    from auditkit.report.runner import run_report

    clock = PhaseClock()
    run = run_report(
        args.data,
        args.period,
        args.out,
        as_of=args.as_of,
        previous=args.previous,
        params=read_params_file(args.params),
        pdf=args.pdf,
        notebook=args.notebook,
        kernel_name=args.kernel,
        cell_timeout=args.cell_timeout,
        progress=clock,
    )
    clock.finish()
    summary = run.manifest["summary"]
    print(
        f"{run.manifest['period']} (as of {run.manifest['as_of']}): "
        f"{summary['requests']} requests, {summary['eligible']} eligible, "
        f"{summary['ineligible']} ineligible, {summary['unknown']} unknown"
    )
    for warning in run.warnings:
        print(f"auditkit: {warning}", file=sys.stderr)
    print(f"report: {run.html}")
    if run.pdf:
        print(f"pdf:    {run.pdf}")
    print(f"index:  {run.index}")
    return EXIT_OK


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
    report.add_argument("--period", required=True, help="the month reported, YYYY-MM")
    report.add_argument("--as-of", help="snapshot date YYYY-MM-DD (default: today in UTC)")
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
    report.set_defaults(run=cmd_report)
