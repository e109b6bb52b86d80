"""All SQL the HR lifecycle and the engagement signals read: who is free in a program,
the manager tree around some people, and the matches flagged at risk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.domain.lifecycle import Participant
from tandem_matching.domain.matches import MatchStatus

# Enrolled, active people of a program who may take a new match (in no open match there,
# or, in a mentor program, a mentor who may have room left), with what they hold there.
# Snapshots come as JSON text, for orjson: thousands of them per re-match.
_PARTICIPANTS = text(
    """
    SELECT e.employee_id, e.roles, CAST(p.snapshot AS text) AS snapshot,
           coalesce(held.mentor_of, 0) AS mentor_of, coalesce(held.taken, false) AS taken
    FROM enrolments e
    JOIN pool_members p ON p.employee_id = e.employee_id
    LEFT JOIN (
        SELECT mm.employee_id,
               count(*) FILTER (WHERE mm.role = 'mentor') AS mentor_of,
               bool_or(mm.role <> 'mentor') AS taken
        FROM match_members mm JOIN matches m ON m.match_id = mm.match_id
        WHERE m.program_id = :program_id AND m.status IN ('proposed', 'active')
        GROUP BY mm.employee_id
    ) held ON held.employee_id = e.employee_id
    WHERE e.program_id = :program_id AND e.status = 'enrolled' AND p.status = 'active'
      AND (held.employee_id IS NULL OR (:mentor_program AND 'mentor' = ANY(e.roles)))
    ORDER BY e.employee_id
    """
)

# Each person's manager link, and their manager's, up to the top (UNION stops at a cycle).
# pool_members.manager_id is the snapshot's, kept by PostgreSQL (migration matching_0003).
_CHAINS = text(
    """
    WITH RECURSIVE up(employee_id, manager_id) AS (
        SELECT employee_id, manager_id FROM pool_members
        WHERE employee_id = ANY(CAST(:ids AS text[]))
        UNION
        SELECT p.employee_id, p.manager_id
        FROM pool_members p JOIN up ON p.employee_id = up.manager_id
    )
    SELECT employee_id, manager_id FROM up
    """
)

# Everyone below these people, at any depth (by the manager_id index).
_REPORTS = text(
    """
    WITH RECURSIVE down(employee_id) AS (
        SELECT employee_id FROM pool_members
        WHERE manager_id = ANY(CAST(:ids AS text[]))
        UNION
        SELECT p.employee_id FROM pool_members p JOIN down d ON p.manager_id = d.employee_id
    )
    SELECT employee_id FROM down
    """
)

_FLAGGED = text(
    """
    SELECT match_id FROM matches
    WHERE program_id = :program_id AND at_risk = :at_risk
      AND (cardinality(CAST(:statuses AS text[])) = 0 OR status = ANY(CAST(:statuses AS text[])))
      AND (CAST(:after AS text) IS NULL OR match_id > CAST(:after AS text) COLLATE "C")
    ORDER BY match_id
    LIMIT :limit
    """
)


class LifecycleRepository:
    """``service.repositories.LifecycleRecords`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def participants(self, program_id: str, *, mentor_program: bool) -> list[Participant]:
        rows = await self._session.execute(
            _PARTICIPANTS, {"program_id": program_id, "mentor_program": mentor_program}
        )
        return [_participant(row) for row in rows]

    async def manager_chains(self, employee_ids: Iterable[str]) -> dict[str, str | None]:
        ids = sorted(set(employee_ids))
        if not ids:
            return {}
        rows = await self._session.execute(_CHAINS, {"ids": ids})
        return {row.employee_id: row.manager_id for row in rows}

    async def reports_of(self, manager_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(manager_ids))
        if not ids:
            return set()
        rows = await self._session.execute(_REPORTS, {"ids": ids})
        return {row.employee_id for row in rows}

    async def flagged_matches(
        self,
        program_id: str,
        *,
        at_risk: bool,
        statuses: Sequence[MatchStatus],
        after: str | None,
        limit: int,
    ) -> list[str]:
        rows = await self._session.execute(
            _FLAGGED,
            {
                "program_id": program_id,
                "at_risk": at_risk,
                "statuses": list(statuses),
                "after": after,
                "limit": limit,
            },
        )
        return [row.match_id for row in rows]


def _participant(row: Any) -> Participant:
    return Participant(
        employee_id=row.employee_id,
        roles=tuple(row.roles),
        snapshot=orjson.loads(row.snapshot),
        mentor_of=int(row.mentor_of),
        taken=bool(row.taken),
    )
