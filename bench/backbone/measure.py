"""The measurements: raw broker and PostgreSQL rates, then the backbone's own."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.backbone.workload import (
    BenchSettings,
    Record,
    Schemas,
    effects_handler,
    outbox_shaped_rows,
    outgoing_events,
)
from tandem_common.db.engine import create_engine, create_session_factory
from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.messaging.producer import RecordProducer
from tandem_common.migrations.runner import run_migrations
from tandem_common.outbox.relay import OutboxRelay, RelaySettings
from tandem_common.outbox.writer import OUTBOX_COLUMNS, publish_many_later
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.settings import TandemSettings, libpq_url
from tandem_testkit.harness import effects_metadata, topic_partitions

RAW_CONSUME_MAX_RECORDS = 2000
WRITE_CHUNK = 1000


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


async def raw_produce(bootstrap: str, topic: str, records: list[Record]) -> Rate:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="bench-raw-producer",
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(topic, value=value, key=key, headers=headers)
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)
        return Rate(len(records), time.perf_counter() - started)
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str, topic: str, expected: int) -> Rate:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="bench-raw-consumer",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        partitions = await topic_partitions(consumer, topic)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        received = 0
        started = time.perf_counter()
        while received < expected:
            batch = await consumer.getmany(timeout_ms=1000, max_records=RAW_CONSUME_MAX_RECORDS)
            received += sum(len(records) for records in batch.values())
        return Rate(received, time.perf_counter() - started)
    finally:
        await consumer.stop()


_OUTBOX_SHAPED_TABLE = """
CREATE TABLE {name} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic text NOT NULL, key text NOT NULL, ce_id text NOT NULL, ce_source text NOT NULL,
    ce_type text NOT NULL, ce_time timestamptz NOT NULL, ce_subject text, payload bytea,
    traceparent text, tracestate text,
    created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz
)
"""


async def raw_inserts(database_url: str, count: int, topic: str) -> tuple[Rate, Rate]:
    """COPY, then a pipelined ``executemany`` INSERT, of outbox-shaped rows."""
    rows = outbox_shaped_rows(count, topic)
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        await connection.execute(_OUTBOX_SHAPED_TABLE.format(name="raw_copy"))
        await connection.execute(_OUTBOX_SHAPED_TABLE.format(name="raw_insert"))
        started = time.perf_counter()
        await connection.copy_records_to_table("raw_copy", records=rows, columns=OUTBOX_COLUMNS)
        copy = Rate(count, time.perf_counter() - started)
        placeholders = ", ".join(f"${i}" for i in range(1, len(OUTBOX_COLUMNS) + 1))
        insert = f"INSERT INTO raw_insert ({', '.join(OUTBOX_COLUMNS)}) VALUES ({placeholders})"
        started = time.perf_counter()
        await connection.executemany(insert, rows)
        many = Rate(count, time.perf_counter() - started)
        return copy, many
    finally:
        await connection.close()


async def relay_throughput(
    database_url: str, settings: TandemSettings, schemas: Schemas, count: int, batch_size: int
) -> Rate:
    """Rows written beforehand; timed from the relay's start until none is unsent."""
    engine = create_engine(database_url, pool_size=4, application_name="bench-relay")
    producer = RecordProducer(settings, client_id="bench-relay")
    watcher = await asyncpg.connect(libpq_url(database_url))
    try:
        await run_migrations(engine, None)
        sessions = create_session_factory(engine)
        events = outgoing_events(schemas, count)
        for start in range(0, count, WRITE_CHUNK):
            async with UnitOfWork(sessions) as uow:
                await publish_many_later(uow.session, events[start : start + WRITE_CHUNK])
                await uow.commit()
        del events
        await watcher.execute("ANALYZE outbox")
        progress(f"relay: {count} outbox rows written; relaying")
        await producer.start()
        relay = OutboxRelay(
            engine,
            producer.send_many,
            service="bench",
            settings=RelaySettings(batch_size=batch_size),
        )
        started = time.perf_counter()
        task = asyncio.create_task(relay.run(), name="bench-relay")
        try:
            await _until(lambda: _unsent_is_zero(watcher), what="the outbox to drain", task=task)
            elapsed = time.perf_counter() - started
        finally:
            relay.stop()
            await asyncio.wait_for(task, timeout=30)
        return Rate(count, elapsed)
    finally:
        await watcher.close()
        await producer.stop()
        await engine.dispose()


async def _unsent_is_zero(connection: asyncpg.Connection) -> bool:
    return await connection.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0


@dataclass(frozen=True)
class ConsumerResult:
    rate: Rate
    join_seconds: float


async def consumer_throughput(
    database_url: str,
    settings: BenchSettings,
    schemas: Schemas,
    count: int,
    *,
    with_outbox: bool,
) -> ConsumerResult:
    """A service runtime consuming ``count`` pings that are already on the topic.

    Timed from the partition assignment (the group join is excluded) until the
    consumer has applied ``count`` events.
    """
    engine = create_engine(database_url, pool_size=1, application_name="bench-setup")
    async with engine.begin() as connection:
        await connection.run_sync(effects_metadata.create_all)
    await engine.dispose()
    runtime = ServiceRuntime(
        settings.model_copy(update={"database_url": database_url}),
        topics=[schemas.ping.topic, schemas.pong.topic],
    )
    runtime.consume(
        schemas.ping.topic,
        effects_handler(schemas, with_outbox=with_outbox),
        schemas.consumer_registry(),
        name=f"bench-{uuid.uuid4().hex[:8]}",
    )
    started = time.perf_counter()
    try:
        await runtime.start()
        [consumer] = runtime.consumers
        await _until(lambda: _true(consumer.joined), what="the consumer group join", every=0.005)
        joined = time.perf_counter()
        await _until(lambda: _true(consumer.processed >= count), what="the consumer", every=0.01)
        elapsed = time.perf_counter() - joined
        if consumer.dead_lettered:
            raise RuntimeError(f"{consumer.dead_lettered} events were dead-lettered")
        return ConsumerResult(Rate(consumer.processed, elapsed), joined - started)
    finally:
        await runtime.stop()


async def _true(value: bool) -> bool:
    return value


async def _until(
    condition: Callable[[], Awaitable[bool]],
    *,
    what: str,
    every: float = 0.02,
    limit_seconds: float = 600.0,
    task: asyncio.Task[None] | None = None,
) -> None:
    deadline = time.monotonic() + limit_seconds
    while not await condition():
        if task is not None and task.done():
            task.result()
            raise RuntimeError(f"{what}: the task ended early")
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(every)
