"""Sign-offs of a period's report: who signed, in which role, which version, and any override.

A report version (the sha256 of its manifest, with its report id) is signed
once by its preparer, then once by its reviewer, who is someone else. A
sign-off while control exceptions or unsupported refusals are still open
carries an override: the reason the signer gives, and how many were open.
Those rules are checked here, inside the transaction that records the
sign-off, so two signers at once cannot both be first.

Sign-offs are insert-only: the database refuses UPDATE and DELETE on them.
`record` and `read` work inside the caller's transaction (see `Register`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection

from auditkit.dates import utc_now
from auditkit.errors import ParameterError
from auditkit.review import schema
from auditkit.review.rows import frame
from auditkit.vocab import SignoffRole

SIGNOFF_COLUMNS = (
    "period",
    "role",
    "signed_by",
    "signed_at",
    "manifest_sha256",
    "report_id",
    "override",
    "outstanding",
)
# Key of the PostgreSQL advisory lock held while a sign-off is checked and recorded ("aksg").
SIGNOFF_LOCK = 0x616B7367


@dataclass(frozen=True)
class Signature:
    """A sign-off asked for: `by` signs the report version `manifest_sha256` of `period` as `role`.

    `outstanding`: control exceptions and unsupported refusals of that version
    still open or under review; signing with any needs `override` (the reason).
    """

    period: str
    role: SignoffRole
    by: str
    manifest_sha256: str
    report_id: str | None = None
    override: str | None = None
    outstanding: int = 0


class SignoffRefused(ParameterError):
    """A sign-off that separation of duties, their order or an open item does not allow."""


def same_person(a: str, b: str) -> bool:
    """Whether two names name one person: case and runs of spaces do not tell people apart."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def refusal(signature: Signature, signed: pd.DataFrame) -> str | None:
    """Why `signature` may not be recorded, given the sign-offs of its version so far, or None."""
    version = f"report {signature.report_id or signature.period} (manifest sha256 " + (
        f"{signature.manifest_sha256[:12]}...)"
    )
    role = signature.role.value
    earlier = signed[signed["role"] == role]
    if len(earlier):
        first = earlier.iloc[0]
        return (
            f"the {role} already signed {version}: {first['signed_by']} on "
            f"{first['signed_at']:%Y-%m-%d %H:%M} UTC; each version is signed once per role"
        )
    preparers = signed[signed["role"] == SignoffRole.PREPARER]
    if signature.role is SignoffRole.REVIEWER:
        if preparers.empty:
            return f"the preparer signs first: {version} has no preparer sign-off yet"
        preparer = str(preparers.iloc[0]["signed_by"])
        if same_person(preparer, signature.by):
            return (
                f"{signature.by} prepared {version} and cannot also review it: the reviewer "
                "must be someone else"
            )
    if signature.outstanding and not signature.override:
        return (
            f"{signature.outstanding} control exception(s) or unsupported refusal(s) of "
            f"{version} are still open or under review; conclude them first, or sign with "
            "--override REASON"
        )
    if signature.override and not signature.outstanding:
        return "--override: nothing is open, so there is nothing to override; sign without it"
    return None


def record(connection: Connection, signature: Signature) -> dict[str, object]:
    """Check `signature` against its version's sign-offs and record it; SignoffRefused if not allowed."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SIGNOFF_LOCK})
    s = schema.signoffs
    signed = frame(
        connection.execute(
            sa.select(*(s.c[c] for c in SIGNOFF_COLUMNS))
            .where(s.c.manifest_sha256 == signature.manifest_sha256)
            .order_by(s.c.id)
        ),
        SIGNOFF_COLUMNS,
    )
    why = refusal(signature, signed)
    if why is not None:
        raise SignoffRefused(f"sign-off refused: {why}")
    row = {
        "period": signature.period,
        "role": signature.role.value,
        "signed_by": signature.by,
        "signed_at": utc_now(),
        "manifest_sha256": signature.manifest_sha256,
        "report_id": signature.report_id,
        "override": signature.override,
        "outstanding": signature.outstanding,
    }
    connection.execute(sa.insert(s).values(**row))
    return row


def read(connection: Connection, period: str) -> pd.DataFrame:
    """Sign-offs of a period, oldest first (SIGNOFF_COLUMNS)."""
    s = schema.signoffs
    query = (
        sa.select(*(s.c[c] for c in SIGNOFF_COLUMNS)).where(s.c.period == period).order_by(s.c.id)
    )
    return frame(connection.execute(query), SIGNOFF_COLUMNS)
