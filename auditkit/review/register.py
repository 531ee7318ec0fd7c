"""The review register: which findings each run saw, what reviewers concluded, who signed off.

Tables (see `schema.py`): `review_runs` (one row per recorded run),
`review_findings` (one row per (request_id, rule_id) ever found, with the
first and last run that found it and its current state), `review_history`
(every change of state, insert-only: the database refuses UPDATE and DELETE
on it) and `review_signoffs` (insert-only too).

`Register` is the one way in. It opens the register (migrating it, see
`database`; or read-only, for commands that only read) and owns the transactions: each method takes one (a write
transaction for what writes, `database.writing`), turns database failures into
a RegisterError naming the register, and hands the connection to the module of
its concern: `recording` (a run and its findings, in bulk), `transitions`
(changes of state and their history) and `signing` (sign-offs).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import pandas as pd
from sqlalchemy import URL, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from auditkit.engine.result import AuditResult
from auditkit.errors import RegisterError
from auditkit.review import DEFAULT_DB, database, recording, signing, transitions
from auditkit.review.changes import StateChange, check_name
from auditkit.review.recording import RecordedRun
from auditkit.review.signing import Signature
from auditkit.review.states import finding_keys, review_keys
from auditkit.review.transitions import Applied, Batch
from auditkit.vocab import ReviewVia, SignoffRole

T = TypeVar("T")


class Register:
    """An open review register; use as a context manager, or call `close()`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.label = database.describe(engine.url)

    @classmethod
    def open(cls, target: str | Path = DEFAULT_DB, read_only: bool = False) -> Register:
        """Open (and create or migrate) the register at a path or SQLAlchemy URL; `read_only`:
        for reading only (a read-only file or database role is fine), see `_reader`."""
        url = database.database_url(target)
        if read_only:
            return _reader(cls, url, target)
        register = cls(database.create(url))
        with register._failures("open"):
            database.migrate(register.engine)
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

    def _read(self, doing: str, reader: Callable[..., T], *args: object) -> T:
        """`reader(connection, *args)` in a read transaction, failures named."""
        with self._failures(doing), self.engine.connect() as connection:
            return reader(connection, *args)

    def _write(self, doing: str, writer: Callable[..., T], *args: object) -> T:
        """`writer(connection, *args)` in a write transaction (`database.writing`)."""
        with self._failures(doing), database.writing(self.engine) as connection:
            return writer(connection, *args)

    def record_run(
        self,
        result: AuditResult,
        command: str,
        period: str | None = None,
        decisions: bool = False,
    ) -> RecordedRun:
        """Record a run and every finding it saw (new ones start open), with `decisions` its
        platform decisions to be reviewed too (rule id DECISION); bulk, one transaction."""
        keys = review_keys(result) if decisions else finding_keys(result)  # before the lock
        return self._write("record the run", recording.record, keys, result.params, command, period)

    def attach_manifest(self, run_id: int, sha256: str) -> None:
        """Record the sha256 of the manifest the run's outputs were written with."""
        self._write("record the manifest", recording.attach_manifest, run_id, sha256)

    def runs(self) -> pd.DataFrame:
        """Every recorded run, oldest first."""
        return self._read("read the runs", recording.read_runs)

    def reviewed(self) -> pd.DataFrame:
        """Every finding a reviewer has changed (REVIEWED_COLUMNS)."""
        return self._read("read the review states", recording.read_reviewed)

    def findings(self) -> pd.DataFrame:
        """Every finding with its current state, by request_id and rule_id: what export writes."""
        return self._read("read the findings", recording.read_findings)

    def items(self, keys: pd.DataFrame) -> pd.DataFrame:
        """The recorded rows of these (request_id, rule_id) pairs (recording.ITEM_COLUMNS)."""
        return self._read("read the findings", recording.read_items, keys)

    def carried(self, period: str) -> pd.DataFrame:
        """Decisions and followed-up findings last reported before `period` and not closed."""
        return self._read("read the findings", recording.read_carried, period)

    def apply(
        self,
        changes: Sequence[StateChange],
        by: str,
        via: ReviewVia,
        skip_unchanged: bool = False,
        **options: object,
    ) -> Applied:
        """Append each change to the history and make it the finding's state, all or nothing
        (UnknownFindings when one names no recorded finding). `skip_unchanged` and the
        `options` keep_concluded, as_of and progress: see `transitions.Batch`."""
        batch = Batch(check_name(by, "reviewer"), via, skip_unchanged, **options)
        if not changes:
            return Applied((), 0)
        return self._write("record the review", transitions.append, changes, batch, self.label)

    def history(self, request_id: str, rule_id: str | None = None) -> pd.DataFrame:
        """Every recorded change of a request's findings (or of one), oldest first."""
        return self._read(
            "read the history", transitions.read_history, request_id, rule_id, self.label
        )

    def sign_off(
        self, period: str, role: SignoffRole, by: str, manifest_sha256: str, **version: object
    ) -> dict[str, object]:
        """Record that `by` signed the report version of `period` whose manifest has this sha256
        (`version`: its report_id, and any override and outstanding count, as in
        `signing.Signature`); SignoffRefused when `signing.refusal` does not allow it."""
        signature = Signature(period, role, check_name(by), manifest_sha256, **version)
        return self._write("record the sign-off", signing.record, signature)

    def signoffs(self, period: str) -> pd.DataFrame:
        """Sign-offs of a period, oldest first (signing.SIGNOFF_COLUMNS)."""
        return self._read("read the sign-offs", signing.read, period)


def _reader(cls: type[Register], url: URL, target: str | Path) -> Register:
    """A register opened read-only; one of an older schema is migrated first (needs writing)."""
    reader = cls(database.create(url, read_only=True))
    with reader._failures("open"):
        current, head, known = database.revision(reader.engine)
    if current != head:
        reader.close()
        if not known:
            raise RegisterError(
                f"the review register {reader.label} has schema revision {current}, which this "
                f"auditkit does not know (its newest is {head}); upgrade auditkit"
            )
        cls.open(target).close()  # migrate once; a register nobody may write says so here
        reader = cls(database.create(url, read_only=True))
    return reader
