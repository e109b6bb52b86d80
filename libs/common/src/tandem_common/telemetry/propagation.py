"""W3C trace context in Kafka headers and outbox rows."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    TraceFlags,
    TraceState,
    set_span_in_context,
)


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


def parent_from_traceparent(
    traceparent: str | None, tracestate: str | None = None
) -> otel_context.Context | None:
    """The context a W3C ``traceparent`` continues, parsed without the propagator's overhead."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    if len(parts) < 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        span_context = SpanContext(
            trace_id=int(parts[1], 16),
            span_id=int(parts[2], 16),
            is_remote=True,
            trace_flags=TraceFlags(int(parts[3][:2], 16)),
            trace_state=TraceState.from_header([tracestate]) if tracestate else None,
        )
    except ValueError:
        return None
    if not span_context.is_valid:
        return None
    return set_span_in_context(NonRecordingSpan(span_context))


def traceparent_of(span: Span) -> dict[str, str]:
    """The ``traceparent`` (and ``tracestate``) that makes ``span`` the parent of what follows."""
    context = span.get_span_context()
    if not context.is_valid:
        return {}
    flags = int(context.trace_flags)
    headers = {"traceparent": f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags:02x}"}
    if context.trace_state:
        headers["tracestate"] = context.trace_state.to_header()
    return headers
