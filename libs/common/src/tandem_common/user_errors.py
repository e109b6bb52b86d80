"""Expected failures of a command, shared by every service: data, not exceptions that escape to the caller.

A command answers with user errors ``{field, message, code}`` (graphql.md, "Errors"):
``field`` is the dotted path of the input it is about (``items.3.employee_id``), and a
command with any user error changes nothing. Use cases raise :class:`UserErrors`
before they write; their caller's unit of work then rolls back whatever was written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ErrorCode = Literal["VALIDATION", "NOT_FOUND", "FORBIDDEN", "CONFLICT"]


@dataclass(frozen=True, slots=True)
class UserError:
    field: str
    message: str
    code: ErrorCode

    def under(self, prefix: str) -> UserError:
        """The same error about a field inside ``prefix`` (``items.3`` + ``employee_id``)."""
        return UserError(f"{prefix}.{self.field}" if self.field else prefix, self.message, self.code)


class UserErrors(Exception):
    """A command refused for the reasons in ``errors`` (at least one)."""

    def __init__(self, errors: Iterable[UserError]) -> None:
        self.errors = tuple(errors)
        if not self.errors:
            raise ValueError("UserErrors needs at least one error")
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))


def validation(field: str, message: str) -> UserError:
    return UserError(field, message, "VALIDATION")


def not_found(field: str, message: str) -> UserError:
    return UserError(field, message, "NOT_FOUND")


def forbidden(field: str, message: str) -> UserError:
    return UserError(field, message, "FORBIDDEN")


def conflict(field: str, message: str) -> UserError:
    return UserError(field, message, "CONFLICT")


def refuse(error: UserError) -> UserErrors:
    """One error as the exception a use case raises: ``raise refuse(not_found(...))``."""
    return UserErrors([error])
