"""All SQL of matches and their members."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, Text, and_, any_, bindparam, exists, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_common.db.bulk import copy_rows
from tandem_matching.adapters.tables import match_members, matches
from tandem_matching.domain.matches import ExplanationFactor, Match, MatchMember, MatchStatus

_IDS = bindparam("ids", type_=ARRAY(Text))

_PREVIOUS_PAIRS = text(
    """
    SELECT DISTINCT a.employee_id AS first, b.employee_id AS second
    FROM matches m
    JOIN match_members a ON a.match_id = m.match_id
    JOIN match_members b ON b.match_id = m.match_id AND a.employee_id < b.employee_id
    WHERE m.program_id = :program_id AND m.status IN ('declined', 'ended')
    """
)

_MATCHED = text(
    """
    SELECT DISTINCT mm.employee_id
    FROM match_members mm JOIN matches m ON m.match_id = mm.match_id
    WHERE m.program_id = :program_id AND m.status IN ('proposed', 'active')
      AND mm.employee_id = ANY(CAST(:ids AS text[]))
    """
)

# One UPDATE for many member responses: (match_id, position, response) triples.
_SAVE_RESPONSES = text(
    """
    UPDATE match_members mm SET response = v.response
    FROM unnest(CAST(:matches AS text[]), CAST(:positions AS int[]), CAST(:responses AS text[]))
        AS v(match_id, position, response)
    WHERE mm.match_id = v.match_id AND mm.position = v.position
      AND mm.response IS DISTINCT FROM v.response
    """
)


# New matches are written with COPY, in the transaction: a round stores tens of thousands
# at once, and COPY takes them as fast as PostgreSQL can write them.
_MATCH_COLUMNS = (
    "match_id",
    "program_id",
    "round_id",
    "status",
    "score",
    "explanation",
    "proposed_at",
    "expires_at",
    "started_on",
    "ends_on",
    "ended_on",
    "end_reason",
    "declined_by",
    "end_note",
    "at_risk",
    "updated_at",
)
_MEMBER_COLUMNS = ("match_id", "position", "employee_id", "role", "response")


def _match_record(match: Match) -> tuple[Any, ...]:
    """The row of ``match``, in the order of ``_MATCH_COLUMNS`` (JSONB as JSON text)."""
    return (
        match.match_id,
        match.program_id,
        match.round_id,
        match.status,
        match.score,
        orjson.dumps(_explanation(match)).decode(),
        match.proposed_at,
        match.expires_at,
        match.started_on,
        match.ends_on,
        match.ended_on,
        match.end_reason,
        match.declined_by,
        match.end_note,
        match.at_risk,
        match.updated_at,
    )


def _explanation(match: Match) -> list[dict[str, Any]]:
    return [{"factor": f.factor, "value": f.value, "detail": f.detail} for f in match.explanation]


def _state(match: Match) -> dict[str, Any]:
    """The columns that change over a match's life."""
    return {
        "status": match.status,
        "started_on": match.started_on,
        "ends_on": match.ends_on,
        "ended_on": match.ended_on,
        "end_reason": match.end_reason,
        "declined_by": match.declined_by,
        "end_note": match.end_note,
        "at_risk": match.at_risk,
        "updated_at": match.updated_at,
    }


def _match(row: Any, members: tuple[MatchMember, ...]) -> Match:
    return Match(
        match_id=row.match_id,
        program_id=row.program_id,
        round_id=row.round_id,
        status=row.status,
        members=members,
        score=row.score,
        explanation=tuple(ExplanationFactor(**f) for f in row.explanation),
        proposed_at=row.proposed_at,
        expires_at=row.expires_at,
        updated_at=row.updated_at,
        started_on=row.started_on,
        ends_on=row.ends_on,
        ended_on=row.ended_on,
        end_reason=row.end_reason,
        declined_by=row.declined_by,
        end_note=row.end_note,
        at_risk=row.at_risk,
    )


class MatchRepository:
    """``service.repositories.Matches`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _load(self, query: Select[Any], params: dict[str, Any] | None = None) -> list[Match]:
        rows = (await self._session.execute(query, params or {})).all()
        if not rows:
            return []
        ids = [row.match_id for row in rows]
        members: dict[str, list[MatchMember]] = {match_id: [] for match_id in ids}
        found = await self._session.execute(
            select(match_members)
            .where(match_members.c.match_id == any_(_IDS))
            .order_by(match_members.c.match_id, match_members.c.position),
            {"ids": ids},
        )
        for member in found:
            members[member.match_id].append(MatchMember(member.employee_id, member.role, member.response))
        return [_match(row, tuple(members[row.match_id])) for row in rows]

    async def get(self, match_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Match]:
        ids = sorted(set(match_ids))
        if not ids:
            return {}
        query = select(matches).where(matches.c.match_id == any_(_IDS)).order_by(matches.c.match_id)
        if for_update:
            query = query.with_for_update()
        return {match.match_id: match for match in await self._load(query, {"ids": ids})}

    async def add(self, items: Sequence[Match]) -> None:
        if not items:
            return
        await copy_rows(self._session, matches.name, _MATCH_COLUMNS, [_match_record(m) for m in items])
        await copy_rows(
            self._session,
            match_members.name,
            _MEMBER_COLUMNS,
            [
                (match.match_id, position, member.employee_id, member.role, member.response)
                for match in items
                for position, member in enumerate(match.members)
            ],
        )

    async def save(self, items: Sequence[Match]) -> None:
        if not items:
            return
        await self._session.execute(
            update(matches).where(matches.c.match_id == bindparam("key")),
            [{"key": match.match_id, **_state(match)} for match in items],
        )
        triples = [
            (match.match_id, position, member.response)
            for match in items
            for position, member in enumerate(match.members)
        ]
        await self._session.execute(
            _SAVE_RESPONSES,
            {
                "matches": [t[0] for t in triples],
                "positions": [t[1] for t in triples],
                "responses": [t[2] for t in triples],
            },
        )

    async def of_members(
        self,
        employee_ids: Iterable[str],
        *,
        statuses: Sequence[MatchStatus] = (),
        program_id: str | None = None,
        for_update: bool = False,
    ) -> list[Match]:
        ids = sorted(set(employee_ids))
        if not ids:
            return []
        member = exists().where(
            and_(match_members.c.match_id == matches.c.match_id, match_members.c.employee_id == any_(_IDS))
        )
        query = select(matches).where(member)
        if statuses:
            query = query.where(matches.c.status.in_(list(statuses)))
        if program_id is not None:
            query = query.where(matches.c.program_id == program_id)
        query = query.order_by(matches.c.match_id)
        if for_update:
            query = query.with_for_update()
        return await self._load(query, {"ids": ids})

    async def of_program(
        self,
        program_id: str,
        *,
        statuses: Sequence[MatchStatus] = (),
        after: str | None = None,
        limit: int | None = None,
        for_update: bool = False,
    ) -> list[Match]:
        query = select(matches).where(matches.c.program_id == program_id)
        if statuses:
            query = query.where(matches.c.status.in_(list(statuses)))
        if after is not None:
            query = query.where(matches.c.match_id > after)
        query = query.order_by(matches.c.match_id)
        if limit is not None:
            query = query.limit(limit)
        if for_update:
            query = query.with_for_update()
        return await self._load(query)

    async def expired_proposals(self, now: datetime, limit: int) -> list[Match]:
        return await self._due("proposed", matches.c.expires_at <= now, limit)

    async def due_to_complete(self, today: date, limit: int) -> list[Match]:
        return await self._due("active", matches.c.ends_on <= today, limit)

    async def _due(self, status: MatchStatus, due: ColumnElement[bool], limit: int) -> list[Match]:
        """Up to ``limit`` matches in ``status`` that are ``due``, locked, skipping rows
        another transaction holds (so the jobs of two processes share the work)."""
        query = (
            select(matches)
            .where(and_(matches.c.status == status, due))
            .order_by(matches.c.match_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return await self._load(query)

    async def previous_pairs(self, program_id: str) -> set[tuple[str, str]]:
        rows = await self._session.execute(_PREVIOUS_PAIRS, {"program_id": program_id})
        return {(row.first, row.second) for row in rows}

    async def matched_in_program(self, program_id: str, employee_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(employee_ids))
        if not ids:
            return set()
        rows = await self._session.execute(_MATCHED, {"program_id": program_id, "ids": ids})
        return {row.employee_id for row in rows}
