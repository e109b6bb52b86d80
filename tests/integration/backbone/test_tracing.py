"""One trace runs from a published event through the handler and the relay onwards."""

from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tandem_common.telemetry.propagation import current_trace_headers
from tandem_common.telemetry.setup import tracer
from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import (
    build_runtime,
    ping_record,
    ping_service_ready,
    settings_for,
    wait_until,
)
from tests.support.kafka import headers_of, produce, read_all


async def test_one_trace_id_runs_from_the_published_event_to_the_next_topic(
    infrastructure: Infrastructure, database_url: str, telemetry: InMemorySpanExporter
) -> None:
    schemas = await ping_service_ready(infrastructure.kafka_bootstrap, database_url)
    with tracer().start_as_current_span("hr system publishes") as origin:
        traceparent = current_trace_headers()["traceparent"]
    trace_id = origin.get_span_context().trace_id
    await produce(
        infrastructure.kafka_bootstrap,
        schemas.in_topic,
        [ping_record(7, event_id="traced-1", traceparent=traceparent)],
    )
    runtime = build_runtime(settings_for(database_url, infrastructure.kafka_bootstrap), schemas)
    await runtime.start()
    try:
        consumer = runtime.consumers[0]

        async def done() -> bool:
            return consumer.processed == 1

        await wait_until(done)
        pongs = await read_all(infrastructure.kafka_bootstrap, schemas.out_topic, expected=1, timeout=15)
    finally:
        await runtime.stop()

    assert len(pongs) == 1
    onward = headers_of(pongs[0])["traceparent"].decode()
    assert onward.split("-")[1] == format(trace_id, "032x")

    spans = [s for s in telemetry.get_finished_spans() if s.context.trace_id == trace_id]
    by_name = {span.name: span for span in spans}
    process = by_name[f"process {schemas.in_topic}"]
    publish = by_name[f"publish {schemas.out_topic}"]
    assert process.parent is not None and process.parent.span_id == origin.get_span_context().span_id
    assert publish.parent is not None and publish.parent.span_id == process.context.span_id
    assert onward.split("-")[2] == format(publish.context.span_id, "016x")
    assert process.attributes["messaging.system"] == "kafka"
    assert process.attributes["messaging.destination.name"] == schemas.in_topic
    assert process.attributes["messaging.operation.type"] == "process"
    assert publish.attributes["messaging.destination.name"] == schemas.out_topic
    # Attributes carry opaque ids only: the employee key is not even among them.
    for span in (process, publish):
        for value in span.attributes.values():
            assert "@" not in str(value)
