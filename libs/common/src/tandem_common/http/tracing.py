"""W3C trace context on the internal HTTP APIs: a server span per request."""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode

from tandem_common.telemetry.setup import tracer

_UNTRACED = {"/healthz", "/readyz", "/metrics"}


class TraceMiddleware:
    """Continues the caller's trace (``traceparent``) and records one span per request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in _UNTRACED:
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", [])
            if name in (b"traceparent", b"tracestate")
        }
        parent = propagate.extract(carrier)
        route = scope.get("path", "")
        status_holder: dict[str, int] = {}

        async def send_with_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = int(message["status"])
            await send(message)

        token = otel_context.attach(parent)
        try:
            with tracer().start_as_current_span(
                f"{scope.get('method', 'GET')} {route}",
                kind=SpanKind.SERVER,
                attributes={"http.request.method": scope.get("method", ""), "url.path": route},
            ) as span:
                await self.app(scope, receive, send_with_status)
                status = status_holder.get("status", 500)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
        finally:
            otel_context.detach(token)
