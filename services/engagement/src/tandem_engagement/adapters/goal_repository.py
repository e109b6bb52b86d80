"""All SQL of goals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Text, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_engagement.adapters.tables import goals
from tandem_engagement.domain.goals import Goal

_IDS = bindparam("ids", type_=ARRAY(Text))
_COLUMNS = (
    "goal_id",
    "match_id",
    "owners",
    "title",
    "success_criteria",
    "due_on",
    "progress",
    "status",
    "version",
    "created_by",
    "created_at",
    "updated_at",
)


def _goal(row: Any) -> Goal:
    values = {column: getattr(row, column) for column in _COLUMNS}
    values["owners"] = tuple(values["owners"])
    return Goal(**values)


def _row(goal: Goal) -> dict[str, Any]:
    values = {column: getattr(goal, column) for column in _COLUMNS}
    values["owners"] = list(goal.owners)
    return values


class GoalRepository:
    """``service.repositories.Goals`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, goal_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Goal]:
        ids = sorted(set(goal_ids))
        if not ids:
            return {}
        query = select(goals).where(goals.c.goal_id == any_(_IDS)).order_by(goals.c.goal_id)
        if for_update:
            query = query.with_for_update()
        rows = await self._session.execute(query, {"ids": ids})
        return {row.goal_id: _goal(row) for row in rows}

    async def add(self, goal: Goal) -> None:
        await self._session.execute(insert(goals).values(_row(goal)))

    async def save(self, goal: Goal) -> None:
        values = _row(goal)
        del values["goal_id"]
        await self._session.execute(update(goals).where(goals.c.goal_id == goal.goal_id).values(values))

    async def of_matches(self, match_ids: Iterable[str]) -> dict[str, list[Goal]]:
        ids = sorted(set(match_ids))
        found: dict[str, list[Goal]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = await self._session.execute(
            select(goals)
            .where(goals.c.match_id == any_(_IDS))
            .order_by(goals.c.match_id, goals.c.due_on, goals.c.goal_id),
            {"ids": ids},
        )
        for row in rows:
            found[row.match_id].append(_goal(row))
        return found
