"""The register's tables as SQLAlchemy Core objects, for building queries.

The tables themselves are created by the Alembic migrations in
`auditkit/review/migrations/versions/`; a test checks that these declarations
match the migrated schema column for column.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "review_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("command", sa.String(16), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("moment", sa.String(16), nullable=False),
    sa.Column("period", sa.String(7)),
    sa.Column("findings", sa.Integer, nullable=False),
    sa.Column("manifest_sha256", sa.String(64)),
)

findings = sa.Table(
    "review_findings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("rule_id", sa.String(32), nullable=False),
    sa.Column("first_run_id", sa.Integer, sa.ForeignKey("review_runs.id"), nullable=False),
    sa.Column("last_run_id", sa.Integer, sa.ForeignKey("review_runs.id"), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("expires", sa.Date),
    sa.Column("changed_by", sa.String(128)),
    sa.Column("changed_at", sa.DateTime(timezone=True)),
    sa.Column("owner", sa.String(128)),
    sa.Column("due", sa.Date),
    sa.Column("response", sa.Text),
    sa.Column("remediation", sa.String(20)),
    sa.Column("reported_period", sa.String(7)),
)

history = sa.Table(
    "review_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("finding_id", sa.Integer, sa.ForeignKey("review_findings.id"), nullable=False),
    sa.Column("from_state", sa.String(20), nullable=False),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("changed_by", sa.String(128), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("expires", sa.Date),
    sa.Column("via", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(128)),
    sa.Column("due", sa.Date),
    sa.Column("response", sa.Text),
    sa.Column("remediation", sa.String(20)),
)

signoffs = sa.Table(
    "review_signoffs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("signed_by", sa.String(128), nullable=False),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("manifest_sha256", sa.String(64), nullable=False),
    sa.Column("report_id", sa.String(64)),
    sa.Column("override", sa.Text),
    sa.Column("outstanding", sa.Integer),
)
