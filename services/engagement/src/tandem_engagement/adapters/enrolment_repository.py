"""The enrolments read model on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_engagement.adapters.tables import enrolments
from tandem_engagement.domain.enrolments import Enrolment, EnrolmentKey, EnrolmentStatus


class EnrolmentRepository:
    """``service.repositories.Enrolments`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(
        self, keys: Iterable[EnrolmentKey], *, for_update: bool = False
    ) -> dict[EnrolmentKey, Enrolment]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        query = (
            select(enrolments)
            .where(tuple_(enrolments.c.program_id, enrolments.c.employee_id).in_(wanted))
            .order_by(enrolments.c.program_id, enrolments.c.employee_id)
        )
        if for_update:
            query = query.with_for_update()
        found = [_enrolment(row) for row in (await self._session.execute(query)).mappings()]
        return {enrolment.key: enrolment for enrolment in found}

    async def save(self, items: Sequence[Enrolment]) -> None:
        if not items:
            return
        statement = insert(enrolments).values(
            [
                {
                    "program_id": e.program_id,
                    "employee_id": e.employee_id,
                    "roles": list(e.roles),
                    "status": e.status,
                    "changed_at": e.changed_at,
                }
                for e in sorted(items, key=lambda e: e.key)
            ]
        )
        columns = {c: statement.excluded[c] for c in ("roles", "status", "changed_at")}
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["program_id", "employee_id"], set_=columns)
        )


def _enrolment(row: Any) -> Enrolment:
    return Enrolment(
        program_id=row["program_id"],
        employee_id=row["employee_id"],
        roles=tuple(row["roles"]),
        status=cast(EnrolmentStatus, row["status"]),
        changed_at=row["changed_at"],
    )
