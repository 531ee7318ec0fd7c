"""`auditkit review ...`: record, import, export and read reviewers' conclusions; sign periods off.

See contract §7 and `auditkit.review`. Every command takes `--db` (a file
path for SQLite, default reports/review.db, or an SQLAlchemy URL). Checks of
the options come first, so a refused command never opens the register.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from auditkit.cli.common import EXIT_OK, add_db_option
from auditkit.errors import InputError, Problem
from auditkit.vocab import SETTABLE_STATES, SignoffRole, values

STATES_HELP = ", ".join(state.value for state in SETTABLE_STATES)


def cmd_set(args: argparse.Namespace) -> int:
    from auditkit.review.changes import check_name, one_change
    from auditkit.review.register import Register
    from auditkit.rules.pob import POB
    from auditkit.vocab import ReviewVia

    change = one_change(args.request, args.rule, args.state, args.note, args.expires, POB.rule_ids)
    by = check_name(args.by)
    with Register.open(args.db) as register:
        applied = register.apply([change], by, ReviewVia.CLI)
    for request_id, rule_id, before, after in applied.transitions:
        until = f", until {change.expires.isoformat()}" if change.expires else ""
        print(f"{request_id} {rule_id}: {before} -> {after} (by {by}{until})")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from auditkit.review.changes import check_name
    from auditkit.review.exchange import read_changes
    from auditkit.review.register import Register
    from auditkit.review.transitions import UnknownFindings
    from auditkit.rules.pob import POB
    from auditkit.vocab import ReviewVia

    by = check_name(args.by)
    changes, lines = read_changes(args.file, POB.rule_ids)
    with Register.open(args.db) as register:
        try:
            applied = register.apply(changes, by, ReviewVia.IMPORT, skip_unchanged=True)
        except UnknownFindings as unknown:
            table = Path(args.file).name
            problems = [
                Problem(
                    table,
                    "request_id",
                    lines[i],
                    f"{changes[i].request_id} {changes[i].rule_id}",
                    "not a finding recorded in the register (record runs with auditkit check --db)",
                )
                for i in unknown.positions
            ]
            raise InputError(problems, {table: str(args.file)}) from None
    print(
        f"imported {applied.appended} change(s) from {args.file} into {register.label}; "
        f"{applied.unchanged} row(s) already so, skipped"
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from auditkit.review.exchange import export_frame, write_export
    from auditkit.review.register import Register

    with Register.open(args.db) as register:
        frame = export_frame(register)
    written = write_export(frame, args.out)
    print(f"wrote {len(frame)} finding(s) to {written}")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from auditkit.review.register import Register

    with Register.open(args.db) as register:
        changes = register.history(args.request, args.rule)
    which = f"{args.request} {args.rule}" if args.rule else args.request
    if changes.empty:
        print(f"{which}: no review recorded yet (every finding is open)")
        return EXIT_OK
    for row in changes.to_dict("records"):  # one request's changes
        when = row["changed_at"].isoformat(timespec="seconds")
        line = f"{when}  {row['request_id']} {row['rule_id']}  {row['from_state']} -> {row['to_state']}"
        line += f"  by {row['changed_by']} ({row['via']})"
        if row["expires"] is not None and str(row["expires"]) != "NaT":
            line += f"  expires {row['expires']}"
        if row["note"]:
            line += f"  note: {row['note']}"
        print(line)
    return EXIT_OK


def cmd_signoff(args: argparse.Namespace) -> int:
    from auditkit.report.signoff import sign_off, signed_manifest
    from auditkit.report.store import check_period
    from auditkit.review.changes import check_name
    from auditkit.review.register import Register

    period = check_period(args.period)
    by = check_name(args.by)
    role = SignoffRole(args.role)
    signed_manifest(args.reports, period)  # refuse a period without a report before opening
    with Register.open(args.db) as register:
        recorded = sign_off(register, args.reports, period, role, by)
    print(
        f"{period}: {role} sign-off by {by} recorded at {recorded['signed_at']:%Y-%m-%d %H:%M} UTC "
        f"for manifest sha256 {recorded['manifest_sha256']}"
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    review = sub.add_parser(
        "review",
        help="record and read what reviewers concluded about findings; sign reports off",
        description=(
            "The review register (contract section 7): a finding is a (request_id, rule_id) "
            "whose status is fail or error, recorded by `auditkit check --db` or "
            "`auditkit report --db`."
        ),
    )
    commands = review.add_subparsers(dest="review_command", required=True)

    set_ = commands.add_parser("set", help="set the review state of one finding")
    add_db_option(set_)
    set_.add_argument("--request", required=True, help="request_id of the finding")
    set_.add_argument("--rule", required=True, help="rule_id of the finding, e.g. POB-J07")
    set_.add_argument("--state", required=True, help=f"one of {STATES_HELP}")
    set_.add_argument("--by", required=True, help="who concluded (the reviewer's name)")
    set_.add_argument("--note", help="why; required for waived")
    set_.add_argument("--expires", help="YYYY-MM-DD the waiver ends; required for waived")
    set_.set_defaults(run=cmd_set)

    import_ = commands.add_parser(
        "import", help="set states from a CSV of request_id, rule_id, state, note, expires"
    )
    add_db_option(import_)
    import_.add_argument("file", type=Path, metavar="FILE.csv")
    import_.add_argument("--by", required=True, help="who concluded (the reviewer's name)")
    import_.set_defaults(run=cmd_import)

    export = commands.add_parser("export", help="write every finding with its state to a CSV")
    add_db_option(export)
    export.add_argument("--out", required=True, type=Path, metavar="FILE.csv")
    export.set_defaults(run=cmd_export)

    history = commands.add_parser("history", help="every change of a request's findings")
    add_db_option(history)
    history.add_argument("--request", required=True, help="request_id")
    history.add_argument("--rule", help="only this rule's finding")
    history.set_defaults(run=cmd_history)

    signoff = commands.add_parser(
        "signoff", help="sign a period's report off as its preparer or reviewer"
    )
    add_db_option(signoff)
    signoff.add_argument("--period", required=True, help="the report's month, YYYY-MM")
    signoff.add_argument("--role", required=True, choices=values(SignoffRole))
    signoff.add_argument("--by", required=True, help="who signs")
    signoff.add_argument(
        "--reports",
        type=Path,
        default=Path("reports"),
        help="the reports folder (default reports/)",
    )
    signoff.set_defaults(run=cmd_signoff)
