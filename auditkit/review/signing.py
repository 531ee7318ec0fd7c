"""Sign-offs of a period's report: who signed, in which role, and the manifest they signed.

Sign-offs are insert-only: the database refuses UPDATE and DELETE on them.
`insert` and `read` work inside the caller's transaction (see `Register`).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection

from auditkit.dates import utc_now
from auditkit.review import schema
from auditkit.review.rows import frame
from auditkit.vocab import SignoffRole

SIGNOFF_COLUMNS = ("period", "role", "signed_by", "signed_at", "manifest_sha256")


def signoff(period: str, role: SignoffRole, by: str, manifest_sha256: str) -> dict[str, object]:
    """The row saying `by` signed off the report of `period` with this manifest, now."""
    return {
        "period": period,
        "role": role.value,
        "signed_by": by,
        "signed_at": utc_now(),
        "manifest_sha256": manifest_sha256,
    }


def insert(connection: Connection, row: dict[str, object]) -> None:
    connection.execute(sa.insert(schema.signoffs).values(**row))


def read(connection: Connection, period: str) -> pd.DataFrame:
    """Sign-offs of a period, oldest first (SIGNOFF_COLUMNS)."""
    s = schema.signoffs
    query = (
        sa.select(*(s.c[c] for c in SIGNOFF_COLUMNS)).where(s.c.period == period).order_by(s.c.id)
    )
    return frame(connection.execute(query), SIGNOFF_COLUMNS)
