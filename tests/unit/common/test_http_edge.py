"""The edge of every service's HTTP app: the body cap, the service token, the token file."""

from __future__ import annotations

import asyncio
import logging
import re
import stat
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from pydantic import SecretStr

from tandem_common.cli import UsageError
from tandem_common.http.edge import EdgeSettingsError, install_edge
from tandem_common.http.health import health_router
from tandem_common.http.limits import BodyLimitMiddleware
from tandem_common.http.service_token import client_token, ensure_token_file, token_file
from tandem_common.runtime import serve as serve_module
from tandem_common.runtime.embedded_kafka import free_port
from tandem_common.runtime.spec import ServiceSpec
from tandem_common.runtime.supervisor import PrefixedOutput
from tandem_common.runtime.up import Platform
from tandem_common.settings import ServiceSettings

CAP = 1024
TOKEN = "0123456789abcdef-service-token"


class EdgeSettings(ServiceSettings):
    service_name = "edge-test"


def edge_settings(**overrides: Any) -> EdgeSettings:
    return EdgeSettings(**{"http_max_body_bytes": CAP, **overrides})


def app_with_edge(settings: EdgeSettings) -> tuple[FastAPI, list[str]]:
    """A small service app; ``reached`` records every handler that ran."""
    reached: list[str] = []
    app = FastAPI()

    async def ready() -> dict[str, bool]:
        return {"database": True}

    app.include_router(health_router(ready))

    @app.post("/v1/raw")
    async def raw(request: Request) -> dict[str, int]:
        reached.append("raw")
        return {"bytes": len(await request.body())}

    @app.post("/v1/json")
    async def parsed(payload: dict[str, Any]) -> dict[str, int]:
        reached.append("json")
        return {"keys": len(payload)}

    @app.get("/v1/thing")
    async def thing() -> dict[str, str]:
        reached.append("thing")
        return {"thing": "yes"}

    install_edge(app, settings)
    return app, reached


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge")


async def chunks(total: int, size: int = 100) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"x" * piece


# -- body cap ---------------------------------------------------------------------------


async def test_a_declared_body_over_the_cap_is_refused_before_the_app_runs() -> None:
    app, reached = app_with_edge(edge_settings())
    async with client_for(app) as client:
        response = await client.post("/v1/raw", content=b"x" * (CAP + 1))
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body larger than {CAP} bytes"}
    assert response.headers["connection"] == "close"
    assert reached == []


@pytest.mark.parametrize("path", ["/v1/raw", "/v1/json"])
async def test_a_streamed_body_over_the_cap_answers_413_not_the_apps_400(path: str) -> None:
    app, _ = app_with_edge(edge_settings())
    async with client_for(app) as client:
        response = await client.post(path, content=chunks(CAP + 1))
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body larger than {CAP} bytes"}


async def test_a_body_of_exactly_the_cap_is_read_whole() -> None:
    app, reached = app_with_edge(edge_settings())
    async with client_for(app) as client:
        declared = await client.post("/v1/raw", content=b"x" * CAP)
        streamed = await client.post("/v1/raw", content=chunks(CAP))
    assert (declared.status_code, declared.json()) == (200, {"bytes": CAP})
    assert (streamed.status_code, streamed.json()) == (200, {"bytes": CAP})
    assert reached == ["raw", "raw"]


async def test_a_body_far_over_the_cap_is_not_read_to_its_end() -> None:
    pieces = 100
    delivered: list[int] = []

    async def receive() -> dict[str, Any]:
        delivered.append(100)
        return {"type": "http.request", "body": b"x" * 100, "more_body": len(delivered) < pieces}

    async def read_everything(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass

    answers: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        answers.append(message)

    limited = BodyLimitMiddleware(read_everything, max_bytes=CAP)
    declared = {"type": "http", "path": "/v1/raw", "headers": [(b"content-length", b"10000")]}
    await limited(declared, receive, send)
    assert delivered == []
    await limited({"type": "http", "path": "/v1/raw", "headers": []}, receive, send)
    # Past the cap, at most the cap again is read and dropped before the answer.
    assert CAP < sum(delivered) <= 2 * (CAP + 100)
    assert [a["status"] for a in answers if a["type"] == "http.response.start"] == [413, 413]


@pytest.fixture
def real_server() -> Iterator[str]:
    """The edge app behind uvicorn on a real socket, as ``tandem serve`` runs it."""
    app, _ = app_with_edge(edge_settings())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=asyncio.run, args=(server.serve(),), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def test_a_real_server_answers_413_to_declared_and_chunked_bodies_over_the_cap(
    real_server: str,
) -> None:
    async with httpx.AsyncClient(base_url=real_server) as client:
        declared = await client.post("/v1/json", content=b"{" + b" " * CAP + b"}")
        # Half the cap again: the rest is read and dropped, so the answer is not lost
        # to a connection reset while the client is still sending.
        chunked = await client.post("/v1/json", content=chunks(CAP + CAP // 2))
        within = await client.post("/v1/json", json={"a": 1})
    assert declared.status_code == 413
    assert chunked.status_code == 413
    assert chunked.json() == {"detail": f"request body larger than {CAP} bytes"}
    assert (within.status_code, within.json()) == (200, {"keys": 1})


# -- service token ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-of-some-length"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ],
    ids=["missing", "wrong", "longer", "other-scheme", "no-scheme"],
)
async def test_v1_routes_answer_401_without_the_token(headers: dict[str, str]) -> None:
    app, reached = app_with_edge(edge_settings(service_token=SecretStr(TOKEN)))
    async with client_for(app) as client:
        response = await client.get("/v1/thing", headers=headers)
        write = await client.post("/v1/json", json={"a": 1}, headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "this internal API needs the service token: Authorization: Bearer <TANDEM_SERVICE_TOKEN>"
    }
    assert response.headers["www-authenticate"] == 'Bearer realm="tandem-internal"'
    assert write.status_code == 401
    assert reached == []


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_v1_routes_answer_200_with_the_token(scheme: str) -> None:
    app, reached = app_with_edge(edge_settings(service_token=SecretStr(TOKEN)))
    async with client_for(app) as client:
        response = await client.get("/v1/thing", headers={"Authorization": f"{scheme} {TOKEN}"})
    assert (response.status_code, response.json()) == (200, {"thing": "yes"})
    assert reached == ["thing"]


async def test_health_readiness_and_metrics_stay_open_and_everything_else_is_closed() -> None:
    app, _ = app_with_edge(edge_settings(service_token=SecretStr(TOKEN)))
    async with client_for(app) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/openapi.json")).status_code == 401
        assert (await client.get("/docs")).status_code == 401


async def test_the_token_is_checked_before_the_body_is_read() -> None:
    app, _ = app_with_edge(edge_settings(service_token=SecretStr(TOKEN)))
    async with client_for(app) as client:
        response = await client.post("/v1/raw", content=b"x" * (CAP + 1))
    assert response.status_code == 401


async def test_without_a_token_on_loopback_the_api_is_open() -> None:
    app, reached = app_with_edge(edge_settings())
    async with client_for(app) as client:
        response = await client.get("/v1/thing")
    assert response.status_code == 200
    assert reached == ["thing"]


async def start_and_stop(app: FastAPI) -> list[str]:
    """Runs the app's ASGI lifespan as a server does; the messages it sent back."""
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(message["type"])

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    return sent


async def test_without_a_token_one_warning_is_logged_at_start(caplog: pytest.LogCaptureFixture) -> None:
    app, _ = app_with_edge(edge_settings())
    with caplog.at_level(logging.WARNING, logger="tandem_common.http.service_token"):
        assert await start_and_stop(app) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
        async with client_for(app) as client:
            await client.get("/v1/thing")
            await client.get("/v1/thing")
    warnings = [r.getMessage() for r in caplog.records if r.name == "tandem_common.http.service_token"]
    assert warnings == [
        "the internal API of edge-test is unauthenticated (TANDEM_SERVICE_TOKEN is unset): "
        "it listens on 127.0.0.1 and must stay on loopback"
    ]


async def test_with_a_token_nothing_is_logged_at_start(caplog: pytest.LogCaptureFixture) -> None:
    app, _ = app_with_edge(edge_settings(service_token=SecretStr(TOKEN)))
    with caplog.at_level(logging.WARNING):
        await start_and_stop(app)
    assert [r for r in caplog.records if r.name == "tandem_common.http.service_token"] == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "profiles.internal"])
def test_an_unauthenticated_api_beyond_loopback_refuses_to_start(host: str) -> None:
    with pytest.raises(
        EdgeSettingsError,
        match=re.escape(f"unauthenticated internal API on {host}: set TANDEM_SERVICE_TOKEN"),
    ):
        app_with_edge(edge_settings(http_host=host))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses_need_no_token(host: str) -> None:
    app_with_edge(edge_settings(http_host=host))


def test_the_explicit_opt_out_allows_an_unauthenticated_api_beyond_loopback() -> None:
    app_with_edge(edge_settings(http_host="0.0.0.0", http_allow_unauthenticated=True))


def test_beyond_loopback_with_a_token_starts() -> None:
    app_with_edge(edge_settings(http_host="0.0.0.0", service_token=SecretStr(TOKEN)))


def test_a_token_too_short_to_be_a_secret_refuses_to_start() -> None:
    with pytest.raises(EdgeSettingsError, match="TANDEM_SERVICE_TOKEN has 6 characters"):
        app_with_edge(edge_settings(service_token=SecretStr("secret")))


def test_serve_reports_the_refusal_as_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def create_app(settings: ServiceSettings) -> FastAPI:
        app = FastAPI()
        install_edge(app, settings)
        return app

    spec = ServiceSpec(
        name="edge-test", settings=lambda: edge_settings(http_host="0.0.0.0"), create_app=create_app
    )
    monkeypatch.setattr(serve_module, "discover_services", lambda: {"edge-test": spec})
    with pytest.raises(
        UsageError, match=re.escape("refusing to serve an unauthenticated internal API on 0.0.0.0:")
    ):
        serve_module.serve("edge-test")


# -- the token file and its clients -----------------------------------------------------


def test_the_token_file_is_created_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    home = tmp_path / ".tandem"
    token = ensure_token_file(home)
    path = token_file(home)
    assert len(token) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == token + "\n"
    assert ensure_token_file(home) == token


def test_an_empty_token_file_is_replaced_and_a_loose_one_tightened(tmp_path: Path) -> None:
    token_file(tmp_path).write_text("")
    token = ensure_token_file(tmp_path)
    assert len(token) >= 32
    token_file(tmp_path).chmod(0o644)
    assert ensure_token_file(tmp_path) == token
    assert stat.S_IMODE(token_file(tmp_path).stat().st_mode) == 0o600


def test_clients_take_the_variable_first_then_the_file(tmp_path: Path) -> None:
    assert client_token({"TANDEM_HOME": str(tmp_path)}) is None
    stored = ensure_token_file(tmp_path)
    assert client_token({"TANDEM_HOME": str(tmp_path)}) == stored
    assert client_token({"TANDEM_HOME": str(tmp_path), "TANDEM_SERVICE_TOKEN": TOKEN}) == TOKEN


def test_tandem_up_creates_a_token_and_hands_it_to_every_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANDEM_SERVICE_TOKEN", raising=False)
    platform = Platform(tmp_path, PrefixedOutput(), demo=False)
    platform.provide_service_token()
    token = platform.env["TANDEM_SERVICE_TOKEN"]
    assert token == token_file(tmp_path).read_text().strip()
    again = Platform(tmp_path, PrefixedOutput(), demo=False)
    again.provide_service_token()
    assert again.env["TANDEM_SERVICE_TOKEN"] == token


def test_tandem_up_uses_a_token_given_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_SERVICE_TOKEN", TOKEN)
    platform = Platform(tmp_path, PrefixedOutput(), demo=False)
    platform.provide_service_token()
    assert platform.env["TANDEM_SERVICE_TOKEN"] == TOKEN
    assert not token_file(tmp_path).exists()
