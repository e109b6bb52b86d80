"""Running the real profiles service against test infrastructure, and HR event records."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import orjson
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tandem_common.envelope import CloudEvent, decode, encode_binary
from tandem_common.events.hr import HR_EVENTS
from tandem_common.events.registry import EventRegistry
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.testing.backends import Infrastructure
from tandem_profiles.entrypoints.main import create_runtime
from tandem_profiles.service.hr_ingest import ingest_hr_events
from tandem_profiles.settings import ProfilesSettings
from tests.support.backbone import FAST_TEST_SETTINGS, new_id, wait_until
from tests.support.kafka import create_topics, unique_topic

BASE_TIME = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
_counter = itertools.count()


def hire_data(employee_id: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "employee_id": employee_id,
        "email": f"{employee_id.lower()}@example.com",
        "display_name": f"Person {employee_id}",
        "job_title": "Data Analyst",
        "department": "Finance",
        "manager_id": None,
        "location": {"country": "BR", "city": "Sao Paulo"},
        "timezone": "America/Sao_Paulo",
        "hire_date": "2020-03-01",
        "seniority_level": 3,
        "languages": ["pt", "en"],
    }
    data.update(overrides)
    return data


def record(
    kind: str, data: dict[str, Any], *, ce_id: str | None = None, minutes: int | None = None
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """An HR event record; ``minutes`` sets ``ce_time`` relative to a fixed base."""
    offset = next(_counter) if minutes is None else minutes
    event = CloudEvent(
        id=ce_id or f"{kind}-{new_id()}",
        source="workday/acme-test",
        type=f"tandem.hr.employee.{kind}.v1",
        time=BASE_TIME + timedelta(minutes=offset),
        data=data,
        subject=data.get("employee_id"),
    )
    value, headers = encode_binary(event)
    return str(data.get("employee_id", "")).encode(), value, headers


def hired(employee_id: str, **overrides: Any) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    return record("hired", hire_data(employee_id, **overrides))


def changed(employee_id: str, effective: str, reason: str = "promotion", **changes: Any):
    return record(
        "changed",
        {
            "employee_id": employee_id,
            "effective_date": effective,
            "reason": reason,
            "changes": changes,
        },
    )


def exited(employee_id: str, exit_date: str, reason: str = "voluntary"):
    return record("exited", {"employee_id": employee_id, "exit_date": exit_date, "reason": reason})


def settings_for(database_url: str, bootstrap: str, **overrides: Any) -> ProfilesSettings:
    return ProfilesSettings(
        **{**FAST_TEST_SETTINGS, "database_url": database_url, "kafka_bootstrap": bootstrap, **overrides}
    )


class ProfilesUnderTest:
    """The profiles service on its own HR topic and consumer group."""

    def __init__(self, infrastructure: Infrastructure, database_url: str, **overrides: Any) -> None:
        self.infrastructure = infrastructure
        self.database_url = database_url
        self.hr_topic = unique_topic("hr.employees")
        self.group = f"profiles-{new_id()[:8]}"
        self.settings = settings_for(database_url, infrastructure.kafka_bootstrap, **overrides)
        self.runtime: ServiceRuntime | None = None

    async def start(self) -> ServiceRuntime:
        await create_topics(self.infrastructure.kafka_bootstrap, [self.hr_topic])
        self.runtime = create_runtime(self.settings, hr_topic=self.hr_topic, consumer_name=self.group)
        await self.runtime.start()

        async def joined() -> bool:
            assert self.runtime is not None
            return all(c.joined for c in self.runtime.consumers)

        await wait_until(joined, timeout=30)
        return self.runtime

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()

    @property
    def consumer(self):  # type: ignore[no-untyped-def]
        assert self.runtime is not None
        return self.runtime.consumers[0]

    async def wait_handled(self, count: int, timeout: float = 30) -> None:
        async def done() -> bool:
            c = self.consumer
            return c.processed + c.duplicates + c.dead_lettered >= count

        await wait_until(done, timeout=timeout)


async def published(database_url: str, employee_id: str | None = None) -> list[dict[str, Any]]:
    """Events this service has published (its outbox), oldest first, decoded."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            sql = "SELECT key, ce_type, payload FROM outbox"
            params: dict[str, Any] = {}
            if employee_id is not None:
                sql += " WHERE key = :key"
                params["key"] = employee_id
            rows = (await connection.execute(text(sql + " ORDER BY id"), params)).all()
    finally:
        await engine.dispose()
    return [
        {
            "key": key,
            "type": ce_type.rsplit(".", 2)[-2],
            "data": orjson.loads(payload) if payload else None,
        }
        for key, ce_type, payload in rows
    ]


async def employee_row(database_url: str, employee_id: str) -> dict[str, Any] | None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        text("SELECT * FROM employees WHERE employee_id = :id"), {"id": employee_id}
                    )
                )
                .mappings()
                .first()
            )
    finally:
        await engine.dispose()
    return dict(row) if row else None


def consumer_records(
    topic: str, records: Sequence[tuple[bytes, bytes, list[tuple[str, bytes]]]], first_offset: int = 0
) -> list[ConsumerRecord]:  # type: ignore[type-arg]
    """``records`` as a consumer fetches them from partition 0, for ``handle_records``."""
    return [
        ConsumerRecord(topic, 0, first_offset + n, 0, 0, key, value, None, len(key), len(value), headers)
        for n, (key, value, headers) in enumerate(records)
    ]


def received_events(
    topic: str, records: Sequence[tuple[bytes, bytes, list[tuple[str, bytes]]]], first_offset: int = 0
) -> list[ReceivedEvent]:
    """``records`` decoded and validated, as the consumer hands them to the HR handler."""
    registry = EventRegistry(HR_EVENTS)
    events = []
    for record in consumer_records(topic, records, first_offset):
        envelope = decode(record.value, record.headers)
        events.append(
            ReceivedEvent(
                envelope=envelope,
                data=registry.validate(envelope),
                topic=topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key.decode(),
                record=record,
            )
        )
    return events


class LoopLagProbe:
    """The longest the event loop was held while the block ran, and the CPU time it used.

    A task sleeps ``interval`` seconds in a loop and records how late it woke up: the
    worst overshoot is the longest stretch no other task could run.
    """

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.worst = 0.0
        self.cpu_seconds = 0.0
        self.wall_seconds = 0.0
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._started = (0.0, 0.0)

    async def _probe(self) -> None:
        while self._running:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.worst = max(self.worst, time.perf_counter() - before - self.interval)

    async def __aenter__(self) -> LoopLagProbe:
        self._running = True
        self._task = asyncio.create_task(self._probe())
        await asyncio.sleep(self.interval * 2)
        self._started = (time.process_time(), time.perf_counter())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cpu_seconds = time.process_time() - self._started[0]
        self.wall_seconds = time.perf_counter() - self._started[1]
        self._running = False
        if self._task is not None:
            await self._task


async def started_runtime(
    infrastructure: Infrastructure, database_url: str, **overrides: Any
) -> ServiceRuntime:
    """The profiles runtime on a topic of its own, started without waiting to join its group.

    For tests that hand batches to the HR handler or to ``handle_records`` themselves.
    """
    runtime = create_runtime(
        settings_for(database_url, infrastructure.kafka_bootstrap, **overrides),
        hr_topic=unique_topic("hr.employees"),
        consumer_name=f"profiles-{new_id()[:8]}",
    )
    await runtime.start()
    return runtime


async def apply_batch(runtime: ServiceRuntime, events: list[ReceivedEvent]) -> None:
    """Apply ``events`` as one batch through the HR handler, in a unit of work of its own."""
    assert isinstance(runtime.settings, ProfilesSettings)
    time_slice_seconds = runtime.settings.hr_ingest_time_slice_ms / 1000
    async with runtime.unit_of_work() as uow:
        await ingest_hr_events(uow, events, source=runtime.source, time_slice_seconds=time_slice_seconds)
        await uow.commit()


async def ingest_batch(
    runtime: ServiceRuntime, records: Sequence[tuple[bytes, bytes, list[tuple[str, bytes]]]]
) -> None:
    await apply_batch(runtime, received_events("hr.test", records))
