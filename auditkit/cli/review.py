"""`auditkit review ...`: record, import, export and read reviewers' conclusions; sign periods off.

See contract §7 and `auditkit.review`. Every command takes `--db` (a file
path for SQLite, default reports/review.db, or an SQLAlchemy URL). Checks of
the options come first, so a refused command never opens the register.
"""

from __future__ import annotations

import argparse
import unicodedata
from pathlib import Path

from auditkit.cli.common import EXIT_OK, add_db_option
from auditkit.errors import ParameterError
from auditkit.vocab import SETTABLE_STATES, Remediation, SignoffRole, values

STATES_HELP = ", ".join(state.value for state in SETTABLE_STATES)
FOLLOW_UP = ("owner", "due", "response", "remediation")  # review.changes.FOLLOW_UP_FIELDS


def cmd_set(args: argparse.Namespace) -> int:
    from auditkit.review.changes import check_name, one_change
    from auditkit.review.register import Register
    from auditkit.rules.pob import POB
    from auditkit.vocab import ReviewVia

    follow_up = {name: getattr(args, name) for name in FOLLOW_UP if getattr(args, name) is not None}
    change = one_change(
        args.request, args.rule, args.state, args.note, args.expires, POB.rule_ids, follow_up
    )
    by = check_name(args.by)
    with Register.open(args.db) as register:
        applied = register.apply([change], by, ReviewVia.CLI)
    for request_id, rule_id, before, after in applied.transitions:
        until = f", until {change.expires.isoformat()}" if change.expires else ""
        followed = "".join(
            f"; {name} {getattr(change.follow_up, name) or '(none)'}"
            for name in FOLLOW_UP
            if name in change.follow_up.given
        )
        print(printable(f"{request_id} {rule_id}: {before} -> {after} (by {by}{until}){followed}"))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from auditkit.errors import RegisterError
    from auditkit.review.changes import check_name
    from auditkit.review.exchange import read_changes
    from auditkit.review.register import Register
    from auditkit.review.transitions import UnknownFindings
    from auditkit.rules.pob import POB
    from auditkit.vocab import ReviewVia

    by = check_name(args.by)
    imported = read_changes(args.file, POB.rule_ids)
    try:
        register = Register.open(args.db)
    except RegisterError:
        imported.refuse()  # the file's own defects first: they need no register to be seen
        raise
    with register:
        # One pass: every bad row, whether malformed or naming no recorded finding, is listed.
        imported.refuse(imported.unrecorded(register.items(imported.frame())))
        try:
            applied = register.apply(imported.changes, by, ReviewVia.IMPORT, skip_unchanged=True)
        except UnknownFindings as unknown:  # a finding recorded in between cannot vanish; kept safe
            imported.refuse(unknown.positions)
            raise
    print(
        f"imported {applied.appended} change(s) from {args.file} into {register.label}; "
        f"{applied.unchanged} row(s) already so, skipped"
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from auditkit.review.exchange import check_export_path, export_frame, write_export
    from auditkit.review.register import Register

    check_export_path(args.out)
    with Register.open(args.db, read_only=True) as register:
        frame = export_frame(register)
    written = write_export(frame, args.out)
    print(f"wrote {len(frame)} finding(s) to {written}")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from auditkit.review.register import Register

    with Register.open(args.db, read_only=True) as register:
        changes = register.history(args.request, args.rule)
    which = f"{args.request} {args.rule}" if args.rule else args.request
    if changes.empty:
        print(printable(f"{which}: no review recorded yet (every finding is open)"))
        return EXIT_OK
    for row in changes.to_dict("records"):  # one request's changes
        print(printable(history_line(row)))
    return EXIT_OK


def history_line(row: dict[str, object]) -> str:
    """One change as `review history` prints it: when, what, who, then the fields it holds."""
    when = row["changed_at"].isoformat(timespec="seconds")  # type: ignore[attr-defined]
    line = f"{when}  {row['request_id']} {row['rule_id']}  {row['from_state']} -> {row['to_state']}"
    line += f"  by {row['changed_by']} ({row['via']})"
    for label, name in (("expires", "expires"), *((f, f) for f in FOLLOW_UP), ("note", "note")):
        value = given(row.get(name))
        if value is not None:
            line += f"  {label}: {value}" if label in ("note", "response") else f"  {label} {value}"
    return line


def given(value: object) -> object | None:
    """A value read from the register, or None when it is missing (None, NaN, NaT, empty)."""
    if value is None or value == "":
        return None
    try:
        return None if value != value else value  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):
        return value


def printable(line: str) -> str:
    """A line as printed: control, formatting and line-breaking characters escaped as Python
    writes them, so no text in the register can start a line of its own or move the cursor."""
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
        else char
        for char in line
    )


def cmd_signoff(args: argparse.Namespace) -> int:
    from auditkit.report.signoff import sign_off, signed_manifest
    from auditkit.report.store import check_period
    from auditkit.review.changes import check_name, check_text
    from auditkit.review.register import Register

    period = check_period(args.period)
    by = check_name(args.by)
    role = SignoffRole(args.role)
    override = None
    if args.override is not None:
        override = check_text(args.override, "--override") or None
        if override is None:
            raise ParameterError("--override '': give the reason the sign-off goes ahead")
    signed_manifest(args.reports, period)  # refuse a period without a report before opening
    with Register.open(args.db) as register:
        recorded = sign_off(register, args.reports, period, role, by, override)
    print(
        printable(
            f"{period}: {role} sign-off by {by} recorded at {recorded['signed_at']:%Y-%m-%d %H:%M} "
            f"UTC for report {recorded['report_id']} (manifest sha256 {recorded['manifest_sha256']})"
        )
    )
    if override:
        print(
            printable(
                f"override: {recorded['outstanding']} control exception(s) or unsupported "
                f"refusal(s) still open; reason: {override}"
            )
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

    set_ = commands.add_parser(
        "set", help="set the review state and the follow-up (owner, due, ...) of one finding"
    )
    add_db_option(set_)
    set_.add_argument("--request", required=True, help="request_id of the finding")
    set_.add_argument(
        "--rule",
        required=True,
        help="rule_id of the finding, e.g. POB-J07; DECISION for the platform's decision on a "
        "request that is a control exception or an unsupported refusal",
    )
    set_.add_argument(
        "--state", help=f"one of {STATES_HELP}; without it the state, note and end date stay"
    )
    set_.add_argument("--by", required=True, help="who concluded (the reviewer's name)")
    set_.add_argument("--note", help="why; required for waived")
    set_.add_argument("--expires", help="YYYY-MM-DD the waiver ends; required for waived")
    set_.add_argument("--owner", help="who follows the finding up to closure ('' clears it)")
    set_.add_argument("--due", help="YYYY-MM-DD the remediation is due ('' clears it)")
    set_.add_argument("--response", help="management's response ('' clears it)")
    set_.add_argument(
        "--remediation",
        help=f"how far the fix has come: one of {', '.join(values(Remediation))} ('' clears it)",
    )
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
        "--override",
        metavar="REASON",
        help="sign although control exceptions or unsupported refusals are still open or under "
        "review; the reason is recorded and shown with the sign-off",
    )
    signoff.add_argument(
        "--reports",
        type=Path,
        default=Path("reports"),
        help="the reports folder (default reports/)",
    )
    signoff.set_defaults(run=cmd_signoff)
