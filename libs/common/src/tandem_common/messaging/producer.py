"""A byte-exact Kafka producer for the outbox relay and dead letters.

FastStream's publishers take string headers; dead letters must carry the original
headers byte for byte, and the relay publishes pre-encoded payloads, so both use
aiokafka's producer directly with the same reliability settings as the broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from tandem_common.settings import TandemSettings

RawHeaders = list[tuple[str, bytes]]
# (topic, key, value, headers); keys are required, they choose the partition.
OutgoingRecord = tuple[str, bytes, bytes | None, RawHeaders]


class RecordProducer:
    def __init__(self, settings: TandemSettings, *, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.kafka_bootstrap,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=self._settings.kafka_idempotence,
            request_timeout_ms=self._settings.kafka_request_timeout_ms,
            linger_ms=self._settings.kafka_linger_ms,
            max_batch_size=self._settings.kafka_max_batch_bytes,
        )
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    @property
    def started(self) -> bool:
        return self._producer is not None

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: RawHeaders
    ) -> asyncio.Future[Any]:
        """Queue one record; the returned future resolves when the broker acknowledged it."""
        if self._producer is None:
            raise RuntimeError("the producer is not started")
        future: asyncio.Future[Any] = await self._producer.send(topic, value=value, key=key, headers=headers)
        return future

    async def send_many(self, records: Sequence[OutgoingRecord]) -> None:
        """Send ``records`` in order per partition and wait until the broker has them all.

        Records are packed into one batch per partition (aiokafka's batch API), which
        costs far less per record than one ``send`` each; the key picks the partition
        exactly as a single send would (murmur2, like the Java client).
        """
        if self._producer is None:
            raise RuntimeError("the producer is not started")
        producer = self._producer
        groups: dict[tuple[str, int], list[OutgoingRecord]] = {}
        partitions: dict[str, list[int]] = {}
        for record in records:
            topic = record[0]
            if topic not in partitions:
                partitions[topic] = sorted(await producer.partitions_for(topic))
            choices = partitions[topic]
            partition = choices[(murmur2(record[1]) & 0x7FFFFFFF) % len(choices)]
            groups.setdefault((topic, partition), []).append(record)
        pending: list[asyncio.Future[Any]] = []
        for (topic, partition), group in groups.items():
            batch = producer.create_batch()
            for _, key, value, headers in group:
                if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                    pending.append(await producer.send_batch(batch, topic, partition=partition))
                    batch = producer.create_batch()
                    batch.append(key=key, value=value, timestamp=None, headers=headers)
            pending.append(await producer.send_batch(batch, topic, partition=partition))
        # Every batch settles before the caller judges the outcome, so no batch of a
        # failed call is still being retried when the caller tries again.
        results = await asyncio.gather(*pending, return_exceptions=True)
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            raise failures[0]
