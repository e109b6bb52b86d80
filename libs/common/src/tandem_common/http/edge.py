"""What every service's HTTP app gets at its edge, installed in one place: ``install_edge``.

- a cap on request bodies (``TANDEM_HTTP_MAX_BODY_BYTES``, 413 beyond it);
- the service token (``TANDEM_SERVICE_TOKEN``, 401 without it) on everything but
  ``/healthz``, ``/readyz`` and ``/metrics``.

Without a token the API is open to anyone who can reach its port, so a service then
refuses to listen anywhere but loopback, unless ``TANDEM_HTTP_ALLOW_UNAUTHENTICATED``
says that something in front of it (a service mesh with mutual TLS and its own
authorization policy) checks every caller.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tandem_common.http.limits import BodyLimitMiddleware
from tandem_common.http.service_token import (
    MIN_TOKEN_LENGTH,
    TOKEN_VARIABLE,
    ServiceTokenMiddleware,
    UnauthenticatedWarning,
)
from tandem_common.settings import TandemSettings


class EdgeSettingsError(ValueError):
    """Settings under which a service must not start; the message says what to change."""


def install_edge(app: Any, settings: TandemSettings, *, require_service_token: bool = True) -> None:
    """Add the body cap and, for an internal API, the service token check to ``app``.

    ``require_service_token=False`` is for a public edge that authenticates its own
    users (the gateway, with their JWTs); it gets the body cap only.
    Raises ``EdgeSettingsError`` for settings that would expose an unauthenticated API.
    """
    token = service_token(settings) if require_service_token else None
    if require_service_token and token is None:
        check_unauthenticated_is_allowed(settings)
    # Starlette runs the middleware added last first: the token is checked before a
    # byte of the body is read.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.http_max_body_bytes)
    if token is not None:
        app.add_middleware(ServiceTokenMiddleware, token=token)
    elif require_service_token:
        service = str(getattr(settings, "service_name", "") or "this service")
        app.add_middleware(UnauthenticatedWarning, service=service, host=settings.http_host)


def service_token(settings: TandemSettings) -> str | None:
    """The configured token, or None; a token too short to be a secret is refused."""
    if settings.service_token is None:
        return None
    token = settings.service_token.get_secret_value().strip()
    if not token:
        return None
    if len(token) < MIN_TOKEN_LENGTH:
        raise EdgeSettingsError(
            f"{TOKEN_VARIABLE} has {len(token)} characters; use a random one of at least "
            f"{MIN_TOKEN_LENGTH}, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return token


def check_unauthenticated_is_allowed(settings: TandemSettings) -> None:
    if is_loopback(settings.http_host) or settings.http_allow_unauthenticated:
        return
    raise EdgeSettingsError(
        f"refusing to serve an unauthenticated internal API on {settings.http_host}: "
        f"set {TOKEN_VARIABLE} (callers then send it as a bearer token), or listen on "
        "loopback (TANDEM_HTTP_HOST=127.0.0.1), or set TANDEM_HTTP_ALLOW_UNAUTHENTICATED=true "
        "if something in front of the service authenticates every caller"
    )


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        # A host name other than localhost may resolve to any interface.
        return False
