"""Read-only queries: what the internal API and the periodic jobs read.

Like the use cases they take an open unit of work; they write nothing, so their
callers leave the unit of work without committing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tandem_profiles.domain.profile import StoredEmployee
from tandem_profiles.service.unit_of_work import ProfilesUnitOfWork


async def profiles_by_id(uow: ProfilesUnitOfWork, employee_ids: Iterable[str]) -> dict[str, StoredEmployee]:
    """The stored profiles among ``employee_ids``, erased ones included."""
    return await uow.employees.load(employee_ids)


@dataclass(frozen=True, slots=True)
class ProfileFilters:
    department: str | None = None
    country: str | None = None
    status: str | None = None
    # A skill id from the taxonomy, among the skills offered.
    skill: str | None = None


@dataclass(frozen=True, slots=True)
class ProfilePage:
    items: list[StoredEmployee]
    # The id to continue after, when there may be more.
    next_after: str | None


async def list_profiles(
    uow: ProfilesUnitOfWork, filters: ProfileFilters, *, after: str | None, limit: int
) -> ProfilePage:
    """Up to ``limit`` profiles that are not erased, by id after ``after`` (keyset paging)."""
    # One more than asked for tells whether another page follows.
    found = await uow.employees.page(
        after=after,
        limit=limit + 1,
        department=filters.department,
        country=filters.country,
        status=filters.status,
        skill=filters.skill,
    )
    items = found[:limit]
    next_after = items[-1].record.employee_id if len(found) > limit else None
    return ProfilePage(items, next_after)


async def compaction_candidates(
    uow: ProfilesUnitOfWork, *, dated_before: date, min_events: int, after: str | None, limit: int
) -> list[str]:
    """Employees whose HR log has at least ``min_events`` events dated before a day."""
    return await uow.hr_log.compaction_candidates(
        dated_before=dated_before, min_events=min_events, after=after, limit=limit
    )
