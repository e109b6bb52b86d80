"""A byte-exact Kafka producer for the outbox relay and dead letters.

FastStream's publishers take string headers; dead letters must carry the original
headers byte for byte, and the relay publishes pre-encoded payloads, so both use
aiokafka's producer directly with the same reliability settings as the broker.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer

from tandem_common.settings import TandemSettings

RawHeaders = list[tuple[str, bytes]]


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
            linger_ms=5,
            max_batch_size=256 * 1024,
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
