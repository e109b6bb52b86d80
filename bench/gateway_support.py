"""The processes of the gateway benchmarks: fake services, the gateway, a bare Strawberry
server, and the load client, each started in its own process (``spawn``) on a free port.

- ``serve_fake_services``: profiles, matching and engagement as small Starlette apps on
  three ports of one process, answering their internal APIs from in-memory JSON in the
  services' real shapes (``tests.support.gateway_reads.FakeWorld``, which also counts
  every call; ``GET /bench/calls`` on any of the three reads the counts).
- ``serve_gateway``: the gateway's own composition root (``create_app``) behind the
  ``TraceMiddleware`` that ``tandem serve`` puts around it, on uvicorn, exactly as
  ``tandem serve gateway`` runs it; optionally under cProfile (stats written when the
  server stops on SIGTERM).
- ``serve_bare``: a bare Strawberry schema (``strawberry.asgi.GraphQL``) on uvicorn.
- ``drive``: a closed-loop load of N concurrent clients (asyncio + httpx, keep-alive),
  returning each request's latency.
"""

from __future__ import annotations

import asyncio
import cProfile
import logging
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.gateway_reads import FakeWorld

SERVICES = ("profiles", "matching", "engagement")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    """Returns once something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on port {port} after {timeout:.0f} s") from None
            time.sleep(0.05)


def uvicorn_server(app: Any, port: int, *, lifespan: Literal["on", "off"] = "on") -> uvicorn.Server:
    """The server ``tandem serve`` makes (no access log, uvicorn's default loop and HTTP)."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan=lifespan,
        log_level="error",
    )
    return uvicorn.Server(config)


# -- fake services -------------------------------------------------------------------


def fake_service_app(world: FakeWorld, service: str) -> Starlette:
    """One service's internal API over ``world``; the request is handed to ``FakeWorld``
    as the ``httpx.Request`` it was sent as."""

    async def answer(request: Request) -> Response:
        body = await request.body()
        forwarded = httpx.Request(request.method, str(request.url), headers=request.headers.raw, content=body)
        status, data = world.answer(service, forwarded)
        return Response(orjson.dumps(data), status_code=status, media_type="application/json")

    async def calls(_: Request) -> Response:
        return Response(orjson.dumps(world.per_endpoint()), media_type="application/json")

    return Starlette(
        routes=[
            Route("/bench/calls", calls, methods=["GET"]),
            Route("/{path:path}", answer, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
        ]
    )


def serve_fake_services(make_world: Callable[[], FakeWorld], ports: dict[str, int]) -> None:
    """Process target: the three fake services on ``ports`` (by service name)."""
    world = make_world()
    servers = [uvicorn_server(fake_service_app(world, name), ports[name]) for name in SERVICES]

    async def serve_all() -> None:
        await asyncio.gather(*(server.serve() for server in servers))

    asyncio.run(serve_all())


# -- the gateway ---------------------------------------------------------------------


def serve_gateway(settings: dict[str, Any], profile_path: str | None) -> None:
    """Process target: the gateway of ``settings`` (``GatewaySettings`` fields)."""
    from tandem_common.http.tracing import TraceMiddleware
    from tandem_gateway.entrypoints.main import create_app
    from tandem_gateway.settings import GatewaySettings

    gateway_settings = GatewaySettings(**settings)
    server = uvicorn_server(TraceMiddleware(create_app(gateway_settings)), gateway_settings.http_port)
    # The hub's broker is deliberately absent: its client's connection errors are noise here.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    # uvicorn re-raises the SIGTERM it stopped on once it has shut down; ignored here, so
    # that the process ends through the ``finally`` below (and writes its profile).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # CPU time, not wall time: on a shared machine waiting for a core is not a cost of the code.
    profiler = cProfile.Profile(time.process_time) if profile_path else None
    if profiler is not None:
        profiler.enable()
    try:
        asyncio.run(server.serve())
    finally:
        if profiler is not None and profile_path:
            profiler.disable()
            profiler.dump_stats(profile_path)


def serve_bare(make_app: Callable[[], Any], port: int) -> None:
    """Process target: the ASGI app ``make_app()`` builds, on ``port``."""
    # Strawberry's ASGI app speaks no lifespan protocol.
    asyncio.run(uvicorn_server(make_app(), port, lifespan="off").serve())


# -- the load ------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What one closed-loop run measured."""

    latencies: list[float]  # seconds, one per measured request (answered with errors or not)
    seconds: float  # wall time of the measured requests
    failures: int  # measured requests answered with something other than a 200 without errors
    first_failure: str


def drive(url: str, headers: dict[str, str], body: bytes, clients: int, requests: int, warmup: int) -> Load:
    """Process target: ``warmup`` then ``requests`` POSTs of ``body`` by ``clients``
    concurrent clients on keep-alive connections, each sending its next request as soon
    as its last is answered."""
    return asyncio.run(_drive(url, headers, body, clients, requests, warmup))


def failure(status: int, content: bytes) -> str | None:
    """Why an answer is not a clean one (a 200 without ``errors``), or None."""
    if status == 200 and b'"errors"' not in content:
        return None
    try:
        errors = orjson.loads(content).get("errors") or []
    except orjson.JSONDecodeError:
        return f"HTTP {status}: {content[:300]!r}"
    first = errors[0] if errors else {}
    code = (first.get("extensions") or {}).get("code")
    where = first.get("path")
    return f"HTTP {status}, {len(errors)} errors, the first: {code} {first.get('message')} at {where}"


async def _drive(
    url: str, headers: dict[str, str], body: bytes, clients: int, requests: int, warmup: int
) -> Load:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    failures: list[str] = []
    async with httpx.AsyncClient(limits=limits, timeout=120.0, headers=headers) as client:

        async def run(count: int, record: bool) -> None:
            left = count

            async def one_client() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    started = time.perf_counter()
                    response = await client.post(url, content=body)
                    elapsed = time.perf_counter() - started
                    if record:
                        latencies.append(elapsed)
                        why = failure(response.status_code, response.content)
                        if why is not None:
                            failures.append(why)

            await asyncio.gather(*(one_client() for _ in range(clients)))

        await run(warmup, record=False)
        started = time.perf_counter()
        await run(requests, record=True)
        seconds = time.perf_counter() - started
    return Load(latencies, seconds, len(failures), failures[0] if failures else "")
