"""A minimal service used to exercise the backbone against real infrastructure.

It consumes ``tandem.test.ping.v1`` events, records one row per applied event in an
``effects`` table, and publishes one ``tandem.test.pong.v1`` per ping through the
outbox. Each test gets its own topics, so schemas are made per test. The table and the
handler's work are ``tandem_testkit.harness``'s, which the backbone benchmark runs too.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.envelope import CloudEvent, encode_binary
from tandem_common.events.registry import EventRegistry
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.settings import ServiceSettings
from tandem_testkit.harness import PingData, effects, effects_metadata, record_effects
from tests.support.kafka import create_topics, unique_topic


class BackboneTestSettings(ServiceSettings):
    service_name: ClassVar[str] = "backbonetest"


@dataclass
class Schemas:
    ping: type[PingData]
    pong: type[PingData]
    in_topic: str
    out_topic: str

    def registry(self) -> EventRegistry:
        return EventRegistry([self.ping, self.pong])


def make_schemas(in_topic: str, out_topic: str) -> Schemas:
    return Schemas(
        PingData.on_topic("PingV1", "tandem.test.ping.v1", in_topic),
        PingData.on_topic("PongV1", "tandem.test.pong.v1", out_topic),
        in_topic,
        out_topic,
    )


async def ping_service_ready(bootstrap: str, database_url: str) -> Schemas:
    """Schemas on two new topics, the topics created, and the ``effects`` table made."""
    schemas = make_schemas(unique_topic("pings"), unique_topic("pongs"))
    await create_topics(bootstrap, [schemas.in_topic, schemas.out_topic])
    await create_effects_table(database_url)
    return schemas


def ping_record(
    n: int, *, employee: str = "E1", event_id: str | None = None, traceparent: str | None = None
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    event = CloudEvent(
        id=event_id or f"ping-{n}",
        source="tests/backbone",
        type="tandem.test.ping.v1",
        time=datetime.now(UTC),
        data={"employee_id": employee, "n": n},
        traceparent=traceparent,
    )
    value, headers = encode_binary(event)
    return employee.encode(), value, headers


def make_handler(
    schemas: Schemas, before: Callable[[Sequence[ReceivedEvent]], Awaitable[None]] | None = None
) -> Callable[[UnitOfWork, Sequence[ReceivedEvent]], Awaitable[None]]:
    async def handle(uow: UnitOfWork, events: Sequence[ReceivedEvent]) -> None:
        if before is not None:
            await before(events)
        await record_effects(uow, events, pong=schemas.pong, source="tandem/backbonetest")

    return handle


# Quick retries and group joins: the embedded broker joins a group in about half the
# session timeout, and tests should see a stall within a second or two.
FAST_TEST_SETTINGS: dict[str, Any] = {
    "retry_initial_seconds": 0.05,
    "retry_max_seconds": 0.5,
    "retry_attempts_before_not_ready": 3,
    "outbox_poll_seconds": 0.2,
    "consumer_batch_timeout_ms": 50,
    "consumer_session_timeout_ms": 6000,
    "consumer_heartbeat_interval_ms": 500,
}


def settings_for(database_url: str, bootstrap: str, **overrides: Any) -> BackboneTestSettings:
    return BackboneTestSettings(
        **{**FAST_TEST_SETTINGS, "database_url": database_url, "kafka_bootstrap": bootstrap, **overrides}
    )


async def create_effects_table(database_url: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(effects_metadata.create_all)
    await engine.dispose()


def build_runtime(
    settings: BackboneTestSettings,
    schemas: Schemas,
    *,
    consume: bool = True,
    before: Callable[[Sequence[ReceivedEvent]], Awaitable[None]] | None = None,
    consumer_name: str | None = None,
) -> ServiceRuntime:
    """A runtime whose consumer group is new unless ``consumer_name`` is given.

    A group that outlived an earlier run would make the join wait for its dead members.
    """
    runtime = ServiceRuntime(settings, topics=[schemas.in_topic, schemas.out_topic])
    if consume:
        runtime.consume(
            schemas.in_topic,
            make_handler(schemas, before),
            schemas.registry(),
            name=consumer_name or f"backbonetest-{new_id()[:8]}",
        )
    return runtime


async def started(runtime: ServiceRuntime) -> ServiceRuntime:
    """``runtime`` started, once every consumer has joined its group."""
    await runtime.start()

    async def joined() -> bool:
        return all(consumer.joined for consumer in runtime.consumers)

    await wait_until(joined, timeout=30)
    return runtime


async def started_ping_service(
    database_url: str, bootstrap: str, schemas: Schemas, **options: Any
) -> ServiceRuntime:
    """The ping service on the fast test settings, started and joined (``build_runtime``'s options)."""
    return await started(build_runtime(settings_for(database_url, bootstrap), schemas, **options))


async def count_effects(database_url: str) -> dict[str, int]:
    """How many effect rows each event id has."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(effects.c.ce_id, func.count()).group_by(effects.c.ce_id))
            return {ce_id: count for ce_id, count in rows}
    finally:
        await engine.dispose()


async def scalar(database_url: str, sql: str, **params: Any) -> Any:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()
    finally:
        await engine.dispose()


async def wait_until(
    condition: Callable[[], Awaitable[bool]], timeout: float = 30.0, every: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(every)
    raise TimeoutError("condition not met in time")


def new_id() -> str:
    return uuid.uuid4().hex
