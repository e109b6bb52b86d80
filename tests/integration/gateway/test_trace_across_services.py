"""One trace id from a client's `traceparent` through the gateway, the owning service,
its outbox, Kafka, and the service that consumes the event (graphql.md "Tracing").

The gateway, the profiles service (which owns mentoring profiles) and the matching
service (which consumes `profiles.events`) run in this process on the real broker and
database; the spans come from the in-memory exporter, the record from the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tandem_common.events.profiles import PROFILES_TOPIC
from tandem_common.http.tracing import TraceMiddleware
from tandem_common.runtime.embedded_kafka import free_port
from tandem_common.testing.backends import Infrastructure
from tandem_profiles.entrypoints.main import build_app as profiles_app
from tests.integration.gateway.edge_harness import running_gateway
from tests.support.backbone import wait_until
from tests.support.kafka import produce
from tests.support.matching import MatchingUnderTest
from tests.support.profiles import ProfilesUnderTest, hired

EMPLOYEE = "TRACE-1"
MUTATION = """mutation Capacity($input: MentoringProfileInput!) {
  updateMentoringProfile(input: $input) { person { employeeId } userErrors { field code } } }"""


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """``app`` on a free loopback port, wrapped as ``tandem serve`` wraps every service."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(TraceMiddleware(app), host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def traceparents_on_kafka(bootstrap: str, key: str) -> list[str]:
    """The ``traceparent`` header of every ``profiles.events`` record keyed ``key``."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"trace-{secrets.token_hex(4)}",
            "enable.auto.commit": False,
        }
    )
    try:
        metadata = consumer.list_topics(PROFILES_TOPIC, timeout=10)
        partitions = list(metadata.topics[PROFILES_TOPIC].partitions)
        consumer.assign([TopicPartition(PROFILES_TOPIC, p, OFFSET_BEGINNING) for p in partitions])
        found: list[str] = []
        idle = 0
        while idle < 3:
            message = consumer.poll(1.0)
            if message is None:
                idle += 1
                continue
            idle = 0
            if message.error() is None and message.key() == key.encode():
                headers = dict(message.headers() or [])
                if b"traceparent" in {name.encode() for name in headers}:
                    found.append(headers["traceparent"].decode())
        return found
    finally:
        consumer.close()


async def test_a_mutation_keeps_the_callers_trace_id_through_the_owning_service_kafka_and_the_consumer(
    infrastructure: Infrastructure,
    database_url: str,
    module_database_url: str,
    telemetry: InMemorySpanExporter,
    tmp_path: Path,
) -> None:
    profiles = ProfilesUnderTest(infrastructure, database_url)
    runtime = await profiles.start()
    matching = MatchingUnderTest(infrastructure, module_database_url)
    # Matching reads the profiles service's real topic here, as it does in production.
    matching.profiles_topic = PROFILES_TOPIC
    try:
        await produce(infrastructure.kafka_bootstrap, profiles.hr_topic, [hired(EMPLOYEE)])
        await profiles.wait_handled(1)
        await matching.start()
        trace_id = secrets.token_hex(16)
        caller_span = secrets.token_hex(8)
        async with (
            served(profiles_app(runtime, profiles.settings)) as profiles_url,
            running_gateway(tmp_path, service_urls={"profiles": profiles_url}, schema=None) as gateway,
            httpx.AsyncClient(timeout=30) as client,
        ):
            answer = await client.post(
                gateway.graphql,
                content=orjson.dumps({"query": MUTATION, "variables": {"input": {"capacity": 2}}}),
                headers=gateway.headers(EMPLOYEE, traceparent=f"00-{trace_id}-{caller_span}-01"),
            )
        body = answer.json()
        assert answer.status_code == 200, body
        assert body["data"]["updateMentoringProfile"] == {
            "person": {"employeeId": EMPLOYEE},
            "userErrors": [],
        }
        wanted = int(trace_id, 16)

        def spans_of_trace() -> dict[str, Any]:
            return {s.name: s for s in telemetry.get_finished_spans() if s.context.trace_id == wanted}

        async def consumed() -> bool:
            return f"process {PROFILES_TOPIC}" in spans_of_trace()

        # The matching service consumed the event the mutation caused, in the same trace.
        await wait_until(consumed, timeout=90)
        spans = spans_of_trace()
        gateway_span = spans["mutation Capacity"]
        assert gateway_span.parent is not None and format(gateway_span.parent.span_id, "016x") == caller_span
        call = next(s for name, s in spans.items() if name.startswith("profiles PATCH"))
        assert call.parent is not None and call.parent.span_id == gateway_span.context.span_id
        served_span = next(s for name, s in spans.items() if name.startswith("PATCH /v1/profiles/"))
        assert served_span.parent is not None and served_span.parent.span_id == call.context.span_id
        assert f"publish {PROFILES_TOPIC}" in spans
        # Spans per operation and per service call, never per resolver.
        assert not any(name.startswith(("resolve", "Mutation.", "Person.")) for name in spans)
        # The record on Kafka carries the same trace id in its traceparent header.
        traceparents = await asyncio.to_thread(
            traceparents_on_kafka, infrastructure.kafka_bootstrap, EMPLOYEE
        )
        assert trace_id in {header.split("-")[1] for header in traceparents}
    finally:
        await matching.stop()
        await profiles.stop()
