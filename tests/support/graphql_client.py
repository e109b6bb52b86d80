"""The gateway from outside, as a front end uses it: GraphQL over HTTP and over WebSocket
(``graphql-transport-ws``), with a bearer token."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.support.tandem_up import REPO

PROTOCOL = "graphql-transport-ws"


def dev_token(home: Path, subject: str, *roles: str, ttl: int = 3600) -> str:
    """A development token from the real command line: ``tandem auth token``."""
    arguments = [sys.executable, "-m", "tandem_common.cli", "auth", "token", "--subject", subject]
    for role in roles:
        arguments += ["--role", role]
    arguments += ["--ttl", str(ttl)]
    done = subprocess.run(
        arguments,
        cwd=REPO,
        env={**_without_tandem_settings(), "TANDEM_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _without_tandem_settings() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}


class GraphQL:
    """One viewer's GraphQL client over HTTP."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self.http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def post(
        self, query: str, variables: Mapping[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        return await self.http.post(
            "/graphql", json={"query": query, "variables": dict(variables or {})}, headers=headers
        )

    async def run(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of an operation that must succeed without any error."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body["errors"]
        assert isinstance(body["extensions"]["cost"], int)
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, query: str, variables: Mapping[str, Any], field: str) -> dict[str, Any]:
        """A mutation's payload, which must carry no user errors."""
        payload: dict[str, Any] = (await self.run(query, variables))[field]
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload


class Subscription:
    """One ``graphql-transport-ws`` connection with one subscription; events queue up."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def next(self, timeout: float = 30) -> dict[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout=timeout)

    async def until(self, predicate: Any, timeout: float = 60) -> dict[str, Any]:
        """The first event that satisfies ``predicate`` (events before it are dropped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = await self.next(max(0.1, deadline - loop.time()))
            if predicate(event):
                return event


_ids = itertools.count(1)


@contextlib.asynccontextmanager
async def subscribe(
    ws_url: str, token: str, query: str, variables: Mapping[str, Any] | None = None
) -> AsyncIterator[Subscription]:
    """A subscription, acknowledged by the gateway, until the block ends."""
    async with websockets.connect(ws_url, subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        assert ack["type"] == "connection_ack", ack
        operation = str(next(_ids))
        await socket.send(
            json.dumps(
                {
                    "id": operation,
                    "type": "subscribe",
                    "payload": {"query": query, "variables": dict(variables or {})},
                }
            )
        )
        subscription = Subscription(socket)

        async def pump() -> None:
            async for raw in socket:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await socket.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next" and message["id"] == operation:
                    await subscription.events.put(message["payload"])
                elif message["type"] in ("error", "complete"):
                    await subscription.events.put({"closed": message})

        task = asyncio.create_task(pump())
        try:
            yield subscription
        finally:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
