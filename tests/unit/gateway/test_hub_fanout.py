"""The hub's fan-out: bounded buffers, slow subscribers ended, filters, unsubscribing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tandem_common.events.matching import MATCHING_TOPIC, MatchDeclined
from tandem_gateway.events.fanout import Fanout, HubEvent, SubscriberTooSlow
from tandem_gateway.events.hub import EventHub, HubStopped
from tandem_gateway.settings import GatewaySettings


def event(n: int, *, program: str = "P1", at: datetime | None = None) -> HubEvent:
    data = MatchDeclined(match_id=f"M{n}", program_id=program, declined_by=None)
    return HubEvent(
        type=MatchDeclined.ce_type,
        data=data,
        time=at or datetime.now(UTC) + timedelta(seconds=1),
        topic=MATCHING_TOPIC,
        key=f"M{n}",
    )


def match_ids(events: list[HubEvent]) -> list[str]:
    return [e.data.match_id for e in events]  # type: ignore[attr-defined]


async def drain(subscription, count: int) -> list[HubEvent]:
    return [await asyncio.wait_for(anext(subscription), 1) for _ in range(count)]


async def test_a_slow_subscriber_is_ended_after_exactly_its_buffer_while_a_fast_one_gets_everything():
    fanout = Fanout()
    slow = fanout.subscribe(lambda e: True, buffer=3)
    fast = fanout.subscribe(lambda e: True, buffer=3)
    received: list[HubEvent] = []
    for n in range(1, 4):
        fanout.publish(event(n))
        received += await drain(fast, 1)
    # Three undelivered events fill the slow subscriber's buffer; it is still open.
    assert slow.open and slow.pending == 3
    assert len(fanout) == 2
    fanout.publish(event(4))
    received += await drain(fast, 1)
    assert not slow.open
    assert len(fanout) == 1
    assert fanout.too_slow == 1
    with pytest.raises(SubscriberTooSlow) as ended:
        await anext(slow)
    assert ended.value.reason == "the subscriber fell 3 events behind and was closed"
    # The ended subscriber holds nothing and receives nothing more.
    fanout.publish(event(5))
    received += await drain(fast, 1)
    assert slow.pending == 0
    assert match_ids(received) == ["M1", "M2", "M3", "M4", "M5"]


async def test_publishing_never_waits_for_a_subscriber():
    fanout = Fanout()
    blocked = fanout.subscribe(lambda e: True, buffer=1000)
    for n in range(1000):
        fanout.publish(event(n))
    # Nothing was read, yet every publish returned: all 1000 are buffered.
    assert blocked.pending == 1000 and blocked.open


async def test_a_waiting_reader_wakes_on_the_next_event():
    fanout = Fanout()
    subscription = fanout.subscribe(lambda e: True, buffer=2)
    reader = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0)
    assert not reader.done()
    fanout.publish(event(7))
    assert (await asyncio.wait_for(reader, 1)).data.match_id == "M7"


async def test_filters_choose_per_subscriber():
    fanout = Fanout()
    p1 = fanout.subscribe(lambda e: e.data.program_id == "P1", buffer=5)
    p2 = fanout.subscribe(lambda e: e.data.program_id == "P2", buffer=5)
    fanout.publish(event(1, program="P1"))
    fanout.publish(event(2, program="P2"))
    fanout.publish(event(3, program="P1"))
    assert match_ids(await drain(p1, 2)) == ["M1", "M3"]
    assert match_ids(await drain(p2, 1)) == ["M2"]
    assert p1.pending == 0 and p2.pending == 0


async def test_rejected_events_do_not_count_against_the_buffer():
    fanout = Fanout()
    subscription = fanout.subscribe(lambda e: e.data.program_id == "P1", buffer=1)
    for n in range(10):
        fanout.publish(event(n, program="P2"))
    assert subscription.open and subscription.pending == 0


async def test_an_event_older_than_the_subscription_is_not_delivered():
    fanout = Fanout()
    subscription = fanout.subscribe(lambda e: True, buffer=5)
    fanout.publish(event(1, at=subscription.started_at - timedelta(milliseconds=1)))
    fanout.publish(event(2, at=subscription.started_at))
    assert match_ids(await drain(subscription, 1)) == ["M2"]
    assert subscription.pending == 0


async def test_a_failing_filter_ends_only_its_own_subscriber():
    fanout = Fanout()

    def broken(e: HubEvent) -> bool:
        raise KeyError("program_id")

    bad = fanout.subscribe(broken, buffer=5)
    good = fanout.subscribe(lambda e: True, buffer=5)
    fanout.publish(event(1))
    assert match_ids(await drain(good, 1)) == ["M1"]
    with pytest.raises(KeyError):
        await anext(bad)
    assert len(fanout) == 1


async def test_unsubscribing_removes_the_subscriber_and_ends_its_iteration():
    fanout = Fanout()
    subscription = fanout.subscribe(lambda e: True, buffer=5)
    fanout.publish(event(1))
    reader_of = [e async for e in _until_closed(subscription)]
    assert match_ids(reader_of) == ["M1"]
    assert len(fanout) == 0
    fanout.publish(event(2))
    assert subscription.pending == 0
    with pytest.raises(StopAsyncIteration):
        await anext(subscription)


async def _until_closed(subscription):
    async with subscription:
        yield await anext(subscription)


async def test_closing_wakes_a_waiting_reader():
    fanout = Fanout()
    subscription = fanout.subscribe(lambda e: True, buffer=5)
    reader = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0)
    subscription.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(reader, 1)
    assert len(fanout) == 0


async def test_a_buffer_must_hold_an_event():
    with pytest.raises(ValueError, match="at least one event"):
        Fanout().subscribe(lambda e: True, buffer=0)


async def test_the_hub_buffers_as_its_settings_say_and_ends_everyone_when_it_stops():
    hub = EventHub(GatewaySettings(http_port=8000, subscriber_buffer_events=2))
    default = hub.subscribe(lambda e: True)
    larger = hub.subscribe(lambda e: True, buffer=4)
    for n in range(3):
        hub.publish(event(n))
    assert not default.open
    assert larger.pending == 3 and hub.subscribers == 1 and hub.too_slow == 1
    await hub.stop()
    assert hub.subscribers == 0
    with pytest.raises(HubStopped):
        await anext(larger)
