"""The review register: which findings each run saw, what reviewers concluded, who signed off.

Tables (see `schema.py`): `review_runs` (one row per recorded run),
`review_findings` (one row per (request_id, rule_id) ever found, with the
first and last run that found it and its current state), `review_history`
(every change of state, insert-only: the database refuses UPDATE and DELETE
on it) and `review_signoffs` (insert-only too).

`Register` is the one way in. It opens the register (migrating it, see
`database`) and owns the transactions: each method takes one (a write
transaction for what writes, `database.writing`), turns database failures into
a RegisterError naming the register, and hands the connection to the module of
its concern: `recording` (a run and its findings, in bulk), `transitions`
(changes of state and their history) and `signing` (sign-offs).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from auditkit.engine.result import AuditResult
from auditkit.errors import RegisterError
from auditkit.review import DEFAULT_DB, database, recording, signing, transitions
from auditkit.review.changes import StateChange
from auditkit.review.recording import RecordedRun
from auditkit.review.states import finding_keys
from auditkit.review.transitions import Applied
from auditkit.vocab import ReviewVia, SignoffRole


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
        keys = finding_keys(result)  # before the write lock is taken
        with self._failures("record the run"), database.writing(self.engine) as connection:
            return recording.record(connection, keys, result.params, command, period)

    def attach_manifest(self, run_id: int, sha256: str) -> None:
        """Record the sha256 of the manifest the run's outputs were written with."""
        with self._failures("record the manifest"), database.writing(self.engine) as connection:
            recording.attach_manifest(connection, run_id, sha256)

    def runs(self) -> pd.DataFrame:
        """Every recorded run, oldest first."""
        with self._failures("read the runs"), self.engine.connect() as connection:
            return recording.read_runs(connection)

    def reviewed(self) -> pd.DataFrame:
        """Every finding a reviewer has concluded on (REVIEWED_COLUMNS)."""
        with self._failures("read the review states"), self.engine.connect() as connection:
            return recording.read_reviewed(connection)

    def findings(self) -> pd.DataFrame:
        """Every finding with its current state, by request_id and rule_id: what export writes."""
        with self._failures("read the findings"), self.engine.connect() as connection:
            return recording.read_findings(connection)

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
        with self._failures("record the review"), database.writing(self.engine) as connection:
            return transitions.append(connection, changes, by, via, skip_unchanged, self.label)

    def history(self, request_id: str, rule_id: str | None = None) -> pd.DataFrame:
        """Every recorded change of a request's findings (or of one), oldest first."""
        with self._failures("read the history"), self.engine.connect() as connection:
            return transitions.read_history(connection, request_id, rule_id, self.label)

    # ---- sign-offs --------------------------------------------------------------------------

    def sign_off(
        self, period: str, role: SignoffRole, by: str, manifest_sha256: str
    ) -> dict[str, object]:
        """Record that `by` signed off the report of `period` whose manifest has this sha256."""
        row = signing.signoff(period, role, by, manifest_sha256)
        with self._failures("record the sign-off"), database.writing(self.engine) as connection:
            signing.insert(connection, row)
        return row

    def signoffs(self, period: str) -> pd.DataFrame:
        """Sign-offs of a period, oldest first."""
        with self._failures("read the sign-offs"), self.engine.connect() as connection:
            return signing.read(connection, period)
