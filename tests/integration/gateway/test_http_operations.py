"""``/healthz``, ``/readyz`` (the services behind the gateway) and ``/metrics`` (per operation)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import orjson

from tandem_gateway.http.metrics import MAX_NAME_LENGTH, OperationNames
from tests.integration.gateway.edge_harness import default_handler, running_gateway


def readiness_transport(down: set[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        service = request.url.host.split(".", 1)[0]
        if service == "engagement" and "engagement" in down:
            raise httpx.ConnectError("connection refused", request=request)
        if service in down:
            return httpx.Response(503, json={"status": "not ready"})
        return default_handler(request)

    return httpx.MockTransport(handle)


async def test_readyz_is_green_only_when_every_service_and_part_is(tmp_path: Path) -> None:
    cases = [
        (
            set(),
            True,
            200,
            {"profiles": True, "matching": True, "engagement": True, "hub": True, "verifier": True},
        ),
        (
            {"matching"},
            True,
            503,
            {"profiles": True, "matching": False, "engagement": True, "hub": True, "verifier": True},
        ),
        (
            {"engagement"},
            True,
            503,
            {"profiles": True, "matching": True, "engagement": False, "hub": True, "verifier": True},
        ),
        (
            set(),
            False,
            503,
            {"profiles": True, "matching": True, "engagement": True, "hub": False, "verifier": True},
        ),
    ]
    for down, hub_ready, status, checks in cases:
        async with (
            running_gateway(
                tmp_path, readiness_transport=readiness_transport(down), hub_ready=lambda r=hub_ready: r
            ) as gateway,
            httpx.AsyncClient() as client,
        ):
            response = await client.get(f"{gateway.url}/readyz")
            assert response.status_code == status
            assert response.json() == {"status": "ready" if status == 200 else "not ready", "checks": checks}
            assert (await client.get(f"{gateway.url}/healthz")).json() == {"status": "alive"}


async def test_readyz_is_red_when_a_service_does_not_listen(tmp_path: Path) -> None:
    from tandem_common.runtime.embedded_kafka import free_port
    from tandem_gateway.http.readiness import GatewayReadiness

    closed = f"http://127.0.0.1:{free_port()}"
    readiness = GatewayReadiness({"profiles": closed}, {}, timeout_seconds=0.5)
    try:
        assert await readiness() == {"profiles": False}
    finally:
        await readiness.close()


def metric(text: str, name: str, operation: str) -> float:
    pattern = re.compile(rf'^{name}\{{[^}}]*operation="{re.escape(operation)}"[^}}]*\}} (\S+)$', re.M)
    found = pattern.findall(text)
    return sum(float(value) for value in found)


async def test_metrics_count_operations_by_name_only(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway, httpx.AsyncClient() as client:
        before = (await client.get(f"{gateway.url}/metrics")).text
        headers = gateway.headers()
        for body in (
            {"query": 'query MetricsProfile { person(employeeId: "E9") { displayName } }'},
            {"query": 'query MetricsProfile { person(employeeId: "E10") { displayName } }'},
            {"query": "query MetricsBroken { broken }"},
            {"query": "{ viewerId }"},
            {"query": "query MetricsDeep { nobody }"},
        ):
            await client.post(gateway.graphql, content=orjson.dumps(body), headers=headers)
        response = await client.get(f"{gateway.url}/metrics")
        assert response.status_code == 200
        text = response.text

    def delta(name: str, operation: str) -> float:
        return metric(text, name, operation) - metric(before, name, operation)

    assert delta("tandem_graphql_operation_seconds_count", "MetricsProfile") == 2
    assert delta("tandem_graphql_operation_errors_total", "MetricsProfile") == 0
    assert delta("tandem_graphql_operation_errors_total", "MetricsBroken") == 1
    assert delta("tandem_graphql_operation_seconds_count", "anonymous") >= 1
    assert delta("tandem_graphql_operation_refused_total", "MetricsDeep") == 1
    # Labels name operations only: no variables, no ids.
    assert "E9" not in text and "E10" not in text


def test_operation_labels_are_bounded() -> None:
    names = OperationNames(max_names=2)
    assert names.label(None) == "anonymous"
    assert names.label("First") == "First"
    assert names.label("x" * 100) == "x" * MAX_NAME_LENGTH
    assert names.label("Third") == "other"
    assert names.label("First") == "First"
    assert names.label("not a name {}") == "other"
