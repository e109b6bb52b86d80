"""The shape every service's permission table shares: who the viewer is, and what one
permission allows and says when it refuses.

The gateway verifies the caller and passes the viewer on (``X-Tandem-Viewer``,
``X-Tandem-Roles``); each service checks again against its own table (its
``domain/policy.py``), so a bug in one place does not open a command to everyone.
Roles are graphql.md's. Pure: no I/O, so a service's ``domain/`` may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar, get_args

from tandem_common.user_errors import UserError, UserErrors, forbidden

Role = Literal["employee", "program_admin", "hr_analyst", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Viewer:
    employee_id: str
    roles: frozenset[Role]

    @classmethod
    def of(cls, employee_id: str, roles: Iterable[str]) -> Viewer:
        """A viewer with the known roles among ``roles`` (others are ignored)."""
        given = set(roles)
        return cls(employee_id, frozenset(r for r in ROLES if r in given))

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


@dataclass(frozen=True, slots=True)
class Permission(Generic[S]):
    """Who may do one action to a subject ``S`` (a service's own ``Subject``)."""

    allows: Callable[[Viewer, S], bool]
    # The field the refusal names, and the sentence it says.
    field: str
    refusal: str

    def refusal_for(self, viewer: Viewer, subject: S) -> UserError | None:
        """None when ``viewer`` may; else the ``FORBIDDEN`` error naming the field."""
        if self.allows(viewer, subject):
            return None
        return forbidden(self.field, self.refusal)

    def require(self, viewer: Viewer, subject: S) -> None:
        """Raises ``UserErrors`` (``FORBIDDEN``) unless ``viewer`` may."""
        error = self.refusal_for(viewer, subject)
        if error is not None:
            raise UserErrors([error])
