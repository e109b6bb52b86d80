"""Inbox, dead letters and transient failures of the reliable consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import orjson
from prometheus_client import generate_latest
from sqlalchemy.engine import make_url

from tandem_common.envelope import CloudEvent, encode_binary, encode_structured
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.settings import libpq_url
from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import (
    build_runtime,
    count_effects,
    create_effects_table,
    make_schemas,
    ping_record,
    ping_service_ready,
    scalar,
    settings_for,
    started_ping_service,
    wait_until,
)
from tests.support.kafka import (
    committed_offset,
    headers_of,
    produce,
    read_all,
    unique_topic,
)


async def test_an_event_delivered_three_times_has_one_effect(
    infrastructure: Infrastructure, database_url: str
) -> None:
    schemas = await ping_service_ready(infrastructure.kafka_bootstrap, database_url)
    record = ping_record(1, event_id="same-event")
    await produce(infrastructure.kafka_bootstrap, schemas.in_topic, [record, record, record])
    runtime = await started_ping_service(database_url, infrastructure.kafka_bootstrap, schemas)
    try:
        consumer = runtime.consumers[0]

        async def handled_all() -> bool:
            return consumer.processed + consumer.duplicates >= 3

        await wait_until(handled_all)
        # A later, separate delivery of the same event is also recognised.
        await produce(infrastructure.kafka_bootstrap, schemas.in_topic, [record])

        async def handled_fourth() -> bool:
            return consumer.processed + consumer.duplicates >= 4

        await wait_until(handled_fourth)
        pongs = await read_all(infrastructure.kafka_bootstrap, schemas.out_topic, expected=1, timeout=10)
    finally:
        await runtime.stop()
    assert await count_effects(database_url) == {"same-event": 1}
    assert consumer.processed == 1
    assert consumer.duplicates == 3
    assert len(pongs) == 1
    assert await scalar(database_url, "SELECT count(*) FROM inbox") == 1


async def test_two_consumers_applying_the_same_events_at_once_apply_each_once(
    infrastructure: Infrastructure, database_url: str
) -> None:
    """What a rebalance does: the old and the new owner both hold the same batch."""
    schemas = make_schemas(unique_topic("pings"), unique_topic("pongs"))
    await create_effects_table(database_url)
    gate = asyncio.Event()

    async def hold(events: Sequence[ReceivedEvent]) -> None:
        await gate.wait()

    settings = settings_for(database_url, infrastructure.kafka_bootstrap)
    first = build_runtime(settings, schemas, before=hold, consumer_name="shared-group")
    second = build_runtime(settings, schemas, before=hold, consumer_name="shared-group")
    # Only the database side is needed: no subscription, so start just the engine.
    await first.start()
    await second.start()
    try:
        from aiokafka.structs import ConsumerRecord

        records = []
        for n in range(50):
            key, value, headers = ping_record(n, event_id=f"rebalanced-{n}")
            records.append(
                ConsumerRecord(schemas.in_topic, 0, n, 0, 0, key, value, None, len(key), len(value), headers)
            )
        tasks = [
            asyncio.create_task(first.consumers[0].handle_records(records)),
            asyncio.create_task(second.consumers[0].handle_records(records)),
        ]
        await asyncio.sleep(0.3)
        gate.set()
        await asyncio.gather(*tasks)
    finally:
        await first.stop()
        await second.stop()
    effects = await count_effects(database_url)
    assert len(effects) == 50
    assert set(effects.values()) == {1}
    assert first.consumers[0].processed + second.consumers[0].processed == 50
    assert first.consumers[0].duplicates + second.consumers[0].duplicates == 50
    assert await scalar(database_url, "SELECT count(*) FROM outbox") == 50


def _metric(name: str, subscriber: str, *more: str) -> float:
    """The value of one series on /metrics for this subscriber."""
    for line in generate_latest().decode().splitlines():
        if (
            line.startswith(name + "{")
            and f'subscriber="{subscriber}"' in line
            and all(m in line for m in more)
        ):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} series for {subscriber}")


def _event(**overrides: object) -> CloudEvent:
    fields: dict[str, object] = {
        "id": "x",
        "source": "tests/dlq",
        "type": "tandem.test.ping.v1",
        "time": datetime.now(UTC),
        "data": {"employee_id": "E1", "n": 1},
    }
    fields.update(overrides)
    return CloudEvent(**fields)  # type: ignore[arg-type]


def _without(headers: list[tuple[str, bytes]], name: str) -> list[tuple[str, bytes]]:
    return [(k, v) for k, v in headers if k != name]


async def test_each_kind_of_bad_input_goes_to_the_dlq_and_the_next_good_message_is_processed(
    infrastructure: Infrastructure, database_url: str
) -> None:
    schemas = await ping_service_ready(infrastructure.kafka_bootstrap, database_url)
    good_value, good_headers = encode_binary(_event(id="good-1"))
    bad: list[tuple[str, str, bytes | None, list[tuple[str, bytes]]]] = [
        ("not JSON", "decode", b"{not json", encode_binary(_event(id="b1"))[1]),
        (
            "missing field",
            "validate",
            orjson.dumps({"employee_id": "E1"}),
            encode_binary(_event(id="b2"))[1],
        ),
        (
            "outside the rules",
            "validate",
            orjson.dumps({"employee_id": "E1", "n": "many"}),
            encode_binary(_event(id="b3"))[1],
        ),
        (
            "unknown type",
            "validate",
            good_value,
            encode_binary(_event(id="b4", type="tandem.test.nope.v1"))[1],
        ),
        ("missing ce_id", "decode", good_value, _without(good_headers, "ce_id")),
        ("missing ce_source", "decode", good_value, _without(good_headers, "ce_source")),
    ]
    records = [(b"E1", value, headers) for _, _, value, headers in bad]
    records.append((b"E1", good_value, good_headers))
    await produce(infrastructure.kafka_bootstrap, schemas.in_topic, records)
    runtime = await started_ping_service(database_url, infrastructure.kafka_bootstrap, schemas)
    try:
        consumer = runtime.consumers[0]

        async def done() -> bool:
            return consumer.processed == 1 and consumer.dead_lettered == len(bad)

        await wait_until(done)
        letters = await read_all(
            infrastructure.kafka_bootstrap, f"{schemas.in_topic}.dlq", expected=len(bad), timeout=10
        )
        assert await committed_offset(
            infrastructure.kafka_bootstrap, consumer.group_id, schemas.in_topic
        ) == len(records)
    finally:
        await runtime.stop()
    assert await count_effects(database_url) == {"good-1": 1}
    assert _metric("tandem_dlq_messages_total", consumer.name) == len(bad)
    assert _metric("tandem_messages_consumed_total", consumer.name, 'outcome="dead_lettered"') == len(bad)
    assert _metric("tandem_messages_consumed_total", consumer.name, 'outcome="processed"') == 1
    assert len(letters) == len(bad)
    letters.sort(key=lambda r: int(headers_of(r)["x-original-offset"]))
    for offset, (letter, (label, stage, value, headers)) in enumerate(zip(letters, bad, strict=True)):
        found = headers_of(letter)
        assert letter.key == b"E1", label
        assert letter.value == value, label
        assert found["x-error-stage"] == stage.encode(), label
        assert found["x-original-topic"] == schemas.in_topic.encode(), label
        assert found["x-original-partition"] == b"0", label
        assert found["x-original-offset"] == str(offset).encode(), label
        for name, original in headers:
            assert found[name] == original, (label, name)
    reasons = [headers_of(letter)["x-error-reason"].decode() for letter in letters]
    assert "not JSON" in reasons[0]
    assert "field n" in reasons[1] and "Field required" in reasons[1]
    assert "field n" in reasons[2]
    # The unknown type is named as a rule, not quoted: reasons never echo what was sent.
    assert reasons[3].startswith("ce_type is not a known event type (known: ")
    assert "tandem.test.nope.v1" not in reasons[3]
    assert "ce_id" in reasons[4]
    assert "ce_source" in reasons[5]


async def test_structured_mode_input_is_accepted(infrastructure: Infrastructure, database_url: str) -> None:
    schemas = await ping_service_ready(infrastructure.kafka_bootstrap, database_url)
    value, headers = encode_structured(_event(id="structured-1"))
    await produce(infrastructure.kafka_bootstrap, schemas.in_topic, [(b"E1", value, headers)])
    runtime = await started_ping_service(database_url, infrastructure.kafka_bootstrap, schemas)
    try:
        consumer = runtime.consumers[0]

        async def done() -> bool:
            return consumer.processed == 1

        await wait_until(done)
    finally:
        await runtime.stop()
    assert await count_effects(database_url) == {"structured-1": 1}


async def _set_database_open(infrastructure: Infrastructure, database_url: str, open_: bool) -> None:
    name = make_url(database_url).database
    admin = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if open_ else "false"}')
        if not open_:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
    finally:
        await admin.close()


async def test_a_database_outage_mid_stream_is_retried_without_committing_and_applied_once(
    infrastructure: Infrastructure, database_url: str
) -> None:
    schemas = await ping_service_ready(infrastructure.kafka_bootstrap, database_url)
    runtime = await started_ping_service(database_url, infrastructure.kafka_bootstrap, schemas)
    consumer = runtime.consumers[0]
    try:
        await produce(
            infrastructure.kafka_bootstrap,
            schemas.in_topic,
            [ping_record(n, event_id=f"before-{n}") for n in range(20)],
        )

        async def first_applied() -> bool:
            return consumer.processed == 20

        await wait_until(first_applied)

        async def first_committed() -> bool:
            return (
                await committed_offset(infrastructure.kafka_bootstrap, consumer.group_id, schemas.in_topic)
                == 20
            )

        await wait_until(first_committed)
        await _set_database_open(infrastructure, database_url, False)
        await produce(
            infrastructure.kafka_bootstrap,
            schemas.in_topic,
            [ping_record(n, event_id=f"during-{n}") for n in range(30)],
        )

        async def stalled() -> bool:
            return consumer.stalled

        await wait_until(stalled, timeout=30)
        readiness = await runtime.readiness()
        assert readiness["consumers"] is False and readiness["database"] is False
        assert (
            await committed_offset(infrastructure.kafka_bootstrap, consumer.group_id, schemas.in_topic) == 20
        )
        assert consumer.processed == 20
        await _set_database_open(infrastructure, database_url, True)

        async def all_applied() -> bool:
            return consumer.processed == 50

        await wait_until(all_applied, timeout=30)

        async def all_committed() -> bool:
            return (
                await committed_offset(infrastructure.kafka_bootstrap, consumer.group_id, schemas.in_topic)
                == 50
            )

        await wait_until(all_committed)
        assert consumer.ready
    finally:
        await _set_database_open(infrastructure, database_url, True)
        await runtime.stop()
    effects = await count_effects(database_url)
    assert len(effects) == 50 and set(effects.values()) == {1}
    assert consumer.dead_lettered == 0
