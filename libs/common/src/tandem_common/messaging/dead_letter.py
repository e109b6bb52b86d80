"""Dead letters: the original record, unchanged, plus headers saying what went wrong."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tandem_common.messaging.broker import dlq_topic
from tandem_common.messaging.producer import RecordProducer

ERROR_REASON = "x-error-reason"
ERROR_STAGE = "x-error-stage"
ORIGINAL_TOPIC = "x-original-topic"
ORIGINAL_PARTITION = "x-original-partition"
ORIGINAL_OFFSET = "x-original-offset"
_ADDED = {ERROR_REASON, ERROR_STAGE, ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET}


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

    @classmethod
    def of(cls, record: Any, reason: str, stage: str) -> DeadLetter:
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=tuple(record.headers or ()),
            reason=reason,
            stage=stage,
        )

    def dlq_headers(self) -> list[tuple[str, bytes]]:
        # Headers from an earlier dead-lettering are replaced, not repeated.
        original = [(name, value) for name, value in self.headers if name not in _ADDED]
        return [
            *original,
            (ERROR_REASON, self.reason.encode()),
            (ERROR_STAGE, self.stage.encode()),
            (ORIGINAL_TOPIC, self.topic.encode()),
            (ORIGINAL_PARTITION, str(self.partition).encode()),
            (ORIGINAL_OFFSET, str(self.offset).encode()),
        ]


async def send_dead_letters(producer: RecordProducer, letters: Sequence[DeadLetter]) -> None:
    """Publish ``letters`` to their DLQ topics and wait until the broker has them all."""
    pending = [
        await producer.send(dlq_topic(letter.topic), letter.key, letter.value, letter.dlq_headers())
        for letter in letters
    ]
    await asyncio.gather(*pending)
