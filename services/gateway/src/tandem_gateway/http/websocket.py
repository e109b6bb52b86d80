"""Subscriptions over WebSocket: ``graphql-transport-ws`` only, checked like HTTP.

- The handshake must offer the ``graphql-transport-ws`` subprotocol; the legacy
  ``graphql-ws`` protocol (and no subprotocol) is refused before the socket opens
  (HTTP 403). So is a browser ``Origin`` outside ``websocket_origins`` (the gateway's
  own origin is always admitted). A handshake without ``Origin`` comes from a server
  or a script, not a browser page, so no cross-site hijacking is possible: admitted.
- ``connection_init`` must come within ``connection_init_timeout_seconds`` (else
  close 4408) and carry ``{"Authorization": "Bearer <JWT>"}``; a missing or refused
  token closes the socket with 4403.
- Each ``subscribe`` passes the same checks as an HTTP operation (persisted lookup,
  limits, rate limit); a refused one gets an ``error`` message, nothing runs. At most
  ``max_subscriptions_per_connection`` run at once; one more gets an ``error`` message
  with ``extensions.code == "SUBSCRIPTION_LIMIT"``.
- The token's expiry is checked on every event: past it, the operation gets an
  ``error`` (``UNAUTHENTICATED``) and the socket is closed with 4403 "Token expired".
- A subscriber the hub ends as too slow (its buffer overflowed) means the client does
  not read its socket: the socket is closed with ``SLOW_SUBSCRIBER_CLOSE`` (4429) and
  the hub's reason.
- Errors are masked as over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from graphql import ExecutionResult, GraphQLError
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.http.websocket_origin import is_same_origin, normalize_allowed_origins, normalize_origin

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.http.edge import Edge
from tandem_gateway.http.masking import current_trace_id, format_errors, masked_exception, refusal
from tandem_gateway.http.operations import OperationRequest, execute, new_context, prepare, subscribe
from tandem_gateway.http.tracing import operation_span
from tandem_gateway.http.ws_session import SocketState
from tandem_gateway.limits.rate_limit import retry_after

PROTOCOL = "graphql-transport-ws"
SLOW_SUBSCRIBER_CLOSE = 4429
TOKEN_REFUSED_CLOSE = 4403


def allowed_origins(settings_origins: list[str]) -> frozenset[str]:
    """``websocket_origins`` normalised; a malformed entry stops the gateway at start."""
    return normalize_allowed_origins(settings_origins)


def origin_allowed(websocket: WebSocket, permitted: frozenset[str]) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if is_same_origin(origin, websocket.headers.get("host")):
        return True
    normalized = normalize_origin(origin)
    return "*" in permitted or (normalized is not None and normalized in permitted)


async def graphql_websocket(websocket: WebSocket, edge: Edge, permitted: frozenset[str]) -> None:
    """The ``/graphql`` WebSocket endpoint."""
    if PROTOCOL not in websocket.scope.get("subprotocols", []):
        await websocket.close(code=4406, reason="Only the graphql-transport-ws subprotocol is spoken")
        return
    if not origin_allowed(websocket, permitted):
        await websocket.close(code=4403, reason="Origin not allowed")
        return
    await websocket.accept(subprotocol=PROTOCOL)
    await Connection(websocket, edge).serve()


class Connection:
    """One socket: its state, its running operations and their tasks."""

    def __init__(self, websocket: WebSocket, edge: Edge) -> None:
        self.socket = SocketState(websocket)
        self.edge = edge
        self.viewer: Viewer | None = None
        self.tasks: dict[str, asyncio.Task[None]] = {}
        # Each operation's trace id, for the masked errors of all its events.
        self.trace_ids: dict[str, str] = {}
        self.headers = dict(websocket.headers)

    async def serve(self) -> None:
        try:
            if not await self._initialise():
                return
            while not self.socket.closed:
                message = await self.socket.receive()
                if message is None:
                    return
                await self._handle(message)
        except WebSocketDisconnect:
            pass
        finally:
            for task in self.tasks.values():
                task.cancel()
            for task in list(self.tasks.values()):
                with contextlib.suppress(BaseException):
                    await task

    async def _initialise(self) -> bool:
        try:
            message = await asyncio.wait_for(
                self._first_message(), self.edge.settings.connection_init_timeout_seconds
            )
        except TimeoutError:
            await self.socket.close(4408, "Connection initialisation timeout")
            return False
        if message is None:
            return False
        if message.get("type") != "connection_init":
            await self.socket.close(4401, "Unauthorized")
            return False
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self.socket.close(4400, "Invalid connection init payload")
            return False
        authorization = payload.get("Authorization") or payload.get("authorization") or ""
        scheme, _, token = str(authorization).partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            self.viewer = await self.edge.authenticate(token.strip())
        if self.viewer is None:
            await self.socket.close(TOKEN_REFUSED_CLOSE, "Forbidden")
            return False
        await self.socket.send({"type": "connection_ack"})
        return True

    async def _first_message(self) -> dict[str, Any] | None:
        """The first message other than a ping (pings may come at any time)."""
        while (message := await self.socket.receive()) is not None:
            if message.get("type") == "ping":
                await self.socket.send({"type": "pong"})
            elif message.get("type") != "pong":
                return message
        return None

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ping":
            await self.socket.send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "connection_init":
            await self.socket.close(4429, "Too many initialisation requests")
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            task = self.tasks.pop(str(message.get("id")), None)
            if task is not None:
                task.cancel()
        else:
            await self.socket.close(4400, f"Unknown message type: {kind}")

    async def _subscribe(self, message: dict[str, Any]) -> None:
        operation_id = message.get("id")
        if not isinstance(operation_id, str) or not operation_id:
            await self.socket.close(4400, "A subscribe message needs an id")
            return
        if operation_id in self.tasks:
            await self.socket.close(4409, f"Subscriber for {operation_id} already exists")
            return
        if len(self.tasks) >= self.edge.settings.max_subscriptions_per_connection:
            limit = self.edge.settings.max_subscriptions_per_connection
            error = refusal(f"A connection may hold at most {limit} subscriptions.", "SUBSCRIPTION_LIMIT")
            await self._error(operation_id, [error])
            return
        request = OperationRequest.from_json(message.get("payload"))
        if isinstance(request, GraphQLError):
            await self._error(operation_id, [request])
            return
        task = asyncio.create_task(self._run(operation_id, request))
        self.tasks[operation_id] = task
        task.add_done_callback(lambda _: self._forget(operation_id, task))

    def _forget(self, operation_id: str, task: asyncio.Task[None]) -> None:
        if self.tasks.get(operation_id) is task:
            del self.tasks[operation_id]
            self.trace_ids.pop(operation_id, None)

    def _trace_id(self, operation_id: str) -> str:
        return self.trace_ids.get(operation_id) or current_trace_id()

    async def _run(self, operation_id: str, request: OperationRequest) -> None:
        assert self.viewer is not None
        with operation_span(self.headers, own_span=True) as span:
            self.trace_ids[operation_id] = current_trace_id()
            prepared = prepare(self.edge, request)
            span.update_name(prepared.span_name)
            if not prepared.runnable:
                await self._error(operation_id, prepared.errors)
                return
            wait = await self.edge.charge(self.viewer.employee_id, prepared.cost)
            if wait is not None:
                seconds = retry_after(wait)
                error = refusal(
                    f"Rate limit exceeded; retry in {seconds} s.", "RATE_LIMITED", retryAfter=seconds
                )
                await self._error(operation_id, [error])
                return
            context = new_context(self.edge, self.viewer, websocket=self.socket.websocket)
            if prepared.operation_type != "subscription":
                result = await execute(self.edge, prepared, context)
                await self._next(operation_id, result)
                await self.socket.send({"id": operation_id, "type": "complete"})
                return
            outcome = await subscribe(self.edge, prepared, context)
        if isinstance(outcome, ExecutionResult):
            await self._error(operation_id, list(outcome.errors or []))
            return
        await self._stream(operation_id, outcome)

    async def _stream(self, operation_id: str, events: Any) -> None:
        assert self.viewer is not None
        try:
            async for result in events:
                if self.viewer.expired(datetime.now(UTC)):
                    await self._end_expired(
                        operation_id, refusal("The token has expired.", "UNAUTHENTICATED")
                    )
                    return
                slow = next((e for e in result.errors or () if self._too_slow(e)), None)
                if slow is not None:
                    await self._close_slow(slow)
                    return
                await self._next(operation_id, result)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if self._too_slow(error):
                await self._close_slow(error)
            elif (
                isinstance(error, GraphQLError) and (error.extensions or {}).get("code") == "UNAUTHENTICATED"
            ):
                await self._end_expired(operation_id, error)
            else:
                payload = [masked_exception(error, self._trace_id(operation_id))]
                await self.socket.send({"id": operation_id, "type": "error", "payload": payload})
            return
        finally:
            with contextlib.suppress(Exception):
                await events.aclose()
        await self.socket.send({"id": operation_id, "type": "complete"})

    def _too_slow(self, error: BaseException) -> bool:
        """The hub ended this subscriber (raw, or as the cause of a GraphQL error)."""
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            if isinstance(current, self.edge.slow_subscriber_errors):
                return True
            seen.add(id(current))
            original = current.original_error if isinstance(current, GraphQLError) else None
            current = original or current.__cause__ or current.__context__
        return False

    async def _close_slow(self, error: BaseException) -> None:
        cause: BaseException | None = error
        while isinstance(cause, GraphQLError) and cause.original_error is not None:
            cause = cause.original_error
        reason = str(getattr(cause, "reason", "") or "Subscriber too slow")
        # A close reason is at most 123 bytes.
        await self.socket.close(SLOW_SUBSCRIBER_CLOSE, reason.encode()[:120].decode("utf-8", "ignore"))

    async def _end_expired(self, operation_id: str, error: GraphQLError) -> None:
        """The token has expired: the operation ends with the error, the socket with 4403."""
        await self._error(operation_id, [error])
        await self.socket.close(TOKEN_REFUSED_CLOSE, "Token expired")

    async def _next(self, operation_id: str, result: ExecutionResult) -> None:
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = format_errors(result.errors, self._trace_id(operation_id))
        await self.socket.send({"id": operation_id, "type": "next", "payload": payload})

    async def _error(self, operation_id: str, errors: list[GraphQLError]) -> None:
        payload = format_errors(errors, self._trace_id(operation_id))
        await self.socket.send({"id": operation_id, "type": "error", "payload": payload})
