"""GraphQL over HTTP: answers, masking, trace ids, partial answers when a service fails, GraphiQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
from opentelemetry.trace import SpanKind

from tandem_common.runtime.embedded_kafka import free_port
from tests.conftest import SPAN_EXPORTER
from tests.integration.gateway.edge_harness import Gateway, running_gateway

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


async def post(gateway: Gateway, body: Any, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            gateway.graphql, content=orjson.dumps(body), headers=gateway.headers(**headers)
        )


async def test_a_query_and_a_mutation_run_with_the_cost_reported(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway:
        response = await post(
            gateway, {"query": 'query One { person(employeeId: "E5") { displayName } viewerId }'}
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        answer = response.json()
        assert answer["data"] == {"person": {"displayName": "Person E5"}, "viewerId": "E1"}
        assert answer["extensions"]["cost"] == 1
        assert len(answer["extensions"]["traceId"]) == 32
        mutation = await post(gateway, {"query": "mutation { touch }"})
        assert mutation.json()["data"] == {"touch": True}
        assert [request.url.path for request in gateway.backend.requests] == ["/v1/profiles/E5", "/v1/touch"]


async def test_unexpected_errors_are_masked_with_the_trace_id(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway:
        response = await post(
            gateway, {"query": "query Mixed { broken secret viewerId }"}, traceparent=TRACEPARENT
        )
        answer = response.json()
        assert response.status_code == 200
        assert answer["data"] == {"broken": None, "secret": None, "viewerId": "E1"}
        broken, secret = sorted(answer["errors"], key=lambda error: error["path"])
        assert broken == {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 15}],
            "path": ["broken"],
            "extensions": {"code": "INTERNAL", "traceId": TRACE_ID},
        }
        # A deliberate error passes as it is.
        assert secret["message"] == "You may not see this."
        assert secret["extensions"] == {"code": "FORBIDDEN"}
        assert answer["extensions"] == {"cost": 0, "traceId": TRACE_ID}
        for leak in ("SELECT", "employees", "Traceback", "RuntimeError", "E2"):
            assert leak not in response.text


async def test_the_operation_is_one_server_span_continuing_the_callers_trace(tmp_path: Path) -> None:
    SPAN_EXPORTER.clear()
    async with running_gateway(tmp_path) as gateway:
        query = 'query Profile { person(employeeId: "E6") { displayName } }'
        await post(gateway, {"query": query}, traceparent=TRACEPARENT)
        await post(
            gateway,
            [{"query": "query First { viewerId }"}, {"query": "{ viewerId }"}],
            traceparent=TRACEPARENT,
        )
    spans = [
        span for span in SPAN_EXPORTER.get_finished_spans() if f"{span.context.trace_id:032x}" == TRACE_ID
    ]
    by_name = {span.name: span for span in spans}
    server = by_name["query Profile"]
    assert server.kind == SpanKind.SERVER
    assert server.parent is not None and f"{server.parent.span_id:016x}" == "00f067aa0ba902b7"
    client = by_name["profiles GET /v1/profiles/{id}"]
    assert client.kind == SpanKind.CLIENT
    assert client.parent is not None and client.parent.span_id == server.context.span_id
    # A batch: the request's span, and one span per operation under it.
    batch = by_name["POST /graphql"]
    assert by_name["query First"].parent is not None
    assert by_name["query First"].parent.span_id == batch.context.span_id
    assert by_name["query"].parent is not None and by_name["query"].parent.span_id == batch.context.span_id
    # No span per resolver.
    assert sorted(by_name) == [
        "POST /graphql",
        "profiles GET /v1/profiles/{id}",
        "query",
        "query First",
        "query Profile",
    ]


@asynccontextmanager
async def failing_service(mode: str) -> AsyncIterator[str]:
    """A local HTTP server that takes the request, then hangs or dies without answering."""
    handlers: set[asyncio.Task[Any]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        await reader.readuntil(b"\r\n\r\n")
        if mode == "hang":
            await asyncio.sleep(30)
        writer.transport.abort()  # killed mid-request: the connection drops, no answer

    port = free_port()
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


async def test_a_failing_service_gives_a_partial_answer_within_the_timeout(tmp_path: Path) -> None:
    for mode in ("hang", "die"):
        async with (
            failing_service(mode) as matching_url,
            running_gateway(
                tmp_path, service_urls={"matching": matching_url}, service_timeout_seconds=0.5
            ) as gateway,
        ):
            started = time.monotonic()
            response = await post(
                gateway, {"query": '{ person(employeeId: "E8") { displayName } programName }'}
            )
            elapsed = time.monotonic() - started
            answer = response.json()
            assert response.status_code == 200
            assert answer["data"] == {"person": {"displayName": "Person E8"}, "programName": None}
            [error] = answer["errors"]
            assert error["message"] == "Unexpected error."
            assert error["path"] == ["programName"]
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert len(error["extensions"]["traceId"]) == 32
            assert "127.0.0.1" not in response.text
            assert elapsed < (2.0 if mode == "hang" else 1.0), elapsed


async def test_graphiql_is_served_only_where_enabled(tmp_path: Path) -> None:
    html = {"Accept": "text/html,application/xhtml+xml"}
    async with running_gateway(tmp_path, embedded_default=True) as gateway, httpx.AsyncClient() as client:
        page = await client.get(gateway.graphql, headers=html)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "graphiql" in page.text.lower()
    async with running_gateway(tmp_path, graphiql_enabled=True) as gateway, httpx.AsyncClient() as client:
        assert (
            (await client.get(gateway.graphql, headers=html)).headers["content-type"].startswith("text/html")
        )
    async with running_gateway(tmp_path) as gateway, httpx.AsyncClient() as client:
        refused = await client.get(gateway.graphql, headers=html)
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"


async def test_a_subscription_over_http_is_refused(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway:
        answer = (await post(gateway, {"query": "subscription { ticks }"})).json()
        assert [error["extensions"]["code"] for error in answer["errors"]] == ["BAD_REQUEST"]
        assert "data" not in answer
