"""Faults during HR ingestion: poison messages inside a batch, a database outage."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from tandem_common.settings import libpq_url
from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import scalar, wait_until
from tests.support.kafka import committed_offset, headers_of, produce, read_all
from tests.support.profiles import ProfilesUnderTest, hire_data, hired, published, record


async def test_one_poison_message_in_a_batch_of_500_leaves_the_other_499_applied_once(
    infrastructure: Infrastructure, database_url: str
) -> None:
    records = [hired(f"P{n:04d}") for n in range(500)]
    # Valid by the schema, but PostgreSQL cannot store a NUL character: the failure
    # only shows when the batch is written, so the batch is split to isolate it.
    records[250] = record("hired", hire_data("P0250", display_name="Bad\u0000Name"))
    # Invalid by the schema: dead-lettered before the batch is written.
    records[400] = record("hired", hire_data("P0400", seniority_level=42))
    service = ProfilesUnderTest(infrastructure, database_url, consumer_max_records=1000)
    await create_and_fill(service, records)
    try:
        await service.start()
        await service.wait_handled(500, timeout=60)
        letters = await read_all(
            infrastructure.kafka_bootstrap, f"{service.hr_topic}.dlq", expected=2, timeout=10
        )
    finally:
        await service.stop()
    events = await published(database_url)
    keys = [e["key"] for e in events]
    assert len(keys) == 498 and len(set(keys)) == 498
    assert "P0250" not in keys and "P0400" not in keys
    assert {e["data"]["profile_version"] for e in events} == {1}
    assert await scalar(database_url, "SELECT count(*) FROM employees") == 498
    stages = sorted(headers_of(letter)["x-error-stage"].decode() for letter in letters)
    assert stages == ["handle", "validate"]
    assert service.consumer.processed == 498
    assert service.consumer.dead_lettered == 2


async def create_and_fill(service: ProfilesUnderTest, records) -> None:  # type: ignore[no-untyped-def]
    from tests.support.kafka import create_topics

    await create_topics(service.infrastructure.kafka_bootstrap, [service.hr_topic])
    await produce(service.infrastructure.kafka_bootstrap, service.hr_topic, records)


async def _close_database(infrastructure: Infrastructure, database_url: str, closed: bool) -> None:
    name = make_url(database_url).database
    admin = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if closed else "true"}')
        if closed:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
    finally:
        await admin.close()


async def test_a_database_outage_mid_load_is_retried_and_every_hire_registered_once(
    infrastructure: Infrastructure, database_url: str
) -> None:
    service = ProfilesUnderTest(infrastructure, database_url, consumer_max_records=250)
    await service.start()
    try:
        await produce(
            infrastructure.kafka_bootstrap,
            service.hr_topic,
            [hired(f"D{n:04d}") for n in range(1000)],
        )

        async def some_applied() -> bool:
            return service.consumer.processed >= 250

        await wait_until(some_applied, timeout=30)
        await _close_database(infrastructure, database_url, True)
        await produce(
            infrastructure.kafka_bootstrap,
            service.hr_topic,
            [hired(f"D{n:04d}") for n in range(1000, 1500)],
        )

        async def stalled() -> bool:
            return service.consumer.stalled

        await wait_until(stalled, timeout=30)
        stalled_at = service.consumer.processed
        committed = await committed_offset(
            infrastructure.kafka_bootstrap, f"tandem-{service.group}", service.hr_topic
        )
        assert committed is not None and committed <= stalled_at < 1500
        await _close_database(infrastructure, database_url, False)
        await service.wait_handled(1500, timeout=60)
    finally:
        await _close_database(infrastructure, database_url, False)
        await service.stop()
    events = await published(database_url)
    assert len(events) == 1500
    assert len({e["key"] for e in events}) == 1500
    assert {(e["type"], e["data"]["profile_version"]) for e in events} == {("registered", 1)}
