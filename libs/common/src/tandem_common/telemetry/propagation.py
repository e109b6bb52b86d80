"""W3C trace context in Kafka headers and outbox rows."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import context as otel_context
from opentelemetry import propagate


def current_trace_headers() -> dict[str, str]:
    """``traceparent``/``tracestate`` of the active span, ready to store or send."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Iterable[tuple[str, bytes | None]]) -> otel_context.Context:
    carrier = {
        name.lower(): value.decode("latin-1")
        for name, value in headers
        if value is not None and name.lower() in ("traceparent", "tracestate")
    }
    return propagate.extract(carrier)


def context_from_values(traceparent: str | None, tracestate: str | None) -> otel_context.Context:
    carrier = {}
    if traceparent:
        carrier["traceparent"] = traceparent
    if tracestate:
        carrier["tracestate"] = tracestate
    return propagate.extract(carrier)
