"""Binds a :class:`ReliableConsumer` to a FastStream batch subscriber.

The acknowledgement policy is explicit and manual: offsets are committed only after
the whole batch is durable, and a batch that fails to finish is rewound so that no
later commit can skip it.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from tandem_common.messaging.consumer import ReliableConsumer

log = logging.getLogger(__name__)


class _JoinListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: ReliableConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        # An empty assignment still means the group was joined: with more replicas
        # than partitions some members idle, and they are healthy.
        self._consumer.mark_joined()
        log.info(
            "partitions assigned",
            extra={
                "subscriber": self._consumer.name,
                "partitions": sorted(p.partition for p in assigned),
            },
        )


async def _keep_raw(message: Any) -> None:
    """Decoding is the consumer's job: bad payloads must reach the DLQ, not fail here."""
    return None


def subscribe(
    broker: KafkaBroker,
    consumer: ReliableConsumer,
    *,
    max_records: int,
    batch_timeout_ms: int,
    session_timeout_ms: int = 10_000,
    heartbeat_interval_ms: int = 1_000,
) -> Any:
    subscriber = broker.subscriber(
        consumer.topic,
        group_id=consumer.group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=batch_timeout_ms,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_interval_ms,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=_keep_raw,
        listener=_JoinListener(consumer),
        title=f"{consumer.name}:{consumer.topic}",
    )

    async def handle_batch(message: KafkaMessage) -> None:
        records = message.raw_message
        if not isinstance(records, tuple):
            records = (records,)
        try:
            await consumer.handle_records(records)
        except BaseException:
            await message.nack()
            raise
        try:
            await message.ack()
        except (CommitFailedError, IllegalStateError, KafkaError) as error:
            # The effects are committed with their inbox rows; a redelivery after the
            # rebalance is recognised and has no second effect.
            log.warning(
                "offset commit failed; redelivery will be deduplicated",
                extra={"subscriber": consumer.name, "error": repr(error)},
            )

    handle_batch.__name__ = f"handle_{consumer.name}"
    return subscriber(handle_batch)
