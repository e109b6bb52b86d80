"""All SQL of enrolments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Text, and_, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.adapters.tables import enrolments
from tandem_matching.domain.enrolment import Enrolment, EnrolmentStatus

_IDS = bindparam("ids", type_=ARRAY(Text))

# One statement for any number of rows (a bulk enrolment has up to 10,000): arrays in,
# one row out of each position. Roles travel as one comma-joined string per row
# because PostgreSQL has no arrays of arrays of differing lengths.
_UPSERT = text(
    """
    INSERT INTO enrolments
        (program_id, employee_id, roles, status, enrolled_at, updated_at, withdrawn_reason)
    SELECT program_id, employee_id, string_to_array(roles, ','), status, enrolled_at, updated_at, reason
    FROM unnest(CAST(:programs AS text[]), CAST(:employees AS text[]), CAST(:roles AS text[]),
                CAST(:statuses AS text[]), CAST(:enrolled AS timestamptz[]),
                CAST(:updated AS timestamptz[]), CAST(:reasons AS text[]))
        AS v(program_id, employee_id, roles, status, enrolled_at, updated_at, reason)
    ON CONFLICT (program_id, employee_id) DO UPDATE SET
        roles = excluded.roles, status = excluded.status, enrolled_at = excluded.enrolled_at,
        updated_at = excluded.updated_at, withdrawn_reason = excluded.withdrawn_reason
    """
)


def enrolment_from_row(row: Any) -> Enrolment:
    return Enrolment(
        program_id=row.program_id,
        employee_id=row.employee_id,
        roles=tuple(row.roles),
        status=row.status,
        enrolled_at=row.enrolled_at,
        updated_at=row.updated_at,
        withdrawn_reason=row.withdrawn_reason,
    )


class EnrolmentRepository:
    """``service.repositories.Enrolments`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(
        self, program_id: str, employee_ids: Iterable[str], *, for_update: bool = False
    ) -> dict[str, Enrolment]:
        ids = sorted(set(employee_ids))
        if not ids:
            return {}
        query = select(enrolments).where(
            and_(enrolments.c.program_id == program_id, enrolments.c.employee_id == any_(_IDS))
        )
        if for_update:
            query = query.order_by(enrolments.c.employee_id).with_for_update()
        rows = await self._session.execute(query, {"ids": ids})
        return {row.employee_id: enrolment_from_row(row) for row in rows}

    async def save(self, items: Sequence[Enrolment]) -> None:
        if not items:
            return
        await self._session.execute(
            _UPSERT,
            {
                "programs": [e.program_id for e in items],
                "employees": [e.employee_id for e in items],
                "roles": [",".join(e.roles) for e in items],
                "statuses": [e.status for e in items],
                "enrolled": [e.enrolled_at for e in items],
                "updated": [e.updated_at for e in items],
                "reasons": [e.withdrawn_reason for e in items],
            },
        )

    async def of_employees(
        self, employee_ids: Iterable[str], *, status: EnrolmentStatus | None = None, for_update: bool = False
    ) -> list[Enrolment]:
        ids = sorted(set(employee_ids))
        if not ids:
            return []
        query = select(enrolments).where(enrolments.c.employee_id == any_(_IDS))
        if status is not None:
            query = query.where(enrolments.c.status == status)
        query = query.order_by(enrolments.c.program_id, enrolments.c.employee_id)
        if for_update:
            query = query.with_for_update()
        rows = await self._session.execute(query, {"ids": ids})
        return [enrolment_from_row(row) for row in rows]

    async def page(
        self, program_id: str, *, after: str | None, limit: int, status: EnrolmentStatus | None
    ) -> list[Enrolment]:
        query = select(enrolments).where(enrolments.c.program_id == program_id)
        if after is not None:
            query = query.where(enrolments.c.employee_id > after)
        if status is not None:
            query = query.where(enrolments.c.status == status)
        query = query.order_by(enrolments.c.employee_id).limit(limit)
        return [enrolment_from_row(row) for row in await self._session.execute(query)]
