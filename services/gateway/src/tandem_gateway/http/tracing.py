"""One server span per GraphQL operation, named after it (``query Dashboard``).

``tandem serve`` wraps every app in ``TraceMiddleware``, which already continues the
caller's ``traceparent`` with a server span per HTTP request. A request that carries
one operation renames that span after the operation; each operation of a batch gets a
span of its own under it. Where nothing traces the request (a WebSocket, an app run
without the middleware), the operation's span is itself the server span and continues
the caller's ``traceparent``. Service calls are client spans below (``ServiceClient``);
resolvers get none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from tandem_common.telemetry.propagation import context_from_values
from tandem_common.telemetry.setup import tracer


@contextmanager
def operation_span(headers: Mapping[str, str], *, own_span: bool) -> Iterator[Span]:
    """The span of one operation, named ``graphql`` until the operation is known.

    ``own_span`` is False for the only operation of a traced HTTP request (it takes
    over the request's span) and True for each operation of a batch or a socket.
    """
    current = trace.get_current_span()
    if current.is_recording() and not own_span:
        yield current
        return
    if current.is_recording():
        with tracer().start_as_current_span("graphql", kind=SpanKind.INTERNAL) as span:
            yield span
        return
    parent = context_from_values(headers.get("traceparent"), headers.get("tracestate"))
    with tracer().start_as_current_span("graphql", context=parent, kind=SpanKind.SERVER) as span:
        yield span
