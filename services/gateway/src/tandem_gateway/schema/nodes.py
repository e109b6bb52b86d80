"""Opaque global ids and the ``Node`` interface.

A global id is the URL-safe base64 of ``"<Type>:<raw id>"``: clients treat it as opaque,
the gateway learns from it which type and which service's id it names. An id of the
wrong type, or not an id at all, is refused (``BAD_USER_INPUT``) before any service is
asked.
"""

from __future__ import annotations

import base64
import binascii

import strawberry

from tandem_gateway.errors import BadInput

# The types that have global ids; a global id naming anything else is refused.
ID_TYPES = ("Person", "Program", "MatchRound", "Match", "Enrolment", "Session", "Goal", "CheckIn")
# The ones node(id:) refetches (the others are read through their match or program).
NODE_TYPES = ("Person", "Program", "MatchRound", "Match")
# Raw ids of the services are at most 64 characters (events.md's id pattern).
MAX_GLOBAL_ID_CHARACTERS = 120


class InvalidGlobalId(BadInput):
    def __init__(self, global_id: str, expected_type: str | None = None) -> None:
        wanted = f"a {expected_type} id" if expected_type else "a global id"
        super().__init__(f"Not {wanted}.", field=expected_type or "id")
        self.global_id = global_id


def encode_id(type_name: str, raw_id: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{raw_id}".encode()).decode().rstrip("=")


def split_id(global_id: str) -> tuple[str, str]:
    """``(type name, raw id)`` of a global id, or :class:`InvalidGlobalId`."""
    if len(global_id) > MAX_GLOBAL_ID_CHARACTERS:
        raise InvalidGlobalId(global_id)
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        text = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError, UnicodeError):
        raise InvalidGlobalId(global_id) from None
    type_name, separator, raw_id = text.partition(":")
    if not separator or type_name not in ID_TYPES or not raw_id or not raw_id.isprintable():
        raise InvalidGlobalId(global_id)
    return type_name, raw_id


def decode_id(global_id: str, expected_type: str) -> str:
    """The raw id of a global id of ``expected_type``, or :class:`InvalidGlobalId`."""
    try:
        type_name, raw_id = split_id(global_id)
    except InvalidGlobalId:
        raise InvalidGlobalId(global_id, expected_type) from None
    if type_name != expected_type:
        raise InvalidGlobalId(global_id, expected_type)
    return raw_id


@strawberry.interface(description="An object with an opaque global id, found again with node(id:).")
class Node:
    id: strawberry.ID
