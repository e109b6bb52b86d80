"""Retention of the backbone tables: sent outbox rows and inbox rows past their window.

Each purge deletes the oldest rows first in batches of ``batch_size``, each batch in a
transaction of its own, and goes on until no row older than the cutoff is left: a
run keeps up with any ingestion rate, yet never holds locks on more than one batch
or for longer than one short statement. The cutoff is fixed when a run starts, so a
run ends even while new rows keep ageing past the window.

The windows (``ServiceSettings``):

- ``outbox_retain_sent_seconds``: a sent row is no longer needed by anyone; it is kept
  a while to look into what was published. Unsent rows are never purged.
- ``inbox_retain_seconds``: an inbox row is what turns a redelivery into a no-op. A
  redelivery that arrives after its row was purged is applied again, so the window
  must exceed the longest a record can stay readable in the broker (topic retention
  plus one segment roll) with a margin.

Rows are chosen with ``FOR UPDATE SKIP LOCKED``, so two replicas purging at once
share the work, and a row another transaction holds (erasure nulling a payload) is
left for the next run instead of being waited on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_common.runtime.tasks import succeeded
from tandem_common.settings import ServiceSettings

log = logging.getLogger(__name__)

_CUTOFF = text("SELECT now() - make_interval(secs => :age)")


def _purge_oldest(table: str, row_address: str, age_column: str) -> TextClause:
    """Deletes one batch of ``table``'s rows older than the cutoff, oldest by ``age_column`` first.

    The batch is chosen and locked by ``row_address``, and deleted by it in the same
    statement.
    """
    return text(
        f"""
        DELETE FROM {table} WHERE {row_address} = ANY(ARRAY(
            SELECT {row_address} FROM {table}
            WHERE {age_column} < :cutoff
            ORDER BY {age_column}
            LIMIT :batch_size
            FOR UPDATE SKIP LOCKED
        ))
        """
    )


# Through the partial index outbox_sent; ids make the delete an index lookup.
_PURGE_SENT_OUTBOX = _purge_oldest("outbox", "id", "sent_at")
# Through inbox_processed_at; inbox rows are never updated, so the row addresses read
# under the lock are still the rows' addresses when they are deleted.
_PURGE_INBOX = _purge_oldest("inbox", "ctid", "processed_at")


@dataclass(frozen=True)
class RetentionPolicy:
    outbox_retain_sent_seconds: float
    inbox_retain_seconds: float
    batch_size: int

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> RetentionPolicy:
        return cls(
            outbox_retain_sent_seconds=settings.outbox_retain_sent_seconds,
            inbox_retain_seconds=settings.inbox_retain_seconds,
            batch_size=settings.purge_batch_size,
        )


@dataclass(frozen=True)
class Purged:
    rows: int
    batches: int  # transactions, the last of which found nothing left


@dataclass(frozen=True)
class RetentionReport:
    outbox: Purged
    inbox: Purged


async def purge_sent_outbox(engine: AsyncEngine, older_than_seconds: float, batch_size: int) -> Purged:
    """Delete outbox rows sent more than ``older_than_seconds`` ago."""
    return await _purge(engine, _PURGE_SENT_OUTBOX, older_than_seconds, batch_size)


async def purge_inbox(engine: AsyncEngine, older_than_seconds: float, batch_size: int) -> Purged:
    """Delete inbox rows processed more than ``older_than_seconds`` ago."""
    return await _purge(engine, _PURGE_INBOX, older_than_seconds, batch_size)


async def purge_expired(engine: AsyncEngine, policy: RetentionPolicy) -> RetentionReport:
    return RetentionReport(
        outbox=await purge_sent_outbox(engine, policy.outbox_retain_sent_seconds, policy.batch_size),
        inbox=await purge_inbox(engine, policy.inbox_retain_seconds, policy.batch_size),
    )


async def purge_periodically(engine: AsyncEngine, policy: RetentionPolicy, interval_seconds: float) -> None:
    """The retention job of every service runtime: purge, report success, wait, again."""
    while True:
        started = time.perf_counter()
        report = await purge_expired(engine, policy)
        succeeded()
        if report.outbox.rows or report.inbox.rows:
            log.info(
                "purged expired backbone rows",
                extra={
                    "outbox_rows": report.outbox.rows,
                    "inbox_rows": report.inbox.rows,
                    "seconds": round(time.perf_counter() - started, 3),
                },
            )
        await asyncio.sleep(interval_seconds)


async def _purge(
    engine: AsyncEngine, statement: TextClause, older_than_seconds: float, batch_size: int
) -> Purged:
    async with engine.connect() as connection:
        cutoff: datetime = (await connection.execute(_CUTOFF, {"age": older_than_seconds})).scalar_one()
    rows = batches = 0
    while True:
        async with engine.begin() as connection:
            result = await connection.execute(statement, {"cutoff": cutoff, "batch_size": batch_size})
        batches += 1
        rows += result.rowcount
        # Every row the batch chose was locked by it, so a short batch means no
        # unlocked row older than the cutoff is left (locked ones wait for the next run).
        if result.rowcount < batch_size:
            return Purged(rows, batches)
