"""How the tests and the benchmarks drive a service and read a topic.

- :func:`serve_until_terminated`: a service's runtime as its own process runs it under
  a test or a benchmark, from start until SIGTERM;
- :func:`topic_partitions`: every partition of a topic, once the broker's metadata
  names them;
- :class:`PingData` and :func:`record_effects`: the events and the work of the minimal
  ping service that the backbone tests and the backbone benchmark both consume with:
  one ``effects`` row per event and, given a pong schema, one pong per event through
  the outbox.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Self, cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import Column, Integer, MetaData, Table, Text

from tandem_common.events.registry import EventSchema
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.outbox.writer import publish_many_later

if TYPE_CHECKING:
    from tandem_common.db.unit_of_work import UnitOfWork
    from tandem_common.runtime.service import ServiceRuntime


class PingData(EventSchema):
    """What every event of the ping service carries: whose it is, and its number.

    A test or a benchmark derives one class per event type, on topics of its own.
    """

    employee_id: str
    n: int

    @classmethod
    def on_topic(cls, name: str, ce_type: str, topic: str) -> type[Self]:
        """The subclass named ``name`` for ``ce_type`` on ``topic``, a topic made for one run."""
        made = type(name, (cls,), {"__module__": cls.__module__, "ce_type": ce_type, "topic": topic})
        return cast("type[Self]", made)


effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("ce_id", Text, nullable=False),
    Column("employee_id", Text, nullable=False),
    Column("n", Integer, nullable=False),
)


async def serve_until_terminated(runtime: ServiceRuntime, *, started_line: str | None = None) -> None:
    """Starts ``runtime``, prints ``started_line`` once it runs, and stops it on SIGTERM.

    The line tells a parent that reads the process's output when it may go on.
    """
    await runtime.start()
    if started_line is not None:
        print(started_line, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runtime.stop()


async def topic_partitions(
    consumer: AIOKafkaConsumer, topic: str, *, timeout: float = 10.0
) -> list[TopicPartition]:
    """Every partition of ``topic`` in order; a topic just created may take a few refreshes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        found = consumer.partitions_for_topic(topic)
        if found:
            return [TopicPartition(topic, p) for p in sorted(found)]
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    raise TimeoutError(f"topic {topic} has no partitions")


async def record_effects(
    uow: UnitOfWork, events: Sequence[ReceivedEvent], *, pong: type[PingData] | None, source: str
) -> None:
    """The ping service's work for one batch, in the caller's unit of work."""
    pings = [cast(PingData, e.data) for e in events]
    rows = [
        {"ce_id": e.envelope.id, "employee_id": ping.employee_id, "n": ping.n}
        for e, ping in zip(events, pings, strict=True)
    ]
    await uow.session.execute(effects.insert(), rows)
    if pong is not None:
        await publish_many_later(
            uow.session,
            [
                e.follow_up(pong(employee_id=ping.employee_id, n=ping.n), source=source)
                for e, ping in zip(events, pings, strict=True)
            ],
        )
