"""All SQL of the candidate pool."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import Text, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.adapters.tables import pool_members
from tandem_matching.domain.pool import PoolMember

_UPSERT = text(
    """
    INSERT INTO pool_members (employee_id, profile_version, status, snapshot, updated_at)
    SELECT employee_id, profile_version, status, CAST(snapshot AS jsonb), now()
    FROM unnest(CAST(:ids AS text[]), CAST(:versions AS int[]), CAST(:statuses AS text[]),
                CAST(:snapshots AS text[]))
        AS v(employee_id, profile_version, status, snapshot)
    ON CONFLICT (employee_id) DO UPDATE SET
        profile_version = excluded.profile_version, status = excluded.status,
        snapshot = excluded.snapshot, updated_at = now()
    """
)


def member_from_row(row: Any) -> PoolMember:
    return PoolMember(
        employee_id=row.employee_id,
        profile_version=row.profile_version,
        status=row.status,
        snapshot=row.snapshot,
    )


class PoolRepository:
    """``service.repositories.Pool`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, employee_ids: Iterable[str], *, for_update: bool = False) -> dict[str, PoolMember]:
        ids = sorted(set(employee_ids))
        if not ids:
            return {}
        query = select(pool_members).where(
            pool_members.c.employee_id == any_(bindparam("ids", type_=ARRAY(Text)))
        )
        if for_update:
            query = query.order_by(pool_members.c.employee_id).with_for_update()
        rows = await self._session.execute(query, {"ids": ids})
        return {row.employee_id: member_from_row(row) for row in rows}

    async def save(self, members: Sequence[PoolMember]) -> None:
        if not members:
            return
        await self._session.execute(
            _UPSERT,
            {
                "ids": [m.employee_id for m in members],
                "versions": [m.profile_version for m in members],
                "statuses": [m.status for m in members],
                "snapshots": [
                    orjson.dumps(m.snapshot).decode() if m.snapshot is not None else None for m in members
                ],
            },
        )
