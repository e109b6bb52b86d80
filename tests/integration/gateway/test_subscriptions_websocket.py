"""Subscriptions end to end: a real broker, the gateway's edge and schema, real WebSockets.

Events are produced to the embedded broker with the backbone's producer; the gateway's
``EventHub`` consumes them; clients subscribe over ``graphql-transport-ws`` with
development tokens. Only the matching service is a fake (an ``httpx.MockTransport``).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
import websockets

from tandem_common.envelope import CloudEvent, encode_binary
from tandem_common.events.engagement import ENGAGEMENT_TOPIC, HealthChanged
from tandem_common.events.matching import MATCHING_TOPIC, MatchProposed
from tandem_common.messaging.broker import provision_topics
from tandem_common.messaging.producer import RecordProducer
from tandem_common.runtime.embedded_kafka import free_port
from tandem_common.testing.backends import Infrastructure
from tandem_gateway.auth.dev_issuer import DevIssuer
from tandem_gateway.auth.verifier import build_verifier
from tandem_gateway.clients.service_client import ServiceClient, Services
from tandem_gateway.entrypoints.main import authenticator, build_edge
from tandem_gateway.events.hub import EventHub
from tandem_gateway.http.app import build_app
from tandem_gateway.http.readiness import GatewayReadiness
from tandem_gateway.schema.nodes import encode_id
from tandem_gateway.settings import GatewaySettings

PROTOCOL = "graphql-transport-ws"
MATCH_EVENTS = "subscription { matchEvents { type occurredAt match { id status } } }"
HEALTH_ALERTS = "subscription($p: ID!) { healthAlerts(programId: $p) { match { id } health { score band } } }"


def matching_service(members: dict[str, tuple[str, str]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        ids = orjson.loads(request.content)["ids"] if request.content else []
        if request.url.path == "/v1/programs/batch":
            return httpx.Response(200, json={"programs": [{"program_id": p, "admins": ["A1"]} for p in ids]})
        if request.url.path == "/v1/matches/batch":
            found = [
                {
                    "match_id": m,
                    "program_id": "P1",
                    "status": "proposed",
                    "members": [{"employee_id": e, "role": "partner"} for e in members[m]],
                    "score": 0.7,
                    "explanation": [],
                    "proposed_at": "2026-11-27T05:00:00+00:00",
                    "expires_at": "2026-12-04T05:00:00+00:00",
                }
                for m in ids
                if m in members
            ]
            return httpx.Response(200, json={"matches": found, "missing": []})
        return httpx.Response(200, json={"status": "ready"})

    return httpx.MockTransport(handle)


@asynccontextmanager
async def gateway(home: Path, bootstrap: str, members: dict[str, tuple[str, str]]) -> AsyncIterator[str]:
    settings = GatewaySettings(
        http_port=8000, home=home, dev_issuer_enabled=True, embedded_default=False, kafka_bootstrap=bootstrap
    )
    transport = matching_service(members)
    services = Services(
        *(
            ServiceClient(n, f"http://{n}.internal", timeout_seconds=2, transport=transport)
            for n in ("profiles", "matching", "engagement")
        )
    )
    verifier = build_verifier(settings)
    hub = EventHub(settings)
    await verifier.start()
    await hub.start()
    await hub.until_ready(30)
    edge = build_edge(settings, services=services, authenticate=authenticator(verifier), hub=hub)
    readiness = GatewayReadiness({}, {"hub": lambda: hub.ready}, transport=transport)
    port = free_port()
    config = uvicorn.Config(
        build_app(edge, readiness),
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="off",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await serving
        await hub.stop()
        await verifier.stop()
        await readiness.close()
        await services.close()


class Client:
    def __init__(self, socket: Any) -> None:
        self.socket = socket

    async def receive(self, timeout: float = 15) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
            if message["type"] == "ping":
                await self.socket.send(json.dumps({"type": "pong"}))
                continue
            return message


@asynccontextmanager
async def subscribed(
    url: str, token: str, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[Client]:
    async with websockets.connect(url, subprotocols=[PROTOCOL]) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}
            )
        )
        yield Client(socket)


def record(
    ce_type: str, topic: str, data: dict[str, Any]
) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
    event = CloudEvent(
        id=uuid.uuid4().hex, source="tandem/test", type=ce_type, time=datetime.now(UTC), data=data
    )
    value, headers = encode_binary(event)
    return topic, data["match_id"].encode(), value, headers


async def produce(bootstrap: str, *records: tuple[str, bytes, bytes, list[tuple[str, bytes]]]) -> None:
    producer = RecordProducer(GatewaySettings(http_port=8000, kafka_bootstrap=bootstrap), client_id="test-ws")
    await producer.start()
    try:
        await asyncio.gather(*[await producer.send(*r) for r in records])
    finally:
        await producer.stop()


def proposed(match_id: str, members: tuple[str, str]) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
    data = {
        "match_id": match_id,
        "program_id": "P1",
        "round_id": None,
        "members": [{"employee_id": e, "role": "partner"} for e in members],
        "score": 0.7,
        "explanation": [],
        "expires_at": "2026-12-04T05:00:00Z",
    }
    return record(MatchProposed.ce_type, MATCHING_TOPIC, data)


@pytest.fixture
async def topics(infrastructure: Infrastructure) -> str:
    config = GatewaySettings(http_port=8000, kafka_bootstrap=infrastructure.kafka_bootstrap)
    await provision_topics(config, [MATCHING_TOPIC, ENGAGEMENT_TOPIC])
    return infrastructure.kafka_bootstrap


async def test_viewers_receive_what_they_may_see_over_websocket(topics: str, tmp_path: Path):
    run = uuid.uuid4().hex[:6]
    mine, theirs = f"M{run}-1", f"M{run}-2"
    members = {mine: ("E1", "E2"), theirs: ("E8", "E9")}
    issuer_home = tmp_path
    async with gateway(issuer_home, topics, members) as url:
        issuer = DevIssuer.load(issuer_home, audience="tandem")
        program = encode_id("Program", "P1")
        async with (
            subscribed(url, issuer.sign("E1", ["employee"], 3600), MATCH_EVENTS) as employee,
            subscribed(
                url, issuer.sign("A1", ["program_admin"], 3600), HEALTH_ALERTS, {"p": program}
            ) as admin,
            subscribed(
                url, issuer.sign("E3", ["program_admin"], 3600), HEALTH_ALERTS, {"p": program}
            ) as refused,
        ):
            refusal = await refused.receive()
            assert refusal["type"] == "error"
            assert refusal["payload"][0]["extensions"]["code"] == "FORBIDDEN"
            await asyncio.sleep(0.3)  # both subscriptions reach the hub
            health = {
                "match_id": mine,
                "program_id": "P1",
                "score": 38.0,
                "band": "at_risk",
                "factors": [],
                "computed_at": "2026-11-27T05:00:00Z",
            }
            await produce(
                topics,
                proposed(theirs, members[theirs]),
                proposed(mine, members[mine]),
                record(HealthChanged.ce_type, ENGAGEMENT_TOPIC, health),
            )
            event = await employee.receive()
            alert = await admin.receive()
    assert event["type"] == "next"
    assert event["payload"]["data"]["matchEvents"]["type"] == "PROPOSED"
    assert event["payload"]["data"]["matchEvents"]["match"] == {
        "id": encode_id("Match", mine),
        "status": "PROPOSED",
    }
    assert alert["payload"] == {
        "data": {
            "healthAlerts": {
                "match": {"id": encode_id("Match", mine)},
                "health": {"score": 38.0, "band": "AT_RISK"},
            }
        }
    }


async def test_a_subscription_ends_when_the_token_expires(topics: str, tmp_path: Path):
    run = uuid.uuid4().hex[:6]
    mine = f"M{run}-1"
    members = {mine: ("E1", "E2")}
    async with gateway(tmp_path, topics, members) as url:
        issuer = DevIssuer.load(tmp_path, audience="tandem")
        async with subscribed(url, issuer.sign("E1", ["employee"], 2), MATCH_EVENTS) as employee:
            await asyncio.sleep(2.2)
            await produce(topics, proposed(mine, members[mine]))
            ended = await employee.receive()
            assert ended["type"] == "error"
            assert ended["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
