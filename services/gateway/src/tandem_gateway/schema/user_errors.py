"""Expected failures of a mutation, as data: ``userErrors { field message code }``.

Every mutation is one command to the owning service, which answers its refusals per
field. This module turns those answers into :class:`UserError` values, with the
service's field names rewritten into the names the client sent.

The field mapping rule (one for every mutation):

- A service names a field by a dotted path of snake_case names and list positions
  (``hours_per_month``, ``skills_offered.0.skill``, ``checkins.every_days``).
- Each name becomes camelCase (``hours_per_month`` -> ``hoursPerMonth``); list
  positions stay as they are. Two names of the domain are spelled differently in
  GraphQL and are listed in ``SPELLINGS`` (``checkins`` -> ``checkIns``).
- The path is put under the mutation's input argument (``input.hoursPerMonth``), or
  stays at the top for a mutation whose arguments are scalars (``programId``).
- A mutation may rename a path's first name (:class:`FieldNames`): ``match_id`` is
  ``input.matchId`` in ``logSession``; a name that stands for the viewer rather than an
  argument (``viewer``, the enrolling ``employee_id``) maps to ``field: null``.

Both answer shapes of the services are read: ``{"user_errors": [{field, message,
code}]}`` (matching, engagement) and FastAPI's ``{"detail": [{field, msg}]}`` or
``{"detail": "..."}`` (profiles). A code the entry does not carry is the status's:
422 ``VALIDATION``, 404 ``NOT_FOUND``, 403 ``FORBIDDEN``, 409 ``CONFLICT``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import strawberry

from tandem_gateway.clients.service_client import ServiceAnswer
from tandem_gateway.schema.enums import UserErrorCode

CODE_OF_STATUS: Mapping[int, UserErrorCode] = {
    422: UserErrorCode.VALIDATION,
    404: UserErrorCode.NOT_FOUND,
    403: UserErrorCode.FORBIDDEN,
    409: UserErrorCode.CONFLICT,
}
# The statuses a command answers its user errors with.
USER_ERROR_STATUSES = frozenset(CODE_OF_STATUS)
# Names of the services' JSON whose GraphQL spelling is not their plain camelCase.
SPELLINGS: Mapping[str, str] = {"checkins": "checkIns", "checkin_id": "checkInId"}
# What a refusal says when the service gave no message.
DEFAULT_MESSAGES: Mapping[UserErrorCode, str] = {
    UserErrorCode.VALIDATION: "is not valid",
    UserErrorCode.NOT_FOUND: "was not found",
    UserErrorCode.FORBIDDEN: "you may not do this",
    UserErrorCode.CONFLICT: "conflicts with the current state",
}


@strawberry.type(
    description="An expected failure of a mutation; a mutation with any of them changed nothing."
)
class UserError:
    field: str | None = strawberry.field(
        description="The path of the argument it is about (`input.hoursPerMonth`); null when "
        "it is about the viewer or the request as a whole."
    )
    message: str
    code: UserErrorCode


def camel(name: str) -> str:
    """``hours_per_month`` -> ``hoursPerMonth`` (list positions and unknown shapes kept)."""
    if name in SPELLINGS:
        return SPELLINGS[name]
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _join(base: str, tail: str) -> str:
    if not base:
        return tail
    return f"{base}.{tail}" if tail else base


@dataclass(frozen=True, slots=True)
class FieldNames:
    """How the owning service's field names read among one mutation's arguments.

    ``prefix`` is the input argument (``"input"``) or ``""``; ``renames`` maps a
    path's first name to its argument path, or to None for "not an argument".
    """

    prefix: str = ""
    renames: Mapping[str, str | None] = field(default_factory=dict)

    def of(self, service_field: str | None) -> str | None:
        """The GraphQL path of ``service_field`` (None stays None)."""
        if not service_field:
            return None
        head, _, rest = service_field.partition(".")
        if head in self.renames:
            base = self.renames[head]
            if base is None:
                return None
        else:
            base = _join(self.prefix, camel(head))
        tail = ".".join(camel(part) for part in rest.split(".")) if rest else ""
        return _join(base, tail)


TOP_LEVEL = FieldNames()


def _code(named: Any, status: int) -> UserErrorCode:
    if isinstance(named, str) and named in UserErrorCode.__members__:
        return UserErrorCode[named]
    return CODE_OF_STATUS.get(status, UserErrorCode.VALIDATION)


def _error(names: FieldNames, service_field: Any, message: Any, code: UserErrorCode) -> UserError:
    text = message if isinstance(message, str) and message else DEFAULT_MESSAGES[code]
    return UserError(
        field=names.of(service_field if isinstance(service_field, str) else None),
        message=text,
        code=code,
    )


def user_errors_from(answer: ServiceAnswer, names: FieldNames = TOP_LEVEL) -> list[UserError]:
    """The user errors of a refused command (an answer with a status of
    ``USER_ERROR_STATUSES``), with their fields in the mutation's names."""
    status_code = _code(None, answer.status)
    found = [
        _error(names, entry.get("field"), entry.get("message"), _code(entry.get("code"), answer.status))
        for entry in answer.user_errors()
        if isinstance(entry, dict)
    ]
    detail = answer.body.get("detail") if isinstance(answer.body, dict) else None
    if not found and isinstance(detail, list):
        found = [
            _error(names, entry.get("field"), entry.get("msg"), status_code)
            for entry in detail
            if isinstance(entry, dict)
        ]
    # A refusal always says something, even when the answer named nothing.
    return found or [_error(names, None, detail, status_code)]


def user_error(field_path: str | None, message: str, code: UserErrorCode) -> UserError:
    """A refusal the gateway itself makes (already in the mutation's names)."""
    return UserError(field=field_path, message=message, code=code)
