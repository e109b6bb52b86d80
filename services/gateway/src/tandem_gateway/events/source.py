"""The Kafka records behind the hub: every partition of the gateway's topics, from their end.

Each gateway replica must see every event, so the source joins no consumer group: it
assigns itself every partition of each topic and reads from the latest offset. No
offsets are committed (a subscription is live only), no group lingers on the broker
after a replica goes away, and no rebalance ever moves partitions between replicas.
The position of every partition is resolved before the source reports itself open,
so an event produced after that is never skipped. The embedded tansu broker reports
the end of a partition as the start of its last record batch, so a few records from
before may be read again; the hub drops them by event time.

aiokafka keeps retrying a broker that went away inside ``getmany``, which then just
returns nothing: :meth:`KafkaRecordSource.check` asks the broker for its metadata so
the hub learns of an outage (and reports not ready). When the source is opened again
after a failure, each partition resumes where it was read up to, so events published
while the hub was away (an outbox drains its backlog when the broker returns) still
reach the subscribers that were open before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition


class TopicMissing(Exception):
    """A topic the hub reads has no partitions (yet): the source retries with backoff."""


class RecordSource(Protocol):
    """Where the hub's records come from (Kafka, or a fake in tests)."""

    async def open(self) -> None: ...

    async def check(self) -> None: ...

    async def fetch(self, timeout_ms: int) -> Sequence[Any]: ...

    async def close(self) -> None: ...


class KafkaRecordSource:
    """Every partition of ``topics`` on the broker at ``bootstrap``, from their end."""

    def __init__(
        self,
        bootstrap: str,
        topics: Sequence[str],
        *,
        client_id: str,
        request_timeout_ms: int = 30_000,
        fetch_max_wait_ms: int = 100,
        metadata_timeout_seconds: float = 10.0,
        check_timeout_seconds: float = 10.0,
    ) -> None:
        self._bootstrap = bootstrap
        self._topics = list(topics)
        self._client_id = client_id
        self._request_timeout_ms = request_timeout_ms
        # How long the broker may hold a fetch open when there is nothing to read:
        # short, as it bounds the delay of an event on a broker that does not answer
        # a waiting fetch as soon as records arrive.
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._metadata_timeout_seconds = metadata_timeout_seconds
        self._check_timeout_seconds = check_timeout_seconds
        self._consumer: AIOKafkaConsumer | None = None
        # The next offset to read of each partition, kept across a reopen.
        self._next: dict[TopicPartition, int] = {}

    async def open(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            request_timeout_ms=self._request_timeout_ms,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
        )
        self._consumer = consumer
        await consumer.start()
        partitions = [p for topic in self._topics for p in await self._partitions(consumer, topic)]
        consumer.assign(partitions)
        for partition in partitions:
            resume = self._next.get(partition)
            if resume is not None:
                consumer.seek(partition, resume)
            # Resolves "latest" now rather than at the first fetch.
            self._next[partition] = await consumer.position(partition)

    async def _partitions(self, consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._metadata_timeout_seconds
        while True:
            found = consumer.partitions_for_topic(topic)
            if found:
                return [TopicPartition(topic, p) for p in sorted(found)]
            if loop.time() >= deadline:
                raise TopicMissing(f"topic {topic} has no partitions")
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)

    async def check(self) -> None:
        """Raises if the broker does not answer a metadata request in time."""
        if self._consumer is None:
            raise RuntimeError("the record source is not open")
        await asyncio.wait_for(self._consumer.topics(), self._check_timeout_seconds)

    async def fetch(self, timeout_ms: int) -> Sequence[Any]:
        if self._consumer is None:
            raise RuntimeError("the record source is not open")
        batches = await self._consumer.getmany(timeout_ms=timeout_ms)
        for partition, records in batches.items():
            if records:
                self._next[partition] = records[-1].offset + 1
        return [record for records in batches.values() for record in records]

    async def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await _stop(consumer)


async def _stop(consumer: AIOKafkaConsumer) -> None:
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        if _cancelling():
            raise
        # aiokafka 0.14 re-raises the cancellation of its own in-flight fetches from
        # stop() when the broker went away, before it closes its connections.
        await consumer._client.close()


def _cancelling() -> bool:
    """Whether the running task itself is being cancelled (not a library's inner task)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
