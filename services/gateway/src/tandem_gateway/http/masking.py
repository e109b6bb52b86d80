"""Error masking: the client sees the errors meant for it, and "Unexpected error." for the rest.

Meant for the client are the GraphQL errors the gateway raises on purpose
(``tandem_gateway.errors``: ``FORBIDDEN``, ``NOT_FOUND``, ``BAD_USER_INPUT``; the limits;
parse and validation errors; variable coercion). Anything else (a bug, a service that
is down, a payload that did not fit) becomes "Unexpected error." with the trace id in
``extensions.traceId``, so that support can find the full story in the logs and
traces, while the client never sees a stack trace, SQL or someone else's data.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError
from opentelemetry import trace

from tandem_gateway.clients.service_client import ServiceUnavailable

log = logging.getLogger(__name__)

UNEXPECTED = "Unexpected error."
# graphql-core's hint at names the client got wrong; it reveals the schema.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def current_trace_id() -> str:
    """The trace id (32 hex digits) of the active span; a random one where nothing traces."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        return f"{context.trace_id:032x}"
    return secrets.token_hex(16)


def is_deliberate(error: GraphQLError) -> bool:
    """True for an error the gateway (or GraphQL itself) raised for the client to read."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


def unexpected_code(error: BaseException) -> str:
    """``SERVICE_UNAVAILABLE`` when a service failing is the cause, else ``INTERNAL``."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ServiceUnavailable):
            return "SERVICE_UNAVAILABLE"
        seen.add(id(current))
        if isinstance(current, GraphQLError) and current.original_error is not None:
            current = current.original_error
        else:
            current = current.__cause__ or current.__context__
    return "INTERNAL"


def format_error(error: GraphQLError, trace_id: str) -> dict[str, Any]:
    """The error as the client sees it (masked unless deliberate); a masked one is logged."""
    return format_errors([error], trace_id)[0]


def format_errors(errors: Iterable[GraphQLError], trace_id: str) -> list[dict[str, Any]]:
    """The errors as the client sees them. Each cause of the masked ones is logged once,
    with its traceback and how many errors it caused: a failed batch read fails every
    field that waited on it (a page of 100 matches gives 100 errors of one cause), and
    100 tracebacks would cost more than the rest of the request."""
    formatted: list[dict[str, Any]] = []
    causes: dict[tuple[Any, ...], _Cause] = {}
    for error in errors:
        if is_deliberate(error):
            formatted.append(dict(error.formatted))
            continue
        code = unexpected_code(error)
        formatted.append(_masked(error, code, trace_id))
        raised = error.original_error or error
        key = (type(raised), str(raised), code)
        if key in causes:
            causes[key].count += 1
        else:
            causes[key] = _Cause(error, code)
    for cause in causes.values():
        # The full error goes to the log under the trace id the client is given.
        log.error(
            "unexpected error in a GraphQL operation",
            exc_info=cause.error.original_error or cause.error,
            extra={"trace_id": trace_id, "path": cause.error.path, "code": cause.code, "errors": cause.count},
        )
    return formatted


class _Cause:
    """The first masked error of one cause, and how many errors it caused."""

    __slots__ = ("code", "count", "error")

    def __init__(self, error: GraphQLError, code: str) -> None:
        self.error = error
        self.code = code
        self.count = 1


def _masked(error: GraphQLError, code: str, trace_id: str) -> dict[str, Any]:
    masked: dict[str, Any] = {"message": UNEXPECTED}
    if error.locations:
        masked["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        masked["path"] = list(error.path)
    masked["extensions"] = {"code": code, "traceId": trace_id}
    return masked


def masked_exception(error: BaseException, trace_id: str) -> dict[str, Any]:
    """An exception that escaped execution altogether, as one masked error."""
    if isinstance(error, GraphQLError):
        return format_error(error, trace_id)
    wrapped = GraphQLError(UNEXPECTED, original_error=error if isinstance(error, Exception) else None)
    if wrapped.original_error is None:
        return {"message": UNEXPECTED, "extensions": {"code": "INTERNAL", "traceId": trace_id}}
    return format_error(wrapped, trace_id)


def without_suggestions(error: GraphQLError) -> GraphQLError:
    """The error without "Did you mean ...?": with introspection off, a client must not
    learn the schema's names by guessing near them (OWASP)."""
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


def refusal(message: str, code: str, **extensions: Any) -> GraphQLError:
    """A deliberate refusal of the edge itself (batch size, method, rate limit...)."""
    return GraphQLError(message, extensions={"code": code, **extensions})
