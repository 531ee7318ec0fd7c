"""The review register: runs, findings, an append-only history of states, sign-offs.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Values are written out here rather than imported from auditkit.vocab: a
migration describes the schema as it was at this revision, whatever the
vocabulary becomes later.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATES = ("open", "under_review", "confirmed", "false_positive", "waived", "remediated")
ROLES = ("preparer", "reviewer")
APPEND_ONLY = ("review_history", "review_signoffs")


def _one_of(column: str, allowed: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in allowed)})"


def upgrade() -> None:
    op.create_table(
        "review_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("command", sa.String(16), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("moment", sa.String(16), nullable=False),
        sa.Column("period", sa.String(7)),
        sa.Column("findings", sa.Integer, nullable=False),
        sa.Column("manifest_sha256", sa.String(64)),
    )
    op.create_table(
        "review_findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(32), nullable=False),
        sa.Column("first_run_id", sa.Integer, sa.ForeignKey("review_runs.id"), nullable=False),
        sa.Column("last_run_id", sa.Integer, sa.ForeignKey("review_runs.id"), nullable=False),
        # The current state, a copy of the finding's latest history row (none: never reviewed).
        sa.Column("state", sa.String(20), nullable=False, server_default="open"),
        sa.Column("note", sa.Text),
        sa.Column("expires", sa.Date),
        sa.Column("changed_by", sa.String(128)),
        sa.Column("changed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("request_id", "rule_id", name="uq_review_findings_request_rule"),
        sa.CheckConstraint(_one_of("state", STATES), name="ck_review_findings_state"),
    )
    op.create_index("ix_review_findings_changed_at", "review_findings", ["changed_at"])
    op.create_table(
        "review_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("review_findings.id"), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=False),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("changed_by", sa.String(128), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("expires", sa.Date),
        sa.Column("via", sa.String(16), nullable=False),
        sa.CheckConstraint(_one_of("from_state", STATES), name="ck_review_history_from"),
        sa.CheckConstraint(_one_of("to_state", STATES), name="ck_review_history_to"),
        sa.CheckConstraint(
            "to_state <> 'waived' OR (note IS NOT NULL AND expires IS NOT NULL)",
            name="ck_review_history_waiver",
        ),
    )
    op.create_index("ix_review_history_finding", "review_history", ["finding_id"])
    op.create_table(
        "review_signoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("signed_by", sa.String(128), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.CheckConstraint(_one_of("role", ROLES), name="ck_review_signoffs_role"),
    )
    op.create_index("ix_review_signoffs_period", "review_signoffs", ["period"])
    _forbid_rewrites(op.get_bind().dialect.name)


def _forbid_rewrites(dialect: str) -> None:
    """History and sign-offs are insert-only: the database itself refuses UPDATE and DELETE."""
    if dialect == "sqlite":
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION review_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_no_rewrite BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION review_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION review_append_only()"
            )


def downgrade() -> None:
    # Dropping a table drops its triggers.
    for table in ("review_signoffs", "review_history", "review_findings", "review_runs"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS review_append_only()")
