"""A cap on request bodies, enforced before the application holds them in memory.

The declared ``Content-Length`` is checked before anything is read; a body without
one (chunked) is counted as it streams in and refused at the first byte over the
cap. Either way the client gets 413, never the 400 a framework makes of a body it
could not finish reading.

A server that closes the connection on unread bytes makes the kernel reset it, and
the client, still sending, loses the 413. So the rest of a body not much over the cap
(up to the cap again) is read and thrown away before answering; a far larger one is
cut off at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLargeError(Exception):
    """Raised into the application when the streamed body passes the cap."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"request body larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            if declared <= 2 * self.max_bytes:
                await self._discard(receive)
            await self._refuse(send)
            return
        received = 0
        exceeded = False
        body_complete = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded, body_complete
            if exceeded:
                raise BodyTooLargeError(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                # Whatever the application answers to a body it could not read is
                # replaced by the 413 below.
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        # An application that had already begun its answer keeps it, cut short: the
        # server closes a connection whose request body was not read to the end.
        if exceeded and not started:
            if not body_complete:
                await self._discard(receive)
            await self._refuse(send)

    async def _discard(self, receive: Receive) -> None:
        """Reads and drops the rest of the body, at most ``max_bytes`` of it."""
        discarded = 0
        while discarded <= self.max_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return
            discarded += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _refuse(self, send: Send) -> None:
        body = orjson.dumps({"detail": f"request body larger than {self.max_bytes} bytes"})
        # The unread rest of the body must not be taken for the next request.
        await send_json(send, 413, body, (b"connection", b"close"))


async def send_json(send: Send, status: int, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    """A whole JSON answer, for a middleware that answers in the application's stead."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            # The server has already refused a malformed or repeated Content-Length;
            # anything else unreadable here is left to the byte count.
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
