"""Reliable consumption of one topic by one service.

For every batch the consumer:

1. decodes and validates each record; a bad one goes to ``<topic>.dlq`` with the
   error headers of ``events.md`` and never blocks the ones after it;
2. applies the good ones in one transaction that also records them in the inbox, so
   a redelivered event finds its inbox row and has no second effect;
3. on a transient failure (database or broker away) retries with exponential backoff
   and jitter; past the configured number of attempts it reports itself not ready and
   keeps retrying at the capped delay, never dropping the message;
4. on a handler failure caused by data (SQLSTATE classes 22 and 23, or a handler's
   ``PoisonEventError``), splits the batch in halves until the one failing event is
   isolated, and dead-letters it at stage ``handle``; an unexplained failure is first
   retried a few times, and dead-letters an event only if it reproduces on that
   event alone;
5. only then lets the offsets be committed.

Decoding and validation can never raise past the consumer: any exception there
dead-letters the record. Reasons name the field and the rule, never the value.
Readiness (``ready``) is false while the consuming task is down, while a transient
failure persists, and once the same batch has failed
``attempts_before_not_ready`` times in a row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from opentelemetry.trace import Span, SpanKind

from tandem_common.db.errors import is_data_error, is_transient, sqlstate
from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.envelope import EnvelopeError, decode
from tandem_common.events.registry import EventRegistry
from tandem_common.messaging.dead_letter import DeadLetter, send_dead_letters
from tandem_common.messaging.inbox import claim_new
from tandem_common.messaging.producer import RecordProducer
from tandem_common.messaging.progress import ConsumerProgress
from tandem_common.messaging.received import PoisonEventError, ReceivedEvent
from tandem_common.retry import Backoff, FailedAttempt, Retrier, RetryStopped
from tandem_common.telemetry.instruments import backbone_instruments
from tandem_common.telemetry.propagation import parent_from_traceparent, traceparent_of
from tandem_common.telemetry.setup import ending_spans, tracer

log = logging.getLogger(__name__)
T = TypeVar("T")

BatchHandler = Callable[[UnitOfWork, Sequence[ReceivedEvent]], Awaitable[None]]


DEFAULT_BACKOFF = Backoff()
_YIELD_EVERY = 500


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
        unexplained_failure_attempts: int = 3,
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
        self._unexplained_failure_attempts = unexplained_failure_attempts
        self.progress = ConsumerProgress(name, topic)
        self._instruments = backbone_instruments()
        self._labels = {"subscriber": name, "topic": topic}
        self._stopping = asyncio.Event()
        self.joined = False
        self.stalled = False
        # The type name of the error that ended the consuming task, until it consumes again.
        self.consuming_error: str | None = None
        self.failed_batches_in_row = 0
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self._set_ready_gauge()

    @property
    def ready(self) -> bool:
        return (
            self.joined
            and not self.stalled
            and self.consuming_error is None
            and self.failed_batches_in_row < self._attempts_before_not_ready
        )

    def consuming_failed(self, error: BaseException) -> None:
        """The task that fetches records ended with ``error``; it is being restarted."""
        self.consuming_error = type(error).__name__
        self._set_ready_gauge()

    def consuming_resumed(self) -> None:
        if self.consuming_error is not None:
            self.consuming_error = None
            self._set_ready_gauge()

    def mark_joined(self) -> None:
        self.joined = True
        self._set_ready_gauge()

    def stop(self) -> None:
        self._stopping.set()

    def _set_ready_gauge(self) -> None:
        self._instruments.consumer_ready.set(1 if self.ready else 0, {"subscriber": self.name})

    async def handle_records(self, records: Sequence[Any]) -> None:
        """Handle one batch completely; returns only when its effects are durable."""
        self.progress.batch_received(records)
        try:
            await self._handle(records)
        except BaseException:
            self.failed_batches_in_row += 1
            if self.failed_batches_in_row == self._attempts_before_not_ready:
                log.error(
                    "the same batch failed repeatedly; not ready until it succeeds",
                    extra={"subscriber": self.name, "failures": self.failed_batches_in_row},
                )
            self._set_ready_gauge()
            raise
        self.progress.batch_done(records)
        if self.failed_batches_in_row:
            self.failed_batches_in_row = 0
            self._set_ready_gauge()

    async def _handle(self, records: Sequence[Any]) -> None:
        started = time.perf_counter()
        good: list[ReceivedEvent] = []
        letters: list[DeadLetter] = []
        seen: set[tuple[str, str]] = set()
        batch_duplicates = 0
        for position, record in enumerate(records, start=1):
            if position % _YIELD_EVERY == 0:
                # Decoding a 2,000-record batch takes tens of milliseconds: hand the loop
                # back now and then, so heartbeats, the relay and the API keep going.
                await asyncio.sleep(0)
            received = self._received(record, letters)
            if received is None:
                continue
            if received.identity in seen:
                batch_duplicates += 1
                continue
            seen.add(received.identity)
            good.append(received)

        if letters:
            await self.dead_letter(letters)
        if good:
            await self._apply(good)
        self.duplicates += batch_duplicates
        if batch_duplicates:
            self._instruments.consumed.add(batch_duplicates, {**self._labels, "outcome": "duplicate"})
        self._instruments.processing_seconds.record(time.perf_counter() - started, self._labels)

    def _received(self, record: Any, letters: list[DeadLetter]) -> ReceivedEvent | None:
        """The decoded, validated event, or ``None`` with its dead letter added to ``letters``.

        Nothing raised here may escape: an exception the envelope or schema code did not
        foresee (a ``RecursionError``, say) still only dead-letters this one record.
        """
        stage = "decode"
        try:
            envelope = decode(record.value, record.headers or ())
            stage = "validate"
            data = self._registry.validate(envelope)
            key = record.key.decode("utf-8", "replace") if record.key is not None else None
        except EnvelopeError as error:
            letters.append(DeadLetter.of(record, error.reason, error.stage))
            return None
        except Exception as error:
            verb = "decoded" if stage == "decode" else "validated"
            reason = f"the record could not be {verb}: {type(error).__name__}"
            letters.append(DeadLetter.of(record, reason, stage))
            return None
        return ReceivedEvent(
            envelope=envelope,
            data=data,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=key,
            record=record,
        )

    async def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Send ``letters`` with the consumer's retries, logs and metrics.

        Also used for records the consumer was never handed (unreadable ones).
        """
        await self._retrying(lambda: send_dead_letters(self._producer, letters))
        for letter in letters:
            log.warning(
                "dead-lettered a message",
                extra={
                    "subscriber": self.name,
                    **letter.position(),
                    "stage": letter.stage,
                    "reason": letter.reason,
                },
            )
        self.dead_lettered += len(letters)
        self._instruments.dead_lettered.add(len(letters), self._labels)
        self._instruments.consumed.add(len(letters), {**self._labels, "outcome": "dead_lettered"})

    async def _apply(self, events: Sequence[ReceivedEvent]) -> None:
        try:
            await self._retrying(lambda: self._transaction(events), unexplained_attempts=True)
        except PoisonEventError as error:
            if len(events) == 1 or error.event not in events:
                await self.dead_letter([DeadLetter.of(error.event.record, error.reason, "handle")])
                rest = [event for event in events if event is not error.event]
                if rest:
                    await self._apply(rest)
                return
            await self._split(events)
        except ConsumerStoppingError:
            raise
        except Exception as error:
            if len(events) == 1:
                log.error(
                    "handler failed on one event; dead-lettering it",
                    extra={
                        "subscriber": self.name,
                        "error": type(error).__name__,
                        "sqlstate": sqlstate(error),
                    },
                )
                await self.dead_letter([DeadLetter.of(events[0].record, _handler_reason(error), "handle")])
                return
            await self._split(events)

    async def _split(self, events: Sequence[ReceivedEvent]) -> None:
        middle = len(events) // 2
        await self._apply(events[:middle])
        await self._apply(events[middle:])

    async def _transaction(self, events: Sequence[ReceivedEvent]) -> None:
        with ending_spans() as spans:
            for event in events:
                spans.append(self._processing_span(event))
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

    async def _retrying(
        self, operation: Callable[[], Awaitable[T]], *, unexplained_attempts: bool = False
    ) -> T:
        """Run ``operation``, retrying transient failures without limit.

        With ``unexplained_attempts``, a failure that is neither transient nor caused by
        data is retried too, a few times, before it is raised for the caller to split.
        """
        unexplained = 0

        def retriable(error: Exception) -> bool:
            nonlocal unexplained
            if is_transient(error):
                return True
            if not unexplained_attempts or _caused_by_data(error):
                return False
            unexplained += 1
            return unexplained < self._unexplained_failure_attempts

        retrier = Retrier(
            self._backoff, is_retriable=retriable, on_retry=self._will_retry, stop=self._stopping
        )
        try:
            result = await retrier.run(operation)
        except RetryStopped as stopped:
            raise ConsumerStoppingError(self.name) from stopped.__cause__
        if self.stalled:
            self.stalled = False
            self._set_ready_gauge()
            log.info("consumer recovered", extra={"subscriber": self.name})
        return result

    def _will_retry(self, failure: FailedAttempt) -> None:
        self._instruments.retries.add(1, self._labels)
        about = {"subscriber": self.name, "attempt": failure.number, "error": type(failure.error).__name__}
        if failure.number >= self._attempts_before_not_ready and not self.stalled:
            self.stalled = True
            self._set_ready_gauge()
            log.error("consumer is stalled on a failure; not ready until it clears", extra=about)
        log.warning(
            "handling failed; retrying",
            extra={**about, "sqlstate": sqlstate(failure.error), "delay": round(failure.delay, 3)},
        )


def _caused_by_data(error: BaseException) -> bool:
    return isinstance(error, PoisonEventError) or is_data_error(error)


def _handler_reason(error: BaseException) -> str:
    """Why the handler refused an event, from the error's class and SQLSTATE only.

    Error messages are not used: database messages quote the offending values.
    """
    code = sqlstate(error)
    if code is None:
        return f"the handler failed on this event: {type(error).__name__}"
    origin = getattr(error, "orig", None)
    driver_error = getattr(origin, "__cause__", None) or origin or error
    column = getattr(driver_error, "column_name", None)
    constraint = getattr(driver_error, "constraint_name", None)
    where = f", column {column}" if column else f", constraint {constraint}" if constraint else ""
    return f"the database refused this event's data: SQLSTATE {code} ({type(driver_error).__name__}{where})"
