"""All SQL of match rounds, and the reads that build a round's input."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Text, any_, bindparam, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_common.db.bulk import driver_connection
from tandem_matching.adapters.tables import match_rounds
from tandem_matching.domain.rounds import (
    OPEN_ROUND_STATUSES,
    EnrolledPerson,
    Round,
    RoundStats,
    UnmatchedPerson,
)
from tandem_matching.service.collector import collector_paused

_IDS = bindparam("ids", type_=ARRAY(Text))

# Snapshots travel as JSON text: the worker process parses them, not the event loop.
# These two read a whole program (and the whole pool) for a round: 100,000 rows and more,
# fetched on the asyncpg connection itself, whose records cost far less than ORM rows.
_ENROLLED = """
    SELECT e.employee_id, e.roles,
           COALESCE((p.snapshot -> 'mentoring' ->> 'capacity')::int, 0) AS capacity,
           CAST(p.snapshot AS text) AS snapshot
    FROM enrolments e JOIN pool_members p ON p.employee_id = e.employee_id
    WHERE e.program_id = $1 AND e.status = 'enrolled'
      AND p.status = 'active' AND p.snapshot IS NOT NULL
    ORDER BY e.employee_id
"""

_MANAGERS = """
    SELECT employee_id, manager_id
    FROM pool_members WHERE snapshot IS NOT NULL
    ORDER BY employee_id
"""

_AVAILABLE = text(
    """
    SELECT e.employee_id
    FROM enrolments e JOIN pool_members p ON p.employee_id = e.employee_id
    WHERE e.program_id = :program_id AND e.status = 'enrolled' AND p.status = 'active'
      AND e.employee_id = ANY(CAST(:ids AS text[]))
    """
)


def _row(round_: Round) -> dict[str, Any]:
    return {
        "round_id": round_.round_id,
        "program_id": round_.program_id,
        "status": round_.status,
        "requested_by": round_.requested_by,
        "requested_at": round_.requested_at,
        "updated_at": round_.updated_at,
        "started_at": round_.started_at,
        "finished_at": round_.finished_at,
        "stats": asdict(round_.stats) if round_.stats is not None else None,
        "unmatched": [asdict(person) for person in round_.unmatched],
        "attempts": round_.attempts,
        "error": round_.error,
        "lease_owner": round_.lease_owner,
        "lease_until": round_.lease_until,
    }


def round_from_row(row: Any) -> Round:
    return Round(
        round_id=row.round_id,
        program_id=row.program_id,
        status=row.status,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        stats=RoundStats(**row.stats) if row.stats is not None else None,
        unmatched=tuple(UnmatchedPerson(**person) for person in row.unmatched),
        attempts=row.attempts,
        error=row.error,
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
    )


class RoundRepository:
    """``service.repositories.Rounds`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, round_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Round]:
        ids = sorted(set(round_ids))
        if not ids:
            return {}
        query = (
            select(match_rounds)
            .where(match_rounds.c.round_id == any_(_IDS))
            .order_by(match_rounds.c.round_id)
        )
        if for_update:
            query = query.with_for_update()
        rows = await self._session.execute(query, {"ids": ids})
        return {row.round_id: round_from_row(row) for row in rows}

    async def add(self, round_: Round) -> None:
        await self._session.execute(insert(match_rounds).values(**_row(round_)))

    async def save(self, round_: Round) -> None:
        values = _row(round_)
        del values["round_id"]
        await self._session.execute(
            update(match_rounds).where(match_rounds.c.round_id == round_.round_id).values(**values)
        )

    async def open_of_program(self, program_id: str) -> Round | None:
        query = select(match_rounds).where(
            match_rounds.c.program_id == program_id, match_rounds.c.status.in_(OPEN_ROUND_STATUSES)
        )
        row = (await self._session.execute(query)).first()
        return round_from_row(row) if row is not None else None

    async def page(self, program_id: str, *, after: str | None, limit: int) -> list[Round]:
        query = select(match_rounds).where(match_rounds.c.program_id == program_id)
        if after is not None:
            query = query.where(match_rounds.c.round_id > after)
        query = query.order_by(match_rounds.c.round_id).limit(limit)
        return [round_from_row(row) for row in await self._session.execute(query)]

    async def next_claimable(self, now: datetime) -> Round | None:
        query = (
            select(match_rounds)
            .where(
                or_(
                    match_rounds.c.status == "queued",
                    (match_rounds.c.status == "running") & (match_rounds.c.lease_until <= now),
                )
            )
            .order_by(match_rounds.c.requested_at, match_rounds.c.round_id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = (await self._session.execute(query)).first()
        return round_from_row(row) if row is not None else None

    async def enrolled_people(self, program_id: str) -> list[EnrolledPerson]:
        rows = await (await driver_connection(self._session)).fetch(_ENROLLED, program_id)
        with collector_paused():
            return [EnrolledPerson(row[0], tuple(row[1]), row[2], row[3]) for row in rows]

    async def manager_links(self) -> list[tuple[str, str | None]]:
        rows = await (await driver_connection(self._session)).fetch(_MANAGERS)
        with collector_paused():
            return [(row[0], row[1]) for row in rows]

    async def available_people(self, program_id: str, employee_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(employee_ids))
        if not ids:
            return set()
        rows = await self._session.execute(_AVAILABLE, {"program_id": program_id, "ids": ids})
        return {row.employee_id for row in rows}
