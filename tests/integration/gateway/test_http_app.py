"""``create_app``: the whole gateway as ``tandem serve gateway`` runs it, on the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tandem_common.http.tracing import TraceMiddleware
from tandem_common.runtime.embedded_kafka import free_port
from tandem_common.runtime.spec import discover_services
from tandem_common.testing.backends import Infrastructure
from tandem_gateway.auth.dev_issuer import DevIssuer
from tandem_gateway.entrypoints.main import create_app, service_spec
from tandem_gateway.settings import GatewaySettings
from tests.support.kafka import create_topics


@asynccontextmanager
async def serving(app: object, *, lifespan: str = "off") -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan=lifespan)  # type: ignore[arg-type]
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def fake_service(state: dict[str, bool]) -> Starlette:
    async def readyz(_: Request) -> JSONResponse:
        ready = state["ready"]
        return JSONResponse({"status": "ready" if ready else "not ready"}, status_code=200 if ready else 503)

    return Starlette(routes=[Route("/readyz", readyz)])


async def ready_status(client: httpx.AsyncClient, url: str, want: int, timeout: float = 30) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(f"{url}/readyz")
        if response.status_code == want or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.2)


async def test_create_app_runs_the_gateway_and_readyz_follows_the_services(
    tmp_path: Path, infrastructure: Infrastructure
) -> None:
    # The services create their topics; here nothing else has yet.
    await create_topics(infrastructure.kafka_bootstrap, ["matching.events", "engagement.events"])
    states = {name: {"ready": True} for name in ("profiles", "matching", "engagement")}
    async with (
        serving(fake_service(states["profiles"])) as profiles,
        serving(fake_service(states["matching"])) as matching,
        serving(fake_service(states["engagement"])) as engagement,
    ):
        settings = GatewaySettings(
            home=tmp_path,
            dev_issuer_enabled=True,
            kafka_bootstrap=infrastructure.kafka_bootstrap,
            profiles_url=profiles,
            matching_url=matching,
            engagement_url=engagement,
        )
        app = create_app(settings)
        async with (
            serving(TraceMiddleware(app), lifespan="on") as gateway,
            httpx.AsyncClient(timeout=10) as client,
        ):
            green = await ready_status(client, gateway, 200)
            assert green.json() == {
                "status": "ready",
                "checks": {
                    "profiles": True,
                    "matching": True,
                    "engagement": True,
                    "hub": True,
                    "verifier": True,
                },
            }
            states["matching"]["ready"] = False
            red = await ready_status(client, gateway, 503)
            assert red.status_code == 503
            assert red.json()["checks"]["matching"] is False
            states["matching"]["ready"] = True
            assert (await ready_status(client, gateway, 200)).status_code == 200

            token = DevIssuer.load(tmp_path, audience="tandem").sign("E42", ["employee", "admin"], 600)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            body = orjson.dumps({"query": "query Me { viewer { employeeId roles } }"})
            answer = (await client.post(f"{gateway}/graphql", content=body, headers=headers)).json()
            assert answer["data"] == {"viewer": {"employeeId": "E42", "roles": ["ADMIN", "EMPLOYEE"]}}
            assert answer["extensions"]["cost"] == 1
            refused = await client.post(
                f"{gateway}/graphql", content=body, headers={"Content-Type": "application/json"}
            )
            assert refused.status_code == 401


def test_the_service_spec() -> None:
    assert service_spec.name == "gateway"
    assert service_spec.port == 8000
    # After every service behind it, whatever their stages.
    others = [spec for name, spec in discover_services().items() if name != "gateway"]
    assert service_spec.start_order > max(spec.start_order for spec in others)
    assert service_spec.database is None
    assert service_spec.public is True
    assert service_spec.consumes == ("matching.events", "engagement.events")
    assert service_spec.publishes == ()
