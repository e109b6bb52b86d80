"""All SQL of the programs and matches read models."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, Text, and_, any_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_engagement.adapters.tables import match_members, matches, programs
from tandem_engagement.domain.matches import CheckinSchedule, Match, Member, Program

_IDS = bindparam("ids", type_=ARRAY(Text))


def _program(row: Any) -> Program:
    return Program(
        program_id=row.program_id,
        version=row.version,
        type=row.type,
        status=row.status,
        sessions_per_month=row.sessions_per_month,
        minutes_per_session=row.minutes_per_session,
        duration_days=row.duration_days,
        checkins=CheckinSchedule(row.checkin_first_after_days, row.checkin_every_days),
        admins=tuple(row.admins),
    )


class ProgramRepository:
    """``service.repositories.Programs`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, program_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Program]:
        ids = sorted(set(program_ids))
        if not ids:
            return {}
        query = select(programs).where(programs.c.program_id == any_(_IDS)).order_by(programs.c.program_id)
        if for_update:
            query = query.with_for_update()
        rows = await self._session.execute(query, {"ids": ids})
        return {row.program_id: _program(row) for row in rows}

    async def save(self, items: Sequence[Program]) -> None:
        if not items:
            return
        values = [
            {
                "program_id": p.program_id,
                "version": p.version,
                "type": p.type,
                "status": p.status,
                "sessions_per_month": p.sessions_per_month,
                "minutes_per_session": p.minutes_per_session,
                "duration_days": p.duration_days,
                "checkin_first_after_days": p.checkins.first_after_days,
                "checkin_every_days": p.checkins.every_days,
                "admins": list(p.admins),
            }
            for p in items
        ]
        statement = insert(programs).values(values)
        columns = {c: statement.excluded[c] for c in values[0] if c != "program_id"}
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["program_id"], set_=columns)
        )


def _state(match: Match) -> dict[str, Any]:
    return {
        "match_id": match.match_id,
        "program_id": match.program_id,
        "status": match.status,
        "program_type": match.program_type,
        "started_on": match.started_on,
        "ends_on": match.ends_on,
        "ended_on": match.ended_on,
        "end_reason": match.end_reason,
        "next_checkin_on": match.next_checkin_on,
        "checkins_through": match.checkins_through,
        "updated_at": match.updated_at,
    }


class MatchRepository:
    """``service.repositories.Matches`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _load(self, query: Select[Any], params: dict[str, Any] | None = None) -> list[Match]:
        rows = (await self._session.execute(query, params or {})).all()
        if not rows:
            return []
        members: dict[str, list[Member]] = {row.match_id: [] for row in rows}
        found = await self._session.execute(
            select(match_members)
            .where(match_members.c.match_id == any_(_IDS))
            .order_by(match_members.c.match_id, match_members.c.position),
            {"ids": list(members)},
        )
        for member in found:
            members[member.match_id].append(Member(member.employee_id, member.role))
        return [
            Match(
                match_id=row.match_id,
                program_id=row.program_id,
                status=row.status,
                members=tuple(members[row.match_id]),
                updated_at=row.updated_at,
                program_type=row.program_type,
                started_on=row.started_on,
                ends_on=row.ends_on,
                ended_on=row.ended_on,
                end_reason=row.end_reason,
                next_checkin_on=row.next_checkin_on,
                checkins_through=row.checkins_through,
            )
            for row in rows
        ]

    async def get(self, match_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Match]:
        ids = sorted(set(match_ids))
        if not ids:
            return {}
        query = select(matches).where(matches.c.match_id == any_(_IDS)).order_by(matches.c.match_id)
        if for_update:
            query = query.with_for_update()
        return {m.match_id: m for m in await self._load(query, {"ids": ids})}

    async def save(self, items: Sequence[Match]) -> None:
        if not items:
            return
        values = [_state(m) for m in sorted(items, key=lambda m: m.match_id)]
        statement = insert(matches).values(values)
        columns = {c: statement.excluded[c] for c in values[0] if c != "match_id"}
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["match_id"], set_=columns)
        )
        ids = [m.match_id for m in items]
        await self._session.execute(
            delete(match_members).where(match_members.c.match_id == any_(_IDS)), {"ids": ids}
        )
        rows = [
            {
                "match_id": m.match_id,
                "position": position,
                "employee_id": member.employee_id,
                "role": member.role,
            }
            for m in items
            for position, member in enumerate(m.members)
        ]
        if rows:
            await self._session.execute(insert(match_members), rows)

    async def active_of_program(self, program_id: str, *, for_update: bool = False) -> list[Match]:
        query = (
            select(matches)
            .where(and_(matches.c.program_id == program_id, matches.c.status == "active"))
            .order_by(matches.c.match_id)
        )
        if for_update:
            query = query.with_for_update()
        return await self._load(query)

    async def due_for_checkins(self, today: date, limit: int) -> list[Match]:
        query = (
            select(matches)
            .where(and_(matches.c.status == "active", matches.c.next_checkin_on <= today))
            .order_by(matches.c.match_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return await self._load(query)
