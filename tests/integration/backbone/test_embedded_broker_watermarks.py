"""Pins how the embedded tansu broker reports the end of a partition.

tansu answers ListOffsets(latest) with the base offset of the partition's last record
batch plus one, not with the offset after its last record. Tandem therefore never
relies on end offsets (README, "The embedded default"), and its lag gauge is a lower
bound there. If this test fails on the embedded backend, a tansu build has fixed the
under-report: update the README and the lag gauge's description, then this test.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tandem_common.testing.backends import Infrastructure
from tests.support.kafka import create_topics, unique_topic

BATCHES = 3
PER_BATCH = 4


async def test_end_offsets_on_the_embedded_broker_stop_at_the_last_batch(
    infrastructure: Infrastructure,
) -> None:
    topic = unique_topic("watermarks")
    await create_topics(infrastructure.kafka_bootstrap, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for _ in range(BATCHES):
            batch = producer.create_batch()
            for n in range(PER_BATCH):
                batch.append(key=b"k", value=str(n).encode(), timestamp=None)
            await (await producer.send_batch(batch, topic, partition=0))
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=infrastructure.kafka_bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    partition = TopicPartition(topic, 0)
    try:
        consumer.assign([partition])
        reported = (await consumer.end_offsets([partition]))[partition]
        fetched = 0
        while fetched < BATCHES * PER_BATCH:
            batches = await consumer.getmany(timeout_ms=2000)
            assert batches, "the records did not arrive"
            fetched += sum(len(records) for records in batches.values())
    finally:
        await consumer.stop()
    assert fetched == BATCHES * PER_BATCH
    if infrastructure.kind == "embedded":
        last_batch_base = (BATCHES - 1) * PER_BATCH
        assert reported == last_batch_base + 1, (
            "tansu now reports true end offsets: see this module's docstring"
        )
    else:
        assert reported == BATCHES * PER_BATCH
