"""Runs and the findings they saw: recording a run in bulk, reading runs and findings back.

A run's findings go in with one bulk statement per backend, never a statement
per finding: PostgreSQL COPYs the keys into a temporary table and upserts
from it; SQLite runs one prepared upsert over all of them. A finding seen
before keeps its first run and state and moves its last run to this one.

Every function works inside the caller's transaction (see `Register`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection

from auditkit.dates import utc_now
from auditkit.params import Params
from auditkit.review import schema
from auditkit.review.rows import frame
from auditkit.review.states import REVIEWED_COLUMNS

# Params.at ("snapshot" or "requested", contract §4) is recorded as the moment judged;
# evaluations without it judge the snapshot.
SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class RecordedRun:
    """A run recorded in the register: its id, how many findings it saw and how many were new.

    `reviewed` holds the run's findings that a reviewer has concluded on (REVIEWED_COLUMNS).
    """

    run_id: int
    findings: int
    new: int
    reviewed: pd.DataFrame


def record(
    connection: Connection,
    keys: pd.DataFrame,
    params: Params,
    command: str,
    period: str | None,
) -> RecordedRun:
    """Record a run that judged with `params` and found `keys` (request_id, rule_id)."""
    run_id = connection.execute(
        sa.insert(schema.runs)
        .values(
            recorded_at=utc_now(),
            command=command,
            as_of=params.as_of,
            moment=str(getattr(params, "at", SNAPSHOT)),
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
    reviewed = frame(
        connection.execute(
            sa.select(*(f.c[name] for name in REVIEWED_COLUMNS)).where(
                f.c.last_run_id == run_id, f.c.changed_at.is_not(None)
            )
        ),
        REVIEWED_COLUMNS,
    )
    return RecordedRun(run_id=run_id, findings=len(keys), new=int(new), reviewed=reviewed)


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


def attach_manifest(connection: Connection, run_id: int, sha256: str) -> None:
    """Record the sha256 of the manifest the run's outputs were written with."""
    connection.execute(
        sa.update(schema.runs).where(schema.runs.c.id == run_id).values(manifest_sha256=sha256)
    )


def read_runs(connection: Connection) -> pd.DataFrame:
    """Every recorded run, oldest first."""
    r = schema.runs
    return frame(connection.execute(sa.select(r).order_by(r.c.id)), r.c.keys())


def read_reviewed(connection: Connection) -> pd.DataFrame:
    """Every finding a reviewer has concluded on (REVIEWED_COLUMNS)."""
    f = schema.findings
    query = sa.select(*(f.c[name] for name in REVIEWED_COLUMNS)).where(f.c.changed_at.is_not(None))
    return frame(connection.execute(query), REVIEWED_COLUMNS)


def read_findings(connection: Connection) -> pd.DataFrame:
    """Every finding with its current state and the as_of of the last run that found it."""
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
    return frame(connection.execute(query), list(query.selected_columns.keys()))
