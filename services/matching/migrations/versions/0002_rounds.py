"""Matching: match rounds, with the lease their runners hold.

Revision ID: matching_0002
Revises: matching_0001
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "matching_0002"
down_revision = "matching_0001"
branch_labels = None
depends_on = None

Id = sa.Text(collation="C")
OPEN = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        "match_rounds",
        sa.Column("round_id", Id, primary_key=True),
        sa.Column("program_id", Id, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("stats", postgresql.JSONB),
        sa.Column("unmatched", postgresql.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("error", sa.Text),
        sa.Column("lease_owner", sa.Text),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
    )
    op.create_index("match_rounds_program", "match_rounds", ["program_id", "round_id"])
    # The database's own guarantee of one queued or running round per program.
    op.create_index(
        "match_rounds_one_open", "match_rounds", ["program_id"], unique=True, postgresql_where=OPEN
    )
    op.create_index("match_rounds_claimable", "match_rounds", ["requested_at"], postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_table("match_rounds")
