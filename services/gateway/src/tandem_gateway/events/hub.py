"""The gateway's event hub: one Kafka consumer per process, fanned out to every subscription.

It reads ``matching.events`` and ``engagement.events`` (every partition, from their
end: :mod:`tandem_gateway.events.source`), decodes each record's CloudEvents envelope
and validates its data with the backbone's registry, and hands each event to the
subscriptions that accept it (:mod:`tandem_gateway.events.fanout`). A record that is
not a valid event is skipped: the services that own these topics dead-letter their
own bad records, and the gateway only listens.

If the consumer fails it is restarted with backoff (``tandem_common.retry``) and
reports not ready meanwhile; subscriptions stay open across a restart (they are live
only: what was produced while the consumer was down is not delivered).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

from tandem_common.envelope import EnvelopeError, decode
from tandem_common.events.engagement import ENGAGEMENT_EVENTS, ENGAGEMENT_TOPIC
from tandem_common.events.matching import MATCHING_EVENTS, MATCHING_TOPIC
from tandem_common.events.registry import EventRegistry
from tandem_common.retry import Backoff, FailedAttempt, Retrier, RetryStopped
from tandem_gateway.events.fanout import (
    Accept,
    Fanout,
    HubEvent,
    HubStopped,
    SubscriberTooSlow,
    Subscription,
)
from tandem_gateway.events.source import KafkaRecordSource, RecordSource
from tandem_gateway.settings import GatewaySettings

__all__ = ["HUB_TOPICS", "EventHub", "HubEvent", "HubStopped", "SubscriberTooSlow", "Subscription"]

log = logging.getLogger(__name__)

HUB_TOPICS = (MATCHING_TOPIC, ENGAGEMENT_TOPIC)
# Restarting the consumer: quickly at first, at most every ten seconds while the broker is away.
RESTART_BACKOFF = Backoff(initial_seconds=0.2, max_seconds=10.0)
# How long one fetch waits for records before the loop goes round again.
FETCH_TIMEOUT_MS = 500
# How often the broker is asked whether it is there (a fetch does not fail when it is not).
CHECK_EVERY_SECONDS = 5.0


def hub_registry() -> EventRegistry:
    return EventRegistry((*MATCHING_EVENTS, *ENGAGEMENT_EVENTS))


def decode_record(record: Any, registry: EventRegistry, *, received_at: float) -> HubEvent:
    """The event in a Kafka record, or :class:`EnvelopeError` for one that is not valid."""
    envelope = decode(record.value, record.headers or ())
    data = registry.validate(envelope)
    key = record.key.decode("utf-8", "replace") if record.key is not None else None
    return HubEvent(
        type=envelope.type,
        data=data,
        time=envelope.time,
        topic=record.topic,
        key=key,
        traceparent=envelope.traceparent,
        received_at=received_at,
    )


class ConsumerInterrupted(Exception):
    """The consumer was interrupted by something other than :meth:`EventHub.stop`."""


class EventHub:
    def __init__(
        self,
        settings: GatewaySettings,
        *,
        source: RecordSource | None = None,
        backoff: Backoff = RESTART_BACKOFF,
        check_every_seconds: float = CHECK_EVERY_SECONDS,
    ) -> None:
        self._settings = settings
        self.client_id = f"tandem-gateway-{uuid.uuid4()}"
        self._source: RecordSource = source or KafkaRecordSource(
            settings.kafka_bootstrap,
            HUB_TOPICS,
            client_id=self.client_id,
            request_timeout_ms=settings.kafka_request_timeout_ms,
        )
        self._backoff = backoff
        self._check_every = check_every_seconds
        self._registry = hub_registry()
        self._fanout = Fanout()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._ready = asyncio.Event()
        # Counters for metrics and tests.
        self.consumed = 0
        self.skipped = 0
        self.restarts = 0

    @property
    def ready(self) -> bool:
        """The consumer is reading (for ``/readyz``)."""
        return self._ready.is_set()

    @property
    def subscribers(self) -> int:
        return len(self._fanout)

    @property
    def too_slow(self) -> int:
        """Subscribers ended so far because their buffer overflowed."""
        return self._fanout.too_slow

    async def until_ready(self, timeout: float) -> None:
        """Wait until the consumer reads; raises ``TimeoutError`` after ``timeout`` seconds."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    def subscribe(self, accept: Accept, *, buffer: int | None = None) -> Subscription:
        """A live stream of the events ``accept`` takes, from now on.

        ``buffer`` (default: ``subscriber_buffer_events``) is how many events may wait
        for this subscriber; one more ends it with :class:`SubscriberTooSlow`.
        """
        size = self._settings.subscriber_buffer_events if buffer is None else buffer
        return self._fanout.subscribe(accept, buffer=size)

    def publish(self, event: HubEvent) -> None:
        """Hand ``event`` to every subscription that accepts it (never waits)."""
        self._fanout.publish(event)

    def handle_records(self, records: Iterable[Any]) -> None:
        now = time.time()
        for record in records:
            try:
                event = decode_record(record, self._registry, received_at=now)
            except EnvelopeError as error:
                self.skipped += 1
                log.warning(
                    "skipped a record that is not a valid event",
                    extra={"topic": record.topic, "offset": record.offset, "reason": error.reason},
                )
                continue
            self.consumed += 1
            self._fanout.publish(event)

    async def start(self) -> None:
        if self._task is not None:
            return
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="gateway-event-hub")

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._stopping.set()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._ready.clear()
        self._fanout.end_all(HubStopped("the gateway is shutting down"))

    async def _run(self) -> None:
        retrier = Retrier(
            self._backoff,
            is_retriable=lambda error: True,
            on_failure=self._failed,
            on_retry=self._retrying,
            stop=self._stopping,
        )
        with contextlib.suppress(RetryStopped):
            await retrier.run(lambda: self._consume(retrier))

    async def _consume(self, retrier: Retrier) -> None:
        try:
            await self._read(retrier)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # A cancellation that escaped the Kafka client's own tasks is a failure of
            # the consumer, not a stop: it must restart rather than end the hub.
            raise ConsumerInterrupted("the Kafka client was interrupted") from None

    async def _read(self, retrier: Retrier) -> None:
        try:
            await self._source.open()
            self._ready.set()
            retrier.reset()
            log.info("event hub consuming", extra={"client_id": self.client_id})
            loop = asyncio.get_running_loop()
            checked = loop.time()
            while not self._stopping.is_set():
                self.handle_records(await self._source.fetch(FETCH_TIMEOUT_MS))
                if loop.time() - checked >= self._check_every:
                    await self._source.check()
                    checked = loop.time()
        finally:
            self._ready.clear()
            # A failure to close must not hide the failure that ended the consumer.
            with contextlib.suppress(Exception):
                await self._source.close()

    def _failed(self, error: Exception) -> None:
        self._ready.clear()

    def _retrying(self, attempt: FailedAttempt) -> None:
        self.restarts += 1
        log.warning(
            "event hub consumer failed; restarting",
            extra={
                "error": type(attempt.error).__name__,
                "attempt": attempt.number,
                "delay": round(attempt.delay, 2),
            },
        )
