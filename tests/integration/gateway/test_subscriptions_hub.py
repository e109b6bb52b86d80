"""Two gateway replicas' hubs on the real broker: each sees every event, from its start on."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tandem_common.envelope import CloudEvent, encode_binary
from tandem_common.events.engagement import ENGAGEMENT_TOPIC, HealthChanged
from tandem_common.events.matching import MATCHING_TOPIC, MatchDeclined
from tandem_common.messaging.broker import provision_topics
from tandem_common.messaging.producer import RecordProducer
from tandem_common.retry import Backoff
from tandem_common.runtime.embedded_kafka import EmbeddedKafka, free_port
from tandem_common.testing.backends import Infrastructure
from tandem_gateway.events.hub import HUB_TOPICS, EventHub, HubEvent
from tandem_gateway.events.source import KafkaRecordSource
from tandem_gateway.settings import GatewaySettings
from tests.support.proxy import CuttableProxy

FRESH = 12


def settings(infrastructure: Infrastructure) -> GatewaySettings:
    return GatewaySettings(http_port=8000, kafka_bootstrap=infrastructure.kafka_bootstrap, kafka_partitions=3)


def declined(match_id: str, at: datetime) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
    data = {"match_id": match_id, "program_id": "P1", "declined_by": None}
    value, headers = encode_binary(
        CloudEvent(
            id=uuid.uuid4().hex, source="tandem/matching", type=MatchDeclined.ce_type, time=at, data=data
        )
    )
    return MATCHING_TOPIC, match_id.encode(), value, headers


def health(match_id: str, at: datetime) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
    data = {
        "match_id": match_id,
        "program_id": "P1",
        "score": 55.0,
        "band": "watch",
        "factors": [],
        "computed_at": "2026-11-27T05:00:00Z",
    }
    value, headers = encode_binary(
        CloudEvent(
            id=uuid.uuid4().hex, source="tandem/engagement", type=HealthChanged.ce_type, time=at, data=data
        )
    )
    return ENGAGEMENT_TOPIC, match_id.encode(), value, headers


async def send_all(producer: RecordProducer, records) -> None:
    futures = [await producer.send(topic, key, value, headers) for topic, key, value, headers in records]
    await asyncio.gather(*futures)


def ids(events: list[HubEvent]) -> set[str]:
    return {event.data.match_id for event in events}  # type: ignore[attr-defined]


async def test_every_replica_receives_every_event_and_never_history(infrastructure: Infrastructure):
    config = settings(infrastructure)
    await provision_topics(config, [MATCHING_TOPIC, ENGAGEMENT_TOPIC])
    producer = RecordProducer(config, client_id="test-gateway-hub")
    await producer.start()
    run = uuid.uuid4().hex[:6]
    # History: on the topics before either replica starts.
    history = [declined(f"H{run}-{n}", datetime.now(UTC)) for n in range(6)]
    await send_all(producer, history)

    replicas = [EventHub(config), EventHub(config)]
    assert replicas[0].client_id != replicas[1].client_id
    for hub in replicas:
        await hub.start()
    try:
        for hub in replicas:
            await hub.until_ready(30)
        subscriptions = [hub.subscribe(lambda e: True, buffer=100) for hub in replicas]
        started = max(s.started_at for s in subscriptions)
        # An event produced now but stamped before the subscriptions began, on the same
        # partition as (and before) a fresh one: a replica would deliver it first.
        stale = declined(f"M{run}-0", started - timedelta(seconds=5))
        fresh = [
            (declined if n % 2 else health)(f"M{run}-{n}", datetime.now(UTC) + timedelta(milliseconds=1))
            for n in range(FRESH)
        ]
        produced_at = time.time()
        await send_all(producer, [stale])
        await send_all(producer, fresh)
        delays: list[float] = []
        received: list[list[HubEvent]] = []
        for subscription in subscriptions:
            events = []
            for _ in range(FRESH):
                event = await asyncio.wait_for(anext(subscription), 15)
                delays.append(time.time() - produced_at)
                events.append(event)
            received.append(events)
        await asyncio.sleep(0.5)
        leftovers = [s.pending for s in subscriptions]
    finally:
        for hub in replicas:
            await hub.stop()
        await producer.stop()

    expected = {f"M{run}-{n}" for n in range(FRESH)}
    for events in received:
        assert ids(events) == expected
        assert len(events) == FRESH
        assert {e.topic for e in events} == {MATCHING_TOPIC, ENGAGEMENT_TOPIC}
    assert leftovers == [0, 0]
    for hub in replicas:
        # The stale event was read (it follows the start) and dropped by its time.
        assert hub.consumed >= FRESH + 1
        assert hub.skipped == 0
    print(
        f"\nhub delivery after produce, {len(delays)} deliveries: "
        f"median {statistics.median(delays) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms"
    )


async def test_the_source_resumes_where_it_was_after_a_reopen(infrastructure: Infrastructure):
    config = settings(infrastructure)
    await provision_topics(config, [MATCHING_TOPIC, ENGAGEMENT_TOPIC])
    producer = RecordProducer(config, client_id="test-gateway-hub-resume")
    await producer.start()
    source = KafkaRecordSource(infrastructure.kafka_bootstrap, [MATCHING_TOPIC], client_id="test-resume")
    run = uuid.uuid4().hex[:6]
    try:
        await source.open()
        await send_all(producer, [declined(f"R{run}-1", datetime.now(UTC))])
        before = await fetch_keys(source, {f"R{run}-1"})
        await source.close()
        # Published while the source is closed (its consumer failed and is being restarted).
        await send_all(producer, [declined(f"R{run}-{n}", datetime.now(UTC)) for n in (2, 3)])
        await source.open()
        after = await fetch_keys(source, {f"R{run}-2", f"R{run}-3"})
    finally:
        await source.close()
        await producer.stop()
    assert before == {f"R{run}-1"}
    assert after == {f"R{run}-2", f"R{run}-3"}


async def fetch_keys(source: KafkaRecordSource, wanted: set[str], timeout: float = 15) -> set[str]:
    seen: set[str] = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not wanted <= seen and loop.time() < deadline:
        seen |= {record.key.decode() for record in await source.fetch(500)}
    return seen & wanted


async def test_a_broker_outage_makes_the_hub_not_ready_until_it_is_back(infrastructure: Infrastructure):
    """The broker's connections are cut (a proxy in front of a broker of this test's own)."""
    if infrastructure.kafka is None:
        pytest.skip("the outage needs a broker this test starts itself (embedded backend)")
    proxy_port, broker_port = free_port(), free_port()
    broker = EmbeddedKafka("127.0.0.1", broker_port, advertised_port=proxy_port)
    broker.start()
    proxy = CuttableProxy(proxy_port, broker_port)
    await proxy.start()
    bootstrap = f"127.0.0.1:{proxy_port}"
    config = GatewaySettings(http_port=8000, kafka_bootstrap=bootstrap, kafka_request_timeout_ms=3000)
    await provision_topics(config, [MATCHING_TOPIC, ENGAGEMENT_TOPIC])
    source = KafkaRecordSource(
        bootstrap, HUB_TOPICS, client_id="test-outage", request_timeout_ms=3000, check_timeout_seconds=2
    )
    hub = EventHub(config, source=source, backoff=Backoff(0.1, 0.5), check_every_seconds=0.5)
    producer = RecordProducer(config, client_id="test-outage")
    run = uuid.uuid4().hex[:6]
    try:
        await hub.start()
        await hub.until_ready(30)
        subscription = hub.subscribe(lambda e: True, buffer=10)
        await proxy.cut()
        await wait_until(lambda: not hub.ready, 20)
        await wait_until(lambda: hub.restarts >= 1, 5)
        await asyncio.sleep(1.0)
        assert not hub.ready
        await proxy.start()
        await hub.until_ready(30)
        await producer.start()
        await send_all(producer, [declined(f"O{run}", datetime.now(UTC))])
        delivered = await asyncio.wait_for(anext(subscription), 15)
    finally:
        await hub.stop()
        await producer.stop()
        await proxy.cut()
        broker.stop()
    assert delivered.data.match_id == f"O{run}"


async def wait_until(condition, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)
