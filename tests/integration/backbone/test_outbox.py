"""The transactional outbox against real PostgreSQL and the real broker."""

from __future__ import annotations

import asyncio
from collections import Counter

import orjson
import pytest

from tandem_common.db.engine import create_engine, create_session_factory
from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.messaging.producer import RecordProducer
from tandem_common.migrations.runner import run_migrations
from tandem_common.outbox.relay import OutboxRelay, RelaySettings
from tandem_common.outbox.writer import OutgoingEvent, publish_many_later
from tandem_common.retry import Backoff
from tandem_common.runtime.embedded_kafka import EmbeddedKafka, free_port
from tandem_common.runtime.tasks import TaskSupervisor
from tandem_common.settings import TandemSettings
from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import build_runtime, make_schemas, scalar, settings_for, wait_until
from tests.support.kafka import create_topics, headers_of, read_all, unique_topic
from tests.support.proxy import CuttableProxy


async def _migrated(database_url: str):
    engine = create_engine(database_url, pool_size=4)
    await run_migrations(engine, None)
    return engine


async def _outbox_ready(bootstrap: str, database_url: str, partitions: int = 1):
    """A new topic, its schemas, and the engine of the migrated database."""
    topic = unique_topic("outbox")
    await create_topics(bootstrap, [topic], partitions=partitions)
    return topic, make_schemas("unused", topic), await _migrated(database_url)


def _events(schemas, count: int, keys: int = 10, run: int = 1) -> list[OutgoingEvent]:
    """``count`` events over ``keys`` keys, each key in runs of ``run`` consecutive events."""
    return [
        OutgoingEvent(data=schemas.pong(employee_id=f"E{(i // run) % keys}", n=i), source="tests/outbox")
        for i in range(count)
    ]


async def _write(engine, events, *, commit: bool) -> None:
    async with UnitOfWork(create_session_factory(engine)) as uow:
        await publish_many_later(uow.session, events)
        if commit:
            await uow.commit()


async def _producer(infrastructure: Infrastructure) -> RecordProducer:
    producer = RecordProducer(
        TandemSettings(kafka_bootstrap=infrastructure.kafka_bootstrap, kafka_request_timeout_ms=3000),
        client_id="outbox-test",
    )
    await producer.start()
    return producer


class _slowed:
    """A producer whose sends take a little while, so two relays' passes overlap."""

    def __init__(self, producer: RecordProducer) -> None:
        self._producer = producer

    async def send_many(self, records):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.0005 * len(records))
        await self._producer.send_many(records)


def _relay(engine, producer: RecordProducer | _slowed) -> OutboxRelay:
    return OutboxRelay(
        engine,
        producer.send_many,
        service="outbox-test",
        settings=RelaySettings(batch_size=200, poll_seconds=0.1, backoff=Backoff(0.05, 0.5)),
    )


async def test_a_rolled_back_transaction_publishes_nothing_and_a_committed_one_publishes_each_row_once(
    infrastructure: Infrastructure, database_url: str
) -> None:
    topic, schemas, engine = await _outbox_ready(infrastructure.kafka_bootstrap, database_url)
    producer = await _producer(infrastructure)
    relay = _relay(engine, producer)
    task = asyncio.create_task(relay.run())
    try:
        rolled_back = _events(schemas, 5)
        await _write(engine, rolled_back, commit=False)
        committed = _events(schemas, 25)
        await _write(engine, committed, commit=True)
        await wait_until(lambda: _unsent_is(database_url, 0))
        records = await read_all(infrastructure.kafka_bootstrap, topic, expected=25, timeout=10)
    finally:
        relay.stop()
        await task
        await producer.stop()
        await engine.dispose()

    ids = [headers_of(r)["ce_id"].decode() for r in records]
    assert sorted(ids) == sorted(e.id for e in committed)
    assert not set(ids) & {e.id for e in rolled_back}
    assert await scalar(database_url, "SELECT count(*) FROM outbox") == 25
    first = records[0]
    headers = headers_of(first)
    assert headers["ce_type"] == b"tandem.test.pong.v1"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["content-type"] == b"application/json"
    # Per key, the order of publication is the order of writing.
    by_key: dict[bytes, list[int]] = {}
    for record in records:
        by_key.setdefault(record.key, []).append(int(record.value.split(b'"n":')[1].rstrip(b"}")))
    for numbers in by_key.values():
        assert numbers == sorted(numbers)


async def _unsent_is(database_url: str, expected: int) -> bool:
    return await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == expected


async def test_rows_wait_while_the_broker_is_unreachable_and_drain_after_it_returns(
    infrastructure: Infrastructure, database_url: str
) -> None:
    """The broker goes away (its connections cut) and comes back with its state.

    A restart of the embedded broker would also wipe its memory, so the outage is made
    with a proxy in front of a broker of this test's own that advertises the proxy.
    """
    if infrastructure.kafka is None:
        pytest.skip("the outage needs a broker this test starts itself (embedded backend)")
    proxy_port, broker_port = free_port(), free_port()
    broker = EmbeddedKafka("127.0.0.1", broker_port, advertised_port=proxy_port)
    broker.start()
    proxy = CuttableProxy(proxy_port, broker_port)
    await proxy.start()
    bootstrap = f"127.0.0.1:{proxy_port}"
    topic, schemas, engine = await _outbox_ready(bootstrap, database_url)
    producer = RecordProducer(
        TandemSettings(kafka_bootstrap=bootstrap, kafka_request_timeout_ms=3000),
        client_id="outbox-test",
    )
    await producer.start()
    relay = _relay(engine, producer)
    task = asyncio.create_task(relay.run())
    try:
        await proxy.cut()
        events = _events(schemas, 40)
        for start in range(0, 40, 10):
            await _write(engine, events[start : start + 10], commit=True)

        async def relay_reports_trouble() -> bool:
            return not relay.healthy

        await wait_until(relay_reports_trouble, timeout=30)
        assert await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 40
        await proxy.start()
        await wait_until(lambda: _unsent_is(database_url, 0), timeout=60)
        records = await read_all(bootstrap, topic, expected=40, timeout=15)
    finally:
        relay.stop()
        await task
        await producer.stop()
        await engine.dispose()
        await proxy.cut()
        broker.stop()
    assert Counter(headers_of(r)["ce_id"].decode() for r in records) == Counter(e.id for e in events)
    assert relay.healthy


async def test_two_relays_at_once_never_send_a_row_twice(
    infrastructure: Infrastructure, database_url: str
) -> None:
    topic, schemas, engine = await _outbox_ready(infrastructure.kafka_bootstrap, database_url, partitions=3)
    # Runs of one key let the second relay find rows whose older siblings are not held
    # by the first; interleaved keys would (rightly) serialise them behind it.
    events = _events(schemas, 3000, keys=50, run=60)
    for start in range(0, len(events), 500):
        await _write(engine, events[start : start + 500], commit=True)
    producer_a = await _producer(infrastructure)
    producer_b = await _producer(infrastructure)
    other_engine = create_engine(database_url, pool_size=4)
    relay_a, relay_b = (
        _relay(engine, _slowed(producer_a)),
        _relay(other_engine, _slowed(producer_b)),
    )
    tasks = [asyncio.create_task(relay_a.run()), asyncio.create_task(relay_b.run())]
    try:
        await wait_until(lambda: _unsent_is(database_url, 0), timeout=60)
        records = await read_all(infrastructure.kafka_bootstrap, topic, expected=3000, timeout=20)
    finally:
        relay_a.stop()
        relay_b.stop()
        await asyncio.gather(*tasks)
        await producer_a.stop()
        await producer_b.stop()
        await engine.dispose()
        await other_engine.dispose()
    counts = Counter(headers_of(r)["ce_id"].decode() for r in records)
    assert len(records) == 3000
    assert set(counts.values()) == {1}
    assert relay_a.published + relay_b.published == 3000
    assert relay_a.published > 0 and relay_b.published > 0
    by_key: dict[bytes, list[int]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(record.key, []).append(int(record.value.split(b'"n":')[1].rstrip(b"}")))
    for numbers in by_key.values():
        assert numbers == sorted(numbers)


class _FailingFirst:
    """A producer whose first ``failures`` sends raise errors that are no outage (bugs)."""

    def __init__(self, producer: RecordProducer, failures: int) -> None:
        self._producer = producer
        self.remaining = failures

    async def send_many(self, records):  # type: ignore[no-untyped-def]
        if self.remaining > 0:
            self.remaining -= 1
            raise (OverflowError if self.remaining % 2 else RuntimeError)("injected failure")
        await self._producer.send_many(records)


async def test_the_relay_keeps_relaying_after_its_pass_raised_many_times(
    infrastructure: Infrastructure, database_url: str
) -> None:
    topic, schemas, engine = await _outbox_ready(infrastructure.kafka_bootstrap, database_url)
    events = _events(schemas, 500)
    await _write(engine, events, commit=True)
    producer = await _producer(infrastructure)
    relay = _relay(engine, _FailingFirst(producer, 300))
    supervisor = TaskSupervisor(backoff=Backoff(0.0, 0.0))
    relay.supervise(supervisor)
    try:
        await wait_until(lambda: _unsent_is(database_url, 0), timeout=60)
        records = await read_all(infrastructure.kafka_bootstrap, topic, expected=500, timeout=15)
        health = supervisor.health()["outbox-test-outbox-relay"]
    finally:
        await supervisor.stop()
        await producer.stop()
        await engine.dispose()
    assert Counter(headers_of(r)["ce_id"].decode() for r in records) == Counter(e.id for e in events)
    assert relay.published == 500
    assert relay.healthy
    # Restarted after each of the 300 failures; the passes since then reset the count.
    assert (health.alive, health.restarts, health.failures, health.last_error) == (
        True,
        300,
        0,
        "RuntimeError",
    )
    by_key: dict[bytes, list[int]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(record.key, []).append(int(record.value.split(b'"n":')[1].rstrip(b"}")))
    for numbers in by_key.values():
        assert numbers == sorted(numbers)


async def test_rows_committed_just_before_a_stop_are_published_by_that_stop(
    infrastructure: Infrastructure, database_url: str
) -> None:
    """A graceful stop publishes what its process committed, not the next process."""
    topic = unique_topic("outbox")
    await create_topics(infrastructure.kafka_bootstrap, [topic])
    schemas = make_schemas(unique_topic("unused"), topic)
    runtime = build_runtime(
        settings_for(database_url, infrastructure.kafka_bootstrap), schemas, consume=False
    )
    await runtime.start()
    assert runtime.relay is not None and runtime.engine is not None
    # The relay loop is stopped first, as a slow pass would be when the stop comes.
    runtime.relay.stop()
    events = _events(schemas, 5)
    await _write(runtime.engine, events, commit=True)
    assert await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 5
    await runtime.stop()
    assert await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
    records = await read_all(infrastructure.kafka_bootstrap, topic, expected=5)
    assert sorted(orjson.loads(r.value)["n"] for r in records) == [0, 1, 2, 3, 4]
