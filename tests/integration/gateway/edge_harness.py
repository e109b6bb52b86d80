"""A real gateway edge on a real port, for the HTTP and hardening tests.

It runs the edge exactly as ``tandem serve gateway`` does (``TraceMiddleware`` around
the app, uvicorn), with the gateway's real token verifier (the development issuer,
key under a temporary home), its real limits, persisted operations and rate limiter.
Only two things are the test's own: the services behind it (an ``httpx.MockTransport``
that counts every call, or a real local HTTP server) and a small schema that reaches
them, so that these tests do not depend on the shape of the gateway's full schema
(which ``test_hardening_schema.py`` checks against the same limits).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import strawberry
import uvicorn
from strawberry.types import Info

from tandem_common.http.tracing import TraceMiddleware
from tandem_common.runtime.embedded_kafka import free_port
from tandem_gateway.auth.dev_issuer import DevIssuer
from tandem_gateway.auth.verifier import build_verifier
from tandem_gateway.clients.service_client import ServiceClient, Services
from tandem_gateway.entrypoints.main import authenticator, build_edge
from tandem_gateway.errors import Forbidden
from tandem_gateway.events.hub import SubscriberTooSlow
from tandem_gateway.http.app import build_app
from tandem_gateway.http.readiness import GatewayReadiness
from tandem_gateway.settings import GatewaySettings

SERVICE_NAMES = ("profiles", "matching", "engagement")


def profile(employee_id: str) -> dict[str, Any]:
    return {"employee_id": employee_id, "display_name": f"Person {employee_id}"}


@strawberry.type
class Person:
    employee_id: str
    display_name: str

    @strawberry.field
    async def manager(self, info: Info) -> Person | None:
        return await _person(info, f"M-{self.employee_id}")

    @strawberry.field
    async def colleagues(self, info: Info, first: int = 10) -> PersonConnection:
        return await _people(info, first)


@strawberry.type
class PersonEdge:
    cursor: str
    node: Person


@strawberry.type
class PersonConnection:
    edges: list[PersonEdge]


async def _person(info: Info, employee_id: str) -> Person | None:
    answer = await info.context.services.profiles.get(f"/v1/profiles/{employee_id}")
    if not answer.ok:
        return None
    return Person(employee_id=answer.body["employee_id"], display_name=answer.body["display_name"])


async def _people(info: Info, first: int) -> PersonConnection:
    answer = await info.context.services.profiles.get("/v1/profiles", params={"limit": first})
    people = [Person(employee_id=p["employee_id"], display_name=p["display_name"]) for p in answer.body]
    return PersonConnection(edges=[PersonEdge(cursor=p.employee_id, node=p) for p in people])


@strawberry.type
class Query:
    @strawberry.field
    async def person(self, info: Info, employee_id: str) -> Person | None:
        return await _person(info, employee_id)

    @strawberry.field
    async def people(self, info: Info, first: int = 10) -> PersonConnection:
        return await _people(info, first)

    @strawberry.field
    async def program_name(self, info: Info) -> str | None:
        answer = await info.context.services.matching.get("/v1/programs/P1")
        return str(answer.body["name"])

    @strawberry.field
    def viewer_id(self, info: Info) -> str:
        return str(info.context.viewer.employee_id)

    @strawberry.field
    def secret(self) -> str | None:
        raise Forbidden()

    @strawberry.field
    def broken(self) -> str | None:
        raise RuntimeError('SELECT email FROM employees WHERE employee_id = "E2"')


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def touch(self, info: Info) -> bool:
        answer = await info.context.services.profiles.post("/v1/touch", {})
        return answer.ok


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, count: int = 3) -> AsyncGenerator[int, None]:
        for number in range(count):
            yield number

    @strawberry.subscription
    async def forever(self, every_seconds: float = 0.2) -> AsyncGenerator[int, None]:
        number = 0
        while True:
            yield number
            number += 1
            await asyncio.sleep(every_seconds)

    @strawberry.subscription
    async def failing(self) -> AsyncGenerator[int, None]:
        yield 1
        raise RuntimeError("connection to postgres://tandem:hunter2@db failed")

    @strawberry.subscription
    async def overflowing(self) -> AsyncGenerator[int, None]:
        yield 1
        raise SubscriberTooSlow("more than 2 events waited for this subscriber")


TEST_SCHEMA = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)

Handler = Callable[[httpx.Request], httpx.Response]


def default_handler(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/v1/profiles":
        limit = int(request.url.params.get("limit", "10"))
        return httpx.Response(200, json=[profile(f"E{i}") for i in range(limit)])
    if path.startswith("/v1/profiles/"):
        return httpx.Response(200, json=profile(path.rsplit("/", 1)[1]))
    if path == "/v1/programs/P1":
        return httpx.Response(200, json={"name": "Reciprocal 2026"})
    if path == "/v1/touch":
        return httpx.Response(200, json={"touched": True})
    if path == "/readyz":
        return httpx.Response(200, json={"status": "ready"})
    return httpx.Response(404, json={"detail": "not found"})


@dataclass
class CountingServices:
    """The three services behind one ``MockTransport``, every request recorded."""

    handler: Handler = default_handler
    requests: list[httpx.Request] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return self.handler(request)

        return httpx.MockTransport(handle)

    def clients(self, timeout_seconds: float = 2.0, urls: dict[str, str] | None = None) -> Services:
        def client(name: str) -> ServiceClient:
            base = (urls or {}).get(name, f"http://{name}.internal")
            transport = None if urls and name in urls else self.transport()
            return ServiceClient(name, base, timeout_seconds=timeout_seconds, transport=transport)

        return Services(*(client(name) for name in SERVICE_NAMES))


@dataclass
class Gateway:
    url: str
    settings: GatewaySettings
    services: Services
    issuer: DevIssuer
    backend: CountingServices

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws(self) -> str:
        return self.graphql.replace("http://", "ws://", 1)

    def token(self, subject: str = "E1", *roles: str, ttl: int = 3600) -> str:
        return self.issuer.sign(subject, roles or ("employee",), ttl)

    def headers(self, subject: str = "E1", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(subject)}", "Content-Type": "application/json", **extra}

    def service_calls(self) -> int:
        return self.services.calls()


def settings_for(home: Path, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {"home": home, "dev_issuer_enabled": True, "embedded_default": False}
    values.update(overrides)
    return GatewaySettings(**values)


@asynccontextmanager
async def running_gateway(
    home: Path,
    *,
    backend: CountingServices | None = None,
    service_urls: dict[str, str] | None = None,
    readiness_transport: httpx.AsyncBaseTransport | None = None,
    hub_ready: Callable[[], bool] = lambda: True,
    schema: strawberry.Schema | None = TEST_SCHEMA,
    **overrides: Any,
) -> AsyncIterator[Gateway]:
    """The edge on a free loopback port, as ``tandem serve`` runs it."""
    settings = settings_for(home, **overrides)
    backend = backend or CountingServices()
    services = backend.clients(settings.service_timeout_seconds, service_urls)
    verifier = build_verifier(settings)
    await verifier.start()
    edge = build_edge(
        settings, services=services, authenticate=authenticator(verifier), hub=None, schema=schema
    )
    urls = {name: (service_urls or {}).get(name, f"http://{name}.internal") for name in SERVICE_NAMES}
    readiness = GatewayReadiness(
        urls,
        {"hub": hub_ready, "verifier": lambda: bool(verifier.issuers)},
        transport=readiness_transport or backend.transport(),
    )
    app = build_app(edge, readiness)
    port = free_port()
    config = uvicorn.Config(
        TraceMiddleware(app),
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
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        yield Gateway(
            f"http://127.0.0.1:{port}", settings, services, DevIssuer.load(home, audience="tandem"), backend
        )
    finally:
        server.should_exit = True
        await serving
        await readiness.close()
        await services.close()
        await verifier.stop()
