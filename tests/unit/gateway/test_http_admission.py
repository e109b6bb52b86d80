"""Admission control: at most ``max_operations_in_flight`` operations execute at once;
the others wait for a turn before they start, and then run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import strawberry
from strawberry.types import Info

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import ServiceClient, Services
from tandem_gateway.entrypoints.main import build_edge
from tandem_gateway.http.app import build_app
from tandem_gateway.http.readiness import GatewayReadiness
from tandem_gateway.settings import GatewaySettings

STARTED: list[str] = []
RELEASE: dict[str, asyncio.Event] = {}


@strawberry.type
class Query:
    @strawberry.field
    async def held(self, info: Info, name: str) -> str:
        STARTED.append(name)
        await RELEASE[name].wait()
        return name


def services() -> Services:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    def client(name: str) -> ServiceClient:
        transport = httpx.MockTransport(answer)
        return ServiceClient(name, f"http://{name}", timeout_seconds=1.0, transport=transport)

    return Services(profiles=client("profiles"), matching=client("matching"), engagement=client("engagement"))


async def authenticate(token: str) -> Viewer | None:
    return Viewer.of("E1", ["employee"], datetime.now(UTC) + timedelta(hours=1))


def app(in_flight: int):
    settings = GatewaySettings(max_operations_in_flight=in_flight)
    edge = build_edge(
        settings,
        services=services(),
        authenticate=authenticate,
        hub=None,
        schema=strawberry.Schema(query=Query),
    )
    return build_app(edge, GatewayReadiness({}, {}))


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def test_operations_beyond_the_limit_wait_for_a_turn_before_they_start():
    STARTED.clear()
    RELEASE.clear()
    names = ["a", "b", "c"]
    for name in names:
        RELEASE[name] = asyncio.Event()
    transport = httpx.ASGITransport(app(in_flight=2))
    headers = {"Authorization": "Bearer t", "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway", headers=headers) as client:

        async def ask(name: str) -> httpx.Response:
            query = "query Held($name: String!) { held(name: $name) }"
            return await client.post("/graphql", json={"query": query, "variables": {"name": name}})

        requests = [asyncio.create_task(ask(name)) for name in names]
        await settle()
        assert sorted(STARTED) == ["a", "b"]  # c waits, started nothing
        RELEASE["a"].set()
        await settle()
        assert sorted(STARTED) == ["a", "b", "c"]  # a's turn went to c
        RELEASE["b"].set()
        RELEASE["c"].set()
        answers = await asyncio.gather(*requests)
    assert [answer.json()["data"] for answer in answers] == [{"held": name} for name in names]


def test_the_default_limit_is_64():
    assert GatewaySettings().max_operations_in_flight == 64
