"""The backbone tables every service has in its own database: outbox and inbox.

They live on their own ``MetaData`` and in their own Alembic branch (``backbone``),
which each service's migration environment includes next to its own revisions.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)

backbone_metadata = MetaData()

outbox = Table(
    "outbox",
    backbone_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("topic", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("ce_id", Text, nullable=False),
    Column("ce_source", Text, nullable=False),
    Column("ce_type", Text, nullable=False),
    Column("ce_time", DateTime(timezone=True), nullable=False),
    Column("ce_subject", Text, nullable=True),
    # The data as encoded JSON, so the relay publishes bytes without re-encoding.
    Column("payload", LargeBinary, nullable=True),
    Column("traceparent", Text, nullable=True),
    Column("tracestate", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index("outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
    Index("outbox_key", "key"),
    # For the retention purge, which deletes the oldest sent rows first.
    Index("outbox_sent", "sent_at", postgresql_where=text("sent_at IS NOT NULL")),
)

inbox = Table(
    "inbox",
    backbone_metadata,
    Column("consumer", Text, nullable=False),
    Column("ce_source", Text, nullable=False),
    Column("ce_id", Text, nullable=False),
    Column("key", Text, nullable=True),
    # When the event was received and applied; the retention purge ages rows by it.
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "ce_source", "ce_id", name="inbox_pkey"),
    Index("inbox_key", "key"),
    Index("inbox_processed_at", "processed_at"),
)

OUTBOX_CHANNEL = "tandem_outbox"
