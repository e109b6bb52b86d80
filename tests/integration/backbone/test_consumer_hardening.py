"""Handler failures that are not the event's fault, and readiness that means consuming."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from prometheus_client import generate_latest

from tandem_common.messaging.received import ReceivedEvent
from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import (
    build_runtime,
    count_effects,
    ping_record,
    ping_service_ready,
    settings_for,
    started_ping_service,
    wait_until,
)
from tests.support.kafka import headers_of, produce, read_all


async def _prepared(infrastructure: Infrastructure, database_url: str, records):  # type: ignore[no-untyped-def]
    schemas = await ping_service_ready(infrastructure.kafka_bootstrap, database_url)
    await produce(infrastructure.kafka_bootstrap, schemas.in_topic, records)
    return schemas


async def test_an_unexplained_failure_that_passes_on_retry_dead_letters_nothing(
    infrastructure: Infrastructure, database_url: str
) -> None:
    schemas = await _prepared(infrastructure, database_url, [ping_record(n) for n in range(20)])
    failures = {"left": 2}

    async def flaky(events: Sequence[ReceivedEvent]) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("a passing fault the classifier does not know")

    runtime = await started_ping_service(database_url, infrastructure.kafka_bootstrap, schemas, before=flaky)
    try:
        await wait_until(lambda: _effects_are(database_url, 20), timeout=30)
    finally:
        await runtime.stop()
    assert runtime.consumers[0].dead_lettered == 0
    assert await count_effects(database_url) == {f"ping-{n}": 1 for n in range(20)}


async def _effects_are(database_url: str, expected: int) -> bool:
    return len(await count_effects(database_url)) == expected


async def test_a_failure_that_reproduces_on_one_event_dead_letters_only_that_event_without_its_message(
    infrastructure: Infrastructure, database_url: str
) -> None:
    schemas = await _prepared(infrastructure, database_url, [ping_record(n) for n in range(20)])

    async def refuse_seven(events: Sequence[ReceivedEvent]) -> None:
        if any(event.data.n == 7 for event in events):  # type: ignore[attr-defined]
            raise RuntimeError("secret value 7 in the message")

    runtime = await started_ping_service(
        database_url, infrastructure.kafka_bootstrap, schemas, before=refuse_seven
    )
    try:
        await wait_until(lambda: _effects_are(database_url, 19), timeout=60)
        letters = await read_all(
            infrastructure.kafka_bootstrap, f"{schemas.in_topic}.dlq", expected=1, timeout=10
        )
    finally:
        await runtime.stop()
    assert len(letters) == 1
    headers = headers_of(letters[0])
    assert headers["x-error-stage"] == b"handle"
    assert headers["x-error-reason"] == b"the handler failed on this event: RuntimeError"
    assert headers["x-original-offset"] == b"7"


async def test_readiness_turns_red_when_the_same_batch_keeps_failing_and_green_when_it_passes(
    infrastructure: Infrastructure, database_url: str
) -> None:
    """The dead-letter producer fails with an error nobody expected: the batch is rewound."""
    not_json = (b"E1", b"{not json", [("ce_specversion", b"1.0")])
    schemas = await _prepared(infrastructure, database_url, [not_json, ping_record(1)])
    runtime = build_runtime(settings_for(database_url, infrastructure.kafka_bootstrap), schemas)
    await runtime.start()
    assert runtime.producer is not None
    real_send = runtime.producer.send
    broken = asyncio.Event()
    broken.set()

    async def failing_send(topic, key, value, headers):  # type: ignore[no-untyped-def]
        if broken.is_set() and topic.endswith(".dlq"):
            raise RuntimeError("the dead-letter path is broken")
        return await real_send(topic, key, value, headers)

    runtime.producer.send = failing_send  # type: ignore[method-assign]
    consumer = runtime.consumers[0]
    try:
        await wait_until(lambda: _not_ready(consumer), timeout=30)
        ready_while_broken = consumer.ready
        metrics_while_broken = generate_latest().decode()
        broken.clear()
        await wait_until(lambda: _effects_are(database_url, 1), timeout=30)
        await wait_until(lambda: _ready(consumer), timeout=10)
        metrics_after = generate_latest().decode()
    finally:
        await runtime.stop()
    assert ready_while_broken is False
    assert _gauge(metrics_while_broken, "tandem_consumer_ready", consumer.name) == 0.0
    assert _gauge(metrics_after, "tandem_consumer_ready", consumer.name) == 1.0
    age = "tandem_consumer_oldest_unprocessed_age_seconds"
    assert _gauge(metrics_while_broken, age, consumer.name) > 0.0
    assert _gauge(metrics_after, age, consumer.name) == 0.0
    assert consumer.dead_lettered == 1


def _gauge(metrics: str, name: str, subscriber: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + "{") and f'subscriber="{subscriber}"' in line:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} for {subscriber}")


async def _not_ready(consumer) -> bool:  # type: ignore[no-untyped-def]
    return consumer.joined and not consumer.ready


async def _ready(consumer) -> bool:  # type: ignore[no-untyped-def]
    return consumer.ready
