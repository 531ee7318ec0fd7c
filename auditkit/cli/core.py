"""`auditkit check`, `auditkit rules` and `auditkit demo`."""

from __future__ import annotations

import argparse
from pathlib import Path

from auditkit.cli.common import (
    EXIT_OK,
    PhaseClock,
    add_data_option,
    add_params_options,
    params_of,
)
from auditkit.params import parse_date


def cmd_check(args: argparse.Namespace) -> int:
    from auditkit.analysis.summaries import summary_text
    from auditkit.engine.evaluate import evaluate
    from auditkit.engine.store import describe
    from auditkit.io.manifest import utc_now
    from auditkit.io.tables import load_tables
    from auditkit.io.write import write_tables

    params = params_of(args)
    clock = PhaseClock()
    tables = load_tables(args.data, progress=clock)
    clock("evaluate")
    result = evaluate(tables, params)
    clock("tabulate")
    results = result.results_table() if args.format == "parquet" else result.results
    frames = {"results": results, "verdicts": result.verdicts}
    clock("write")
    # as_of, the catalogue and the inputs are recorded next to the results, in the same atomic step.
    manifest = {
        **describe(tables, result),
        "command": "check",
        "written_at": utc_now(),
        "verdicts": result.verdict_counts(),
        "control_exceptions": result.exception_counts(),
    }
    written = write_tables(
        frames, Path(args.out), args.format, documents={"manifest.json": manifest}
    )
    clock.finish()
    print(summary_text(result))
    for path in written.values():
        print(f"wrote {path}")
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
    demo.check_options(args.requests, args.seed, args.months)
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


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="judge every request; write results.csv and verdicts.csv")
    add_data_option(check)
    check.add_argument(
        "--out", required=True, type=Path, help="folder to write results and verdicts into"
    )
    add_params_options(check)
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
