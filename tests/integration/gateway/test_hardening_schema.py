"""The same abuses, against the gateway's own schema (``build_schema``): refused, nothing called."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from tests.integration.gateway.edge_harness import Gateway, running_gateway

DEEP = (
    '{ program(id: "UHJvZ3JhbTox") { matches { edges { node { program { matches { edges { node '
    "{ program { admins { displayName } } } } } } } } } } }"
)
ALIASES = "{ " + " ".join(f"a{i}: viewer {{ employeeId }}" for i in range(16)) + " }"
# 2,001 tokens: "{ viewer {", 1,996 names, "} }".
TOKENS = "{ viewer { " + " ".join(["employeeId"] * 1996) + " } }"
COSTLY = "{ programs(first: 100) { edges { node { matches(first: 100) { edges { node { id } } } } } } }"
INTROSPECTION = "{ __schema { types { name } } }"


async def post(gateway: Gateway, body: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(gateway.graphql, content=orjson.dumps(body), headers=gateway.headers())


@pytest.mark.parametrize(
    ("query", "code", "cost"),
    [
        (DEEP, "DEPTH_LIMIT", None),
        (ALIASES, "ALIAS_LIMIT", None),
        (TOKENS, "TOKEN_LIMIT", 0),
        (COSTLY, "COST_LIMIT", 20_301),
        (INTROSPECTION, "INTROSPECTION_DISABLED", None),
    ],
)
async def test_the_gateway_schema_refuses_abuse_before_execution(
    tmp_path: Path, query: str, code: str, cost: int | None
) -> None:
    async with running_gateway(tmp_path, schema=None) as gateway:
        response = await post(gateway, {"query": query})
        answer = response.json()
        assert response.status_code == 200
        assert [error["extensions"]["code"] for error in answer["errors"]] == [code]
        assert "data" not in answer
        assert isinstance(answer["extensions"]["cost"], int)
        if cost is not None:
            assert answer["extensions"]["cost"] == cost
        assert gateway.service_calls() == 0


async def test_the_gateway_schema_refuses_mutations_over_get_and_big_batches(tmp_path: Path) -> None:
    mutation = 'mutation { endMatch(matchId: "TWF0Y2g6MQ==") { userErrors { code } } }'
    async with running_gateway(tmp_path, schema=None) as gateway, httpx.AsyncClient(timeout=10) as client:
        headers = {"Authorization": f"Bearer {gateway.token()}", "X-Tandem-CSRF": "1"}
        over_get = await client.get(gateway.graphql, params={"query": mutation}, headers=headers)
        assert over_get.status_code == 405
        batch = await post(gateway, [{"query": "{ viewer { employeeId } }"}] * 11)
        assert batch.status_code == 400
        assert batch.json()["errors"][0]["extensions"]["code"] == "BATCH_LIMIT"
        assert gateway.service_calls() == 0


async def test_the_gateway_schema_limits_subscriptions_too(tmp_path: Path) -> None:
    query = "subscription { " + " ".join(f"a{i}: matchEvents {{ type }}" for i in range(16)) + " }"
    async with (
        running_gateway(tmp_path, schema=None) as gateway,
        connect(gateway.ws, subprotocols=["graphql-transport-ws"]) as socket,
    ):
        token = gateway.token()
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        refused = json.loads(await socket.recv())
        assert refused["type"] == "error"
        assert [error["extensions"]["code"] for error in refused["payload"]] == ["ALIAS_LIMIT"]
        assert gateway.service_calls() == 0
