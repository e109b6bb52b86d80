"""The viewer a verified token's claims describe."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tandem_common.events.fields import EMPLOYEE_ID_PATTERN
from tandem_gateway.auth.errors import InvalidToken
from tandem_gateway.auth.viewer import Viewer

_EMPLOYEE_ID = re.compile(EMPLOYEE_ID_PATTERN)


def role_names(value: Any) -> list[str]:
    """The role names of a roles claim: a list of names, or one space-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return list(value)
    raise InvalidToken("The token's roles claim is malformed.")


def viewer_from_claims(claims: Mapping[str, Any], *, employee_id_claim: str, roles_claim: str) -> Viewer:
    """The viewer of verified ``claims``; unknown role names are ignored.

    A token whose employee id claim is missing or is not an employee id is refused:
    the id goes into headers and service calls, so it must have the shape events.md
    gives employee ids.
    """
    employee_id = claims.get(employee_id_claim)
    # fullmatch: the pattern's `$` alone would admit a trailing newline.
    if not isinstance(employee_id, str) or _EMPLOYEE_ID.fullmatch(employee_id) is None:
        raise InvalidToken("The token does not name a valid employee id.")
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    return Viewer.of(employee_id, role_names(claims.get(roles_claim)), expires_at)
