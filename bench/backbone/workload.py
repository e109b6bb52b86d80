"""What the backbone benchmark sends, stores and consumes.

Every measurement uses values of about 300 bytes, keys drawn from 10,000 employee ids
and CloudEvents binary headers, so the raw rates and the backbone rates move the same
bytes and differ only in the work the backbone adds.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import orjson

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.envelope import CloudEvent, encode_binary
from tandem_common.events.registry import EventRegistry, EventSchema
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.outbox.writer import OutgoingEvent
from tandem_common.settings import ServiceSettings
from tandem_testkit.harness import PingData, record_effects

DISTINCT_KEYS = 10_000
SOURCE = "bench/backbone"
# Brings a JSON value with an id, a counter and this note to roughly 300 bytes.
NOTE = "the quick brown fox jumps over the lazy dog; " * 5 + "pack my box with five dozen jugs"

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


class BenchSettings(ServiceSettings):
    service_name: ClassVar[str] = "bench"


@dataclass(frozen=True)
class Topics:
    raw: str
    relay: str
    ping: str
    pong: str

    @classmethod
    def unique(cls) -> Topics:
        # Unique per run, so a shared external broker never mixes two runs.
        run = uuid.uuid4().hex[:8]
        return cls(
            raw=f"bench.raw.{run}",
            relay=f"bench.relay.{run}",
            ping=f"bench.ping.{run}",
            pong=f"bench.pong.{run}",
        )

    def all(self) -> list[str]:
        return [self.raw, self.relay, self.ping, self.pong]


@dataclass(frozen=True)
class Schemas:
    relayed: type[EventSchema]
    ping: type[EventSchema]
    pong: type[PingData]

    def consumer_registry(self) -> EventRegistry:
        return EventRegistry([self.ping, self.pong])


class _Noted(PingData):
    note: str


def make_schemas(topics: Topics) -> Schemas:
    return Schemas(
        _Noted.on_topic("RelayedV1", "tandem.bench.relayed.v1", topics.relay),
        _Noted.on_topic("PingV1", "tandem.bench.ping.v1", topics.ping),
        PingData.on_topic("PongV1", "tandem.bench.pong.v1", topics.pong),
    )


def employee(n: int) -> str:
    return f"E{n % DISTINCT_KEYS:06d}"


def traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def data(n: int) -> dict[str, object]:
    return {"employee_id": employee(n), "n": n, "note": NOTE}


def cloud_event_records(count: int, event_type: str) -> list[Record]:
    """Binary-mode records as the relay would send them, trace context included."""
    now = datetime.now(UTC)
    records = []
    for n in range(count):
        event = CloudEvent(
            id=str(uuid.uuid4()),
            source=SOURCE,
            type=event_type,
            time=now,
            data=data(n),
            subject=employee(n),
            traceparent=traceparent(),
        )
        value, headers = encode_binary(event)
        records.append((employee(n).encode(), value, headers))
    return records


def outbox_shaped_rows(count: int, topic: str) -> list[tuple[object, ...]]:
    now = datetime.now(UTC)
    return [
        (
            topic,
            employee(n),
            str(uuid.uuid4()),
            SOURCE,
            "tandem.bench.relayed.v1",
            now,
            employee(n),
            orjson.dumps(data(n)),
            traceparent(),
            None,
        )
        for n in range(count)
    ]


def outgoing_events(schemas: Schemas, count: int) -> list[OutgoingEvent]:
    return [
        OutgoingEvent(
            data=schemas.relayed(**data(n)),  # type: ignore[arg-type]
            source=SOURCE,
            subject=employee(n),
            trace_headers={"traceparent": traceparent()},
        )
        for n in range(count)
    ]


def effects_handler(schemas: Schemas, *, with_outbox: bool):  # type: ignore[no-untyped-def]
    """One effect row per event; with ``with_outbox``, one follow-up outbox row too."""
    pong = schemas.pong if with_outbox else None

    async def handle(uow: UnitOfWork, events: Sequence[ReceivedEvent]) -> None:
        await record_effects(uow, events, pong=pong, source=SOURCE)

    return handle
