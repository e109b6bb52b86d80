"""Read-only queries: what the internal API (the gateway's DataLoaders) and the jobs read.

Like the use cases they take an open unit of work; they write nothing, so their
callers leave the unit of work without committing. Lists are keyset-paged by id: a
page asks for one more than it returns, to tell whether another follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from tandem_matching.domain.enrolment import Enrolment, EnrolmentStatus
from tandem_matching.domain.matches import Match, MatchStatus
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.programs import Program, ProgramStatus
from tandem_matching.service.unit_of_work import MatchingUnitOfWork

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    # The id to continue after, when there may be more.
    next_after: str | None


def _page(found: list[T], limit: int, key: str) -> Page[T]:
    items = found[:limit]
    next_after = getattr(items[-1], key) if len(found) > limit and items else None
    return Page(items, next_after)


async def programs_by_id(uow: MatchingUnitOfWork, program_ids: Iterable[str]) -> dict[str, Program]:
    return await uow.programs.get(program_ids)


async def list_programs(
    uow: MatchingUnitOfWork, *, status: ProgramStatus | None, after: str | None, limit: int
) -> Page[Program]:
    found = await uow.programs.page(after=after, limit=limit + 1, status=status)
    return _page(found, limit, "program_id")


async def program_enrolments(
    uow: MatchingUnitOfWork,
    program_id: str,
    *,
    status: EnrolmentStatus | None,
    after: str | None,
    limit: int,
) -> Page[Enrolment]:
    found = await uow.enrolments.page(program_id, after=after, limit=limit + 1, status=status)
    return _page(found, limit, "employee_id")


async def program_matches(
    uow: MatchingUnitOfWork,
    program_id: str,
    *,
    statuses: Sequence[MatchStatus],
    after: str | None,
    limit: int,
) -> Page[Match]:
    found = await uow.matches.of_program(program_id, statuses=statuses, after=after, limit=limit + 1)
    return _page(found, limit, "match_id")


async def matches_by_id(uow: MatchingUnitOfWork, match_ids: Iterable[str]) -> dict[str, Match]:
    return await uow.matches.get(match_ids)


async def matches_by_member(
    uow: MatchingUnitOfWork,
    employee_ids: Iterable[str],
    *,
    statuses: Sequence[MatchStatus],
    program_id: str | None,
) -> dict[str, list[Match]]:
    """Each person's matches (by match id), in one of ``statuses`` (any if empty)."""
    ids = list(dict.fromkeys(employee_ids))
    found: dict[str, list[Match]] = {employee_id: [] for employee_id in ids}
    for match in await uow.matches.of_members(ids, statuses=statuses, program_id=program_id):
        for employee_id in match.employee_ids:
            if employee_id in found:
                found[employee_id].append(match)
    return found


async def pool_members(uow: MatchingUnitOfWork, employee_ids: Iterable[str]) -> dict[str, PoolMember]:
    return await uow.pool.get(employee_ids)


async def previous_pairs(uow: MatchingUnitOfWork, program_id: str) -> set[tuple[str, str]]:
    """The pairs the program never proposes again (the engine's ``exclude_previous_pairs``)."""
    return await uow.matches.previous_pairs(program_id)
