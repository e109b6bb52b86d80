"""The one classifier of failures: transient (retry), data (dead-letter) or unknown.

Every retry loop of the backbone (consumer, relay, runtime start-up, listeners) asks
:func:`is_transient`; the consumer also asks :func:`is_data_error`, because only a
failure caused by the event's own data may dead-letter a good-looking event.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import exc as sa_exc

# SQLSTATE codes that a retry can get past:
# - 08: connection failures; 40: serialization failures and deadlocks;
# - 53: resource exhaustion; 58: system errors (I/O) on the server;
# - 57P01-57P05: administrator shutdown, crash shutdown, cannot connect now, database
#   dropped, idle-session timeout; 57014: statement timeout (a slow moment, not a bad row);
# - 55000 with ALLOW_CONNECTIONS false, 55006 object in use, 55P03 lock not available
#   (lock_timeout);
# - 25006: read-only transaction, which is what a managed-PostgreSQL failover looks
#   like while the old primary is demoted; 25P03: idle-in-transaction timeout.
_TRANSIENT_SQLSTATE_PREFIXES = (
    "08",
    "40",
    "53",
    "58",
    "57P",
    "57014",
    "55000",
    "55006",
    "55P03",
    "25006",
    "25P03",
)
# Class 22 (data exception) and 23 (integrity constraint violation): the row itself is wrong.
_DATA_SQLSTATE_PREFIXES = ("22", "23")
_DRIVER_CONNECTION_ERRORS = {
    "ConnectionDoesNotExistError",
    "InterfaceError",
    "CannotConnectNowError",
    "ConnectionFailureError",
    "InternalClientError",
}


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a database error, looked up through SQLAlchemy's wrapping."""
    seen: set[int] = set()
    candidate: BaseException | None = error
    while candidate is not None and id(candidate) not in seen:
        seen.add(id(candidate))
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
        orig = getattr(candidate, "orig", None)
        candidate = orig if isinstance(orig, BaseException) else candidate.__cause__
    return None


def _is_broker_transient(error: BaseException) -> bool:
    from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, RequestTimedOutError

    if isinstance(error, KafkaConnectionError | KafkaTimeoutError | RequestTimedOutError):
        return True
    # aiokafka marks the errors a client may retry (leader moves, coordinator loads, ...).
    return isinstance(error, KafkaError) and bool(getattr(error, "retriable", False))


def is_transient(error: BaseException) -> bool:
    """True for failures of the infrastructure (database or broker), not of the message."""
    if isinstance(error, OSError | ConnectionError | asyncio.TimeoutError | TimeoutError):
        return True
    if _is_broker_transient(error):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    code = sqlstate(error)
    if code is not None:
        return code.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    if isinstance(error, sa_exc.InterfaceError | sa_exc.OperationalError):
        return True
    name = type(getattr(error, "orig", error)).__name__
    return name in _DRIVER_CONNECTION_ERRORS


def is_data_error(error: BaseException) -> bool:
    """True when the database refused the data itself (SQLSTATE classes 22 and 23)."""
    code = sqlstate(error)
    return code is not None and code.startswith(_DATA_SQLSTATE_PREFIXES)
