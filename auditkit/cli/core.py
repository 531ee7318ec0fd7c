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
    open_register,
    params_of,
    record_findings,
)
from auditkit.params import parse_date
from auditkit.vocab import Engine


def cmd_check(args: argparse.Namespace) -> int:
    params = params_of(args)
    catalogue = catalogue_of(args)
    if args.engine == Engine.DASK:
        from auditkit.cli.distributed import check_on_dask

        return check_on_dask(args, params, catalogue)
    from auditkit.io.files import local_path

    data = local_path(args.data)
    if data is not None:
        return _check(args, params, catalogue, data)
    from auditkit.contract import ALL_TABLES
    from auditkit.io.files import local_copy

    with local_copy(args.data, ALL_TABLES) as copy:
        return _check(args, params, catalogue, copy)


def _check(args: argparse.Namespace, params, catalogue, data: Path) -> int:
    """The pandas engine: load `data` (a local folder, maybe a copy of --data), judge, write."""
    from auditkit.analysis.summaries import requests_after, summary_text
    from auditkit.engine.evaluate import evaluate
    from auditkit.engine.store import describe
    from auditkit.io.manifest import sha256_file, utc_now
    from auditkit.io.tables import load_tables as load

    clock = PhaseClock()
    register = open_register(args.db)  # a bad --db is refused before the data is read
    try:
        tables = load(data, progress=clock, require_history=params.at_requested)
        late = requests_after(tables, params)
        if late:
            print(f"auditkit: warning: {late}", file=sys.stderr)
        clock("evaluate")
        result = evaluate(tables, params, catalogue)
        verdicts = result.verdicts
        # as_of, the catalogue and the inputs are recorded next to the results, in the same atomic step.
        manifest = {
            **describe(tables, result),
            "command": "check",
            "written_at": utc_now(),
            "verdicts": result.verdict_counts(),
            "control_exceptions": result.exception_counts(),
        }
        _inputs_at(manifest, str(args.data), data)
        recorded = None
        if register is not None:
            clock("record findings")
            recorded, verdicts = record_findings(register, result, "check")
            manifest["review"] = recorded
        clock("tabulate")
        frames = {"results": result.results_table(), "verdicts": verdicts}
        clock("write")
        written = write_outputs(frames, args.out, args.format, {"manifest.json": manifest})
        if register is not None and recorded is not None:
            register.attach_manifest(
                int(recorded["run_id"]), sha256_file(Path(written["manifest.json"]))
            )
    finally:
        if register is not None:
            register.close()
    clock.finish()
    print(summary_text(result))
    if recorded is not None:
        print(
            f"review register {recorded['register']}: run {recorded['run_id']} recorded "
            f"{recorded['findings']} finding(s), {recorded['new']} seen for the first time"
        )
    for path in written.values():
        print(f"wrote {path}")
    return EXIT_OK


def _inputs_at(manifest: dict, location: str, copy: Path) -> None:
    """Input paths as the user gave them when the files were copied from a URL."""
    from auditkit.io.files import is_url, join

    if is_url(location) and not location.startswith("file://"):
        for entry in manifest["inputs"].values():
            entry["path"] = join(location, entry["file"])


def write_outputs(
    frames: dict, out: str, fmt: str, documents: dict[str, object]
) -> dict[str, str | Path]:
    """Write the tables and the manifest into --out: a local folder, or staged and uploaded."""
    from auditkit.io.files import local_path, upload
    from auditkit.io.write import FORMATS, write_tables

    folder = local_path(out)
    if folder is not None:
        return dict(write_tables(frames, folder, fmt, documents=documents))
    import tempfile

    with tempfile.TemporaryDirectory(prefix="auditkit-out-") as staging:
        written = write_tables(frames, Path(staging), fmt, documents=documents)
        stale = tuple(f"{name}.{other}" for name in frames for other in FORMATS if other != fmt)
        files = {p.name: p for p in written.values()}
        return dict(upload(files, out, last=tuple(documents), stale=stale))


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
