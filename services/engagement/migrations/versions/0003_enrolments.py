"""Engagement: the enrolments of each program, from matching.events.

Revision ID: engagement_0003
Revises: engagement_0002
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "engagement_0003"
down_revision = "engagement_0002"
branch_labels = None
depends_on = None

Id = sa.Text(collation="C")


def upgrade() -> None:
    op.create_table(
        "enrolments",
        sa.Column("program_id", Id, nullable=False),
        sa.Column("employee_id", Id, nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("program_id", "employee_id"),
    )
    op.create_index("enrolments_employee", "enrolments", ["employee_id"])


def downgrade() -> None:
    op.drop_index("enrolments_employee", table_name="enrolments")
    op.drop_table("enrolments")
