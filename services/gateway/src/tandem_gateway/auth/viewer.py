"""Who is asking: the verified subject of a request's token."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """graphql.md's roles, as the services spell them (``X-Tandem-Roles``)."""

    EMPLOYEE = "employee"
    PROGRAM_ADMIN = "program_admin"
    HR_ANALYST = "hr_analyst"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Viewer:
    employee_id: str
    roles: frozenset[Role]
    # The token's expiry: a subscription ends when it passes (checked on every event).
    expires_at: datetime

    @classmethod
    def of(cls, employee_id: str, roles: Iterable[str], expires_at: datetime) -> Viewer:
        """A viewer with the known roles among ``roles`` (unknown names are ignored)."""
        named = set(roles)
        return cls(employee_id, frozenset(role for role in Role if role.value in named), expires_at)

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def headers(self) -> dict[str, str]:
        """How the services learn the verified viewer (they check commands again)."""
        return {
            "X-Tandem-Viewer": self.employee_id,
            "X-Tandem-Roles": ",".join(sorted(role.value for role in self.roles)),
        }
