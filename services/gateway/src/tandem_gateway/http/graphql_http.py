"""GraphQL over HTTP: ``POST /graphql`` (and ``GET`` for queries), checked before anything runs.

The order of the checks, each refusing the whole request before the next:

1. the body cap (``BodyLimitMiddleware``, 413), installed around the app;
2. CSRF: a request must say ``Content-Type: application/json``, or carry one of
   ``PREFLIGHT_HEADERS``. Either makes a browser send a CORS preflight first, so no
   page on another site can make a signed-in browser send it (400 otherwise);
3. the bearer token (401 with ``WWW-Authenticate`` and no data);
4. the shape of the body; a JSON array (a batch) holds at most
   ``max_batch_operations`` operations, more is refused whole (400);
5. per operation: the persisted-operation lookup, then the limits (parse,
   validation, tokens, depth, aliases, introspection, cost). An operation refused
   here is answered with its errors and ``extensions.cost``; no service is called;
   over ``GET`` only queries run (405 otherwise);
6. the rate limit, charged with the total cost of what will run (429, ``Retry-After``).

Then each operation runs with a fresh context, and its errors are masked. At most
``max_operations_in_flight`` operations of the process execute at once; the others wait
for a turn before they start, so that under overload a request waits in line rather
than times out halfway through its service calls.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from graphql import GraphQLError
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.http.edge import Edge
from tandem_gateway.http.masking import current_trace_id, format_errors, masked_exception, refusal
from tandem_gateway.http.metrics import OperationMetrics
from tandem_gateway.http.operations import OperationRequest, Prepared, execute, new_context, prepare
from tandem_gateway.http.tracing import operation_span
from tandem_gateway.limits.rate_limit import retry_after

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# Custom headers a browser cannot send cross-site without a CORS preflight.
PREFLIGHT_HEADERS = ("x-tandem-csrf", "apollo-require-preflight", "x-apollo-operation-name")
_CHALLENGE = 'Bearer realm="tandem"'


class GraphQLHTTP:
    """The ``/graphql`` endpoint for GET and POST."""

    def __init__(self, edge: Edge, metrics: OperationMetrics) -> None:
        self.edge = edge
        self.metrics = metrics
        # Admission control: the operations executing at once (see the module docstring).
        self.in_flight = asyncio.Semaphore(edge.settings.max_operations_in_flight)

    async def __call__(self, request: Request) -> Response:
        if self._serves_graphiql(request):
            return HTMLResponse(get_graphql_ide_html("graphiql"))
        if not _csrf_safe(request):
            message = (
                "This request was refused as a possible cross-site request forgery: send it with "
                "`Content-Type: application/json` or an `X-Tandem-CSRF: 1` header."
            )
            return _answer(request, 400, _refused(refusal(message, "CSRF_REFUSED")))
        viewer, reason = await self._viewer(request)
        if viewer is None:
            body = _refused(refusal(reason, "UNAUTHENTICATED"))
            return _answer(request, 401, body, {"WWW-Authenticate": _challenge(request)})
        parsed = await _operations(request, self.edge.settings.max_batch_operations)
        if isinstance(parsed, Response):
            return parsed
        operations, batched = parsed
        started = time.perf_counter()
        return await self._run(request, viewer, operations, batched, started)

    def _serves_graphiql(self, request: Request) -> bool:
        return (
            self.edge.graphiql_enabled
            and request.method == "GET"
            and _wants_html(request)
            and "query" not in request.query_params
        )

    async def _viewer(self, request: Request) -> tuple[Viewer | None, str]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "A bearer token is required: Authorization: Bearer <token>."
        viewer = await self.edge.authenticate(token.strip())
        if viewer is None:
            return None, "The bearer token was not accepted."
        return viewer, ""

    async def _run(
        self,
        request: Request,
        viewer: Viewer,
        operations: list[OperationRequest],
        batched: bool,
        started: float,
    ) -> Response:
        headers = dict(request.headers)
        prepared = [prepare(self.edge, operation) for operation in operations]
        if not batched:
            # The request's own server span becomes the operation's.
            trace.get_current_span().update_name(prepared[0].span_name)
        if request.method == "GET" and any(p.runnable and p.operation_type != "query" for p in prepared):
            error = refusal("Only queries run over GET; send mutations with POST.", "METHOD_NOT_ALLOWED")
            return _answer(request, 405, _refused(error), {"Allow": "GET, POST"})
        for p in prepared:
            if p.runnable and p.operation_type == "subscription":
                p.errors.append(
                    refusal("Subscriptions run over WebSocket (graphql-transport-ws).", "BAD_REQUEST")
                )
        cost = sum(p.cost for p in prepared if p.runnable)
        wait = await self.edge.charge(viewer.employee_id, cost)
        if wait is not None:
            seconds = retry_after(wait)
            error = refusal(f"Rate limit exceeded; retry in {seconds} s.", "RATE_LIMITED", retryAfter=seconds)
            for p in prepared:
                self.metrics.record(p.operation_name, 0.0, failed=True, refused=True)
            return _answer(request, 429, _refused(error, cost), {"Retry-After": str(seconds)})
        bodies: list[dict[str, Any]] = []
        for p in prepared:
            # One operation's latency: the whole request's, or its own within a batch.
            op_started = time.perf_counter() if batched else started
            body = await self._answer_one(request, viewer, p, headers, batched)
            bodies.append(body)
            failed = bool(body.get("errors"))
            self.metrics.record(
                p.operation_name, time.perf_counter() - op_started, failed=failed, refused=not p.runnable
            )
        if batched:
            return _answer(request, 200, bodies)
        status = 400 if not prepared[0].runnable and _media_type(request) == GRAPHQL_RESPONSE else 200
        return _answer(request, status, bodies[0])

    async def _answer_one(
        self, request: Request, viewer: Viewer, prepared: Prepared, headers: dict[str, str], batched: bool
    ) -> dict[str, Any]:
        with operation_span(headers, own_span=batched) as span:
            span.update_name(prepared.span_name)
            trace_id = current_trace_id()
            extensions = {"cost": prepared.cost, "traceId": trace_id}
            if not prepared.runnable:
                return {"errors": format_errors(prepared.errors, trace_id), "extensions": extensions}
            context = new_context(self.edge, viewer, request=request)
            try:
                async with self.in_flight:
                    result = await execute(self.edge, prepared, context)
            except Exception as error:  # an escape from graphql-core itself: still masked
                return {"data": None, "errors": [masked_exception(error, trace_id)], "extensions": extensions}
            body: dict[str, Any] = {"data": result.data}
            if result.errors:
                body["errors"] = format_errors(result.errors, trace_id)
                span.set_status(Status(StatusCode.ERROR))
            body["extensions"] = extensions
            return body


async def _operations(request: Request, max_batch: int) -> tuple[list[OperationRequest], bool] | Response:
    """The operations of the request (GET parameters or the JSON body), or a 400."""
    if request.method == "GET":
        raw: Any = {}
        for key in ("query", "operationName"):
            if key in request.query_params:
                raw[key] = request.query_params[key]
        for key in ("variables", "extensions"):
            if key in request.query_params:
                try:
                    raw[key] = orjson.loads(request.query_params[key])
                except orjson.JSONDecodeError:
                    return _bad_request(request, f"`{key}` is not valid JSON.")
    else:
        try:
            raw = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _bad_request(request, "The request body is not valid JSON.")
    batched = isinstance(raw, list)
    items = raw if isinstance(raw, list) else [raw]
    if batched and not items:
        return _bad_request(request, "An empty batch holds no operation.")
    if batched and len(items) > max_batch:
        message = f"A batch may hold at most {max_batch} operations; this one holds {len(items)}."
        return _answer(request, 400, _refused(refusal(message, "BATCH_LIMIT")))
    operations = [OperationRequest.from_json(item) for item in items]
    for operation in operations:
        if not isinstance(operation, OperationRequest):
            return _answer(request, 400, _refused(operation))
    return [op for op in operations if isinstance(op, OperationRequest)], batched


def _refused(error: GraphQLError, cost: int = 0) -> dict[str, Any]:
    trace_id = current_trace_id()
    return {"errors": format_errors([error], trace_id), "extensions": {"cost": cost, "traceId": trace_id}}


def _bad_request(request: Request, message: str) -> Response:
    return _answer(request, 400, _refused(refusal(message, "BAD_REQUEST")))


def _answer(request: Request, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=_media_type(request), headers=headers)


def _media_type(request: Request) -> str:
    """``application/graphql-response+json`` for a client that asks for it first, else JSON."""
    accept = request.headers.get("accept", "")
    wants = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    for media_type in wants:
        if media_type == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media_type in (JSON, "application/*", "*/*"):
            return JSON
    return JSON


def _csrf_safe(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type == JSON:
        return True
    return any(request.headers.get(name) for name in PREFLIGHT_HEADERS)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _challenge(request: Request) -> str:
    if request.headers.get("authorization"):
        return f'{_CHALLENGE}, error="invalid_token"'
    return _CHALLENGE
