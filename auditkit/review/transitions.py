"""Changes of review state and follow-up: appending them to the history, reading it back.

A change appends its history row, which holds the whole finding as the change
leaves it (state, note, end date, owner, due date, response, remediation), and
copies it into the finding in the same transaction, so the current finding is
always its last history row. The findings a batch names, and only those, are
locked first, in (request_id, rule_id) order; the changes then apply in the
order given, each chaining from what the one before left.

A bulk change may keep concluded findings as they are (`keep_concluded`): the
check is made on the locked rows, so a finding concluded by someone else a
moment before is kept, never overwritten.

Every function works inside the caller's transaction (see `Register`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection

from auditkit.dates import utc_now
from auditkit.errors import ParameterError
from auditkit.review import schema
from auditkit.review.changes import FOLLOW_UP_FIELDS, StateChange
from auditkit.review.rows import frame
from auditkit.review.states import CONCLUDED
from auditkit.vocab import ReviewState, ReviewVia

LOOKUP_CHUNK = 500  # (request_id, rule_id) pairs per IN (...) list
WRITE_CHUNK = 2000  # history rows per INSERT, between two progress reports
HISTORY_COLUMNS = (
    "request_id",
    "rule_id",
    "changed_at",
    "changed_by",
    "from_state",
    "to_state",
    "note",
    "expires",
    "via",
    *FOLLOW_UP_FIELDS,
)
HELD = ("state", "note", "expires", "changed_at", *FOLLOW_UP_FIELDS)  # what a finding holds
BatchProgress = Callable[[int, int], None]  # (changes written so far, changes to write)


@dataclass(frozen=True)
class Applied:
    """What a batch of changes did.

    `transitions`: each change appended, as (request_id, rule_id, from_state,
    to_state); `unchanged`: changes skipped as already so; `kept`: concluded
    findings a bulk change left as they were, as (request_id, rule_id, state).
    """

    transitions: tuple[tuple[str, str, str, str], ...]
    unchanged: int
    kept: tuple[tuple[str, str, str], ...] = ()

    @property
    def appended(self) -> int:
        return len(self.transitions)


class UnknownFindings(ParameterError):
    """Changes name (request, rule) pairs that the register never recorded as findings."""

    def __init__(self, message: str, positions: list[int]) -> None:
        super().__init__(message)
        self.positions = positions


@dataclass(frozen=True)
class Batch:
    """How a batch of changes is applied: by whom, through what, and what it skips.

    `skip_unchanged`: a change equal to what its finding holds (an unreviewed
    finding holds open) is not appended, only counted. `keep_concluded`: a change
    of state is not applied to a finding a reviewer has concluded on (confirmed,
    false positive, a waiver ending on or after `as_of`, remediated); it is listed
    in `Applied.kept`. `progress(done, total)` is called as history rows are written.
    """

    by: str
    via: ReviewVia
    skip_unchanged: bool = False
    keep_concluded: bool = False
    as_of: dt.date | None = None  # a waiver ending before it is not concluded
    progress: BatchProgress | None = None


def append(
    connection: Connection, changes: Sequence[StateChange], batch: Batch, label: str
) -> Applied:
    """Append `changes` (at least one) and make each its finding's state; see `Register.apply`."""
    named = _named_findings(connection, changes, label)
    history_rows, finding_rows, applied = _plan(changes, named, batch, utc_now())
    if history_rows:
        _write(connection, history_rows, finding_rows, batch.progress)
    return applied


def _named_findings(
    connection: Connection, changes: Sequence[StateChange], label: str
) -> pd.DataFrame:
    """Each change's finding as it stands, locked, one row per change in the same order.

    UnknownFindings (naming the register `label`) when a change names no recorded finding.
    """
    wanted = pd.DataFrame(
        {
            "request_id": [c.request_id for c in changes],
            "rule_id": [c.rule_id for c in changes],
        }
    )
    current = _current(connection, wanted, lock=True)
    named = wanted.merge(current, on=["request_id", "rule_id"], how="left")
    missing = [int(i) for i in named.index[named["id"].isna()]]
    if missing:
        raise UnknownFindings(_missing_message(connection, changes, missing, label), missing)
    return named


def _plan(
    changes: Sequence[StateChange], named: pd.DataFrame, batch: Batch, now: dt.datetime
) -> tuple[list[dict[str, object]], list[dict[str, object]], Applied]:
    """The history rows to append, each changed finding's new row, and what the batch did."""
    # What each finding holds as the batch leaves it so far (HELD), by finding id.
    holds = {
        int(i): dict(zip(HELD, values, strict=True))
        for i, *values in zip(named["id"], *(named[c] for c in HELD), strict=True)
    }
    history_rows: list[dict[str, object]] = []
    latest: dict[int, dict[str, object]] = {}
    transitions: list[tuple[str, str, str, str]] = []
    kept: list[tuple[str, str, str]] = []
    unchanged = 0
    for change, finding_id in zip(changes, named["id"].astype(int), strict=True):
        held = holds[finding_id]
        if change.state is not None and batch.keep_concluded and _concluded(held, batch.as_of):
            kept.append((change.request_id, change.rule_id, str(held["state"])))
            continue
        after = _after(change, held)
        if batch.skip_unchanged and _same(after, held):
            unchanged += 1
            continue
        before = str(held["state"])
        row = {**after, "changed_by": batch.by, "changed_at": now}
        history_rows.append(
            {
                "finding_id": finding_id,
                "from_state": before,
                "to_state": row.pop("state"),
                "via": batch.via.value,
                **row,
            }
        )
        transitions.append((change.request_id, change.rule_id, before, after["state"]))
        holds[finding_id] = {**after, "changed_at": now}
        latest[finding_id] = {"finding": finding_id, **after, "changed_by": batch.by}
        latest[finding_id]["changed_at"] = now
    applied = Applied(transitions=tuple(transitions), unchanged=unchanged, kept=tuple(kept))
    return history_rows, list(latest.values()), applied


def _after(change: StateChange, held: dict[str, object]) -> dict[str, object]:
    """What the finding holds after `change`: state, note, expires and the follow-up."""
    if change.state is None:
        state = {name: _value(held[name]) for name in ("state", "note", "expires")}
    else:
        state = {"state": change.state.value, "note": change.note, "expires": change.expires}
    current = {name: _value(held[name]) for name in FOLLOW_UP_FIELDS}
    follow_up = change.follow_up.merged(current)
    if follow_up["remediation"] is not None:
        follow_up["remediation"] = str(follow_up["remediation"])
    return {**state, **follow_up}


def _concluded(held: dict[str, object], as_of: dt.date | None) -> bool:
    """Whether a reviewer has concluded on the finding (a waiver ended before as_of has not)."""
    if _value(held["changed_at"]) is None or held["state"] not in CONCLUDED:
        return False
    expires = _value(held["expires"])
    return not (held["state"] == ReviewState.WAIVED and as_of and expires and expires < as_of)


def _same(after: dict[str, object], held: dict[str, object]) -> bool:
    """Whether `after` equals what the finding holds (a never-reviewed finding holds `open`)."""
    return all(after[name] == _value(held[name]) for name in after)


def _value(value: object) -> object:
    """A value read back from a frame: None for every kind of missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


def _write(
    connection: Connection,
    history_rows: list[dict[str, object]],
    finding_rows: list[dict[str, object]],
    progress: BatchProgress | None,
) -> None:
    """Append the history rows, then copy each finding's last change into the finding."""
    total = len(history_rows)
    for start in range(0, total, WRITE_CHUNK):
        connection.execute(sa.insert(schema.history), history_rows[start : start + WRITE_CHUNK])
        if progress is not None:
            progress(min(start + WRITE_CHUNK, total), total)
    f = schema.findings
    copied = ("state", "note", "expires", "changed_by", "changed_at", *FOLLOW_UP_FIELDS)
    connection.execute(
        sa.update(f)
        .where(f.c.id == sa.bindparam("finding"))
        .values(**{name: sa.bindparam(name) for name in copied}),
        finding_rows,
    )


def read_history(
    connection: Connection, request_id: str, rule_id: str | None, label: str
) -> pd.DataFrame:
    """Every recorded change of a request's findings (or of one), oldest first (HISTORY_COLUMNS)."""
    rules = _rules_of(connection, request_id)
    if not rules:
        raise ParameterError(
            f"--request {request_id!r}: no finding of this request is in the register {label}"
        )
    if rule_id is not None and rule_id not in rules:
        raise ParameterError(
            f"--rule {rule_id!r}: request {request_id} has no finding for this rule in "
            f"the register (its findings: {', '.join(rules)})"
        )
    f, h = schema.findings, schema.history
    query = (
        sa.select(f.c.request_id, f.c.rule_id, *(h.c[name] for name in HISTORY_COLUMNS[2:]))
        .join(f, f.c.id == h.c.finding_id)
        .where(f.c.request_id == request_id)
        .order_by(h.c.id)
    )
    if rule_id is not None:
        query = query.where(f.c.rule_id == rule_id)
    return frame(connection.execute(query), HISTORY_COLUMNS)


def _current(connection: Connection, wanted: pd.DataFrame, lock: bool) -> pd.DataFrame:
    """The findings named in `wanted` as they stand; with `lock`, locked until the transaction ends.

    Rows are locked in (request_id, rule_id) order, chunk after chunk, so two
    transactions never take the same locks in opposite orders (PostgreSQL
    would end one of them as a deadlock; SQLite has one writer at a time).
    """
    f = schema.findings
    columns = ("id", "request_id", "rule_id", *HELD)
    pairs = sorted(set(zip(wanted["request_id"], wanted["rule_id"], strict=True)))
    parts = []
    for start in range(0, len(pairs), LOOKUP_CHUNK):
        query = (
            sa.select(*(f.c[c] for c in columns))
            .where(sa.tuple_(f.c.request_id, f.c.rule_id).in_(pairs[start : start + LOOKUP_CHUNK]))
            .order_by(f.c.request_id, f.c.rule_id)
        )
        if lock:
            query = query.with_for_update()
        parts.append(frame(connection.execute(query), columns))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _rules_of(connection: Connection, request_id: str) -> list[str]:
    f = schema.findings
    query = sa.select(f.c.rule_id).where(f.c.request_id == request_id).order_by(f.c.rule_id)
    return list(connection.execute(query).scalars())


def _missing_message(
    connection: Connection, changes: Sequence[StateChange], missing: list[int], label: str
) -> str:
    first = changes[missing[0]]
    rules = _rules_of(connection, first.request_id)
    if rules:
        what = (
            f"request {first.request_id} has no finding for rule {first.rule_id} in the register "
            f"(its findings: {', '.join(rules)})"
        )
    else:
        what = f"request {first.request_id!r} has no finding in the register {label}"
    more = (
        f"; {len(missing) - 1} more change(s) name no recorded finding" if len(missing) > 1 else ""
    )
    return (
        f"{what}{more}. Only findings recorded by `auditkit check --db` or `auditkit report --db` "
        "can be reviewed."
    )
