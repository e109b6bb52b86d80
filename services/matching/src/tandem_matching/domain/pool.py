"""The candidate pool: what matching knows of each person, from ``profiles.events``.

Each event carries the person's full snapshot with a ``profile_version`` that rises
strictly per person, so the pool keeps the highest version it has seen and ignores
every other. An erased person keeps nothing but the id (and the version, so an older
snapshot delivered late cannot bring their data back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

PoolStatus = Literal["active", "on_leave", "departed", "erased"]
MentoringRole = Literal["mentor", "mentee"]
MENTORING_ROLES: tuple[MentoringRole, ...] = get_args(MentoringRole)


@dataclass(frozen=True, slots=True)
class PoolMember:
    employee_id: str
    profile_version: int
    status: PoolStatus
    # The profiles.events snapshot as JSON (what the engine reads); None once erased.
    snapshot: Mapping[str, Any] | None

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> PoolMember:
        return cls(
            employee_id=snapshot["employee_id"],
            profile_version=snapshot["profile_version"],
            status=snapshot["status"],
            snapshot=dict(snapshot),
        )

    @classmethod
    def erased(cls, employee_id: str, profile_version: int) -> PoolMember:
        return cls(employee_id, profile_version, "erased", None)

    def supersedes(self, held: PoolMember | None) -> bool:
        """Whether this version replaces ``held`` (only a strictly higher one does)."""
        return held is None or self.profile_version > held.profile_version

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def gone(self) -> bool:
        """Departed or erased: never to be enrolled or matched again."""
        return self.status in ("departed", "erased")

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles of their mentoring profile."""
        mentoring = (self.snapshot or {}).get("mentoring") or {}
        return tuple(mentoring.get("roles") or ())

    @property
    def department(self) -> str | None:
        return (self.snapshot or {}).get("department")

    @property
    def country(self) -> str | None:
        location = (self.snapshot or {}).get("location") or {}
        country = location.get("country")
        return country if isinstance(country, str) else None

    @property
    def seniority_level(self) -> int | None:
        return (self.snapshot or {}).get("seniority_level")


def newest(members: list[PoolMember]) -> dict[str, PoolMember]:
    """The highest version of each person among ``members``."""
    found: dict[str, PoolMember] = {}
    for member in members:
        if member.supersedes(found.get(member.employee_id)):
            found[member.employee_id] = member
    return found
