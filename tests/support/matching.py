"""Running the real matching service against test infrastructure.

The pool is fed by publishing ``profiles.events`` snapshots (``profile_snapshots``) to a
topic of the test's own, so the profiles service need not run. What matching publishes
is read back from ``matching.events`` with a plain Kafka client, by key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tandem_common.events.matching import MATCHING_TOPIC
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.testing.backends import Infrastructure
from tandem_matching.entrypoints.jobs import MatchLifecycleJob
from tandem_matching.entrypoints.main import build_app, create_runtime
from tandem_matching.settings import MatchingSettings
from tests.support.backbone import FAST_TEST_SETTINGS, new_id, wait_until
from tests.support.kafka import create_topics, headers_of, produce, read_all, unique_topic
from tests.support.profile_snapshots import Record


class MovableClock:
    """The service's clock in a test: real time shifted by ``offset``."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


class MatchingUnderTest:
    """The matching service on its own profiles topic and consumer group."""

    def __init__(self, infrastructure: Infrastructure, database_url: str, **overrides: Any) -> None:
        self.infrastructure = infrastructure
        self.database_url = database_url
        self.profiles_topic = unique_topic("profiles.events")
        self.group = f"matching-{new_id()[:8]}"
        # The lifecycle job runs when a test says so (``run_lifecycle``), not on a timer.
        self.settings = MatchingSettings(
            **{
                **FAST_TEST_SETTINGS,
                "match_lifecycle_interval_seconds": 3600,
                "database_url": database_url,
                "kafka_bootstrap": infrastructure.kafka_bootstrap,
                **overrides,
            }
        )
        self.clock = MovableClock()
        self.runtime: ServiceRuntime | None = None

    async def start(self) -> ServiceRuntime:
        await create_topics(self.infrastructure.kafka_bootstrap, [self.profiles_topic])
        self.runtime = create_runtime(
            self.settings, profiles_topic=self.profiles_topic, consumer_name=self.group, clock=self.clock
        )
        await self.runtime.start()

        async def joined() -> bool:
            assert self.runtime is not None
            return all(c.joined for c in self.runtime.consumers)

        await wait_until(joined, timeout=30)
        return self.runtime

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()

    def client(self) -> httpx.AsyncClient:
        assert self.runtime is not None
        app = build_app(self.runtime, self.settings, clock=self.clock)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://matching")

    @property
    def consumer(self):  # type: ignore[no-untyped-def]
        assert self.runtime is not None
        return self.runtime.consumers[0]

    async def publish_profiles(self, records: Sequence[Record]) -> None:
        """Publish profile events and wait until the consumer has handled them."""
        consumer = self.consumer
        before = consumer.processed + consumer.duplicates + consumer.dead_lettered
        await produce(self.infrastructure.kafka_bootstrap, self.profiles_topic, list(records))

        async def handled() -> bool:
            c = self.consumer
            return c.processed + c.duplicates + c.dead_lettered >= before + len(records)

        await wait_until(handled, timeout=30)

    async def run_lifecycle(self) -> Any:
        assert self.runtime is not None
        job = MatchLifecycleJob(
            self.runtime.unit_of_work,
            source=self.runtime.source,
            batch_size=self.settings.match_lifecycle_batch_size,
            clock=self.clock,
        )
        return await job.run_once()


def viewer_headers(employee_id: str, *roles: str) -> dict[str, str]:
    return {"X-Tandem-Viewer": employee_id, "X-Tandem-Roles": ",".join(roles or ("employee",))}


@dataclass(frozen=True)
class PublishedEvent:
    key: str
    ce_type: str
    ce_id: str
    ce_source: str
    data: dict[str, Any]


async def matching_events(
    bootstrap: str, keys: set[str], expected: int, timeout: float = 30.0
) -> list[PublishedEvent]:
    """The events on ``matching.events`` with one of ``keys``, in offset order per key,
    once ``expected`` of them arrived (and briefly after, so extra ones show up too)."""
    found: list[PublishedEvent] = []

    async def enough() -> bool:
        nonlocal found
        records = await read_all(bootstrap, MATCHING_TOPIC, 1, timeout=5)
        found = [
            _published(record)
            for record in sorted(records, key=lambda r: (r.partition, r.offset))
            if record.key is not None and record.key.decode() in keys
        ]
        return len(found) >= expected

    await wait_until(enough, timeout=timeout, every=0.3)
    return found


def _published(record: Any) -> PublishedEvent:
    headers = headers_of(record)
    return PublishedEvent(
        key=record.key.decode(),
        ce_type=headers["ce_type"].decode(),
        ce_id=headers["ce_id"].decode(),
        ce_source=headers["ce_source"].decode(),
        data=orjson.loads(record.value),
    )


async def rows(database_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text(sql), params)
            return [dict(row) for row in result.mappings()]
    finally:
        await engine.dispose()
