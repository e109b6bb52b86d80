"""Retention of the backbone tables against real PostgreSQL (and the broker, for redelivery)."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_common.db.engine import create_engine
from tandem_common.db.retention import Purged, purge_inbox, purge_sent_outbox
from tandem_common.migrations.runner import run_migrations
from tandem_common.settings import libpq_url
from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import (
    build_runtime,
    count_effects,
    ping_record,
    ping_service_ready,
    scalar,
    settings_for,
    started,
    wait_until,
)
from tests.support.kafka import produce

DAY = 24 * 3600


async def _migrated(database_url: str) -> AsyncEngine:
    engine = create_engine(database_url, pool_size=4)
    await run_migrations(engine, None)
    return engine


async def _execute(database_url: str, sql: str, *args: object) -> None:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        await connection.execute(sql, *args)
    finally:
        await connection.close()


async def _outbox_rows(database_url: str, prefix: str, count: int, *, created: str, sent: str | None) -> None:
    """``count`` outbox rows with ids ``<prefix>-<n>``, created and sent that long ago."""
    sent_at = f"now() - interval '{sent}'" if sent is not None else "NULL"
    await _execute(
        database_url,
        f"""
        INSERT INTO outbox (topic, key, ce_id, ce_source, ce_type, ce_time, payload, created_at, sent_at)
        SELECT 'retention', 'E' || (n % 50), $1 || '-' || n, 'tests/retention', 'tandem.test.pong.v1',
               now(), '{{}}'::bytea, now() - interval '{created}', {sent_at}
        FROM generate_series(1, $2) AS n
        """,
        prefix,
        count,
    )


async def _inbox_rows(database_url: str, prefix: str, count: int, *, age: str) -> None:
    await _execute(
        database_url,
        """
        INSERT INTO inbox (consumer, ce_source, ce_id, key, processed_at)
        SELECT 'retention', 'tests/retention', $1 || '-' || n, 'E' || (n % 50), now() - $3::text::interval
        FROM generate_series(1, $2) AS n
        """,
        prefix,
        count,
        age,
    )


async def _count_by_prefix(database_url: str, table: str) -> dict[str, int]:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        rows = await connection.fetch(
            f"SELECT split_part(ce_id, '-', 1) AS prefix, count(*) FROM {table} GROUP BY 1"
        )
    finally:
        await connection.close()
    return {row["prefix"]: row["count"] for row in rows}


async def test_purging_25000_sent_rows_in_batches_of_1000_removes_them_all_and_keeps_unsent_and_recent_ones(
    database_url: str,
) -> None:
    engine = await _migrated(database_url)
    try:
        await _outbox_rows(database_url, "old", 25_000, created="2 days", sent="2 days")
        await _outbox_rows(database_url, "stuck", 40, created="3 days", sent=None)
        await _outbox_rows(database_url, "recent", 30, created="2 hours", sent="1 minute")
        purged = await purge_sent_outbox(engine, older_than_seconds=DAY, batch_size=1000)
        again = await purge_sent_outbox(engine, older_than_seconds=DAY, batch_size=1000)
    finally:
        await engine.dispose()
    # 25 full batches, then one that finds nothing left: one run, however many rows.
    assert purged == Purged(rows=25_000, batches=26)
    assert again == Purged(rows=0, batches=1)
    assert await _count_by_prefix(database_url, "outbox") == {"stuck": 40, "recent": 30}


async def test_inbox_rows_older_than_the_window_are_purged_in_batches(database_url: str) -> None:
    engine = await _migrated(database_url)
    try:
        await _inbox_rows(database_url, "old", 2_500, age="16 days")
        await _inbox_rows(database_url, "inside", 100, age="14 days")
        await _inbox_rows(database_url, "new", 20, age="1 second")
        purged = await purge_inbox(engine, older_than_seconds=15 * DAY, batch_size=1000)
    finally:
        await engine.dispose()
    assert purged == Purged(rows=2_500, batches=3)
    assert await _count_by_prefix(database_url, "inbox") == {"inside": 100, "new": 20}


async def test_a_row_locked_by_another_transaction_is_left_for_the_next_run_not_waited_for(
    database_url: str,
) -> None:
    engine = await _migrated(database_url)
    await _outbox_rows(database_url, "old", 300, created="2 days", sent="2 days")
    holder = await asyncpg.connect(libpq_url(database_url))
    try:
        holding = holder.transaction()
        await holding.start()
        await holder.execute("UPDATE outbox SET payload = NULL WHERE ce_id = 'old-7'")
        async with asyncio.timeout(10):
            while_held = await purge_sent_outbox(engine, older_than_seconds=DAY, batch_size=100)
        await holding.commit()
        after = await purge_sent_outbox(engine, older_than_seconds=DAY, batch_size=100)
    finally:
        await holder.close()
        await engine.dispose()
    assert while_held.rows == 299
    assert after == Purged(rows=1, batches=1)
    assert await scalar(database_url, "SELECT count(*) FROM outbox") == 0


async def test_the_runtime_purges_periodically_and_a_redelivery_inside_the_inbox_window_has_no_second_effect(
    infrastructure: Infrastructure, database_url: str
) -> None:
    schemas = await ping_service_ready(infrastructure.kafka_bootstrap, database_url)
    inside, outside = ping_record(1, event_id="inside"), ping_record(2, event_id="outside")
    settings = settings_for(database_url, infrastructure.kafka_bootstrap, retention_interval_seconds=0.2)
    assert settings.inbox_retain_seconds == 15 * DAY
    runtime = await started(build_runtime(settings, schemas))
    try:
        consumer = runtime.consumers[0]
        await produce(infrastructure.kafka_bootstrap, schemas.in_topic, [inside, outside])

        async def handled(count: int) -> bool:
            unsent = await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            return consumer.processed + consumer.duplicates >= count and unsent == 0

        await wait_until(lambda: handled(2))
        # Age one event's inbox row past the window and both pongs past theirs; the
        # runtime's retention job then purges exactly those rows and nothing else.
        await _execute(
            database_url, "UPDATE inbox SET processed_at = now() - interval '16 days' WHERE ce_id = 'outside'"
        )
        await _execute(database_url, "UPDATE outbox SET sent_at = now() - interval '2 days'")

        async def purged() -> bool:
            outbox = await scalar(database_url, "SELECT count(*) FROM outbox")
            return outbox == 0 and await _count_by_prefix(database_url, "inbox") == {"inside": 1}

        await wait_until(purged, timeout=10)
        readiness = await runtime.readiness()
        tasks = runtime.supervisor.health()

        await produce(infrastructure.kafka_bootstrap, schemas.in_topic, [inside, outside])
        await wait_until(lambda: handled(4))
    finally:
        await runtime.stop()
    # Inside the window the redelivery is recognised; past it, it is applied again,
    # which is why the window must exceed how long the broker keeps records.
    assert await count_effects(database_url) == {"inside": 1, "outside": 2}
    assert (consumer.processed, consumer.duplicates) == (3, 1)
    assert await scalar(database_url, "SELECT count(*) FROM outbox") == 1
    assert readiness["background_tasks"] is True
    assert sorted(tasks) == [
        "backbonetest-outbox-listen",
        "backbonetest-outbox-relay",
        "backbonetest-retention",
    ]
    assert all(health.alive and health.restarts == 0 for health in tasks.values())
