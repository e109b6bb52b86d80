"""Dead letters: the original record, unchanged, plus headers saying what went wrong.

A dead letter must never block the consumer. When the broker refuses one (too large,
for example), a stub replaces it: the same error headers and key, no value, and only
as many original headers as fit in a small budget.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tandem_common.db.errors import is_transient
from tandem_common.messaging.broker import dlq_topic
from tandem_common.messaging.producer import RecordProducer

log = logging.getLogger(__name__)

ERROR_REASON = "x-error-reason"
ERROR_STAGE = "x-error-stage"
ORIGINAL_TOPIC = "x-original-topic"
ORIGINAL_PARTITION = "x-original-partition"
ORIGINAL_OFFSET = "x-original-offset"
# Set on a stub: why the original value is not in the dead letter.
VALUE_DROPPED = "x-error-value-dropped"
_ADDED = {ERROR_REASON, ERROR_STAGE, ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET, VALUE_DROPPED}

# Reasons are sentences for people, capped so they can never make a record too large.
MAX_REASON_BYTES = 512
# A stub keeps the original headers only while they fit in this many bytes.
STUB_HEADER_BUDGET = 8 * 1024


def cap_reason(reason: str) -> str:
    """``reason`` cut to :data:`MAX_REASON_BYTES` of UTF-8, on a character boundary."""
    encoded = reason.encode("utf-8", "replace")
    if len(encoded) <= MAX_REASON_BYTES:
        return reason
    return encoded[: MAX_REASON_BYTES - 3].decode("utf-8", "ignore") + "..."


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    reason: str
    stage: str
    value_dropped: str | None = None

    @classmethod
    def of(cls, record: Any, reason: str, stage: str) -> DeadLetter:
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=tuple(record.headers or ()),
            reason=cap_reason(reason),
            stage=stage,
        )

    @classmethod
    def stub(
        cls, topic: str, partition: int, offset: int, key: bytes | None, reason: str, stage: str
    ) -> DeadLetter:
        """A dead letter for a record whose value and headers cannot be carried."""
        return cls(
            topic=topic,
            partition=partition,
            offset=offset,
            key=key,
            value=None,
            headers=(),
            reason=cap_reason(reason),
            stage=stage,
            value_dropped="the record could not be read",
        )

    def position(self) -> dict[str, object]:
        """Where the record stood; every log line about a dead letter names it."""
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset}

    def without_value(self, why: str) -> DeadLetter:
        """The stub that replaces this dead letter when the broker refuses it."""
        kept: list[tuple[str, bytes]] = []
        budget = STUB_HEADER_BUDGET
        for name, value in self.headers:
            size = len(name) + len(value or b"")
            if name in _ADDED or size > budget:
                continue
            kept.append((name, value))
            budget -= size
        return replace(self, value=None, headers=tuple(kept), value_dropped=why)

    def dlq_headers(self) -> list[tuple[str, bytes]]:
        # Headers from an earlier dead-lettering are replaced, not repeated.
        original = [(name, value) for name, value in self.headers if name not in _ADDED]
        added = [
            (ERROR_REASON, cap_reason(self.reason).encode("utf-8", "replace")),
            (ERROR_STAGE, self.stage.encode()),
            (ORIGINAL_TOPIC, self.topic.encode()),
            (ORIGINAL_PARTITION, str(self.partition).encode()),
            (ORIGINAL_OFFSET, str(self.offset).encode()),
        ]
        if self.value_dropped is not None:
            added.append((VALUE_DROPPED, self.value_dropped.encode()))
        return [*original, *added]


async def send_dead_letters(producer: RecordProducer, letters: Sequence[DeadLetter]) -> list[DeadLetter]:
    """Publish ``letters`` to their DLQ topics and wait until the broker has them all.

    A letter the broker refuses for good (too large, invalid) is replaced by its stub;
    a stub that is refused too is logged and given up, because a dead letter must not
    hold up the records behind it. Transient failures (broker away) raise, for the
    caller to retry. Returns the letters as sent, stubs included.
    """
    sent = list(letters)
    results = await _send(producer, sent)
    refused = [i for i, result in enumerate(results) if isinstance(result, BaseException)]
    _raise_if_transient([results[i] for i in refused])
    if not refused:
        return sent
    stubs = [
        sent[i].without_value(f"the broker refused the dead letter: {type(results[i]).__name__}")
        for i in refused
    ]
    for stub in stubs:
        log.error(
            "the broker refused a dead letter; sending a stub without its value",
            extra={**stub.position(), "stage": stub.stage},
        )
    stub_results = await _send(producer, stubs)
    _raise_if_transient([r for r in stub_results if isinstance(r, BaseException)])
    for index, stub, result in zip(refused, stubs, stub_results, strict=True):
        sent[index] = stub
        if isinstance(result, BaseException):
            log.error(
                "the broker refused the dead-letter stub too; the record is skipped",
                extra={**stub.position(), "error": type(result).__name__},
            )
    return sent


async def _send(producer: RecordProducer, letters: Sequence[DeadLetter]) -> list[Any]:
    async def one(letter: DeadLetter) -> Any:
        future = await producer.send(dlq_topic(letter.topic), letter.key, letter.value, letter.dlq_headers())
        return await future

    return await asyncio.gather(*(one(letter) for letter in letters), return_exceptions=True)


def _raise_if_transient(errors: Sequence[Any]) -> None:
    """Raise anything but a broker's final refusal of a record: the caller retries those."""
    from aiokafka.errors import KafkaError

    for error in errors:
        if isinstance(error, BaseException) and (is_transient(error) or not isinstance(error, KafkaError)):
            raise error
