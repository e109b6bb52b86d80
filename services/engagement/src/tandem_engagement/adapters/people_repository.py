"""All SQL of the people read model and its history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Text, any_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_engagement.adapters.tables import people, person_history
from tandem_engagement.domain.people import HistoryRow, Person

_IDS = bindparam("ids", type_=ARRAY(Text))
_PERSON_COLUMNS = (
    "employee_id",
    "profile_version",
    "status",
    "hire_date",
    "exit_date",
    "exit_reason",
    "department",
    "country",
    "seniority_level",
    "demographics_consent",
)
_HISTORY_COLUMNS = (
    "employee_id",
    "profile_version",
    "valid_from",
    "status",
    "department",
    "country",
    "seniority_level",
)


def _person(row: Any) -> Person:
    return Person(**{column: getattr(row, column) for column in _PERSON_COLUMNS})


class PeopleRepository:
    """``service.repositories.People`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, employee_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Person]:
        ids = sorted(set(employee_ids))
        if not ids:
            return {}
        query = select(people).where(people.c.employee_id == any_(_IDS)).order_by(people.c.employee_id)
        if for_update:
            query = query.with_for_update()
        rows = await self._session.execute(query, {"ids": ids})
        return {row.employee_id: _person(row) for row in rows}

    async def save(self, items: Sequence[Person]) -> None:
        if not items:
            return
        values = [{c: getattr(p, c) for c in _PERSON_COLUMNS} for p in items]
        statement = insert(people).values(values)
        columns = {c: statement.excluded[c] for c in _PERSON_COLUMNS if c != "employee_id"}
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["employee_id"], set_=columns)
        )

    async def add_history(self, rows: Sequence[HistoryRow]) -> None:
        if not rows:
            return
        values = [{c: getattr(r, c) for c in _HISTORY_COLUMNS} for r in rows]
        await self._session.execute(insert(person_history).values(values).on_conflict_do_nothing())

    async def history(self, employee_ids: Iterable[str]) -> dict[str, list[HistoryRow]]:
        ids = sorted(set(employee_ids))
        if not ids:
            return {}
        rows = await self._session.execute(
            select(person_history)
            .where(person_history.c.employee_id == any_(_IDS))
            .order_by(person_history.c.employee_id, person_history.c.profile_version),
            {"ids": ids},
        )
        found: dict[str, list[HistoryRow]] = {}
        for row in rows:
            found.setdefault(row.employee_id, []).append(
                HistoryRow(**{column: getattr(row, column) for column in _HISTORY_COLUMNS})
            )
        return found

    async def forget_history(self, employee_ids: Iterable[str]) -> None:
        ids = sorted(set(employee_ids))
        if ids:
            await self._session.execute(
                delete(person_history).where(person_history.c.employee_id == any_(_IDS)), {"ids": ids}
            )
