"""The errors a read can answer, each a GraphQL error with ``extensions.code``.

The edge masks every other exception ("Unexpected error."); these are meant for the
client, so they pass unmasked and say nothing about anyone's data.
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import GraphQLError


class TandemError(GraphQLError):
    """A GraphQL error whose ``extensions.code`` is the class's ``code``."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class Forbidden(TandemError):
    """The viewer may not see this field (it resolves to ``null``)."""

    code: ClassVar[str] = "FORBIDDEN"

    def __init__(self, message: str = "You may not see this.", **extensions: Any) -> None:
        super().__init__(message, **extensions)


class NotFound(TandemError):
    code: ClassVar[str] = "NOT_FOUND"


class BadInput(TandemError):
    """An argument the gateway refuses before asking anyone (a bad id, ``first`` over 100)."""

    code: ClassVar[str] = "BAD_USER_INPUT"
