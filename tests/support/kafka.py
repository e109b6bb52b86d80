"""Producing and reading raw records in tests."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tandem_testkit.harness import topic_partitions


class RawName(str):
    """A header name written as raw bytes: aiokafka's pure-Python builder calls ``encode``."""

    raw: bytes

    def __new__(cls, raw: bytes) -> RawName:
        name = super().__new__(cls, "?" * len(raw))
        name.raw = raw
        return name

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self.raw


def unique_topic(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}"


async def create_topics(bootstrap: str, topics: Sequence[str], partitions: int = 1) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if new:
            await admin.create_topics(new)
    finally:
        await admin.close()


async def produce(
    bootstrap: str,
    topic: str,
    records: Sequence[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]],
    partition: int | None = 0,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value=value, key=key, headers=headers, partition=partition)
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, expected: int, timeout: float = 30.0) -> list[Any]:
    """Read ``topic`` from the start until ``expected`` records arrived or time ran out.

    After reaching ``expected`` it keeps reading briefly, so extra records show up too.
    Each attempt reads with a fresh consumer from the beginning: right after a broker
    restart the embedded broker can answer a first fetch with nothing.
    """
    deadline = time.monotonic() + timeout
    records: list[Any] = []
    while time.monotonic() < deadline:
        records = await _read_once(bootstrap, topic, expected, min(5.0, deadline - time.monotonic()))
        if len(records) >= expected:
            return records
        await asyncio.sleep(0.2)
    return records


async def _read_once(bootstrap: str, topic: str, expected: int, timeout: float) -> list[Any]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    try:
        partitions = await topic_partitions(consumer, topic, timeout=timeout)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        settle_until: float | None = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            for messages in batch.values():
                records.extend(messages)
            if len(records) >= expected and settle_until is None:
                settle_until = time.monotonic() + 0.5
            if settle_until is not None and time.monotonic() >= settle_until:
                break
        return records
    finally:
        await consumer.stop()


async def committed_offset(bootstrap: str, group: str, topic: str, partition: int = 0) -> int | None:
    """The group's committed offset, read without joining the group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.committed(TopicPartition(topic, partition))
    finally:
        await consumer.stop()


def headers_of(record: Any) -> dict[str, bytes]:
    return {name: value for name, value in record.headers}
