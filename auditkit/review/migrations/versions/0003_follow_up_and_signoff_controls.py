"""Findings tracked to closure, and sign-offs bound to a report version with their override.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

- `review_findings` and `review_history` get the follow-up of a finding: its
  owner, due date, management's response and remediation status. A history
  row holds the whole finding as the change left it, so the current row stays
  a copy of the last history row.
- `review_findings.reported_period`: the latest period whose report found
  it, so a report can carry forward what earlier periods left open. Filled
  here from the runs already recorded.
- `review_signoffs` gets the report id, the override's reason and how many
  control exceptions and unsupported refusals were still open when it was
  signed; a unique index keeps one sign-off per role and report version
  (manifest sha256). Sign-offs recorded before this revision have no report
  id and are left out of the index (the register never deletes them).

Columns are added with ALTER TABLE on both backends: rebuilding a table, as
Alembic's batch mode does on SQLite, would drop its append-only triggers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

REMEDIATION = ("not_started", "in_progress", "implemented")
FOLLOWED = ("review_findings", "review_history")


def upgrade() -> None:
    allowed = ", ".join(repr(value) for value in REMEDIATION)
    for table in FOLLOWED:
        op.add_column(table, sa.Column("owner", sa.String(128)))
        op.add_column(table, sa.Column("due", sa.Date))
        op.add_column(table, sa.Column("response", sa.Text))
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN remediation VARCHAR(20) "
            f"CONSTRAINT ck_{table}_remediation CHECK (remediation IN ({allowed}))"
        )
    op.add_column("review_findings", sa.Column("reported_period", sa.String(7)))
    op.execute(
        "UPDATE review_findings SET reported_period = (SELECT max(r.period) FROM review_runs r "
        "WHERE r.id IN (review_findings.first_run_id, review_findings.last_run_id) "
        "AND r.command = 'report')"
    )
    op.create_index("ix_review_findings_reported_period", "review_findings", ["reported_period"])
    op.add_column("review_signoffs", sa.Column("report_id", sa.String(64)))
    op.add_column("review_signoffs", sa.Column("override", sa.Text))
    op.add_column("review_signoffs", sa.Column("outstanding", sa.Integer))
    op.create_index(
        "uq_review_signoffs_version_role",
        "review_signoffs",
        ["manifest_sha256", "role"],
        unique=True,
        sqlite_where=sa.text("report_id IS NOT NULL"),
        postgresql_where=sa.text("report_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_review_signoffs_version_role", "review_signoffs")
    for column in ("outstanding", "override", "report_id"):
        op.drop_column("review_signoffs", column)
    op.drop_index("ix_review_findings_reported_period", "review_findings")
    op.drop_column("review_findings", "reported_period")
    for table in FOLLOWED:
        for column in ("remediation", "response", "due", "owner"):
            op.drop_column(table, column)
