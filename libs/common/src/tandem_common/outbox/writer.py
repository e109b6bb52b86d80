"""``publish_later``: an event joins the caller's transaction as an outbox row."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_common.db.bulk import copy_rows
from tandem_common.db.tables import OUTBOX_CHANNEL, outbox
from tandem_common.events.registry import EventSchema
from tandem_common.telemetry.propagation import current_trace_headers


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    """An event to publish: its typed data and the envelope attributes it needs."""

    data: EventSchema
    source: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    # The trace context the event continues: by default the span active when the
    # event was created, so the relay's publish span joins the same trace.
    trace_headers: dict[str, str] = field(default_factory=current_trace_headers)

    def record(self) -> tuple[Any, ...]:
        """The outbox row, in the order of ``OUTBOX_COLUMNS``."""
        trace_headers = self.trace_headers
        return (
            self.data.topic,
            self.data.key(),
            self.id,
            self.source,
            self.data.ce_type,
            self.time,
            self.subject,
            orjson.dumps(self.data.model_dump(mode="json")),
            trace_headers.get("traceparent"),
            trace_headers.get("tracestate"),
        )


OUTBOX_COLUMNS = (
    "topic",
    "key",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_subject",
    "payload",
    "traceparent",
    "tracestate",
)


async def publish_later(session: AsyncSession, event: OutgoingEvent) -> None:
    """Insert ``event`` into the outbox inside the caller's open transaction."""
    await publish_many_later(session, [event])


async def publish_many_later(session: AsyncSession, events: Sequence[OutgoingEvent]) -> None:
    """Insert ``events`` in one statement; the relay is woken when the transaction commits."""
    if not events:
        return
    await copy_rows(session, outbox.name, OUTBOX_COLUMNS, [event.record() for event in events])
    # NOTIFY is delivered at commit and folded into one per transaction, so a rolled
    # back transaction wakes nobody.
    await session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
