"""The inbox: which events a consumer has already applied."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_CLAIM = text(
    """
    INSERT INTO inbox (consumer, ce_source, ce_id, key)
    SELECT :consumer, source, id, key
    FROM unnest(CAST(:sources AS text[]), CAST(:ids AS text[]), CAST(:keys AS text[]))
        AS incoming(source, id, key)
    ON CONFLICT DO NOTHING
    RETURNING ce_source, ce_id
    """
)


async def claim_new(
    session: AsyncSession, consumer: str, events: Sequence[tuple[str, str, str | None]]
) -> set[tuple[str, str]]:
    """Record ``(source, id, key)`` triples; returns the ``(source, id)`` pairs that were new.

    A concurrent claim of the same event by another consumer of the group waits on the
    primary key until that transaction ends, and then sees the event as already taken.
    """
    if not events:
        return set()
    result = await session.execute(
        _CLAIM,
        {
            "consumer": consumer,
            "sources": [source for source, _, _ in events],
            "ids": [event_id for _, event_id, _ in events],
            "keys": [key for _, _, key in events],
        },
    )
    return {(row.ce_source, row.ce_id) for row in result}
