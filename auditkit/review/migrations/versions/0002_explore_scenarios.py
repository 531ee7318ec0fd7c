"""Saved what-if scenarios of the explorer.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

One row per scenario name: its definition (parameters and edits) and its last
outcome as JSON text, the key of the evaluation that outcome was computed on,
who saved it and when. Saving a name again replaces its row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "explore_scenarios",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("data_key", sa.String(64)),
        sa.Column("saved_by", sa.String(128), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", name="uq_explore_scenarios_name"),
    )


def downgrade() -> None:
    op.drop_table("explore_scenarios")
