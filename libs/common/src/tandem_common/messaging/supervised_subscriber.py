"""Supervision of the task in which a FastStream batch subscriber consumes.

How FastStream 0.7.8 runs it: ``LogicSubscriber.start()`` builds the aiokafka consumer
and calls ``add_task(self._run_consume_loop, (consumer,))``. That loop catches
``KafkaError`` (it logs, sleeps five seconds and fetches again) and
``ConsumerStoppedError`` (it returns); any other exception from ``get_msg`` (aiokafka's
``getmany``) ends the task. FastStream's ``TaskCallbackSupervisor``, a done-callback on
the task, then starts a new one at once: no pause, no rewind, no log line while the
broker has no logger, readiness untouched, and each dead task kept in
``subscriber.tasks``. A record that aiokafka cannot decode turns that into a busy loop
that never consumes again.

:class:`ConsumeSupervisor` sets two instance attributes over the subscriber's methods:
``_run_consume_loop`` (``start()`` and the task supervisor both look it up on the
instance) runs FastStream's own loop inside a guard, and ``get_msg`` reports that
fetching works again. When the loop ends with an exception the guard logs it, marks the
consumer not ready, reads past unreadable records (:mod:`fetch_repair`), rewinds every
assigned partition to its committed offset, and runs the loop again after a backoff.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka.errors import KafkaError

from tandem_common.messaging.consumer import ReliableConsumer
from tandem_common.messaging.fetch_repair import (
    DeadLetterSender,
    UnreadableRecordError,
    is_unreadable_record_error,
    repair_partition,
)
from tandem_common.retry import Backoff, FailedAttempt, Retrier

log = logging.getLogger(__name__)


class ConsumeSupervisor:
    def __init__(
        self,
        subscriber: Any,
        consumer: ReliableConsumer,
        *,
        max_records: int,
        backoff: Backoff,
        dead_letter: DeadLetterSender,
    ) -> None:
        self._subscriber = subscriber
        self._consumer = consumer
        self._max_records = max_records
        self._backoff = backoff
        self._dead_letter = dead_letter
        # Failures since the last successful fetch; each one lengthens the pause.
        self.failures = 0

    def install(self) -> None:
        for name in ("_run_consume_loop", "get_msg"):
            if not callable(getattr(self._subscriber, name, None)):
                # A FastStream upgrade renamed the loop: fail at start-up, not silently.
                raise RuntimeError(f"the FastStream subscriber has no {name} to supervise")
        self._run_loop = self._subscriber._run_consume_loop
        self._get_msg = self._subscriber.get_msg
        self._subscriber._run_consume_loop = self._supervised_loop
        self._subscriber.get_msg = self._reporting_get_msg

    async def _reporting_get_msg(self, kafka_consumer: Any) -> Any:
        try:
            records = await self._get_msg(kafka_consumer)
        except KafkaError as error:
            # The pure-Python record reader wraps the decode failure in a KafkaError,
            # which FastStream's loop would retry forever; it must reach the guard.
            if is_unreadable_record_error(error):
                raise UnreadableRecordError(str(error)) from error
            raise
        if self.failures:
            self.failures = 0
            self._consumer.consuming_resumed()
            log.info("consuming again", extra={"subscriber": self._consumer.name})
        return records

    async def _supervised_loop(self, kafka_consumer: Any) -> None:
        while True:
            try:
                await self._run_loop(kafka_consumer)
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not self._subscriber.running:
                    return  # stopping: the consumer was closed under the loop
                self.failures += 1
                self._consumer.consuming_failed(error)
                log.exception(
                    "the consuming task failed; restarting it from the committed offsets",
                    extra={
                        "subscriber": self._consumer.name,
                        "topic": self._consumer.topic,
                        "error": type(error).__name__,
                        "failures": self.failures,
                    },
                )
                if not await self._recover(kafka_consumer, error):
                    return

    async def _recover(self, kafka_consumer: Any, error: BaseException) -> bool:
        """Repair and rewind, retrying until it works; ``False`` if the subscriber stops first."""
        retrier = Retrier(
            self._backoff,
            # Anything is retried while the subscriber runs; once it stops, nothing is.
            is_retriable=lambda _: self._subscriber.running,
            on_retry=self._will_retry_restart,
            pause=self._pause_while_running,
        )
        # The pauses go on from the consuming task's failures in a row, the first one
        # before the first try.
        retrier.failures = self.failures
        if not await retrier.pause():
            return False

        async def restart() -> None:
            if is_unreadable_record_error(error):
                await self._repair(kafka_consumer)
            await rewind_to_committed(kafka_consumer)

        try:
            await retrier.run(restart)
        except Exception:
            # The subscriber stopped, during a pause or with a try failing.
            return False
        return True

    def _will_retry_restart(self, failure: FailedAttempt) -> None:
        log.error(
            "could not restart consuming yet; retrying",
            exc_info=failure.error,
            extra={"subscriber": self._consumer.name, "attempt": failure.number},
        )

    async def _pause_while_running(self, seconds: float) -> bool:
        await asyncio.sleep(seconds)
        return bool(self._subscriber.running)

    async def _repair(self, kafka_consumer: Any) -> None:
        # The exception does not say which partition failed, so each assigned one is
        # checked; a partition with nothing unreadable near its position is left alone.
        for tp in sorted(kafka_consumer.assignment()):
            await repair_partition(
                kafka_consumer,
                tp,
                handle=self._consumer.handle_records,
                dead_letter=self._dead_letter,
                max_records=self._max_records,
            )


async def rewind_to_committed(kafka_consumer: Any) -> None:
    """Fetch every assigned partition again from its committed offset.

    A failed ``getmany`` loses the records it had already taken from other partitions,
    yet their positions have moved on; the next commit (FastStream commits every
    partition's position) would skip them for good.
    """
    for tp in sorted(kafka_consumer.assignment()):
        committed = await kafka_consumer.committed(tp)
        if committed is None:
            # Nothing committed yet: the subscription starts such partitions at the beginning.
            await kafka_consumer.seek_to_beginning(tp)
        else:
            kafka_consumer.seek(tp, committed)
