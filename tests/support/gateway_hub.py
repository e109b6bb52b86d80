"""Subscriptions through the schema on a hub fed by hand, against a fake matching service.

The hub is a real ``EventHub`` whose consumer is not started: events are published to it
directly. The matching service is an ``httpx.MockTransport`` that counts its calls.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import strawberry

from tandem_common.events.engagement import ENGAGEMENT_TOPIC, HealthChanged
from tandem_common.events.matching import MATCHING_TOPIC, MatchDeclined, MatchProposed, MatchStarted
from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import ServiceClient, Services
from tandem_gateway.context import GatewayContext
from tandem_gateway.events.fanout import HubEvent
from tandem_gateway.events.hub import EventHub
from tandem_gateway.schema.loaders import Loaders
from tandem_gateway.schema.nodes import encode_id
from tandem_gateway.schema.subscription import Subscription
from tandem_gateway.settings import GatewaySettings
from tests.support.gateway_mutations import match_json as proposed_match_json

MEMBERS = {"M1": ("E1", "E2"), "M2": ("E8", "E9"), "M3": ("E1", "E3"), "M4": ("E8", "E9")}
PROGRAM_OF = {"M1": "P1", "M2": "P1", "M3": "P1", "M4": "P2"}
ADMINS = {"P1": ["A1"], "P2": ["A2"]}


@strawberry.type
class Query:
    ok: bool = True


SCHEMA = strawberry.Schema(query=Query, subscription=Subscription)


def match_json(match_id: str) -> dict[str, Any]:
    """The proposed match as matching's batch read answers it."""
    return proposed_match_json(
        match_id,
        members=MEMBERS[match_id],
        roles=("partner", "partner"),
        program_id=PROGRAM_OF[match_id],
        round_id="R1",
    )


def partners(match_id: str) -> list[dict[str, str]]:
    """The members of ``match_id`` as an event carries them."""
    return [{"employee_id": member, "role": "partner"} for member in MEMBERS[match_id]]


class FakeMatching:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        ids = orjson.loads(request.content)["ids"]
        self.calls.append((request.url.path, ids))
        if self.down:
            return httpx.Response(503, json={})
        if request.url.path == "/v1/programs/batch":
            found = [{"program_id": p, "admins": ADMINS[p]} for p in ids if p in ADMINS]
            return httpx.Response(200, json={"programs": found, "missing": []})
        if request.url.path == "/v1/matches/batch":
            return httpx.Response(
                200, json={"matches": [match_json(m) for m in ids if m in MEMBERS], "missing": []}
            )
        return httpx.Response(404, json={})

    def paths(self) -> list[str]:
        return [path for path, _ in self.calls]


def services(matching: FakeMatching) -> Services:
    def client(name: str, handler: Any) -> ServiceClient:
        return ServiceClient(
            name, f"http://{name}", timeout_seconds=1, transport=httpx.MockTransport(handler)
        )

    refuse = lambda request: httpx.Response(500)  # noqa: E731
    return Services(client("profiles", refuse), client("matching", matching), client("engagement", refuse))


def viewer(employee_id: str, *roles: str, ttl: float = 3600) -> Viewer:
    return Viewer.of(employee_id, roles or ("employee",), datetime.now(UTC) + timedelta(seconds=ttl))


def context(who: Viewer, matching: FakeMatching, hub: EventHub | None, buffer: int = 8) -> GatewayContext:
    settings = GatewaySettings(http_port=8000, subscriber_buffer_events=buffer)
    found = services(matching)
    return GatewayContext(who, found, settings, Loaders(found, who), hub=hub)


def hub_for(buffer: int = 8) -> EventHub:
    return EventHub(GatewaySettings(http_port=8000, subscriber_buffer_events=buffer))


def at() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


def event(kind, match_id: str, topic: str = MATCHING_TOPIC, **fields: Any) -> HubEvent:
    """An event of type ``kind`` about ``match_id`` (of its program), as the hub delivers it."""
    data = kind(match_id=match_id, program_id=PROGRAM_OF[match_id], **fields)
    return HubEvent(kind.ce_type, data, at(), topic, match_id)


def proposed(match_id: str) -> HubEvent:
    fixed = {"round_id": "R1", "score": 0.8, "explanation": [], "expires_at": "2026-12-04T05:00:00Z"}
    return event(MatchProposed, match_id, members=partners(match_id), **fixed)


def started(match_id: str) -> HubEvent:
    dates = {"started_on": "2026-11-27", "ends_on": "2027-05-27"}
    return event(MatchStarted, match_id, program_type="peer", members=partners(match_id), **dates)


def declined(match_id: str) -> HubEvent:
    return event(MatchDeclined, match_id, declined_by=MEMBERS[match_id][1])


def health(match_id: str, band: str = "at_risk") -> HubEvent:
    factors = [{"factor": "sessions", "value": 0.25, "detail": "1 of 4"}]
    fixed = {"score": 31.0, "factors": factors, "computed_at": "2026-11-27T05:00:00Z"}
    return event(HealthChanged, match_id, ENGAGEMENT_TOPIC, band=band, **fixed)


async def open_stream(query: str, ctx: GatewayContext, **variables: Any):
    return await SCHEMA.subscribe(query, context_value=ctx, variable_values=variables)


async def next_result(stream, hub: EventHub, subscribers: int = 1, *events: HubEvent):
    """Start reading, wait until the hub has the subscription, publish ``events``, read one result."""
    reader = asyncio.create_task(anext(stream))
    for _ in range(200):
        if hub.subscribers >= subscribers:
            break
        await asyncio.sleep(0.005)
    for event in events:
        hub.publish(event)
    return await asyncio.wait_for(reader, 2)


def gid(match_id: str) -> str:
    return encode_id("Match", match_id)
