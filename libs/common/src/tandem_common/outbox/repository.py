"""The outbox as a repository: what a unit of work publishes, and erasure's redaction.

The outbox table belongs to the backbone, so every statement on it lives in
``tandem_common`` (this module, the writer, the relay and the retention purge). A
service reaches it through its unit of work, ``uow.publish(...)`` and ``uow.outbox``,
never with SQL of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_common.outbox.writer import OutgoingEvent, publish_many_later

# Only rows already sent: an unsent row still has to be published by the relay, and
# the payload is what it publishes.
_REDACT_SENT = text(
    "UPDATE outbox SET payload = NULL, traceparent = NULL, tracestate = NULL "
    "WHERE key = :key AND sent_at IS NOT NULL AND payload IS NOT NULL"
)


class Outbox(Protocol):
    """What a use case may do with the outbox, inside the unit of work's transaction."""

    async def add(self, events: Sequence[OutgoingEvent]) -> None:
        """Queue ``events`` for the relay; they are published once the transaction commits."""
        ...

    async def redact_sent(self, key: str) -> int:
        """Drop the payload of every row of ``key`` already sent; returns how many rows."""
        ...


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, events: Sequence[OutgoingEvent]) -> None:
        await publish_many_later(self._session, events)

    async def redact_sent(self, key: str) -> int:
        result = await self._session.execute(_REDACT_SENT, {"key": key})
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
