"""Running the real engagement service against test infrastructure.

Its read models are fed by publishing ``matching.events`` and ``profiles.events``
records to topics of the test's own, so neither matching nor profiles need run. What
engagement publishes is read back from ``engagement.events`` from outside, with
confluent-kafka, by key.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import orjson
from confluent_kafka import Consumer, TopicPartition

from tandem_common.envelope import CloudEvent, encode_binary
from tandem_common.events.engagement import ENGAGEMENT_TOPIC
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.testing.backends import Infrastructure
from tandem_engagement.entrypoints.main import build_app, checkin_job, create_runtime, health_job
from tandem_engagement.service.checkins import Announced
from tandem_engagement.service.health import Recomputed
from tandem_engagement.settings import EngagementSettings
from tests.support.backbone import FAST_TEST_SETTINGS, new_id, wait_until
from tests.support.kafka import create_topics, produce, unique_topic
from tests.support.matching import MovableClock
from tests.support.profile_snapshots import Record

_counter = itertools.count()
PAIR = (("A", "partner"), ("B", "partner"))


class EngagementUnderTest:
    """The engagement service on its own matching and profiles topics and consumer group."""

    def __init__(self, infrastructure: Infrastructure, database_url: str, **overrides: Any) -> None:
        self.infrastructure = infrastructure
        self.database_url = database_url
        self.matching_topic = unique_topic("matching.events")
        self.profiles_topic = unique_topic("profiles.events")
        self.group = f"engagement-{new_id()[:8]}"
        # The check-in job runs when a test says so (``run_checkins``), after one pass at start.
        self.settings = EngagementSettings(
            **{
                **FAST_TEST_SETTINGS,
                "checkin_interval_seconds": 3600,
                "health_interval_seconds": 3600,
                "database_url": database_url,
                "kafka_bootstrap": infrastructure.kafka_bootstrap,
                **overrides,
            }
        )
        self.clock = MovableClock()
        self.runtime: ServiceRuntime | None = None

    async def start(self) -> ServiceRuntime:
        await create_topics(self.infrastructure.kafka_bootstrap, [self.matching_topic, self.profiles_topic])
        self.runtime = create_runtime(
            self.settings,
            matching_topic=self.matching_topic,
            profiles_topic=self.profiles_topic,
            consumer_name=self.group,
            clock=self.clock,
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
            self.runtime = None

    def client(self) -> httpx.AsyncClient:
        assert self.runtime is not None
        app = build_app(self.runtime, self.settings, clock=self.clock)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engagement")

    async def _publish(self, topic: str, index: int, records: Sequence[Record]) -> None:
        assert self.runtime is not None
        consumer = self.runtime.consumers[index]
        before = consumer.processed + consumer.duplicates + consumer.dead_lettered
        await produce(self.infrastructure.kafka_bootstrap, topic, list(records))

        async def handled() -> bool:
            return consumer.processed + consumer.duplicates + consumer.dead_lettered >= before + len(records)

        await wait_until(handled, timeout=30)

    async def publish_matching(self, records: Sequence[Record]) -> None:
        """Publish matching events and wait until the consumer has handled them."""
        await self._publish(self.matching_topic, 0, records)

    async def publish_profiles(self, records: Sequence[Record]) -> None:
        await self._publish(self.profiles_topic, 1, records)

    async def run_checkins(self) -> Announced:
        assert self.runtime is not None
        return await checkin_job(self.runtime, self.settings, clock=self.clock).run_once()

    async def run_health(self) -> Recomputed:
        """One run of the daily health job at the test's clock."""
        assert self.runtime is not None
        return await health_job(self.runtime, self.settings, clock=self.clock).run_once()


def today() -> date:
    return datetime.now(UTC).date()


def matching_record(kind: str, key: str, data: dict[str, Any], *, ce_id: str | None = None) -> Record:
    event = CloudEvent(
        id=ce_id or f"{key}.{kind}.{next(_counter)}",
        source="tandem/matching",
        type=f"tandem.matching.{kind}.v1",
        time=datetime.now(UTC),
        data=data,
        subject=key,
    )
    value, headers = encode_binary(event)
    return key.encode(), value, headers


def members(pairs: Sequence[tuple[str, str]] = PAIR) -> list[dict[str, str]]:
    return [{"employee_id": e, "role": r} for e, r in pairs]


def program_changed(
    program_id: str, version: int = 1, *, first: int = 30, every: int = 60, admins: Sequence[str] = ("PA",)
) -> Record:
    return matching_record(
        "program.changed",
        program_id,
        {
            "program_id": program_id,
            "program_version": version,
            "name": "Reverse mentoring",
            "type": "reverse",
            "status": "running",
            "rules": {
                "exclude_reporting_line": True,
                "exclude_same_department": False,
                "min_timezone_overlap_hours": 0,
                "require_common_language": False,
                "exclude_previous_pairs": [],
            },
            "weights": {
                "skill_complementarity": 1,
                "reciprocity_balance": 1,
                "cross_department": 0,
                "cross_generation": 0,
                "timezone_overlap": 0,
            },
            "cadence": {"sessions_per_month": 2, "minutes_per_session": 60},
            "duration_days": 180,
            "checkins": {"first_after_days": first, "every_days": every},
            "acceptance": "both",
            "auto_rematch": False,
            "admins": list(admins),
        },
    )


def match_started(
    match_id: str, program_id: str, started_on: date, ends_on: date, pairs: Sequence[tuple[str, str]] = PAIR
) -> Record:
    return matching_record(
        "match.started",
        match_id,
        {
            "match_id": match_id,
            "program_id": program_id,
            "program_type": "reverse",
            "members": members(pairs),
            "started_on": started_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        },
    )


def match_ended(
    match_id: str, program_id: str, ended_on: date, reason: str, pairs: Sequence[tuple[str, str]] = PAIR
) -> Record:
    return matching_record(
        "match.ended",
        match_id,
        {
            "match_id": match_id,
            "program_id": program_id,
            "members": members(pairs),
            "ended_on": ended_on.isoformat(),
            "reason": reason,
        },
    )


def viewer_headers(employee_id: str, *roles: str) -> dict[str, str]:
    return {"X-Tandem-Viewer": employee_id, "X-Tandem-Roles": ",".join(roles or ("employee",))}


@dataclass(frozen=True)
class Published:
    key: str
    ce_type: str
    ce_id: str
    ce_source: str
    data: dict[str, Any]
    value: bytes


def _read(bootstrap: str, keys: set[str]) -> list[Published]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"engagement-check-{new_id()[:8]}",
            "enable.auto.commit": False,
        }
    )
    try:
        metadata = consumer.list_topics(ENGAGEMENT_TOPIC, timeout=10)
        partitions = [
            TopicPartition(ENGAGEMENT_TOPIC, p, 0) for p in metadata.topics[ENGAGEMENT_TOPIC].partitions
        ]
        consumer.assign(partitions)
        found = []
        idle = 0
        while idle < 3:
            message = consumer.poll(1.0)
            if message is None:
                idle += 1
                continue
            if message.error() is not None or message.key() is None or message.key().decode() not in keys:
                continue
            headers = {name: value.decode() for name, value in message.headers() or []}
            found.append(
                Published(
                    key=message.key().decode(),
                    ce_type=headers["ce_type"],
                    ce_id=headers["ce_id"],
                    ce_source=headers["ce_source"],
                    data=orjson.loads(message.value()),
                    value=message.value(),
                )
            )
        return found
    finally:
        consumer.close()


HEALTH_CHANGED = "tandem.engagement.health.changed.v1"


async def engagement_events(
    bootstrap: str, keys: set[str], expected: int, timeout: float = 30.0, *, health: bool = False
) -> list[Published]:
    """The records on ``engagement.events`` with one of ``keys``, read with confluent-kafka
    from outside the service, once ``expected`` of them arrived (extra ones show too).

    ``health.changed`` records follow from every other event's timeline, so they show
    only with ``health=True`` (tests/integration/engagement/test_health.py)."""
    found: list[Published] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [
            e
            for e in await asyncio.to_thread(_read, bootstrap, keys)
            if health or e.ce_type != HEALTH_CHANGED
        ]
        if len(found) >= expected or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.3)


def days(n: int) -> timedelta:
    return timedelta(days=n)
