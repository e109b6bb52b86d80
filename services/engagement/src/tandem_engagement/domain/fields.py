"""Field checks only engagement's commands need: notes someone wrote, calendar dates.

The shared checks (and how a check reports problems) are in ``tandem_common.fields``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from tandem_common.fields import Check, Problems

# Free text may hold line breaks and tabs, nothing else below the space.
_FREE_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def free_text(max_length: int) -> Check:
    """Text someone wrote (notes, a comment): may be empty or span lines."""

    def check(value: Any) -> Problems:
        if not isinstance(value, str):
            return [("", "must be a string")]
        if len(value) > max_length:
            return [("", f"must be at most {max_length} characters")]
        if _FREE_TEXT_CONTROL.search(value):
            return [("", "must not contain control characters other than line breaks and tabs")]
        return []

    return check


def iso_date(value: Any) -> Problems:
    if not isinstance(value, str) or not _DATE.match(value):
        return [("", "must be an ISO 8601 date, YYYY-MM-DD")]
    try:
        date.fromisoformat(value)
    except ValueError:
        return [("", "is not a calendar date")]
    return []
