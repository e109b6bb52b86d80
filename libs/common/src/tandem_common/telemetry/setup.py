"""One call per process sets up OpenTelemetry tracing, metrics and JSON logs.

Spans and metrics are exported over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set;
metrics are always readable in Prometheus form at ``/metrics``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
from collections.abc import Iterator

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, Status, StatusCode

from tandem_common.telemetry.logs import configure_json_logging

_lock = threading.Lock()
_tracer_provider: TracerProvider | None = None

INSTRUMENTATION_NAME = "tandem"


def configure_telemetry(
    service_name: str,
    *,
    log_level: str = "INFO",
    span_processors: tuple[SpanProcessor, ...] = (),
) -> TracerProvider:
    """Install the global tracer and meter providers; later calls only add processors."""
    global _tracer_provider
    with _lock:
        if _tracer_provider is not None:
            for processor in span_processors:
                _tracer_provider.add_span_processor(processor)
            return _tracer_provider
        resource = Resource.create({"service.name": f"tandem-{service_name}"})
        provider = TracerProvider(resource=resource)
        for processor in span_processors:
            provider.add_span_processor(processor)
        readers: list[MetricReader] = [_prometheus_reader()]
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
        configure_json_logging(service_name, log_level)
        _tracer_provider = provider
        return provider


def _prometheus_reader() -> MetricReader:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader

    # Target info would add a constant series per process; the service label is enough.
    return PrometheusMetricReader(disable_target_info=True)


@functools.cache
def tracer() -> trace.Tracer:
    # A proxy tracer follows the provider installed later, so caching it is safe and
    # spares the per-event cost of get_tracer.
    return trace.get_tracer(INSTRUMENTATION_NAME)


@contextlib.contextmanager
def ending_spans() -> Iterator[list[Span]]:
    """A list for the spans of one piece of work, every one ended as the block leaves.

    If the block raises, each span is marked as failed with the error first. Spans are
    started inside the block and appended at once, so that none is left open when
    starting a later one fails.
    """
    spans: list[Span] = []
    try:
        yield spans
    except BaseException as error:
        for span in spans:
            span.set_status(Status(StatusCode.ERROR, repr(error)))
        raise
    finally:
        for span in spans:
            span.end()


def meter() -> metrics.Meter:
    return metrics.get_meter(INSTRUMENTATION_NAME)


def shutdown_telemetry() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush()
    logging.getLogger(__name__).debug("telemetry flushed")
