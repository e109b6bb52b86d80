"""Relay-like pages of the internal HTTP API: cursors and connections.

A cursor is the URL-safe base64 of the last id on a page; ``after`` turns one back into
that id, refusing anything this API did not hand out.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, TypeVar

from tandem_common.fields import EMPLOYEE_ID
from tandem_common.user_errors import UserErrors, validation
from tandem_matching.service.queries import Page

T = TypeVar("T")


def cursor_of(item_id: str) -> str:
    return base64.urlsafe_b64encode(item_id.encode()).decode()


def after_id(cursor: str | None) -> str | None:
    """The id a cursor stands for; a cursor this API did not give is a user error."""
    if cursor is None:
        return None
    try:
        after = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        after = ""
    if not EMPLOYEE_ID.match(after):
        raise UserErrors([validation("after", "is not a cursor from this API")])
    return after


def connection(page: Page[T], key: Callable[[T], str], render: Callable[[T], Any]) -> dict[str, Any]:
    """``{"edges": [{"cursor", "node"}], "page_info": {"has_next_page", "end_cursor"}}``."""
    return {
        "edges": [{"cursor": cursor_of(key(item)), "node": render(item)} for item in page.items],
        "page_info": {
            "has_next_page": page.next_after is not None,
            "end_cursor": cursor_of(key(page.items[-1])) if page.items else None,
        },
    }
