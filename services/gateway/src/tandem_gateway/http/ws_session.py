"""The socket of one ``graphql-transport-ws`` connection: JSON in, JSON out, one close.

Several operations of the connection send at once, so sends are serialised; a close
happens once, and nothing is sent after it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from starlette.websockets import WebSocket


class SocketState:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.closed = False
        self._lock = asyncio.Lock()

    async def receive(self) -> dict[str, Any] | None:
        """The next message as a JSON object; None once the socket is gone (or was closed
        because the message was not one)."""
        if self.closed:
            return None
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            self.closed = True
            return None
        text = message.get("text")
        if text is None:
            await self.close(4400, "WebSocket message type must be text")
            return None
        try:
            decoded = orjson.loads(text)
        except orjson.JSONDecodeError:
            await self.close(4400, "WebSocket message must be valid JSON")
            return None
        if not isinstance(decoded, dict):
            await self.close(4400, "Failed to parse message")
            return None
        return decoded

    async def send(self, message: dict[str, Any]) -> None:
        async with self._lock:
            if self.closed:
                return
            with contextlib.suppress(RuntimeError, OSError):
                await self.websocket.send_text(orjson.dumps(message).decode())

    async def close(self, code: int, reason: str) -> None:
        async with self._lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(RuntimeError, OSError):
                await self.websocket.close(code=code, reason=reason)
