"""Profiles: where each employee record is folded to in the HR log, and log snapshots.

Revision ID: profiles_0002
Revises: profiles_0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "profiles_0002"
down_revision = "profiles_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: existing rows have no known position, and replay their log once.
    op.add_column("employees", sa.Column("hr_position_date", sa.Date))
    op.add_column("employees", sa.Column("hr_position_time", sa.DateTime(timezone=True)))
    op.add_column("employees", sa.Column("hr_position_seq", sa.BigInteger))
    op.create_table(
        "hr_log_snapshots",
        sa.Column("employee_id", sa.Text, primary_key=True),
        sa.Column("record", postgresql.JSONB, nullable=False),
        sa.Column("position_date", sa.Date, nullable=False),
        sa.Column("position_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position_seq", sa.BigInteger, nullable=False),
        sa.Column("events_folded", sa.BigInteger, nullable=False),
        sa.Column("compacted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("hr_log_snapshots")
    op.drop_column("employees", "hr_position_seq")
    op.drop_column("employees", "hr_position_time")
    op.drop_column("employees", "hr_position_date")
