"""Which database failures are transient: worth retrying rather than dead-lettering."""

from __future__ import annotations

import asyncio

from sqlalchemy import exc as sa_exc

# SQLSTATE codes that a retry can get past: connection failures (class 08),
# serialization failures and deadlocks (class 40), an operator shutting the server
# down or refusing connections (57P01-57P03), resource exhaustion (53), and a
# database temporarily closed to connections (55000 with ALLOW_CONNECTIONS false).
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "40", "53", "57P", "55000", "55006", "58")


def _sqlstate(error: BaseException) -> str | None:
    for candidate in (error, getattr(error, "orig", None), getattr(error, "__cause__", None)):
        if candidate is None:
            continue
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
        inner = getattr(candidate, "__cause__", None)
        code = getattr(inner, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


def is_transient(error: BaseException) -> bool:
    """True for failures of the infrastructure, not of the message being handled."""
    if isinstance(error, OSError | ConnectionError | asyncio.TimeoutError | TimeoutError):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    code = _sqlstate(error)
    if code is not None:
        return code.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    if isinstance(error, sa_exc.InterfaceError | sa_exc.OperationalError):
        return True
    name = type(getattr(error, "orig", error)).__name__
    return name in {
        "ConnectionDoesNotExistError",
        "InterfaceError",
        "CannotConnectNowError",
        "ConnectionFailureError",
    }
