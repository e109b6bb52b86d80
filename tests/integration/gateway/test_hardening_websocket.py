"""Subscriptions over WebSocket: graphql-transport-ws only, origins, tokens, caps, slow clients."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.integration.gateway.edge_harness import Gateway, running_gateway

PROTOCOL = "graphql-transport-ws"


async def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 5))
    return message


async def closed_with(socket: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def initialised(gateway: Gateway, socket: ClientConnection, token: str | None = None) -> None:
    await socket.send(
        json.dumps(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token or gateway.token()}"}}
        )
    )
    assert await receive(socket) == {"type": "connection_ack"}


def subscribe(operation_id: str, query: str, **extra: Any) -> str:
    return json.dumps({"id": operation_id, "type": "subscribe", "payload": {"query": query, **extra}})


async def test_a_subscription_streams_and_completes(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway, connect(gateway.ws, subprotocols=[PROTOCOL]) as socket:
        assert socket.subprotocol == PROTOCOL
        await socket.send(json.dumps({"type": "ping"}))
        assert await receive(socket) == {"type": "pong"}
        await initialised(gateway, socket)
        await socket.send(json.dumps({"type": "ping"}))
        assert await receive(socket) == {"type": "pong"}
        await socket.send(subscribe("1", "subscription { ticks(count: 3) }"))
        for number in range(3):
            assert await receive(socket) == {
                "id": "1",
                "type": "next",
                "payload": {"data": {"ticks": number}},
            }
        assert await receive(socket) == {"id": "1", "type": "complete"}
        # A query runs over the socket too, with the same checks.
        await socket.send(subscribe("2", "{ viewerId }"))
        assert await receive(socket) == {"id": "2", "type": "next", "payload": {"data": {"viewerId": "E1"}}}
        assert await receive(socket) == {"id": "2", "type": "complete"}


async def test_the_legacy_graphql_ws_protocol_is_refused(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway:
        for offered in (["graphql-ws"], None):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(gateway.ws, subprotocols=offered):
                    pass
            assert refused.value.response.status_code == 403


async def test_origins_outside_the_allow_list_are_refused(tmp_path: Path) -> None:
    allowed = "https://app.example.com"
    async with running_gateway(tmp_path, websocket_origins=[allowed]) as gateway:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(gateway.ws, subprotocols=[PROTOCOL], origin="https://evil.example.net"):  # type: ignore[arg-type]
                pass
        assert refused.value.response.status_code == 403
        for origin in (allowed, gateway.url, None):
            async with connect(gateway.ws, subprotocols=[PROTOCOL], origin=origin) as socket:  # type: ignore[arg-type]
                await initialised(gateway, socket)


async def test_a_bad_token_in_connection_init_closes_with_4403(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway:
        expired = gateway.issuer.sign("E1", ["employee"], 1, now=1_000_000)
        for payload in ({"Authorization": "Bearer nonsense"}, {"Authorization": f"Bearer {expired}"}, {}):
            async with connect(gateway.ws, subprotocols=[PROTOCOL]) as socket:
                await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
                assert await closed_with(socket) == (4403, "Forbidden")
        async with connect(gateway.ws, subprotocols=[PROTOCOL]) as socket:
            await socket.send(subscribe("1", "subscription { ticks }"))
            assert await closed_with(socket) == (4401, "Unauthorized")


async def test_connection_init_must_come_in_time(tmp_path: Path) -> None:
    async with (
        running_gateway(tmp_path, connection_init_timeout_seconds=0.3) as gateway,
        connect(gateway.ws, subprotocols=[PROTOCOL]) as socket,
    ):
        assert await closed_with(socket) == (4408, "Connection initialisation timeout")


async def test_subscriptions_per_connection_are_capped(tmp_path: Path) -> None:
    async with (
        running_gateway(tmp_path, max_subscriptions_per_connection=2) as gateway,
        connect(gateway.ws, subprotocols=[PROTOCOL]) as socket,
    ):
        await initialised(gateway, socket)
        for operation_id in ("1", "2"):
            await socket.send(subscribe(operation_id, "subscription { forever(everySeconds: 5) }"))
            assert (await receive(socket))["id"] == operation_id
        await socket.send(subscribe("3", "subscription { forever }"))
        refused = await receive(socket)
        assert refused["id"] == "3"
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "SUBSCRIPTION_LIMIT"
        # Completing one makes room for another.
        await socket.send(json.dumps({"id": "1", "type": "complete"}))
        await asyncio.sleep(0.1)
        await socket.send(subscribe("4", "subscription { forever(everySeconds: 5) }"))
        assert await receive(socket) == {"id": "4", "type": "next", "payload": {"data": {"forever": 0}}}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("subscription { ticks " + " ".join(f"a{i}: ticks" for i in range(16)) + " }", "ALIAS_LIMIT"),
        ("subscription { __schema { types { name } } }", "INTROSPECTION_DISABLED"),
        ("subscription { " + " ".join(["ticks"] * 2000) + " }", "TOKEN_LIMIT"),
        ("subscription { nothing }", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
async def test_each_subscribe_passes_the_limits(tmp_path: Path, query: str, code: str) -> None:
    async with running_gateway(tmp_path) as gateway, connect(gateway.ws, subprotocols=[PROTOCOL]) as socket:
        await initialised(gateway, socket)
        await socket.send(subscribe("1", query))
        refused = await receive(socket)
        assert refused["type"] == "error"
        assert refused["id"] == "1"
        assert [error["extensions"]["code"] for error in refused["payload"]] == [code]
        assert gateway.service_calls() == 0


async def test_a_subscriber_the_hub_finds_too_slow_is_closed_with_the_reason(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway, connect(gateway.ws, subprotocols=[PROTOCOL]) as socket:
        await initialised(gateway, socket)
        await socket.send(subscribe("1", "subscription { overflowing }"))
        assert await receive(socket) == {"id": "1", "type": "next", "payload": {"data": {"overflowing": 1}}}
        assert await closed_with(socket) == (4429, "more than 2 events waited for this subscriber")


async def test_an_expired_token_ends_the_subscription(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway, connect(gateway.ws, subprotocols=[PROTOCOL]) as socket:
        # `exp` is in whole seconds, so a token of two seconds lives between one and
        # two: at least five events of 0.2 s apart reach the client first.
        await initialised(gateway, socket, token=gateway.token("E1", ttl=2))
        await socket.send(subscribe("1", "subscription { forever(everySeconds: 0.2) }"))
        seen = []
        while (message := await receive(socket))["type"] == "next":
            seen.append(message["payload"]["data"]["forever"])
        assert seen[:2] == [0, 1]
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert await closed_with(socket) == (4403, "Token expired")


async def test_protocol_violations_close_the_socket(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway:
        cases: list[tuple[list[str], tuple[int, str]]] = [
            (["not json"], (4400, "WebSocket message must be valid JSON")),
            ([json.dumps({"type": "wat"})], (4400, "Unknown message type: wat")),
            ([json.dumps({"type": "connection_init"})], (4429, "Too many initialisation requests")),
            (
                [subscribe("1", "subscription { forever(everySeconds: 5) }")] * 2,
                (4409, "Subscriber for 1 already exists"),
            ),
        ]
        for messages, expected in cases:
            async with connect(gateway.ws, subprotocols=[PROTOCOL]) as socket:
                await initialised(gateway, socket)
                for message in messages:
                    await socket.send(message)
                assert await closed_with(socket) == expected


async def test_a_failing_subscription_ends_with_a_masked_error(tmp_path: Path) -> None:
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    traceparent = f"00-{trace_id}-b7ad6b7169203331-01"
    async with (
        running_gateway(tmp_path) as gateway,
        connect(
            gateway.ws, subprotocols=[PROTOCOL], additional_headers={"traceparent": traceparent}
        ) as socket,
    ):
        await initialised(gateway, socket)
        await socket.send(subscribe("1", "subscription Failing { failing }"))
        assert await receive(socket) == {"id": "1", "type": "next", "payload": {"data": {"failing": 1}}}
        assert await receive(socket) == {
            "id": "1",
            "type": "error",
            "payload": [
                {"message": "Unexpected error.", "extensions": {"code": "INTERNAL", "traceId": trace_id}}
            ],
        }
        # The socket stays open for the other operations.
        await socket.send(subscribe("2", "subscription { ticks(count: 1) }"))
        assert await receive(socket) == {"id": "2", "type": "next", "payload": {"data": {"ticks": 0}}}
