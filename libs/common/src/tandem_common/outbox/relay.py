"""The outbox relay: publishes unsent rows in order per key, then marks them sent.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so replicas never send the same row
at once. A claimed row whose key still has an older unsent row held by another relay
is left for a later pass, which keeps per-key order across replicas. The relay wakes
on ``LISTEN/NOTIFY`` and otherwise polls; when Kafka is away the rows simply wait.

The relaying loop and the listener are two tasks of the service's
:class:`~tandem_common.runtime.tasks.TaskSupervisor`. Each rides out database and
broker outages by itself (quietly, with backoff); any other exception goes to the
supervisor, which logs it and starts the task again, so the topic never stops for
good. Sent rows are purged by :mod:`tandem_common.db.retention`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.trace import SpanKind
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_common.db.tables import OUTBOX_CHANNEL
from tandem_common.envelope import binary_headers
from tandem_common.messaging.producer import OutgoingRecord
from tandem_common.retry import Backoff, FailedAttempt, Retrier, RetryStopped
from tandem_common.runtime.tasks import TaskSupervisor, succeeded
from tandem_common.telemetry.instruments import backbone_instruments
from tandem_common.telemetry.propagation import parent_from_traceparent, traceparent_of
from tandem_common.telemetry.setup import ending_spans, tracer

log = logging.getLogger(__name__)

# Sends records in order per partition; returns once the broker has every one of them.
SendRecords = Callable[[Sequence[OutgoingRecord]], Awaitable[None]]

# The relay's own statements run on the asyncpg connection directly: they are the hot
# path, and asyncpg's records are far cheaper to read than ORM-level rows.
_CLAIM = """
    SELECT id, topic, key, ce_id, ce_source, ce_type, ce_time, ce_subject, payload,
           traceparent, tracestate
    FROM outbox
    WHERE sent_at IS NULL
    ORDER BY id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
"""
# Keys that still have an older unsent row outside this claim (held by another relay).
_BLOCKED_KEYS = """
    SELECT DISTINCT key FROM outbox
    WHERE sent_at IS NULL AND key = ANY($1::text[]) AND id < $2 AND NOT (id = ANY($3::bigint[]))
"""
_MARK_SENT = "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])"
_BACKLOG = text(
    "SELECT count(*), extract(epoch FROM now() - min(created_at)) FROM outbox WHERE sent_at IS NULL"
)


@dataclass(frozen=True)
class RelaySettings:
    """How the relay works; a service takes every value from its ``ServiceSettings``."""

    batch_size: int = 1000
    poll_seconds: float = 0.5
    # The pauses while the database or the broker is away.
    backoff: Backoff = field(default_factory=Backoff)
    # How often the backlog and lag gauges are read from the outbox.
    gauge_interval_seconds: float = 1.0
    # How often the listener checks that its connection is still open.
    listen_check_seconds: float = 1.0


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        send_many: SendRecords,
        *,
        service: str,
        settings: RelaySettings = RelaySettings(),
    ) -> None:
        self._engine = engine
        self._send_many = send_many
        self._service = service
        self._settings = settings
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._instruments = backbone_instruments()
        self._last_gauges = 0.0
        self.healthy = True
        self.published = 0

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Relay until :meth:`stop` under a supervisor of its own; never raises.

        A service runs the relay under its runtime's supervisor (:meth:`supervise`);
        this is for a relay on its own, as in tests and benchmarks.
        """
        supervisor = TaskSupervisor(backoff=self._settings.backoff)
        self.supervise(supervisor)
        try:
            await self._stopping.wait()
        finally:
            await supervisor.stop()

    def supervise(self, supervisor: TaskSupervisor) -> None:
        """Run the relaying loop and its NOTIFY listener as tasks of ``supervisor``."""
        supervisor.start(f"{self._service}-outbox-relay", self.relay_continuously, on_stop=self.stop)
        supervisor.start(f"{self._service}-outbox-listen", self.listen, on_stop=self.stop)

    async def relay_continuously(self) -> None:
        """Relay passes until :meth:`stop`; outages are waited out, other errors raised."""
        retrier = Retrier(
            self._settings.backoff,
            on_failure=self._pass_failed,
            on_retry=self._will_retry_pass,
            pause=self._pause_unless_stopping,
        )
        while not self._stopping.is_set():
            try:
                sent = await retrier.run(self._relay_pass)
            except RetryStopped:
                return
            self.healthy = True
            succeeded()
            if sent < self._settings.batch_size:
                await self._sleep(self._settings.poll_seconds)

    async def _relay_pass(self) -> int:
        sent = await self.relay_once()
        await self._maintain()
        return sent

    def _pass_failed(self, error: Exception) -> None:
        self.healthy = False

    def _will_retry_pass(self, failure: FailedAttempt) -> None:
        log.warning(
            "outbox relay pass failed; retrying",
            extra={"error": repr(failure.error), "attempt": failure.number, "delay": round(failure.delay, 2)},
        )

    async def _pause_unless_stopping(self, seconds: float) -> bool:
        # A NOTIFY ends the pause early, as it ends the wait between passes.
        await self._sleep(seconds)
        return not self._stopping.is_set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def relay_once(self) -> int:
        """Publish one batch of unsent rows; returns how many were sent."""
        async with self._engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            async with driver.transaction():
                rows = await driver.fetch(_CLAIM, self._settings.batch_size)
                if not rows:
                    return 0
                rows = await self._without_blocked_keys(driver, rows)
                if not rows:
                    return 0
                await self._publish(rows)
                await driver.execute(_MARK_SENT, [row["id"] for row in rows])
        self.published += len(rows)
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["topic"]] = counts.get(row["topic"], 0) + 1
        for topic, count in counts.items():
            self._instruments.outbox_published.add(count, {"service": self._service, "topic": topic})
        return len(rows)

    async def _without_blocked_keys(self, driver: Any, rows: Sequence[Any]) -> list[Any]:
        ids = [row["id"] for row in rows]
        keys = sorted({row["key"] for row in rows})
        blocked = {record["key"] for record in await driver.fetch(_BLOCKED_KEYS, keys, max(ids), ids)}
        return [row for row in rows if row["key"] not in blocked]

    async def _publish(self, rows: Sequence[Any]) -> None:
        records: list[OutgoingRecord] = []
        span_tracer = tracer()
        with ending_spans() as spans:
            for row in rows:
                topic = row["topic"]
                span = span_tracer.start_span(
                    f"publish {topic}",
                    context=parent_from_traceparent(row["traceparent"], row["tracestate"]),
                    kind=SpanKind.PRODUCER,
                    attributes={
                        "messaging.system": "kafka",
                        "messaging.operation.type": "publish",
                        "messaging.destination.name": topic,
                        "messaging.message.id": row["ce_id"],
                    },
                )
                spans.append(span)
                trace = traceparent_of(span)
                headers = binary_headers(
                    row["ce_id"],
                    row["ce_source"],
                    row["ce_type"],
                    row["ce_time"],
                    row["ce_subject"] or None,
                    trace.get("traceparent"),
                    trace.get("tracestate"),
                )
                payload = row["payload"]
                records.append(
                    (topic, row["key"].encode(), bytes(payload) if payload is not None else None, headers)
                )
            await self._send_many(records)

    async def _maintain(self) -> None:
        now = time.monotonic()
        if now - self._last_gauges >= self._settings.gauge_interval_seconds:
            self._last_gauges = now
            async with self._engine.connect() as connection:
                count, age = (await connection.execute(_BACKLOG)).one()
            labels = {"service": self._service}
            self._instruments.outbox_backlog.set(int(count), labels)
            self._instruments.outbox_relay_lag.set(float(age or 0.0), labels)

    async def listen(self) -> None:
        """Wake the relay on NOTIFY until :meth:`stop`; reconnect quietly after outages."""
        retrier = Retrier(self._settings.backoff, stop=self._stopping)
        while not self._stopping.is_set():
            try:
                # Returns when the connection closes under it: it reconnects at once.
                await retrier.run(lambda: self._listen_on_one_connection(retrier))
            except RetryStopped:
                return

    async def _listen_on_one_connection(self, retrier: Retrier) -> None:
        async with self._engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
            # Listening: a later failure of this connection is retried from the shortest pause.
            retrier.reset()
            succeeded()
            self._wake.set()
            while not self._stopping.is_set() and not driver.is_closed():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._settings.listen_check_seconds)
