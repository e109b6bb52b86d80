"""Bad records and a failing database never stall HR ingestion (backbone hardening, defects 1, 3, 7, 10a).

Each test puts the bad input in front of good events on the same key and asserts that
the good ones are applied within seconds, that nothing good is dead-lettered, and
that no reason exceeds 512 bytes or quotes the rejected value.
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from tandem_common.envelope import STRUCTURED_CONTENT_TYPE
from tandem_common.messaging.dead_letter import MAX_REASON_BYTES
from tandem_common.settings import libpq_url
from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import scalar, wait_until
from tests.support.kafka import create_topics, headers_of, produce, read_all
from tests.support.profiles import ProfilesUnderTest, hire_data, hired, record

EMAIL = "leaked.person@example.com"


async def _start_with(service: ProfilesUnderTest, records) -> None:  # type: ignore[no-untyped-def]
    await create_topics(service.infrastructure.kafka_bootstrap, [service.hr_topic])
    await produce(service.infrastructure.kafka_bootstrap, service.hr_topic, records)
    await service.start()


async def _employees(database_url: str) -> int:
    return int(await scalar(database_url, "SELECT count(*) FROM employees"))


def _assert_safe(letter, *forbidden: bytes) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    headers = headers_of(letter)
    reason = headers["x-error-reason"]
    assert len(reason) <= MAX_REASON_BYTES
    for text in forbidden:
        assert text not in reason
    return headers


async def test_a_600_kb_timezone_is_dead_lettered_whole_and_the_101_good_events_behind_it_apply(
    infrastructure: Infrastructure, database_url: str
) -> None:
    huge = "x" * 600_000
    bad = record("hired", hire_data("E0000", timezone=huge))
    records = [bad, hired("E0000"), *(hired(f"E{n:04d}") for n in range(1, 101))]
    service = ProfilesUnderTest(infrastructure, database_url)
    started = time.monotonic()
    await _start_with(service, records)
    try:
        await wait_until(lambda: _count_is(database_url, 101), timeout=30)
        elapsed = time.monotonic() - started
        letters = await read_all(
            infrastructure.kafka_bootstrap, f"{service.hr_topic}.dlq", expected=1, timeout=10
        )
        assert service.consumer.ready
    finally:
        await service.stop()
    assert elapsed < 30
    assert len(letters) == 1
    headers = _assert_safe(letters[0], b"xxxxxxxx")
    assert headers["x-error-reason"] == b"field timezone: is not an IANA time zone name"
    assert headers["x-error-stage"] == b"validate"
    assert letters[0].value == bad[1]  # the original, byte for byte
    assert service.consumer.dead_lettered == 1


async def _count_is(database_url: str, expected: int) -> bool:
    return await _employees(database_url) == expected


async def test_a_dead_letter_the_broker_refuses_becomes_a_stub_and_never_blocks(
    infrastructure: Infrastructure, database_url: str
) -> None:
    """The original fits a producer allowed 2 MiB; the service's dead letter does not fit its 1 MiB."""
    service = ProfilesUnderTest(infrastructure, database_url)
    await create_topics(infrastructure.kafka_bootstrap, [service.hr_topic])
    big = orjson.dumps(hire_data("E0001", display_name="y" * 1_100_000))
    key, _, headers = hired("E0001")
    producer = AIOKafkaProducer(
        bootstrap_servers=infrastructure.kafka_bootstrap, enable_idempotence=False, max_request_size=4 << 20
    )
    await producer.start()
    try:
        await (await producer.send(service.hr_topic, value=big, key=key, headers=headers, partition=0))
    finally:
        await producer.stop()
    await produce(infrastructure.kafka_bootstrap, service.hr_topic, [hired("E0001"), hired("E0002")])
    await service.start()
    try:
        await wait_until(lambda: _count_is(database_url, 2), timeout=30)
        letters = await read_all(
            infrastructure.kafka_bootstrap, f"{service.hr_topic}.dlq", expected=1, timeout=10
        )
    finally:
        await service.stop()
    assert len(letters) == 1
    headers_out = _assert_safe(letters[0], b"yyyyyyyy")
    assert letters[0].value is None
    assert letters[0].key == b"E0001"
    assert headers_out["x-error-stage"] == b"validate"
    assert headers_out["x-error-reason"] == b"field display_name: String should have at most 200 characters"
    assert headers_out["x-error-value-dropped"].startswith(b"the broker refused the dead letter")
    assert headers_out["ce_type"] == b"tandem.hr.employee.hired.v1"


async def test_structured_events_with_a_deep_extension_or_a_numeric_traceparent_go_to_the_dlq_at_decode(
    infrastructure: Infrastructure, database_url: str
) -> None:
    base = {
        "specversion": "1.0",
        "source": "workday/acme-test",
        "type": "tandem.hr.employee.hired.v1",
        "time": "2026-11-01T09:00:00Z",
        "data": hire_data("E0003"),
    }
    structured = [("content-type", STRUCTURED_CONTENT_TYPE.encode())]
    deep = (
        orjson.dumps({**base, "id": "deep"})[:-1] + b',"deep":' + b'{"n":' * 1010 + b"1" + b"}" * 1010 + b"}"
    )
    numeric_trace = orjson.dumps({**base, "id": "trace", "traceparent": 123})
    records = [(b"E0003", deep, structured), (b"E0003", numeric_trace, structured), hired("E0003")]
    service = ProfilesUnderTest(infrastructure, database_url)
    await _start_with(service, records)
    try:
        await wait_until(lambda: _count_is(database_url, 1), timeout=30)
        letters = await read_all(
            infrastructure.kafka_bootstrap, f"{service.hr_topic}.dlq", expected=2, timeout=10
        )
    finally:
        await service.stop()
    reasons = sorted(headers_of(letter)["x-error-reason"].decode() for letter in letters)
    assert [headers_of(letter)["x-error-stage"] for letter in letters] == [b"decode", b"decode"]
    assert reasons == [
        "attribute deep is not a string, integer or boolean",
        "attribute traceparent is not a string",
    ]


async def test_an_email_in_the_timezone_column_never_reaches_the_reason_or_the_logs(
    infrastructure: Infrastructure, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    service = ProfilesUnderTest(infrastructure, database_url)
    caplog.set_level(logging.DEBUG)
    await _start_with(service, [record("hired", hire_data("E0004", timezone=EMAIL)), hired("E0004")])
    try:
        await wait_until(lambda: _count_is(database_url, 1), timeout=30)
        letters = await read_all(
            infrastructure.kafka_bootstrap, f"{service.hr_topic}.dlq", expected=1, timeout=10
        )
    finally:
        await service.stop()
    headers = _assert_safe(letters[0], EMAIL.encode())
    assert headers["x-error-reason"] == b"field timezone: is not an IANA time zone name"
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "dead-lettered a message" in logged
    assert EMAIL not in logged


async def _read_only(infrastructure: Infrastructure, database: str, on: bool) -> None:
    """What a managed failover looks like: the database turns read-only; sessions are cut."""
    admin = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
    try:
        setting = "on" if on else "off"
        await admin.execute(f'ALTER DATABASE "{database}" SET default_transaction_read_only = {setting}')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()


async def test_a_database_that_turns_read_only_for_a_while_dead_letters_nothing(
    infrastructure: Infrastructure, database_url: str
) -> None:
    from sqlalchemy.engine import make_url

    database = make_url(database_url).database
    assert database is not None
    service = ProfilesUnderTest(infrastructure, database_url)
    await _start_with(service, [hired("E0999")])
    readiness: list[bool] = []
    try:
        await wait_until(lambda: _count_is(database_url, 1), timeout=30)
        await _read_only(infrastructure, database, True)
        await produce(
            infrastructure.kafka_bootstrap, service.hr_topic, [hired(f"F{n:03d}") for n in range(100)]
        )
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            readiness.append(service.consumer.ready)
            await asyncio.sleep(0.2)
        assert await _employees_direct(infrastructure, database) == 1
        await _read_only(infrastructure, database, False)
        await wait_until(lambda: _count_is(database_url, 101), timeout=30)
        await wait_until(lambda: _ready(service), timeout=10)
    finally:
        await service.stop()
    assert False in readiness  # it said so while it could not write
    assert service.consumer.dead_lettered == 0
    letters = await read_all(infrastructure.kafka_bootstrap, f"{service.hr_topic}.dlq", expected=1, timeout=3)
    assert letters == []


async def _ready(service: ProfilesUnderTest) -> bool:
    return service.consumer.ready


async def _employees_direct(infrastructure: Infrastructure, database: str) -> int:
    connection = await asyncpg.connect(libpq_url(infrastructure.database_url(database)))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM employees"))
    finally:
        await connection.close()
