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
from sqlalchemy import Column, Integer, MetaData, Table, Text

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.envelope import CloudEvent, encode_binary
from tandem_common.events.registry import EventRegistry, EventSchema
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.outbox.writer import OutgoingEvent, publish_many_later
from tandem_common.settings import ServiceSettings

DISTINCT_KEYS = 10_000
SOURCE = "bench/backbone"
# Brings a JSON value with an id, a counter and this note to roughly 300 bytes.
NOTE = "the quick brown fox jumps over the lazy dog; " * 5 + "pack my box with five dozen jugs"

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("ce_id", Text, nullable=False),
    Column("employee_id", Text, nullable=False),
    Column("n", Integer, nullable=False),
)


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
    pong: type[EventSchema]

    def consumer_registry(self) -> EventRegistry:
        return EventRegistry([self.ping, self.pong])


def make_schemas(topics: Topics) -> Schemas:
    class RelayedV1(EventSchema):
        ce_type: ClassVar[str] = "tandem.bench.relayed.v1"
        topic: ClassVar[str] = topics.relay
        employee_id: str
        n: int
        note: str

    class PingV1(EventSchema):
        ce_type: ClassVar[str] = "tandem.bench.ping.v1"
        topic: ClassVar[str] = topics.ping
        employee_id: str
        n: int
        note: str

    class PongV1(EventSchema):
        ce_type: ClassVar[str] = "tandem.bench.pong.v1"
        topic: ClassVar[str] = topics.pong
        employee_id: str
        n: int

    return Schemas(RelayedV1, PingV1, PongV1)


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

    async def handle(uow: UnitOfWork, events: Sequence[ReceivedEvent]) -> None:
        rows = [
            {"ce_id": e.envelope.id, "employee_id": e.data.employee_id, "n": e.data.n}  # type: ignore[attr-defined]
            for e in events
        ]
        await uow.session.execute(effects.insert(), rows)
        if with_outbox:
            await publish_many_later(
                uow.session,
                [
                    e.follow_up(
                        schemas.pong(employee_id=e.data.employee_id, n=e.data.n),  # type: ignore[attr-defined,call-arg]
                        source=SOURCE,
                    )
                    for e in events
                ],
            )

    return handle
