"""The review register: which findings each run saw, what reviewers concluded, who signed off.

Tables (see `schema.py`): `review_runs` (one row per recorded run),
`review_findings` (one row per (request_id, rule_id) ever found, with the
first and last run that found it and its current state), `review_history`
(every change of state, insert-only: the database refuses UPDATE and DELETE
on it) and `review_signoffs` (insert-only too).

A change appends its history row and copies the new state into the finding
in the same transaction, so the current state is always the last history
row's. Recording a run is one bulk statement per backend, not a statement
per finding.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from auditkit.engine.result import AuditResult
from auditkit.errors import ParameterError, RegisterError
from auditkit.review import DEFAULT_DB, database, schema
from auditkit.review.changes import StateChange
from auditkit.review.states import REVIEWED_COLUMNS, finding_keys
from auditkit.vocab import ReviewState, ReviewVia, SignoffRole

# Params.at ("snapshot" or "requested", contract §4) is recorded as the moment judged;
# evaluations without it judge the snapshot.
SNAPSHOT = "snapshot"
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
class RecordedRun:
    """A run recorded in the register: its id, how many findings it saw and how many were new.

    `reviewed` holds the run's findings that a reviewer has concluded on (REVIEWED_COLUMNS).
    """

    run_id: int
    findings: int
    new: int
    reviewed: pd.DataFrame


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


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(moment: object) -> object:
    """A timestamp read back as UTC (SQLite returns them without a zone)."""
    if isinstance(moment, dt.datetime) and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


class Register:
    """An open review register; use as a context manager, or call `close()`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.label = database.describe(engine.url)

    @classmethod
    def open(cls, target: str | Path = DEFAULT_DB) -> Register:
        """Open (and create or migrate) the register at a path or SQLAlchemy URL."""
        url = database.database_url(target)
        engine = database.create(url)
        register = cls(engine)
        with register._failures("open"):
            database.migrate(engine)
        return register

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _failures(self, doing: str) -> Iterator[None]:
        """Database failures as a RegisterError naming the register (never its password)."""
        try:
            yield
        except DBAPIError as error:
            detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise RegisterError(f"review register {self.label}: cannot {doing}: {detail}") from None
        except SQLAlchemyError as error:
            raise RegisterError(f"review register {self.label}: cannot {doing}: {error}") from None

    # ---- runs and findings --------------------------------------------------------------

    def record_run(
        self, result: AuditResult, command: str, period: str | None = None
    ) -> RecordedRun:
        """Record a run and every finding it saw (new ones start open); bulk, one transaction."""
        keys = finding_keys(result)
        moment = str(getattr(result.params, "at", SNAPSHOT))
        with self._failures("record the run"), database.writing(self.engine) as connection:
            run_id = connection.execute(
                sa.insert(schema.runs)
                .values(
                    recorded_at=utc_now(),
                    command=command,
                    as_of=result.params.as_of,
                    moment=moment,
                    period=period,
                    findings=len(keys),
                )
                .returning(schema.runs.c.id)
            ).scalar_one()
            _upsert_findings(connection, keys, run_id)
            f = schema.findings
            new = connection.execute(
                sa.select(sa.func.count()).where(f.c.first_run_id == run_id)
            ).scalar_one()
            reviewed = _frame(
                connection.execute(
                    sa.select(*(f.c[name] for name in REVIEWED_COLUMNS)).where(
                        f.c.last_run_id == run_id, f.c.changed_at.is_not(None)
                    )
                ),
                REVIEWED_COLUMNS,
            )
        return RecordedRun(run_id=run_id, findings=len(keys), new=int(new), reviewed=reviewed)

    def attach_manifest(self, run_id: int, sha256: str) -> None:
        """Record the sha256 of the manifest the run's outputs were written with."""
        with self._failures("record the manifest"), database.writing(self.engine) as connection:
            connection.execute(
                sa.update(schema.runs)
                .where(schema.runs.c.id == run_id)
                .values(manifest_sha256=sha256)
            )

    def runs(self) -> pd.DataFrame:
        """Every recorded run, oldest first."""
        r = schema.runs
        with self._failures("read the runs"), self.engine.connect() as connection:
            return _frame(connection.execute(sa.select(r).order_by(r.c.id)), r.c.keys())

    def reviewed(self) -> pd.DataFrame:
        """Every finding a reviewer has concluded on (REVIEWED_COLUMNS)."""
        f = schema.findings
        query = sa.select(*(f.c[name] for name in REVIEWED_COLUMNS)).where(
            f.c.changed_at.is_not(None)
        )
        with self._failures("read the review states"), self.engine.connect() as connection:
            return _frame(connection.execute(query), REVIEWED_COLUMNS)

    def findings(self) -> pd.DataFrame:
        """Every finding with its current state, by request_id and rule_id: what export writes."""
        f, r = schema.findings, schema.runs
        last = r.alias("last_run")
        query = (
            sa.select(
                f.c.request_id,
                f.c.rule_id,
                f.c.state,
                f.c.note,
                f.c.expires,
                f.c.changed_by,
                f.c.changed_at,
                f.c.first_run_id,
                f.c.last_run_id,
                last.c.as_of.label("last_as_of"),
            )
            .join(last, last.c.id == f.c.last_run_id)
            .order_by(f.c.request_id, f.c.rule_id)
        )
        with self._failures("read the findings"), self.engine.connect() as connection:
            return _frame(connection.execute(query), list(query.selected_columns.keys()))

    # ---- changing states ------------------------------------------------------------------

    def apply(
        self,
        changes: Sequence[StateChange],
        by: str,
        via: ReviewVia,
        skip_unchanged: bool = False,
    ) -> Applied:
        """Append each change to the history and make it the finding's state, all or nothing.

        Every change must name a recorded finding (else UnknownFindings, nothing
        written). With `skip_unchanged`, a change equal to the finding's current
        state, note and expiry (an unreviewed finding counts as open) is skipped.
        """
        if not changes:
            return Applied((), 0)
        wanted = pd.DataFrame(
            {
                "request_id": [c.request_id for c in changes],
                "rule_id": [c.rule_id for c in changes],
            }
        )
        with self._failures("record the review"), database.writing(self.engine) as connection:
            current = _current(connection, wanted)
            merged = wanted.merge(current, on=["request_id", "rule_id"], how="left")
            missing = [int(i) for i in merged.index[merged["id"].isna()]]
            if missing:
                raise UnknownFindings(_missing_message(connection, changes, missing, self), missing)
            now = utc_now()
            history_rows: list[dict[str, object]] = []
            latest: dict[int, dict[str, object]] = {}
            state_of = dict(zip(merged["id"].astype(int), merged["state"], strict=True))
            seen = {
                int(i): (s, n, e, c)
                for i, s, n, e, c in zip(
                    merged["id"],
                    merged["state"],
                    merged["note"],
                    merged["expires"],
                    merged["changed_at"],
                    strict=True,
                )
            }
            unchanged = 0
            transitions: list[tuple[str, str, str, str]] = []
            for change, finding_id in zip(changes, merged["id"].astype(int), strict=True):
                before = state_of[finding_id]
                if skip_unchanged and _same(change, seen[finding_id]):
                    unchanged += 1
                    continue
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
                state_of[finding_id] = change.state.value
                seen[finding_id] = (change.state.value, change.note, change.expires, now)
                latest[finding_id] = {
                    "finding": finding_id,
                    "state": change.state.value,
                    "note": change.note,
                    "expires": change.expires,
                    "changed_by": by,
                    "changed_at": now,
                }
            if history_rows:
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
                    list(latest.values()),
                )
        return Applied(transitions=tuple(transitions), unchanged=unchanged)

    def history(self, request_id: str, rule_id: str | None = None) -> pd.DataFrame:
        """Every recorded change of a request's findings (or of one), oldest first."""
        f, h = schema.findings, schema.history
        with self._failures("read the history"), self.engine.connect() as connection:
            rules = _rules_of(connection, request_id)
            if not rules:
                raise ParameterError(
                    f"--request {request_id!r}: no finding of this request is in the register "
                    f"{self.label}"
                )
            if rule_id is not None and rule_id not in rules:
                raise ParameterError(
                    f"--rule {rule_id!r}: request {request_id} has no finding for this rule in "
                    f"the register (its findings: {', '.join(rules)})"
                )
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
            return _frame(connection.execute(query), HISTORY_COLUMNS)

    # ---- sign-offs --------------------------------------------------------------------------

    def sign_off(
        self, period: str, role: SignoffRole, by: str, manifest_sha256: str
    ) -> dict[str, object]:
        """Record that `by` signed off the report of `period` whose manifest has this sha256."""
        row = {
            "period": period,
            "role": role.value,
            "signed_by": by,
            "signed_at": utc_now(),
            "manifest_sha256": manifest_sha256,
        }
        with self._failures("record the sign-off"), database.writing(self.engine) as connection:
            connection.execute(sa.insert(schema.signoffs).values(**row))
        return row

    def signoffs(self, period: str) -> pd.DataFrame:
        """Sign-offs of a period, oldest first."""
        s = schema.signoffs
        columns = ("period", "role", "signed_by", "signed_at", "manifest_sha256")
        query = sa.select(*(s.c[c] for c in columns)).where(s.c.period == period).order_by(s.c.id)
        with self._failures("read the sign-offs"), self.engine.connect() as connection:
            return _frame(connection.execute(query), columns)


# ---- helpers ------------------------------------------------------------------------------


def _frame(rows: sa.CursorResult, columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows.all(), columns=list(columns))
    for name in frame.columns:
        if name.endswith("_at"):
            frame[name] = frame[name].map(as_utc)
    return frame


def _upsert_findings(connection: Connection, keys: pd.DataFrame, run_id: int) -> None:
    """Insert the run's findings, or move their last run to this one: one bulk statement."""
    if keys.empty:
        return
    upsert = (
        "INSERT INTO review_findings (request_id, rule_id, first_run_id, last_run_id, state) "
        "{rows} ON CONFLICT (request_id, rule_id) DO UPDATE SET last_run_id = excluded.last_run_id"
    )
    if connection.dialect.name == "postgresql":
        # COPY the keys into a temporary table, then one INSERT ... SELECT. Ids hold no tab,
        # newline or backslash (contract: letters, digits and ._:-), so they need no escaping.
        raw = connection.connection.driver_connection
        block = "".join(
            f"{r}\t{u}\n" for r, u in zip(keys["request_id"], keys["rule_id"], strict=True)
        )
        with raw.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE review_seen (request_id text, rule_id text) ON COMMIT DROP"
            )
            with cursor.copy("COPY review_seen (request_id, rule_id) FROM STDIN") as copy:
                copy.write(block)
            cursor.execute(
                upsert.format(rows="SELECT request_id, rule_id, %s, %s, 'open' FROM review_seen"),
                (run_id, run_id),
            )
        return
    rows = list(
        zip(keys["request_id"], keys["rule_id"], repeat(run_id), repeat(run_id), strict=False)
    )
    connection.exec_driver_sql(upsert.format(rows="VALUES (?, ?, ?, ?, 'open')"), rows)


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
        parts.append(_frame(connection.execute(query), columns))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _rules_of(connection: Connection, request_id: str) -> list[str]:
    f = schema.findings
    query = sa.select(f.c.rule_id).where(f.c.request_id == request_id).order_by(f.c.rule_id)
    return list(connection.execute(query).scalars())


def _missing_message(
    connection: Connection, changes: Sequence[StateChange], missing: list[int], register: Register
) -> str:
    first = changes[missing[0]]
    rules = _rules_of(connection, first.request_id)
    if rules:
        what = (
            f"request {first.request_id} has no finding for rule {first.rule_id} in the register "
            f"(its findings: {', '.join(rules)})"
        )
    else:
        what = f"request {first.request_id!r} has no finding in the register {register.label}"
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
