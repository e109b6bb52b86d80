"""The service token: a shared secret that callers of the internal APIs present.

The internal APIs answer with anyone's profile and accept writes for anyone, trusting
their caller (the gateway) to have checked who is asking. So beyond loopback every
request to them carries ``Authorization: Bearer <TANDEM_SERVICE_TOKEN>``; health,
readiness and metrics stay open for probes and scrapers.

``tandem up`` writes a random token to ``.tandem/service-token`` on its first start
and hands it to every service; Tandem's own clients read ``TANDEM_SERVICE_TOKEN``
first, then that file.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

import orjson

from tandem_common.http.limits import ASGIApp, Message, Receive, Scope, Send, send_json

log = logging.getLogger(__name__)

TOKEN_VARIABLE = "TANDEM_SERVICE_TOKEN"
TOKEN_FILE_NAME = "service-token"
# Shorter than this is a password someone typed, not a secret.
MIN_TOKEN_LENGTH = 16
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

_UNAUTHORIZED = orjson.dumps(
    {"detail": "this internal API needs the service token: Authorization: Bearer <TANDEM_SERVICE_TOKEN>"}
)
_CHALLENGE = (b"www-authenticate", b'Bearer realm="tandem-internal"')


class ServiceTokenMiddleware:
    """Refuses every request outside ``OPEN_PATHS`` that does not carry the token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"the service token needs at least {MIN_TOKEN_LENGTH} characters")
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if self._authorized(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
        else:
            await send_json(
                send, 401, _UNAUTHORIZED, (b"www-authenticate", b'Bearer realm="tandem-internal"')
            )

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                # Constant time, so the answer's timing does not reveal how much of a
                # guess was right.
                return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self._token)
        return False


class UnauthenticatedWarning:
    """Logs once, when the application has started, that nothing checks its callers."""

    def __init__(self, app: ASGIApp, service: str, host: str) -> None:
        self.app = app
        self._service = service
        self._host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def warn_when_started(message: Message) -> None:
            await send(message)
            # Logging is set up by the application's own start-up, so the warning
            # waits for it and comes out as one JSON line like every other.
            if message["type"] == "lifespan.startup.complete":
                log.warning(
                    "the internal API of %s is unauthenticated (%s is unset): it listens on %s "
                    "and must stay on loopback",
                    self._service,
                    TOKEN_VARIABLE,
                    self._host,
                )

        await self.app(scope, receive, warn_when_started)


def token_file(home: Path) -> Path:
    return home / TOKEN_FILE_NAME


def read_token_file(home: Path) -> str | None:
    try:
        token = token_file(home).read_text("utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return token or None


def ensure_token_file(home: Path) -> str:
    """The token in ``home``'s token file, created with a random one (mode 0600) if missing."""
    path = token_file(home)
    home.mkdir(parents=True, exist_ok=True)
    existing = read_token_file(home)
    if existing is not None and len(existing) >= MIN_TOKEN_LENGTH:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)
        return existing
    token = secrets.token_urlsafe(32)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    # Created 0600 from the start, so the secret is never readable by others, not
    # even for a moment between writing and chmod.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as target:
        target.write(token + "\n")
    return token


def client_token(env: Mapping[str, str] | None = None) -> str | None:
    """The token a client of the internal APIs sends: the variable, else the token file."""
    variables = os.environ if env is None else env
    token = variables.get(TOKEN_VARIABLE, "").strip()
    if token:
        return token
    home = variables.get("TANDEM_HOME")
    return read_token_file(Path(home) if home else Path.cwd() / ".tandem")


def authorization_headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}
