"""Relay connections over the services' pages.

The services page the same way (``{"edges": [{"cursor", "node"}], "page_info":
{"has_next_page", "end_cursor"}}``, ``first`` 1 to 100, cursors they hand out), so a
connection here is their page with each node made a schema object; their cursors pass
through untouched (opaque to clients as to the gateway).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from tandem_gateway.errors import BadInput

T = TypeVar("T")

# graphql.md: every connection's `first` is at most 100.
MAX_FIRST = 100
# Cursors the services hand out are at most 88 characters (an id of at most 64).
MAX_CURSOR_CHARACTERS = 88


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @classmethod
    def empty(cls) -> Connection[T]:
        return Connection(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None))


def check_page(
    first: int | None, after: str | None, *, default: int, most: int = MAX_FIRST
) -> tuple[int, str | None]:
    """``(first, after)`` as the services take them (an unset or null ``first`` is
    ``default``); a page they would refuse is refused first (``BAD_USER_INPUT``)."""
    size = default if first is None else first
    if size < 1 or size > most:
        raise BadInput(f"`first` must be between 1 and {most}.", field="first")
    cursor = after or None
    if cursor is not None and (len(cursor) > MAX_CURSOR_CHARACTERS or not cursor.isprintable()):
        raise BadInput("`after` is not a cursor from this API.", field="after")
    return size, cursor


def connection_from_service(data: dict[str, Any], make: Callable[[dict[str, Any]], T]) -> Connection[T]:
    """A service's page as a connection of schema objects."""
    info = data.get("page_info") or {}
    return Connection(
        edges=[Edge(cursor=str(edge["cursor"]), node=make(edge["node"])) for edge in data.get("edges", [])],
        page_info=PageInfo(
            has_next_page=bool(info.get("has_next_page", False)), end_cursor=info.get("end_cursor")
        ),
    )
