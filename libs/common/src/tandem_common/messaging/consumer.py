"""Reliable consumption of one topic by one service.

For every batch the consumer:

1. decodes and validates each record; a bad one goes to ``<topic>.dlq`` with the
   error headers of ``events.md`` and never blocks the ones after it;
2. applies the good ones in one transaction that also records them in the inbox, so
   a redelivered event finds its inbox row and has no second effect;
3. on a transient failure (database or broker away) retries with exponential backoff
   and jitter; past the configured number of attempts it reports itself not ready and
   keeps retrying at the capped delay, never dropping the message;
4. on a handler failure that is not transient, splits the batch in halves until the
   one failing event is isolated, and dead-letters it at stage ``handle``;
5. only then lets the offsets be committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from tandem_common.db.errors import is_transient
from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.envelope import EnvelopeError, decode
from tandem_common.events.registry import EventRegistry
from tandem_common.messaging.dead_letter import DeadLetter, send_dead_letters
from tandem_common.messaging.inbox import claim_new
from tandem_common.messaging.producer import RecordProducer
from tandem_common.messaging.received import PoisonEventError, ReceivedEvent
from tandem_common.retry import Backoff
from tandem_common.telemetry.instruments import backbone_instruments
from tandem_common.telemetry.propagation import parent_from_traceparent, traceparent_of
from tandem_common.telemetry.setup import tracer

log = logging.getLogger(__name__)
T = TypeVar("T")

BatchHandler = Callable[[UnitOfWork, Sequence[ReceivedEvent]], Awaitable[None]]


DEFAULT_BACKOFF = Backoff()


class ConsumerStoppingError(Exception):
    """The process is shutting down while a batch waits for a retry."""


class ReliableConsumer:
    def __init__(
        self,
        *,
        name: str,
        topic: str,
        group_id: str,
        registry: EventRegistry,
        handler: BatchHandler,
        unit_of_work: Callable[[], UnitOfWork],
        producer: RecordProducer,
        backoff: Backoff = DEFAULT_BACKOFF,
        attempts_before_not_ready: int = 8,
    ) -> None:
        self.name = name
        self.topic = topic
        self.group_id = group_id
        self._registry = registry
        self._handler = handler
        self._unit_of_work = unit_of_work
        self._producer = producer
        self._backoff = backoff
        self._attempts_before_not_ready = attempts_before_not_ready
        self._instruments = backbone_instruments()
        self._labels = {"subscriber": name, "topic": topic}
        self._stopping = asyncio.Event()
        self.joined = False
        self.stalled = False
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self._set_ready_gauge()

    @property
    def ready(self) -> bool:
        return self.joined and not self.stalled

    def mark_joined(self) -> None:
        self.joined = True
        self._set_ready_gauge()

    def stop(self) -> None:
        self._stopping.set()

    def _set_ready_gauge(self) -> None:
        self._instruments.consumer_ready.set(1 if self.ready else 0, {"subscriber": self.name})

    async def handle_records(self, records: Sequence[Any]) -> None:
        """Handle one batch completely; returns only when its effects are durable."""
        started = time.perf_counter()
        good: list[ReceivedEvent] = []
        letters: list[DeadLetter] = []
        seen: set[tuple[str, str]] = set()
        batch_duplicates = 0
        for record in records:
            try:
                envelope = decode(record.value, record.headers or ())
                data = self._registry.validate(envelope)
            except EnvelopeError as error:
                letters.append(DeadLetter.of(record, error.reason, error.stage))
                continue
            received = ReceivedEvent(
                envelope=envelope,
                data=data,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key.decode("utf-8", "replace") if record.key is not None else None,
                record=record,
            )
            if received.identity in seen:
                batch_duplicates += 1
                continue
            seen.add(received.identity)
            good.append(received)

        if letters:
            await self._dead_letter(letters)
        if good:
            await self._apply(good)
        self.duplicates += batch_duplicates
        if batch_duplicates:
            self._instruments.consumed.add(batch_duplicates, {**self._labels, "outcome": "duplicate"})
        self._instruments.processing_seconds.record(time.perf_counter() - started, self._labels)

    async def _dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        await self._retrying(lambda: send_dead_letters(self._producer, letters))
        for letter in letters:
            log.warning(
                "dead-lettered a message",
                extra={
                    "subscriber": self.name,
                    "topic": letter.topic,
                    "partition": letter.partition,
                    "offset": letter.offset,
                    "stage": letter.stage,
                    "reason": letter.reason,
                },
            )
        self.dead_lettered += len(letters)
        self._instruments.dead_lettered.add(len(letters), self._labels)
        self._instruments.consumed.add(len(letters), {**self._labels, "outcome": "dead_lettered"})

    async def _apply(self, events: Sequence[ReceivedEvent]) -> None:
        try:
            await self._retrying(lambda: self._transaction(events))
        except PoisonEventError as error:
            if len(events) == 1 or error.event not in events:
                await self._dead_letter([DeadLetter.of(error.event.record, error.reason, "handle")])
                rest = [event for event in events if event is not error.event]
                if rest:
                    await self._apply(rest)
                return
            await self._split(events)
        except ConsumerStoppingError:
            raise
        except Exception as error:
            if len(events) == 1:
                # First line only: database errors add DETAIL lines that may quote values.
                summary = (str(error).splitlines() or [""])[0][:300]
                reason = f"handler failed: {type(error).__name__}: {summary}"
                log.exception("handler failed on one event", extra={"subscriber": self.name})
                await self._dead_letter([DeadLetter.of(events[0].record, reason, "handle")])
                return
            await self._split(events)

    async def _split(self, events: Sequence[ReceivedEvent]) -> None:
        middle = len(events) // 2
        await self._apply(events[:middle])
        await self._apply(events[middle:])

    async def _transaction(self, events: Sequence[ReceivedEvent]) -> None:
        spans = [self._processing_span(event) for event in events]
        try:
            async with self._unit_of_work() as uow:
                new = await claim_new(
                    uow.session,
                    self.name,
                    [(e.envelope.source, e.envelope.id, e.key) for e in events],
                )
                fresh = [event for event in events if event.identity in new]
                if fresh:
                    await self._handler(uow, fresh)
                await uow.commit()
        except BaseException as error:
            for span in spans:
                span.set_status(Status(StatusCode.ERROR, repr(error)))
            raise
        finally:
            for span in spans:
                span.end()
        duplicates = len(events) - len(fresh)
        self.processed += len(fresh)
        self.duplicates += duplicates
        if fresh:
            self._instruments.consumed.add(len(fresh), {**self._labels, "outcome": "processed"})
        if duplicates:
            self._instruments.consumed.add(duplicates, {**self._labels, "outcome": "duplicate"})

    def _processing_span(self, event: ReceivedEvent) -> Span:
        """A consumer span per event, parented by the trace context in its headers."""
        span = tracer().start_span(
            f"process {event.topic}",
            context=parent_from_traceparent(event.envelope.traceparent, event.envelope.tracestate),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": event.topic,
                "messaging.destination.partition.id": str(event.partition),
                "messaging.kafka.offset": event.offset,
                "messaging.consumer.group.name": self.group_id,
                "messaging.message.id": event.envelope.id,
            },
        )
        event.trace_headers = traceparent_of(span)
        return span

    async def _retrying(self, operation: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                result = await operation()
            except Exception as error:
                if not is_transient(error) and not _is_broker_outage(error):
                    raise
                attempt += 1
                self._instruments.retries.add(1, self._labels)
                if attempt >= self._attempts_before_not_ready and not self.stalled:
                    self.stalled = True
                    self._set_ready_gauge()
                    log.error(
                        "consumer is stalled on a transient failure; not ready until it clears",
                        extra={"subscriber": self.name, "attempt": attempt, "error": repr(error)},
                    )
                delay = self._backoff.delay(attempt)
                log.warning(
                    "transient failure; retrying",
                    extra={
                        "subscriber": self.name,
                        "attempt": attempt,
                        "error": repr(error),
                        "delay": round(delay, 3),
                    },
                )
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
                except TimeoutError:
                    continue
                raise ConsumerStoppingError(self.name) from error
            else:
                if self.stalled:
                    self.stalled = False
                    self._set_ready_gauge()
                    log.info("consumer recovered", extra={"subscriber": self.name})
                return result


def _is_broker_outage(error: BaseException) -> bool:
    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, RequestTimedOutError

    return isinstance(error, KafkaConnectionError | KafkaTimeoutError | RequestTimedOutError)
