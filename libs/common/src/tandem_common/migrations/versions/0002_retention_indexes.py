"""Indexes for the retention purges: sent outbox rows by sent_at, inbox rows by processed_at.

The inbox already stamps each row with ``processed_at`` (the time it was received and
applied, defaulting to now()), so no new column is needed, only the index that lets
the purge find the oldest rows without reading the whole table. The outbox index
covers sent rows only: unsent rows are found through ``outbox_unsent``.

Plain CREATE INDEX: migrations run in one transaction under an advisory lock, which
CREATE INDEX CONCURRENTLY cannot join. On a large inbox this holds writes to it
for the duration of the build, once, at the first start-up of this version.

Revision ID: backbone_0002
Revises: backbone_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "backbone_0002"
down_revision = "backbone_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("outbox_sent", "outbox", ["sent_at"], postgresql_where=sa.text("sent_at IS NOT NULL"))
    op.create_index("inbox_processed_at", "inbox", ["processed_at"])


def downgrade() -> None:
    op.drop_index("inbox_processed_at", table_name="inbox")
    op.drop_index("outbox_sent", table_name="outbox")
