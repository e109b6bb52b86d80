"""The hub's consumer loop on a fake record source: decoding, skipping, restarting, readiness."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tandem_common.envelope import CloudEvent, encode_binary
from tandem_common.events.engagement import ENGAGEMENT_TOPIC, HealthChanged
from tandem_common.events.matching import MATCHING_TOPIC, MatchDeclined
from tandem_common.retry import Backoff
from tandem_gateway.events.hub import EventHub, HubStopped
from tandem_gateway.settings import GatewaySettings

FAST = Backoff(initial_seconds=0.01, max_seconds=0.02)


@dataclass
class Record:
    topic: str
    value: bytes | None
    headers: list[tuple[str, bytes]]
    key: bytes | None = None
    offset: int = 0


def record(topic: str, ce_type: str, data: dict, *, at: datetime | None = None) -> Record:
    event = CloudEvent(
        id=f"id-{data.get('match_id')}",
        source="tandem/test",
        type=ce_type,
        time=at or datetime.now(UTC) + timedelta(seconds=1),
        data=data,
    )
    value, headers = encode_binary(event)
    return Record(topic, value, headers, key=str(data.get("match_id")).encode())


def declined(match_id: str) -> Record:
    return record(
        MATCHING_TOPIC,
        MatchDeclined.ce_type,
        {"match_id": match_id, "program_id": "P1", "declined_by": "E1"},
    )


class FakeSource:
    """Fails to open ``failures`` times, then serves the records put in ``batches``."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.opened = 0
        self.closed = 0
        self.batches: deque[list[Record]] = deque()
        self.fail_next_fetch = False
        self.broker_away = False
        self.checks = 0
        self.cancel_next_fetch = False

    async def open(self) -> None:
        self.opened += 1
        if self.broker_away:
            raise ConnectionError("broker away")
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker away")

    async def check(self) -> None:
        self.checks += 1
        if self.broker_away:
            raise TimeoutError()

    async def fetch(self, timeout_ms: int) -> list[Record]:
        if self.fail_next_fetch:
            self.fail_next_fetch = False
            raise ConnectionError("connection reset")
        if self.cancel_next_fetch:
            self.cancel_next_fetch = False
            raise asyncio.CancelledError()
        if self.batches:
            return self.batches.popleft()
        await asyncio.sleep(0.005)
        return []

    async def close(self) -> None:
        self.closed += 1


def settings() -> GatewaySettings:
    return GatewaySettings(http_port=8000)


async def test_events_from_both_topics_are_decoded_and_delivered():
    source = FakeSource()
    hub = EventHub(settings(), source=source, backoff=FAST)
    subscription = hub.subscribe(lambda e: True, buffer=10)
    await hub.start()
    try:
        await hub.until_ready(1)
        health = {
            "match_id": "M2",
            "program_id": "P1",
            "score": 41.5,
            "band": "at_risk",
            "factors": [{"factor": "sessions", "value": 0.2, "detail": "1 of 4"}],
            "computed_at": "2026-11-27T05:00:00Z",
        }
        source.batches.append([declined("M1"), record(ENGAGEMENT_TOPIC, HealthChanged.ce_type, health)])
        first = await asyncio.wait_for(anext(subscription), 1)
        second = await asyncio.wait_for(anext(subscription), 1)
    finally:
        await hub.stop()
    assert (first.type, first.topic, first.key) == (MatchDeclined.ce_type, MATCHING_TOPIC, "M1")
    assert isinstance(first.data, MatchDeclined) and first.data.declined_by == "E1"
    assert isinstance(second.data, HealthChanged) and second.data.band == "at_risk"
    assert second.received_at > 0
    assert hub.consumed == 2 and hub.skipped == 0


async def test_records_that_are_not_valid_events_are_skipped_and_the_rest_delivered():
    source = FakeSource()
    hub = EventHub(settings(), source=source, backoff=FAST)
    subscription = hub.subscribe(lambda e: True, buffer=10)
    not_json = declined("M1")
    not_json.value = b"{not json"
    unknown = record(MATCHING_TOPIC, "tandem.matching.match.teleported.v1", {"match_id": "M2"})
    invalid = record(MATCHING_TOPIC, MatchDeclined.ce_type, {"match_id": "M3", "program_id": "P1"})
    no_headers = Record(MATCHING_TOPIC, b"{}", [])
    await hub.start()
    try:
        await hub.until_ready(1)
        source.batches.append([not_json, unknown, invalid, no_headers, declined("M4")])
        delivered = await asyncio.wait_for(anext(subscription), 1)
    finally:
        await hub.stop()
    assert delivered.data.match_id == "M4"
    assert subscription.pending == 0
    assert hub.skipped == 4 and hub.consumed == 1


async def test_the_consumer_restarts_with_backoff_and_is_ready_only_while_reading():
    source = FakeSource(failures=3)
    hub = EventHub(settings(), source=source, backoff=FAST)
    subscription = hub.subscribe(lambda e: True, buffer=10)
    assert not hub.ready
    await hub.start()
    try:
        await hub.until_ready(2)
        assert source.opened == 4 and hub.restarts == 3
        # A failure while reading closes the source, reports not ready, and reopens it.
        source.fail_next_fetch = True
        await _until(lambda: source.opened == 5)
        await hub.until_ready(2)
        assert source.closed == 4  # after each of the three failed opens and the failed read
        assert hub.restarts == 4
        # The subscription stayed open across the restarts.
        source.batches.append([declined("M9")])
        assert (await asyncio.wait_for(anext(subscription), 1)).data.match_id == "M9"
    finally:
        await hub.stop()
    assert not hub.ready
    assert source.closed == 5
    with pytest.raises(HubStopped):
        await anext(subscription)


async def test_a_broker_that_stops_answering_is_noticed_by_the_check():
    source = FakeSource()
    hub = EventHub(settings(), source=source, backoff=FAST, check_every_seconds=0.02)
    subscription = hub.subscribe(lambda e: True, buffer=10)
    await hub.start()
    try:
        await hub.until_ready(1)
        await _until(lambda: source.checks >= 2)
        assert hub.ready and source.opened == 1
        source.broker_away = True
        await _until(lambda: source.opened >= 3)
        assert not hub.ready
        source.broker_away = False
        await hub.until_ready(1)
        assert hub.restarts == source.opened - 1 == source.closed
        source.batches.append([declined("M5")])
        assert (await asyncio.wait_for(anext(subscription), 1)).data.match_id == "M5"
    finally:
        await hub.stop()


async def test_a_cancellation_from_inside_the_client_restarts_the_consumer_and_stop_still_stops():
    source = FakeSource()
    hub = EventHub(settings(), source=source, backoff=FAST)
    await hub.start()
    try:
        await hub.until_ready(1)
        source.cancel_next_fetch = True
        await _until(lambda: source.opened == 2)
        await hub.until_ready(1)
        assert hub.restarts == 1 and source.closed == 1
    finally:
        await hub.stop()
    assert source.closed == 2 and not hub.ready


async def test_not_ready_while_the_broker_is_away():
    source = FakeSource(failures=1000)
    hub = EventHub(settings(), source=source, backoff=FAST)
    await hub.start()
    try:
        await _until(lambda: source.opened >= 3)
        assert not hub.ready
    finally:
        await hub.stop()
    opened = source.opened
    await asyncio.sleep(0.05)
    assert source.opened == opened  # stopped means no more attempts


async def _until(condition, timeout: float = 2.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.005)
