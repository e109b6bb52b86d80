"""The production issuer's keys, fetched from a real JWKS endpoint on this machine.

A threaded `http.server` serves the key set; the tests count its requests, rotate its
keys, slow it down and take it away.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tandem_gateway.auth.jwks import JwksKeys, KeysUnavailable
from tandem_gateway.auth.verifier import InvalidToken, TokenVerifier, build_verifier
from tandem_gateway.auth.viewer import Role
from tandem_gateway.settings import GatewaySettings

ISSUER = "https://id.example.test"


class Signer:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        return {**RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True), "kid": self.kid, "alg": "RS256"}

    def token(self, subject: str = "E000123", roles: tuple[str, ...] = ("employee",)) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": "tandem",
            "sub": subject,
            "roles": list(roles),
            "iat": now,
            "exp": now + 600,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


FIRST = Signer("key-2026-01")
SECOND = Signer("key-2026-02")


class JwksServer:
    """A JWKS endpoint: what it serves, how slowly, and how often it was asked."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": [FIRST.jwk()]}
        self.status = 200
        self.delay_seconds = 0.0
        self.requests = 0
        self.released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                if server.delay_seconds:
                    server.released.wait(server.delay_seconds)
                body = json.dumps(server.document).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def publish(self, *signers: Signer) -> None:
        self.document = {"keys": [signer.jwk() for signer in signers]}


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    server.thread.start()
    yield server
    server.released.set()
    server.http.shutdown()
    server.http.server_close()


def _settings(tmp_path: Path, url: str, **values: Any) -> GatewaySettings:
    base: dict[str, Any] = {
        "http_port": 8000,
        "home": tmp_path,
        "embedded_default": False,
        "dev_issuer_enabled": False,
        "oidc_issuer": ISSUER,
        "oidc_jwks_url": url,
        "oidc_jwks_refresh_seconds": 3600,
        "oidc_jwks_min_refresh_seconds": 10,
        "oidc_jwks_timeout_seconds": 0.5,
    }
    return GatewaySettings(**{**base, **values})


@pytest.fixture
async def started(tmp_path: Path, jwks: JwksServer) -> AsyncIterator[TokenVerifier]:
    verifier = build_verifier(_settings(tmp_path, jwks.url))
    await verifier.start()
    yield verifier
    await verifier.stop()


async def test_keys_are_fetched_once_at_start_and_cached(started: TokenVerifier, jwks: JwksServer) -> None:
    assert jwks.requests == 1
    for subject in ("E000001", "E000002", "E000003", "E000004", "E000005"):
        viewer = await started.verify(FIRST.token(subject, ("employee", "admin")))
        assert (viewer.employee_id, viewer.roles) == (subject, frozenset({Role.EMPLOYEE, Role.ADMIN}))
    assert jwks.requests == 1


async def test_a_rotated_key_is_fetched_on_its_first_token_without_a_restart(
    started: TokenVerifier, jwks: JwksServer
) -> None:
    jwks.publish(FIRST, SECOND)
    assert (await started.verify(SECOND.token("E000777"))).employee_id == "E000777"
    assert jwks.requests == 2
    # The old key still verifies, from the cache.
    assert (await started.verify(FIRST.token())).employee_id == "E000123"
    assert jwks.requests == 2


async def test_made_up_key_ids_fetch_at_most_once_per_minimum_interval(
    started: TokenVerifier, jwks: JwksServer
) -> None:
    stranger = Signer("key-unknown")
    with pytest.raises(InvalidToken, match=r"^The token's signing key is unknown\.$"):
        await started.verify(stranger.token())
    assert jwks.requests == 2
    # That fetch was under 10 seconds ago: the next made-up kids fetch nothing.
    for n in range(5):
        with pytest.raises(InvalidToken, match=r"^The token's signing key is unknown\.$"):
            await started.verify(Signer(f"key-unknown-{n}").token())
    assert jwks.requests == 2


async def test_an_unknown_kid_fetches_again_once_the_minimum_interval_has_passed(jwks: JwksServer) -> None:
    now = [1000.0]
    keys = JwksKeys(
        jwks.url, refresh_seconds=3600, min_refresh_seconds=10, timeout_seconds=0.5, clock=lambda: now[0]
    )
    await keys.start()
    try:
        with pytest.raises(InvalidToken, match=r"^The token's signing key is unknown\.$"):
            await keys.key_for("key-unknown")
        assert jwks.requests == 2
        jwks.publish(FIRST, SECOND)
        now[0] += 9.9
        with pytest.raises(InvalidToken, match=r"^The token's signing key is unknown\.$"):
            await keys.key_for(SECOND.kid)
        assert jwks.requests == 2
        now[0] += 0.1
        assert (await keys.key_for(SECOND.kid)).key_id == SECOND.kid
        assert jwks.requests == 3
    finally:
        await keys.stop()


async def test_concurrent_tokens_with_a_new_kid_share_one_fetch(
    started: TokenVerifier, jwks: JwksServer
) -> None:
    jwks.publish(FIRST, SECOND)
    jwks.delay_seconds = 0.3
    viewers = await asyncio.gather(*(started.verify(SECOND.token(f"E00000{n}")) for n in range(5)))
    assert [viewer.employee_id for viewer in viewers] == [f"E00000{n}" for n in range(5)]
    assert jwks.requests == 2


async def test_a_token_waits_for_one_fetch_at_most(jwks: JwksServer) -> None:
    keys = JwksKeys(jwks.url, refresh_seconds=3600, min_refresh_seconds=0, timeout_seconds=5)
    await keys.start()
    try:
        jwks.delay_seconds = 0.3
        in_flight = asyncio.create_task(keys.refresh())
        await asyncio.sleep(0.05)
        # It waits for the fetch under way, which does not bring its kid, and starts no other.
        with pytest.raises(InvalidToken, match=r"^The token's signing key is unknown\.$"):
            await keys.key_for("key-unknown")
        await in_flight
        assert jwks.requests == 2
        # Many made-up kids at once: one fetch between them.
        outcomes = await asyncio.gather(
            *(keys.key_for(f"key-unknown-{n}") for n in range(5)), return_exceptions=True
        )
        assert [str(outcome) for outcome in outcomes] == ["The token's signing key is unknown."] * 5
        assert jwks.requests == 3
    finally:
        await keys.stop()


async def test_keys_are_refreshed_in_the_background(tmp_path: Path, jwks: JwksServer) -> None:
    verifier = build_verifier(_settings(tmp_path, jwks.url, oidc_jwks_refresh_seconds=0.2))
    await verifier.start()
    try:
        jwks.publish(SECOND)
        deadline = time.monotonic() + 5
        while jwks.requests < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.05)  # let the refresh that was answered store its keys
        fetched = jwks.requests
        assert fetched >= 2
        assert (await verifier.verify(SECOND.token())).employee_id == "E000123"
        # The retired key was dropped with the refresh.
        with pytest.raises(InvalidToken, match=r"^The token's signing key is unknown\.$"):
            await verifier.verify(FIRST.token())
    finally:
        await verifier.stop()
    stopped_at = jwks.requests
    await asyncio.sleep(0.5)
    assert jwks.requests == stopped_at


async def test_a_failed_refresh_keeps_the_known_keys(started: TokenVerifier, jwks: JwksServer) -> None:
    jwks.status = 500
    keys = next(iter(started._issuers.values())).keys
    assert isinstance(keys, JwksKeys)
    with pytest.raises(KeysUnavailable, match=r"^PyJWKClientConnectionError: .*HTTP Error 500"):
        await keys.refresh()
    assert (await started.verify(FIRST.token())).employee_id == "E000123"


async def _ticks_during(work: Any) -> int:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await work
    finally:
        task.cancel()
    return ticks


async def test_fetches_run_off_the_event_loop(tmp_path: Path, jwks: JwksServer) -> None:
    jwks.delay_seconds = 0.5
    verifier = build_verifier(_settings(tmp_path, jwks.url, oidc_jwks_timeout_seconds=5))
    # At start: the loop keeps ticking through the 0.5 s fetch.
    assert await _ticks_during(verifier.start()) >= 10
    try:
        jwks.publish(FIRST, SECOND)
        # On an unknown kid: the request waits, the loop does not.
        assert await _ticks_during(verifier.verify(SECOND.token())) >= 10
        assert jwks.requests == 2
    finally:
        await verifier.stop()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_jwks_refuses_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/jwks.json"
    verifier = build_verifier(_settings(tmp_path, url, oidc_jwks_min_refresh_seconds=0))
    with caplog.at_level(logging.WARNING, logger="tandem_gateway.auth.jwks"):
        await asyncio.wait_for(verifier.start(), timeout=5)
    try:
        (warning,) = caplog.records
        assert warning.getMessage().startswith(
            f"signing keys of {url} not fetched at start: PyJWKClientConnectionError"
        )
        with pytest.raises(InvalidToken, match=r"^The issuer's signing keys are unavailable\.$"):
            await asyncio.wait_for(verifier.verify(FIRST.token()), timeout=5)
    finally:
        await verifier.stop()


async def test_a_jwks_that_never_answers_refuses_the_token_within_the_timeout(
    tmp_path: Path, jwks: JwksServer
) -> None:
    jwks.delay_seconds = 30
    verifier = build_verifier(_settings(tmp_path, jwks.url, oidc_jwks_min_refresh_seconds=0))
    started_at = time.monotonic()
    await asyncio.wait_for(verifier.start(), timeout=5)
    try:
        with pytest.raises(InvalidToken, match=r"^The issuer's signing keys are unavailable\.$"):
            await asyncio.wait_for(verifier.verify(FIRST.token()), timeout=5)
        # Two fetches, each bounded by the 0.5 s timeout (plus the thread's grace).
        assert time.monotonic() - started_at < 4
        assert jwks.requests == 2
    finally:
        await verifier.stop()
