"""Engagement: relationship health of each match.

Revision ID: engagement_0002
Revises: engagement_0001
Create Date: 2026-12-11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "engagement_0002"
down_revision = "engagement_0001"
branch_labels = None
depends_on = None

Id = sa.Text(collation="C")


def upgrade() -> None:
    op.create_table(
        "match_health",
        sa.Column("match_id", Id, primary_key=True),
        sa.Column("program_id", Id, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("band", sa.Text, nullable=False),
        sa.Column("factors", postgresql.JSONB, nullable=False),
        sa.Column("formula_version", sa.Integer, nullable=False),
        sa.Column("computed_on", sa.Date, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("band_changes", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("match_health")
