"""The FastStream Kafka broker every service uses, and topic provisioning."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from tandem_common.settings import TandemSettings

log = logging.getLogger(__name__)


def create_broker(settings: TandemSettings, *, client_id: str) -> KafkaBroker:
    """A broker whose producer waits for all in-sync replicas.

    Idempotence is a setting because the embedded broker cannot grant producer ids.
    """
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        linger_ms=settings.kafka_linger_ms,
        max_batch_size=settings.kafka_max_batch_bytes,
        allow_auto_create_topics=False,
        # FastStream logs what escapes a handler or its consume loop through this
        # logger; its routine lines (each message received and processed) are debug.
        logger=_faststream_logger(),
        log_level=logging.DEBUG,
        graceful_timeout=settings.kafka_graceful_timeout_seconds,
    )


class _TopicsAreProvisioned(logging.Filter):
    """Drops FastStream's start-up reminder that auto-creation is off: Tandem creates
    its topics itself (:func:`provision_topics`) before any subscriber starts."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Auto create topics is disabled")


def _faststream_logger() -> logging.Logger:
    logger = logging.getLogger("tandem.faststream")
    if not any(isinstance(f, _TopicsAreProvisioned) for f in logger.filters):
        logger.addFilter(_TopicsAreProvisioned())
    return logger


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


async def provision_topics(settings: TandemSettings, topics: Iterable[str]) -> list[str]:
    """Create ``topics`` (and their DLQs) with the configured partitions and replication.

    Returns the topics that were created; existing ones are left as they are.
    """
    wanted = sorted({name for topic in topics for name in (topic, dlq_topic(topic))})
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap,
        request_timeout_ms=settings.kafka_request_timeout_ms,
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        created: list[str] = []
        for name in missing:
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            name,
                            num_partitions=settings.kafka_partitions,
                            replication_factor=settings.kafka_replication_factor,
                        )
                    ]
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        if created:
            log.info("created topics", extra={"topics": created})
        return created
    finally:
        await admin.close()
