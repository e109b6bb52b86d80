"""One HTTP client per service behind the gateway.

Every call has a timeout, carries the service token and the W3C trace context of the
current span, names the verified viewer for commands, and is one client span (spans
are per operation and per service call, never per resolver). What can go wrong comes
back as one of two things:

- an answer (:class:`ServiceAnswer`): any status the service meant, 2xx, 4xx with
  ``user_errors``, 404;
- :class:`ServiceUnavailable`: a timeout, a refused connection or a 5xx. The resolver
  that needed it gives ``null`` and a masked error; the rest of the response resolves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from opentelemetry.trace import SpanKind, Status, StatusCode

from tandem_common.telemetry.propagation import current_trace_headers
from tandem_common.telemetry.setup import tracer
from tandem_gateway.auth.viewer import Viewer

log = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """A service did not answer in time, or failed (5xx). The message names the
    service and the path, never a body (it may hold someone's data)."""

    def __init__(self, service: str, path: str, reason: str) -> None:
        super().__init__(f"{service} {path}: {reason}")
        self.service = service
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ServiceAnswer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def user_errors(self) -> list[dict[str, Any]]:
        """The service's per-field errors (``{"field", "message", "code"}``), if any."""
        if isinstance(self.body, dict) and isinstance(self.body.get("user_errors"), list):
            return list(self.body["user_errors"])
        return []


class ServiceClient:
    """Calls one internal API. ``transport`` is for tests (an ``httpx.MockTransport``)."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout_seconds: float,
        service_token: str | None = None,
        max_connections: int = 20,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        headers = {"Accept": "application/json"}
        if service_token:
            headers["Authorization"] = f"Bearer {service_token}"
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_seconds),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
        )
        # Calls made, for the tests that bound them and for the operations metric.
        self.calls = 0

    async def close(self) -> None:
        await self._client.aclose()

    async def get(
        self, path: str, *, params: Mapping[str, Any] | None = None, viewer: Viewer | None = None
    ) -> ServiceAnswer:
        return await self.request("GET", path, params=params, viewer=viewer)

    async def post(
        self,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        viewer: Viewer | None = None,
    ) -> ServiceAnswer:
        return await self.request("POST", path, body=body, params=params, viewer=viewer)

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        viewer: Viewer | None = None,
    ) -> ServiceAnswer:
        """One call. ``viewer`` adds the verified viewer's headers (commands need them)."""
        self.calls += 1
        with tracer().start_as_current_span(
            f"{self.name} {method} {_route_template(path)}",
            kind=SpanKind.CLIENT,
            attributes={"peer.service": self.name, "http.request.method": method},
        ) as span:
            headers = current_trace_headers()
            if viewer is not None:
                headers.update(viewer.headers())
            content = None
            if body is not None:
                content = orjson.dumps(body)
                headers["Content-Type"] = "application/json"
            query = {key: value for key, value in (params or {}).items() if value is not None}
            try:
                response = await self._client.request(
                    method, path, content=content, params=query, headers=headers
                )
            except httpx.TimeoutException as error:
                span.set_status(Status(StatusCode.ERROR, "timeout"))
                raise ServiceUnavailable(self.name, path, "timed out") from error
            except httpx.HTTPError as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise ServiceUnavailable(self.name, path, type(error).__name__) from error
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
                raise ServiceUnavailable(self.name, path, f"HTTP {response.status_code}")
            if response.status_code == 401:
                # The gateway's own credentials (the service token) were refused: a
                # deployment error, not the user's.
                log.error("service refused the gateway's token", extra={"service": self.name})
                raise ServiceUnavailable(self.name, path, "HTTP 401")
            try:
                parsed = orjson.loads(response.content) if response.content else None
            except orjson.JSONDecodeError as error:
                raise ServiceUnavailable(self.name, path, "answer is not JSON") from error
            return ServiceAnswer(response.status_code, parsed)


# Path segments that name routes, not resources: everything else in a path is an id.
_ROUTE_WORDS = frozenset(
    [
        "v1",
        "programs",
        "matches",
        "rounds",
        "profiles",
        "skills",
        "batch",
        "by-member",
        "by-match",
        "by-person",
        "enrolments",
        "bulk",
        "status",
        "response",
        "end",
        "recommendations",
        "match-requests",
        "sessions",
        "goals",
        "checkins",
        "answers",
        "due",
        "ledger",
        "health",
        "analytics",
        "outcomes",
        "mentoring",
        "export",
        "people",
    ]
)


def _route_template(path: str) -> str:
    """The path with its ids replaced, so that span names stay few (no ids in names)."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    return "/" + "/".join(part if part in _ROUTE_WORDS else "{id}" for part in parts)


@dataclass(slots=True)
class Services:
    """The three internal APIs, shared by every request of the process."""

    profiles: ServiceClient
    matching: ServiceClient
    engagement: ServiceClient

    def all(self) -> tuple[ServiceClient, ...]:
        return (self.profiles, self.matching, self.engagement)

    def calls(self) -> int:
        return sum(client.calls for client in self.all())

    async def close(self) -> None:
        for client in self.all():
            await client.close()
