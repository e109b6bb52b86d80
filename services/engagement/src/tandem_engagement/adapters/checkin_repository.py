"""All SQL of check-ins."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Text, and_, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_engagement.adapters.tables import checkins
from tandem_engagement.domain.checkins import Answers, Checkin

_IDS = bindparam("ids", type_=ARRAY(Text))
_ANSWERS = ("satisfaction", "career_support", "psychosocial_support", "role_modelling")


def _checkin(row: Any) -> Checkin:
    answers = None
    if row.satisfaction is not None:
        answers = Answers(
            row.satisfaction,
            row.career_support,
            row.psychosocial_support,
            row.role_modelling,
            row.comment or "",
        )
    return Checkin(
        checkin_id=row.checkin_id,
        match_id=row.match_id,
        program_id=row.program_id,
        employee_id=row.employee_id,
        due_on=row.due_on,
        status=row.status,
        announced_at=row.announced_at,
        submitted_on=row.submitted_on,
        answers=answers,
        closed_at=row.closed_at,
    )


def _row(checkin: Checkin) -> dict[str, Any]:
    answers = checkin.answers
    return {
        "checkin_id": checkin.checkin_id,
        "match_id": checkin.match_id,
        "program_id": checkin.program_id,
        "employee_id": checkin.employee_id,
        "due_on": checkin.due_on,
        "status": checkin.status,
        "announced_at": checkin.announced_at,
        "submitted_on": checkin.submitted_on,
        **{name: getattr(answers, name) if answers else None for name in _ANSWERS},
        "comment": (answers.comment or None) if answers else None,
        "closed_at": checkin.closed_at,
    }


class CheckinRepository:
    """``service.repositories.Checkins`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_new(self, items: Sequence[Checkin]) -> list[Checkin]:
        if not items:
            return []
        # A row of the same (match, member, date) stored by anyone before (another
        # replica's transaction included: the insert waits for it) is not stored again.
        statement = (
            insert(checkins)
            .values([_row(c) for c in items])
            .on_conflict_do_nothing()
            .returning(checkins.c.checkin_id)
        )
        stored = {row.checkin_id for row in await self._session.execute(statement)}
        return [c for c in items if c.checkin_id in stored]

    async def _select(self, query: Any, params: dict[str, Any]) -> list[Checkin]:
        return [_checkin(row) for row in await self._session.execute(query, params)]

    async def get(self, checkin_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Checkin]:
        ids = sorted(set(checkin_ids))
        if not ids:
            return {}
        query = select(checkins).where(checkins.c.checkin_id == any_(_IDS)).order_by(checkins.c.checkin_id)
        if for_update:
            query = query.with_for_update()
        return {c.checkin_id: c for c in await self._select(query, {"ids": ids})}

    async def save(self, items: Sequence[Checkin]) -> None:
        for checkin in items:
            values = _row(checkin)
            del values["checkin_id"]
            await self._session.execute(
                update(checkins).where(checkins.c.checkin_id == checkin.checkin_id).values(values)
            )

    async def open_of_matches(self, match_ids: Iterable[str], *, for_update: bool = False) -> list[Checkin]:
        ids = sorted(set(match_ids))
        if not ids:
            return []
        query = (
            select(checkins)
            .where(and_(checkins.c.match_id == any_(_IDS), checkins.c.status == "due"))
            .order_by(checkins.c.checkin_id)
        )
        if for_update:
            query = query.with_for_update()
        return await self._select(query, {"ids": ids})

    async def of_matches(self, match_ids: Iterable[str]) -> dict[str, list[Checkin]]:
        ids = sorted(set(match_ids))
        found: dict[str, list[Checkin]] = {i: [] for i in ids}
        if ids:
            query = (
                select(checkins)
                .where(checkins.c.match_id == any_(_IDS))
                .order_by(checkins.c.match_id, checkins.c.due_on, checkins.c.employee_id)
            )
            for checkin in await self._select(query, {"ids": ids}):
                found[checkin.match_id].append(checkin)
        return found

    async def due_of_people(self, employee_ids: Iterable[str]) -> dict[str, list[Checkin]]:
        ids = sorted(set(employee_ids))
        found: dict[str, list[Checkin]] = {i: [] for i in ids}
        if ids:
            query = (
                select(checkins)
                .where(and_(checkins.c.employee_id == any_(_IDS), checkins.c.status == "due"))
                .order_by(checkins.c.employee_id, checkins.c.due_on, checkins.c.match_id)
            )
            for checkin in await self._select(query, {"ids": ids}):
                found[checkin.employee_id].append(checkin)
        return found

    async def erase_comments(self, employee_ids: Iterable[str]) -> int:
        ids = sorted(set(employee_ids))
        if not ids:
            return 0
        result = await self._session.execute(
            update(checkins)
            .where(and_(checkins.c.employee_id == any_(_IDS), checkins.c.comment.is_not(None)))
            .values(comment=None),
            {"ids": ids},
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
