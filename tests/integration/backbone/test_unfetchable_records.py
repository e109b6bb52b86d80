"""A consuming task that fails is restarted, and records aiokafka cannot fetch are read past.

Both run on the real embedded broker and database: the failure is in aiokafka's fetch,
below anything a fake broker would exercise.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.record.default_records import _DefaultRecordBatchBuilderPy

from tandem_common.messaging.consumer import ReliableConsumer
from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import (
    count_effects,
    new_id,
    ping_record,
    ping_service_ready,
    started_ping_service,
    wait_until,
)
from tests.support.kafka import RawName, committed_offset, headers_of, produce, read_all

BAD_NAME = b"\xff\xfe"
RESTART_MESSAGE = "the consuming task failed; restarting it from the committed offsets"


async def produce_one_batch(bootstrap: str, topic: str, records: Sequence[Any]) -> None:
    """``records`` in one producer batch on partition 0, header names as given.

    The producer's compiled batch builder encodes header names itself, so the batch is
    built by aiokafka's pure-Python builder, which lets a name carry raw bytes.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        batch = producer.create_batch()
        batch._builder = _DefaultRecordBatchBuilderPy(2, 0, 0, -1, -1, 0, 1 << 20)
        for key, value, headers in records:
            assert batch.append(timestamp=None, key=key, value=value, headers=headers) is not None
        batch.close()
        await (await producer.send_batch(batch, topic, partition=0))
    finally:
        await producer.stop()


@pytest.fixture
def failures(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Each ``consuming_failed`` call: the error's type, and readiness right after it."""
    seen: list[tuple[str, bool]] = []
    original = ReliableConsumer.consuming_failed

    def spy(self: ReliableConsumer, error: BaseException) -> None:
        original(self, error)
        seen.append((type(error).__name__, self.ready))

    monkeypatch.setattr(ReliableConsumer, "consuming_failed", spy)
    return seen


def effects_are(database_url: str, expected: dict[str, int]) -> Any:
    async def check() -> bool:
        return await count_effects(database_url) == expected

    return check


def restart_logs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == RESTART_MESSAGE]


async def test_a_header_name_that_is_not_utf8_is_dead_lettered_and_its_batch_neighbours_applied(
    infrastructure: Infrastructure,
    database_url: str,
    failures: list[tuple[str, bool]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bootstrap = infrastructure.kafka_bootstrap
    schemas = await ping_service_ready(bootstrap, database_url)
    key, value, headers = ping_record(3)
    poisoned = (key, value, [*headers, (RawName(BAD_NAME), b"x")])
    batch = [ping_record(1), ping_record(2), poisoned, ping_record(4), ping_record(5)]
    await produce_one_batch(bootstrap, schemas.in_topic, batch)
    name = f"unfetchable-{new_id()[:8]}"
    runtime = await started_ping_service(database_url, bootstrap, schemas, consumer_name=name)
    try:
        consumer = runtime.consumers[0]
        await wait_until(effects_are(database_url, {f"ping-{n}": 1 for n in (1, 2, 4, 5)}), timeout=20)
        past_batch = await committed_offset(bootstrap, f"tandem-{name}", schemas.in_topic)
        # Consuming goes on normally after the repair.
        await produce(bootstrap, schemas.in_topic, [ping_record(6), ping_record(7)])
        expected = {f"ping-{n}": 1 for n in (1, 2, 4, 5, 6, 7)}
        await wait_until(effects_are(database_url, expected), timeout=20)
        letters = await read_all(bootstrap, f"{schemas.in_topic}.dlq", expected=1, timeout=10)
        ready_at_end = consumer.ready and (await runtime.readiness())["consumers"]
        committed_at_end = await committed_offset(bootstrap, f"tandem-{name}", schemas.in_topic)
    finally:
        await runtime.stop()

    assert await count_effects(database_url) == expected
    assert consumer.processed == 6
    assert past_batch is not None and past_batch >= 5
    assert committed_at_end == 7
    (letter,) = letters
    letter_headers = headers_of(letter)
    assert letter.key == key and letter.value is None
    assert letter_headers["x-error-stage"] == b"decode"
    assert b"header name is not UTF-8" in letter_headers["x-error-reason"]
    assert letter_headers["x-original-topic"] == schemas.in_topic.encode()
    assert (letter_headers["x-original-partition"], letter_headers["x-original-offset"]) == (b"0", b"2")
    assert all(name.startswith(("x-error-", "x-original-")) for name in letter_headers)
    # Red while the task was down, green once it consumed again.
    assert failures and all(not ready for _, ready in failures)
    assert failures[0][0] in {"UnicodeDecodeError", "UnreadableRecordError"}
    assert ready_at_end
    logged = restart_logs(caplog)
    assert logged and logged[0].levelno == logging.ERROR and logged[0].exc_info


async def test_an_unexpected_error_in_the_consuming_task_restarts_it_from_the_committed_offset(
    infrastructure: Infrastructure,
    database_url: str,
    failures: list[tuple[str, bool]],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fetch takes records off the partition and then fails, so their position has
    moved on: only a restart from the committed offset delivers them."""
    bootstrap = infrastructure.kafka_bootstrap
    schemas = await ping_service_ready(bootstrap, database_url)
    await produce(bootstrap, schemas.in_topic, [ping_record(n) for n in range(1, 6)])
    name = f"unfetchable-{new_id()[:8]}"
    original_getmany = AIOKafkaConsumer.getmany
    injected: list[int] = []

    async def getmany_failing_once(self: AIOKafkaConsumer, *partitions: Any, **options: Any) -> Any:
        fetched = await original_getmany(self, *partitions, **options)
        if fetched and not injected and any(tp.topic == schemas.in_topic for tp in fetched):
            injected.append(sum(len(records) for records in fetched.values()))
            raise RuntimeError("injected failure after the fetch")
        return fetched

    monkeypatch.setattr(AIOKafkaConsumer, "getmany", getmany_failing_once)
    runtime = await started_ping_service(database_url, bootstrap, schemas, consumer_name=name)
    try:
        consumer = runtime.consumers[0]
        await wait_until(effects_are(database_url, {f"ping-{n}": 1 for n in range(1, 6)}), timeout=20)
        await produce(bootstrap, schemas.in_topic, [ping_record(n) for n in range(6, 11)])
        expected = {f"ping-{n}": 1 for n in range(1, 11)}
        await wait_until(effects_are(database_url, expected), timeout=20)
        ready_at_end = consumer.ready and (await runtime.readiness())["consumers"]
        committed = await committed_offset(bootstrap, f"tandem-{name}", schemas.in_topic)
    finally:
        await runtime.stop()

    assert injected and injected[0] > 0
    assert await count_effects(database_url) == expected
    assert (consumer.processed, consumer.duplicates, consumer.dead_lettered) == (10, 0, 0)
    assert committed == 10
    assert failures == [("RuntimeError", False)]
    assert ready_at_end
    (logged,) = restart_logs(caplog)
    assert logged.levelno == logging.ERROR
    assert logged.exc_info is not None and "injected failure" in str(logged.exc_info[1])
