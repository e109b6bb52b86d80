"""All SQL of relationship health: the formula's inputs, read in a few grouped queries
per batch of matches, and the stored scores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Text, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_engagement.adapters.tables import match_health
from tandem_engagement.domain.health import Factor, GoalState, Health, HealthInputs, Ratings, StoredHealth

_IDS = bindparam("ids", type_=ARRAY(Text))

_MATCHES = text(
    """
    SELECT m.match_id, m.program_id, coalesce(p.type, m.program_type) AS program_type,
           coalesce(p.sessions_per_month, 0) AS sessions_per_month, m.started_on
    FROM matches m LEFT JOIN programs p ON p.program_id = m.program_id
    WHERE m.match_id = ANY(:ids) AND m.status = 'active' AND m.started_on IS NOT NULL
    ORDER BY m.match_id
    """
).bindparams(_IDS)
_SESSION_DAYS = text("SELECT DISTINCT match_id, held_on FROM sessions WHERE match_id = ANY(:ids)").bindparams(
    _IDS
)
_MEMBERS = text(
    "SELECT match_id, employee_id FROM match_members WHERE match_id = ANY(:ids) ORDER BY match_id, position"
).bindparams(_IDS)
# Entries each member gave (a session's ledger is always between its two members).
_GIVEN = text(
    "SELECT match_id, from_id, count(*) AS n FROM ledger_entries WHERE match_id = ANY(:ids) "
    "GROUP BY match_id, from_id"
).bindparams(_IDS)
_LATEST_ANSWERS = text(
    """
    SELECT DISTINCT ON (match_id, employee_id)
           match_id, employee_id, submitted_on, satisfaction, career_support,
           psychosocial_support, role_modelling
    FROM checkins
    WHERE match_id = ANY(:ids) AND status = 'submitted'
    ORDER BY match_id, employee_id, submitted_on DESC, due_on DESC
    """
).bindparams(_IDS)
_GOALS = text(
    "SELECT match_id, due_on, progress, status FROM goals WHERE match_id = ANY(:ids) "
    "ORDER BY match_id, due_on"
).bindparams(_IDS)
_LOCK = text(
    "SELECT match_id FROM matches WHERE match_id = ANY(:ids) ORDER BY match_id FOR UPDATE"
).bindparams(_IDS)
_ACTIVE_OF_PROGRAMS = text(
    "SELECT match_id FROM matches WHERE program_id = ANY(:ids) AND status = 'active' ORDER BY match_id"
).bindparams(_IDS)
# Active matches scored before ``today``, after a bookmark: their health rows are
# claimed (not the match rows, which the check-in job claims with SKIP LOCKED too);
# rows another transaction holds are skipped (another replica is scoring them).
_STALE = text(
    """
    SELECT h.match_id FROM match_health h JOIN matches m ON m.match_id = h.match_id
    WHERE m.status = 'active' AND h.computed_on < :today AND h.match_id > :after
    ORDER BY h.match_id
    LIMIT :limit
    FOR UPDATE OF h SKIP LOCKED
    """
)
# Active matches never scored (started before health was kept): nothing to claim but
# the match row.
_UNSCORED = text(
    """
    SELECT m.match_id FROM matches m
    WHERE m.status = 'active' AND m.started_on IS NOT NULL AND m.match_id > :after
      AND NOT EXISTS (SELECT 1 FROM match_health h WHERE h.match_id = m.match_id)
    ORDER BY m.match_id
    LIMIT :limit
    FOR UPDATE OF m SKIP LOCKED
    """
)


_COLUMNS = (
    "match_id",
    "program_id",
    "score",
    "band",
    "factors",
    "formula_version",
    "computed_on",
    "computed_at",
    "band_changes",
)
_SAVE = text(
    """
    INSERT INTO match_health
    SELECT m, p, s, b, f::jsonb, v, o, a, c
    FROM unnest(CAST(:match_id AS text[]), CAST(:program_id AS text[]), CAST(:score AS float8[]),
                CAST(:band AS text[]), CAST(:factors AS text[]), CAST(:formula_version AS int[]),
                CAST(:computed_on AS date[]), CAST(:computed_at AS timestamptz[]),
                CAST(:band_changes AS int[])) AS u(m, p, s, b, f, v, o, a, c)
    ON CONFLICT (match_id) DO UPDATE SET
        program_id = excluded.program_id, score = excluded.score, band = excluded.band,
        factors = excluded.factors, formula_version = excluded.formula_version,
        computed_on = excluded.computed_on, computed_at = excluded.computed_at,
        band_changes = excluded.band_changes
    """
)


def _factors(value: Any) -> tuple[Factor, ...]:
    return tuple(Factor(f["factor"], float(f["value"]), f["detail"]) for f in value)


class HealthRepository:
    """``service.repositories.HealthScores`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, match_ids: Iterable[str]) -> list[str]:
        ids = sorted(set(match_ids))
        if not ids:
            return []
        return list((await self._session.execute(_LOCK, {"ids": ids})).scalars())

    async def active_of_programs(self, program_ids: Iterable[str]) -> list[str]:
        ids = sorted(set(program_ids))
        if not ids:
            return []
        return list((await self._session.execute(_ACTIVE_OF_PROGRAMS, {"ids": ids})).scalars())

    async def stale(self, today: date, after: str, limit: int) -> list[str]:
        params = {"today": today, "after": after, "limit": limit}
        return list((await self._session.execute(_STALE, params)).scalars())

    async def unscored(self, after: str, limit: int) -> list[str]:
        params = {"after": after, "limit": limit}
        return list((await self._session.execute(_UNSCORED, params)).scalars())

    async def inputs_of(self, match_ids: Iterable[str]) -> dict[str, HealthInputs]:
        ids = sorted(set(match_ids))
        if not ids:
            return {}
        params = {"ids": ids}
        heads = (await self._session.execute(_MATCHES, params)).all()
        days: dict[str, list[date]] = {row.match_id: [] for row in heads}
        given: dict[str, list[tuple[str, int]]] = {row.match_id: [] for row in heads}
        ratings: dict[str, list[Ratings]] = {row.match_id: [] for row in heads}
        goals: dict[str, list[GoalState]] = {row.match_id: [] for row in heads}
        for row in await self._session.execute(_SESSION_DAYS, params):
            if row.match_id in days:
                days[row.match_id].append(row.held_on)
        counts = {
            (row.match_id, row.from_id): int(row.n) for row in await self._session.execute(_GIVEN, params)
        }
        for row in await self._session.execute(_MEMBERS, params):
            if row.match_id in given:
                given[row.match_id].append((row.employee_id, counts.get((row.match_id, row.employee_id), 0)))
        for row in await self._session.execute(_LATEST_ANSWERS, params):
            if row.match_id in ratings:
                ratings[row.match_id].append(
                    Ratings(
                        row.employee_id,
                        row.submitted_on,
                        row.satisfaction,
                        row.career_support,
                        row.psychosocial_support,
                        row.role_modelling,
                    )
                )
        for row in await self._session.execute(_GOALS, params):
            if row.match_id in goals:
                goals[row.match_id].append(GoalState(row.due_on, row.progress, row.status))
        return {
            row.match_id: HealthInputs(
                match_id=row.match_id,
                program_id=row.program_id,
                program_type=row.program_type or "",
                sessions_per_month=row.sessions_per_month,
                started_on=row.started_on,
                session_days=tuple(days[row.match_id]),
                ratings=tuple(ratings[row.match_id]),
                given=tuple(given[row.match_id]),
                goals=tuple(goals[row.match_id]),
            )
            for row in heads
        }

    async def get(self, match_ids: Iterable[str], *, for_update: bool = False) -> dict[str, StoredHealth]:
        ids = sorted(set(match_ids))
        if not ids:
            return {}
        query = (
            select(match_health)
            .where(match_health.c.match_id == any_(_IDS))
            .order_by(match_health.c.match_id)
        )
        if for_update:
            query = query.with_for_update()
        rows = await self._session.execute(query, {"ids": ids})
        return {
            row.match_id: StoredHealth(
                Health(
                    row.match_id,
                    row.program_id,
                    row.score,
                    row.band,
                    _factors(row.factors),
                    row.computed_on,
                    row.formula_version,
                ),
                row.computed_at,
                row.band_changes,
            )
            for row in rows
        }

    async def save(self, scores: Sequence[StoredHealth]) -> None:
        if not scores:
            return
        rows = [_row(s.health, s.computed_at, s.band_changes) for s in sorted(scores, key=_key)]
        # One statement over arrays, however many rows: the daily job saves thousands.
        await self._session.execute(_SAVE, {name: [r[name] for r in rows] for name in _COLUMNS})


def _key(stored: StoredHealth) -> str:
    return stored.health.match_id


def _row(health: Health, computed_at: datetime, band_changes: int) -> dict[str, Any]:
    return {
        "match_id": health.match_id,
        "program_id": health.program_id,
        "score": health.score,
        "band": health.band,
        "factors": orjson.dumps(
            [{"factor": f.factor, "value": f.value, "detail": f.detail} for f in health.factors]
        ).decode(),
        "formula_version": health.formula_version,
        "computed_on": health.computed_on,
        "computed_at": computed_at,
        "band_changes": band_changes,
    }
