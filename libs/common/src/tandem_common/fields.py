"""Field checks for command input, shared by every service: one table of named fields, each with its check.

A check takes the value and returns the problems with it, each as ``(subpath,
message)``: an empty subpath is the field itself, ``"2"`` its third item. Messages
never quote the value (it may be anything a caller typed). Pure: no I/O, so a
service's ``domain/`` may use it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from tandem_common.events.fields import EMPLOYEE_ID_PATTERN
from tandem_common.user_errors import UserError, validation

Problems = list[tuple[str, str]]
Check = Callable[[Any], Problems]

EMPLOYEE_ID = re.compile(EMPLOYEE_ID_PATTERN)
# Control characters (NUL above all: PostgreSQL refuses it in text).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def boolean(value: Any) -> Problems:
    return [] if isinstance(value, bool) else [("", "must be true or false")]


def integer(low: int, high: int) -> Check:
    def check(value: Any) -> Problems:
        if isinstance(value, bool) or not isinstance(value, int):
            return [("", "must be a whole number")]
        if not low <= value <= high:
            return [("", f"must be from {low} to {high}")]
        return []

    return check


def number(low: float, high: float) -> Check:
    def check(value: Any) -> Problems:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return [("", "must be a number")]
        if not low <= value <= high:
            return [("", f"must be from {low:g} to {high:g}")]
        return []

    return check


def one_of(values: Sequence[str]) -> Check:
    def check(value: Any) -> Problems:
        if value not in values:
            return [("", f"must be one of {', '.join(values)}")]
        return []

    return check


def text(max_length: int) -> Check:
    def check(value: Any) -> Problems:
        if not isinstance(value, str) or not value.strip():
            return [("", "must be a non-empty string")]
        if len(value) > max_length:
            return [("", f"must be at most {max_length} characters")]
        if _CONTROL.search(value):
            return [("", "must not contain control characters")]
        return []

    return check


def employee_id(value: Any) -> Problems:
    if not isinstance(value, str) or not EMPLOYEE_ID.match(value):
        return [("", "must be an employee id: 1 to 64 characters of A-Z a-z 0-9 . _ : -")]
    return []


def matching(pattern: str, description: str) -> Check:
    compiled = re.compile(pattern)

    def check(value: Any) -> Problems:
        if not isinstance(value, str) or not compiled.match(value):
            return [("", f"must be {description}")]
        return []

    return check


def in_set(values: Callable[[], Collection[str]], description: str) -> Check:
    def check(value: Any) -> Problems:
        if not isinstance(value, str) or value not in values():
            return [("", f"must be {description}")]
        return []

    return check


def optional(inner: Check) -> Check:
    def check(value: Any) -> Problems:
        return [] if value is None else inner(value)

    return check


def list_of(item: Check, *, max_items: int, min_items: int = 0, unique: bool = True) -> Check:
    def check(value: Any) -> Problems:
        if not isinstance(value, list):
            return [("", "must be a list")]
        if len(value) > max_items:
            return [("", f"must have at most {max_items} entries")]
        if len(value) < min_items:
            return [("", f"must have at least {min_items} entr{'y' if min_items == 1 else 'ies'}")]
        problems: Problems = []
        seen: set[Any] = set()
        for position, entry in enumerate(value):
            found = item(entry)
            problems.extend((_join(str(position), sub), message) for sub, message in found)
            if not found and unique:
                if entry in seen:
                    problems.append((str(position), "repeats an earlier entry"))
                seen.add(entry)
        return problems

    return check


def _join(prefix: str, sub: str) -> str:
    if not prefix:
        return sub
    return f"{prefix}.{sub}" if sub else prefix


def check_object(
    data: Any, fields: Mapping[str, Check], *, path: str = "", required: Collection[str] = ()
) -> list[UserError]:
    """The problems of ``data`` against ``fields`` (unknown and missing ones included)."""
    if not isinstance(data, Mapping):
        return [validation(path or "input", "must be an object")]
    errors: list[UserError] = []
    for name in required:
        if name not in data:
            errors.append(validation(_join(path, name), "is required"))
    for name, value in data.items():
        field = _join(path, str(name))
        check = fields.get(name) if isinstance(name, str) else None
        if check is None:
            errors.append(validation(field, "is not a known field"))
            continue
        errors.extend(validation(_join(field, sub), message) for sub, message in check(value))
    return errors
