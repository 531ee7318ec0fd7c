"""Changes of review state: appending them to the history, and reading a request's history back.

A change appends its history row and copies the new state into the finding
in the same transaction, so the current state is always the last history
row's. The findings a batch names, and only those, are locked first, in
(request_id, rule_id) order; the changes then apply in the order given, each
chaining from the state the one before left.

Every function works inside the caller's transaction (see `Register`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection

from auditkit.dates import utc_now
from auditkit.errors import ParameterError
from auditkit.review import schema
from auditkit.review.changes import StateChange
from auditkit.review.rows import frame
from auditkit.vocab import ReviewState, ReviewVia

LOOKUP_CHUNK = 500  # (request_id, rule_id) pairs per IN (...) list
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
)


@dataclass(frozen=True)
class Applied:
    """What a batch of changes did: the transitions appended, and how many were skipped as already so.

    Each transition is (request_id, rule_id, from_state, to_state).
    """

    transitions: tuple[tuple[str, str, str, str], ...]
    unchanged: int

    @property
    def appended(self) -> int:
        return len(self.transitions)


class UnknownFindings(ParameterError):
    """Changes name (request, rule) pairs that the register never recorded as findings."""

    def __init__(self, message: str, positions: list[int]) -> None:
        super().__init__(message)
        self.positions = positions


def append(
    connection: Connection,
    changes: Sequence[StateChange],
    by: str,
    via: ReviewVia,
    skip_unchanged: bool,
    label: str,
) -> Applied:
    """Append `changes` (at least one) and make each its finding's state; see `Register.apply`."""
    named = _named_findings(connection, changes, label)
    history_rows, finding_rows, applied = _plan(changes, named, by, via, skip_unchanged, utc_now())
    if history_rows:
        _write(connection, history_rows, finding_rows)
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
    current = _current(connection, wanted)
    named = wanted.merge(current, on=["request_id", "rule_id"], how="left")
    missing = [int(i) for i in named.index[named["id"].isna()]]
    if missing:
        raise UnknownFindings(_missing_message(connection, changes, missing, label), missing)
    return named


def _plan(
    changes: Sequence[StateChange],
    named: pd.DataFrame,
    by: str,
    via: ReviewVia,
    skip_unchanged: bool,
    now: dt.datetime,
) -> tuple[list[dict[str, object]], list[dict[str, object]], Applied]:
    """The history rows to append, each changed finding's new row, and what the batch did.

    With `skip_unchanged`, a change equal to what its finding holds by then (an
    earlier change of the batch included) is counted as unchanged, not appended.
    """
    # (state, note, expires, changed_at) of each finding as the batch leaves it so far.
    holds = {
        int(i): (s, n, e, c)
        for i, s, n, e, c in zip(
            named["id"],
            named["state"],
            named["note"],
            named["expires"],
            named["changed_at"],
            strict=True,
        )
    }
    history_rows: list[dict[str, object]] = []
    latest: dict[int, dict[str, object]] = {}
    transitions: list[tuple[str, str, str, str]] = []
    unchanged = 0
    for change, finding_id in zip(changes, named["id"].astype(int), strict=True):
        if skip_unchanged and _same(change, holds[finding_id]):
            unchanged += 1
            continue
        before = holds[finding_id][0]
        history_rows.append(
            {
                "finding_id": finding_id,
                "from_state": before,
                "to_state": change.state.value,
                "changed_by": by,
                "changed_at": now,
                "note": change.note,
                "expires": change.expires,
                "via": via.value,
            }
        )
        transitions.append((change.request_id, change.rule_id, before, change.state.value))
        holds[finding_id] = (change.state.value, change.note, change.expires, now)
        latest[finding_id] = {
            "finding": finding_id,
            "state": change.state.value,
            "note": change.note,
            "expires": change.expires,
            "changed_by": by,
            "changed_at": now,
        }
    applied = Applied(transitions=tuple(transitions), unchanged=unchanged)
    return history_rows, list(latest.values()), applied


def _write(
    connection: Connection,
    history_rows: list[dict[str, object]],
    finding_rows: list[dict[str, object]],
) -> None:
    """Append the history rows, then copy each finding's last change into the finding."""
    connection.execute(sa.insert(schema.history), history_rows)
    f = schema.findings
    connection.execute(
        sa.update(f)
        .where(f.c.id == sa.bindparam("finding"))
        .values(
            state=sa.bindparam("state"),
            note=sa.bindparam("note"),
            expires=sa.bindparam("expires"),
            changed_by=sa.bindparam("changed_by"),
            changed_at=sa.bindparam("changed_at"),
        ),
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
        sa.select(
            f.c.request_id,
            f.c.rule_id,
            h.c.changed_at,
            h.c.changed_by,
            h.c.from_state,
            h.c.to_state,
            h.c.note,
            h.c.expires,
            h.c.via,
        )
        .join(f, f.c.id == h.c.finding_id)
        .where(f.c.request_id == request_id)
        .order_by(h.c.id)
    )
    if rule_id is not None:
        query = query.where(f.c.rule_id == rule_id)
    return frame(connection.execute(query), HISTORY_COLUMNS)


def _current(connection: Connection, wanted: pd.DataFrame) -> pd.DataFrame:
    """The findings named in `wanted` as they stand, locked until the transaction ends.

    Rows are locked in (request_id, rule_id) order, chunk after chunk, so two
    transactions never take the same locks in opposite orders (PostgreSQL
    would end one of them as a deadlock; SQLite has one writer at a time).
    """
    f = schema.findings
    columns = ("id", "request_id", "rule_id", "state", "note", "expires", "changed_at")
    pairs = sorted(set(zip(wanted["request_id"], wanted["rule_id"], strict=True)))
    parts = []
    for start in range(0, len(pairs), LOOKUP_CHUNK):
        query = (
            sa.select(*(f.c[c] for c in columns))
            .where(sa.tuple_(f.c.request_id, f.c.rule_id).in_(pairs[start : start + LOOKUP_CHUNK]))
            .order_by(f.c.request_id, f.c.rule_id)
            .with_for_update()
        )
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


def _same(change: StateChange, current: tuple[object, object, object, object]) -> bool:
    state, note, expires, changed_at = current
    if changed_at is None or pd.isna(changed_at):
        return change.state is ReviewState.OPEN and change.note is None and change.expires is None
    return (
        change.state.value == state
        and (change.note or None) == (None if pd.isna(note) else note)
        and change.expires == (None if pd.isna(expires) else expires)
    )
