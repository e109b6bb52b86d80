"""``matchEvents`` and ``healthAlerts`` through the schema, on a hub fed by hand and fake
services (``tests.support.gateway_hub``)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from tandem_gateway.clients.service_client import ServiceUnavailable
from tandem_gateway.events.fanout import SubscriberTooSlow
from tandem_gateway.schema.nodes import encode_id
from tandem_gateway.schema.subscription_reads import ProgramAdmins
from tests.support.gateway_hub import (
    FakeMatching,
    context,
    declined,
    gid,
    health,
    hub_for,
    next_result,
    open_stream,
    proposed,
    services,
    started,
    viewer,
)

MATCH_EVENTS = """
subscription($program: ID) {
  matchEvents(programId: $program) { type occurredAt match { id status members { employeeId role } } }
}"""
HEALTH_ALERTS = """
subscription($program: ID!) {
  healthAlerts(programId: $program) { match { id } health { score band factors { factor value } } }
}"""


async def test_a_member_sees_their_matches_and_only_theirs():
    matching, hub = FakeMatching(), hub_for()
    stream = await open_stream(MATCH_EVENTS, context(viewer("E1"), matching, hub))
    result = await next_result(stream, hub, 1, proposed("M2"), proposed("M1"), started("M1"))
    assert result.errors is None
    event = result.data["matchEvents"]
    assert event["type"] == "PROPOSED"
    assert event["match"] == {
        "id": gid("M1"),
        "status": "PROPOSED",
        "members": [{"employeeId": "E1", "role": "PARTNER"}, {"employeeId": "E2", "role": "PARTNER"}],
    }
    assert datetime.fromisoformat(event["occurredAt"]).tzinfo is not None
    second = await asyncio.wait_for(anext(stream), 2)
    assert second.data["matchEvents"]["type"] == "STARTED"
    assert second.data["matchEvents"]["match"]["id"] == gid("M1")
    # M2 was judged with its program's admins (one read), and never loaded; M1 needed no admins.
    assert matching.calls == [
        ("/v1/programs/batch", ["P1"]),
        ("/v1/matches/batch", ["M1"]),
        ("/v1/matches/batch", ["M1"]),
    ]
    await stream.aclose()
    assert hub.subscribers == 0


async def test_a_program_admin_sees_every_match_of_their_program_and_no_other():
    matching, hub = FakeMatching(), hub_for()
    stream = await open_stream(MATCH_EVENTS, context(viewer("A1", "program_admin"), matching, hub))
    result = await next_result(stream, hub, 1, proposed("M4"), proposed("M2"))
    assert result.data["matchEvents"]["match"]["id"] == gid("M2")
    hub.publish(proposed("M4"))
    hub.publish(declined("M3"))
    result = await asyncio.wait_for(anext(stream), 2)
    assert result.data["matchEvents"]["type"] == "DECLINED"
    assert result.data["matchEvents"]["match"]["id"] == gid("M3")
    # The admins of each program were read once and then kept.
    assert matching.paths().count("/v1/programs/batch") == 2
    await stream.aclose()


async def test_the_program_filter_and_declines_of_other_peoples_matches():
    matching, hub = FakeMatching(), hub_for()
    program = encode_id("Program", "P1")
    stream = await open_stream(MATCH_EVENTS, context(viewer("E8"), matching, hub), program=program)
    # M4 is E8's but in P2; the decline of M3 is not E8's (read, then refused); M2 is E8's in P1.
    result = await next_result(stream, hub, 1, proposed("M4"), declined("M3"), declined("M2"))
    assert result.data["matchEvents"]["type"] == "DECLINED"
    assert result.data["matchEvents"]["match"]["id"] == gid("M2")
    assert ("/v1/matches/batch", ["M4"]) not in matching.calls
    await stream.aclose()


async def test_a_viewer_whose_token_expired_is_ended_with_an_error():
    matching, hub = FakeMatching(), hub_for()
    stream = await open_stream(MATCH_EVENTS, context(viewer("E1", ttl=0.2), matching, hub))
    reader = asyncio.create_task(anext(stream))
    await asyncio.sleep(0.3)
    hub.publish(proposed("M1"))
    result = await asyncio.wait_for(reader, 2)
    assert result.data is None
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED"}
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
    assert hub.subscribers == 0
    assert matching.calls == []


async def test_a_slow_subscriber_ends_with_subscriber_too_slow():
    matching, hub = FakeMatching(), hub_for(buffer=2)
    stream = await open_stream(MATCH_EVENTS, context(viewer("E1"), matching, hub, buffer=2))
    result = await next_result(stream, hub, 1, proposed("M1"), proposed("M1"), proposed("M1"))
    assert result.data is None
    assert isinstance(result.errors[0].original_error, SubscriberTooSlow)
    assert hub.subscribers == 0 and hub.too_slow == 1


async def test_the_matching_service_down_ends_the_subscription_with_its_error():
    matching, hub = FakeMatching(), hub_for()
    stream = await open_stream(MATCH_EVENTS, context(viewer("E1"), matching, hub))
    matching.down = True
    result = await next_result(stream, hub, 1, proposed("M1"))
    assert result.data is None
    assert isinstance(result.errors[0].original_error, ServiceUnavailable)
    assert matching.calls == [("/v1/matches/batch", ["M1"])]
    assert hub.subscribers == 0


async def test_refusals_at_subscribe_time_start_nothing():
    matching, hub = FakeMatching(), hub_for()
    bad_id = await open_stream(MATCH_EVENTS, context(viewer("E1"), matching, hub), program=gid("M1"))
    no_hub = await open_stream(MATCH_EVENTS, context(viewer("E1"), matching, None))
    expired = await open_stream(MATCH_EVENTS, context(viewer("E1", ttl=-1), matching, hub))
    codes = []
    for stream in (bad_id, no_hub, expired):
        result = await anext(stream)
        assert result.data is None
        codes.append(result.errors[0].extensions["code"])
    assert codes == ["BAD_USER_INPUT", "SERVICE_UNAVAILABLE", "UNAUTHENTICATED"]
    assert hub.subscribers == 0


async def test_health_alerts_are_for_the_programs_admins_only():
    matching, hub = FakeMatching(), hub_for()
    program = encode_id("Program", "P1")
    for who in (viewer("E1"), viewer("A2", "program_admin"), viewer("A1", "hr_analyst")):
        refused = await open_stream(HEALTH_ALERTS, context(who, matching, hub), program=program)
        result = await anext(refused)
        assert result.errors[0].extensions == {"code": "FORBIDDEN"}
    assert hub.subscribers == 0
    for who in (viewer("A1", "program_admin"), viewer("X1", "admin")):
        stream = await open_stream(HEALTH_ALERTS, context(who, matching, hub), program=program)
        result = await next_result(stream, hub, 1, health("M4"), started("M2"), health("M2"))
        assert result.errors is None
        assert result.data["healthAlerts"] == {
            "match": {"id": gid("M2")},
            "health": {"score": 31.0, "band": "AT_RISK", "factors": [{"factor": "sessions", "value": 0.25}]},
        }
        await stream.aclose()
    assert hub.subscribers == 0


async def test_program_admins_are_kept_briefly_per_subscription():
    matching = FakeMatching()
    now = [0.0]
    admins = ProgramAdmins(services(matching), ttl=30, clock=lambda: now[0])
    assert await admins.of("P1") == frozenset({"A1"})
    now[0] = 29.9
    assert await admins.of("P1") == frozenset({"A1"})
    assert await admins.of("P9") == frozenset()
    now[0] = 30.0
    assert await admins.of("P1") == frozenset({"A1"})
    assert matching.calls == [
        ("/v1/programs/batch", ["P1"]),
        ("/v1/programs/batch", ["P9"]),
        ("/v1/programs/batch", ["P1"]),
    ]
