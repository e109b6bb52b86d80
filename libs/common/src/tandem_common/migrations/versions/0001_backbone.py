"""Backbone tables: outbox and inbox.

Revision ID: backbone_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "backbone_0001"
down_revision = None
branch_labels = ("backbone",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("ce_id", sa.Text, nullable=False),
        sa.Column("ce_source", sa.Text, nullable=False),
        sa.Column("ce_type", sa.Text, nullable=False),
        sa.Column("ce_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ce_subject", sa.Text, nullable=True),
        sa.Column("payload", sa.LargeBinary, nullable=True),
        sa.Column("traceparent", sa.Text, nullable=True),
        sa.Column("tracestate", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("outbox_unsent", "outbox", ["id"], postgresql_where=sa.text("sent_at IS NULL"))
    op.create_index("outbox_key", "outbox", ["key"])
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("ce_source", sa.Text, nullable=False),
        sa.Column("ce_id", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("consumer", "ce_source", "ce_id", name="inbox_pkey"),
    )
    op.create_index("inbox_key", "inbox", ["key"])


def downgrade() -> None:
    op.drop_table("inbox")
    op.drop_table("outbox")
