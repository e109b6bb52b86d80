"""Running the real matching service against test infrastructure.

The pool is fed by publishing ``profiles.events`` snapshots (``profile_snapshots``) to a
topic of the test's own, so the profiles service need not run. What matching publishes
is read back from ``matching.events`` with a plain Kafka client, by key.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import httpx
import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tandem_common.db.engine import create_engine
from tandem_common.db.tables import backbone_metadata
from tandem_common.events.matching import MATCHING_TOPIC
from tandem_common.migrations.runner import run_migrations
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.testing.backends import Infrastructure
from tandem_matching.adapters.tables import metadata as matching_metadata
from tandem_matching.domain.matches import ExplanationFactor
from tandem_matching.entrypoints.jobs import MatchLifecycleJob
from tandem_matching.entrypoints.main import MIGRATIONS, build_app, create_runtime, proposer
from tandem_matching.service.loading import load_program
from tandem_matching.service.proposals import ProposedMatch
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
        # An engagement topic of the test's own, or None for the service's default one.
        self.engagement_topic: str | None = None

    async def start(self) -> ServiceRuntime:
        topics = [self.profiles_topic, *([self.engagement_topic] if self.engagement_topic else [])]
        await create_topics(self.infrastructure.kafka_bootstrap, topics)
        self.runtime = create_runtime(
            self.settings,
            profiles_topic=self.profiles_topic,
            consumer_name=self.group,
            clock=self.clock,
            engagement_topic=self.engagement_topic,
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

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Self]:
        """Started for the block, stopped after it."""
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

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
        await self.publish_and_wait(self.profiles_topic, records)

    def consumer_of(self, topic: str):  # type: ignore[no-untyped-def]
        assert self.runtime is not None
        return next(c for c in self.runtime.consumers if c.topic == topic)

    async def publish_and_wait(self, topic: str, records: Sequence[Record]) -> None:
        """Publish to ``topic`` and wait until its consumer has handled every record."""
        consumer = self.consumer_of(topic)
        before = consumer.processed + consumer.duplicates + consumer.dead_lettered
        await produce(self.infrastructure.kafka_bootstrap, topic, list(records))

        async def handled() -> bool:
            c = self.consumer_of(topic)
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


async def migrate_matching(database_url: str) -> str:
    """Brings ``database_url`` to the matching schema (with the backbone tables)."""
    engine = create_engine(database_url, pool_size=1)
    try:
        await run_migrations(engine, MIGRATIONS, [backbone_metadata, matching_metadata])
    finally:
        await engine.dispose()
    return database_url


@asynccontextmanager
async def emptied(database_url: str, tables: Sequence[str], *, pool_size: int) -> AsyncIterator[AsyncEngine]:
    """An engine on ``database_url`` for the block, every row of ``tables`` gone first and
    their sequences restarted: a test starts from nothing."""
    engine = create_engine(database_url, pool_size=pool_size)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))
        yield engine
    finally:
        await engine.dispose()


async def propose_pairs(
    matching: MatchingUnderTest,
    program_id: str,
    pairs: Iterable[tuple[tuple[str, str], tuple[str, str]]],
    *,
    score: float,
    explanation: Sequence[ExplanationFactor],
) -> list[str]:
    """Proposals of ``((id, role), (id, role))`` pairs in round ``rnd_1``, committed as a
    round would make them; their match ids."""
    assert matching.runtime is not None
    propose_matches = proposer(matching.runtime, matching.settings)
    async with matching.runtime.unit_of_work() as uow:
        program = await load_program(uow, program_id)
        made = await propose_matches(
            uow,
            program,
            [ProposedMatch(list(pair), score, explanation) for pair in pairs],
            round_id="rnd_1",
            now=matching.clock(),
        )
        await uow.commit()
    return [m.match_id for m in made]


def events_on_topic(
    bootstrap: str, ce_type: str, expected: set[str], *, timeout: float = 60
) -> list[tuple[str, dict[str, Any]]]:
    """Every ``ce_type`` event on matching.events as ``(key, data)``, read from the
    beginning with confluent-kafka (outside in: not the service's own client) until each
    of ``expected`` keys was seen and the topic stayed quiet for a while (so a second copy
    of any of them would show up too), or ``timeout`` seconds passed."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"outside-in-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
        }
    )
    try:
        partitions = consumer.list_topics(MATCHING_TOPIC, timeout=10).topics[MATCHING_TOPIC].partitions
        consumer.assign([TopicPartition(MATCHING_TOPIC, p, OFFSET_BEGINNING) for p in partitions])
        found: list[tuple[str, dict[str, Any]]] = []
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                quiet += 1
                if quiet >= 3 and expected <= {key for key, _ in found}:
                    break
                continue
            quiet = 0
            assert message.error() is None, message.error()
            headers = dict(message.headers() or [])
            if headers.get("ce_type") == ce_type.encode():
                found.append((message.key().decode(), orjson.loads(message.value())))
        return found
    finally:
        consumer.close()
