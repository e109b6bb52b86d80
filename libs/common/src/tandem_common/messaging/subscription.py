"""Binds a :class:`ReliableConsumer` to a FastStream batch subscriber.

The acknowledgement policy is explicit and manual: offsets are committed only after
the whole batch is durable, and a batch that fails to finish is rewound so that no
later commit can skip it. The task that fetches is supervised
(:mod:`supervised_subscriber`): if it fails it is logged, the consumer reports not
ready, and consuming restarts from the committed offsets.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from tandem_common.messaging.consumer import ConsumerStoppingError, ReliableConsumer
from tandem_common.messaging.supervised_subscriber import ConsumeSupervisor
from tandem_common.retry import Backoff

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


def _note_highwaters(consumer: ReliableConsumer, message: KafkaMessage, records: Any) -> None:
    """Feed the lag gauge with the high watermarks the last fetch reported."""
    fetcher = getattr(message, "consumer", None)
    highwater = getattr(fetcher, "highwater", None)
    if highwater is None:
        return
    seen: dict[int, int] = {}
    for partition in {record.partition for record in records}:
        mark = highwater(TopicPartition(consumer.topic, partition))
        if mark is not None:
            seen[partition] = mark
    consumer.progress.highwaters_seen(seen)


def subscribe(
    broker: KafkaBroker,
    consumer: ReliableConsumer,
    *,
    max_records: int,
    batch_timeout_ms: int,
    session_timeout_ms: int = 10_000,
    heartbeat_interval_ms: int = 1_000,
    restart_backoff: Backoff | None = None,
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
        except ConsumerStoppingError:
            # Shutting down during a retry: the batch is rewound, and that is no error.
            await message.nack()
            return
        except BaseException:
            await message.nack()
            raise
        _note_highwaters(consumer, message, records)
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
    handler = subscriber(handle_batch)
    ConsumeSupervisor(
        subscriber,
        consumer,
        max_records=max_records,
        backoff=restart_backoff or Backoff(),
        dead_letter=consumer.dead_letter,
    ).install()
    return handler
