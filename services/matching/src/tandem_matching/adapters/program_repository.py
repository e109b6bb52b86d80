"""All SQL of programs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlalchemy import Text, any_, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.adapters.tables import programs
from tandem_matching.domain.programs import (
    Cadence,
    Checkins,
    Eligibility,
    Program,
    ProgramStatus,
    Rules,
    Weights,
)


def _row(program: Program) -> dict[str, Any]:
    eligibility = program.eligibility
    return {
        "program_id": program.program_id,
        "version": program.version,
        "name": program.name,
        "type": program.type,
        "status": program.status,
        "rules": asdict(program.rules),
        "weights": asdict(program.weights),
        "cadence": asdict(program.cadence),
        "duration_days": program.duration_days,
        "checkins": asdict(program.checkins),
        "acceptance": program.acceptance,
        "auto_rematch": program.auto_rematch,
        "eligibility": {
            "departments": list(eligibility.departments),
            "countries": list(eligibility.countries),
            "min_seniority": eligibility.min_seniority,
            "max_seniority": eligibility.max_seniority,
        },
        "admins": list(program.admins),
        "created_at": program.created_at,
        "updated_at": program.updated_at,
    }


def program_from_row(row: Any) -> Program:
    eligibility = row.eligibility
    return Program(
        program_id=row.program_id,
        version=row.version,
        name=row.name,
        type=row.type,
        status=row.status,
        admins=tuple(row.admins),
        created_at=row.created_at,
        updated_at=row.updated_at,
        rules=Rules(**row.rules),
        weights=Weights(**row.weights),
        cadence=Cadence(**row.cadence),
        duration_days=row.duration_days,
        checkins=Checkins(**row.checkins),
        acceptance=row.acceptance,
        auto_rematch=row.auto_rematch,
        eligibility=Eligibility(
            departments=tuple(eligibility["departments"]),
            countries=tuple(eligibility["countries"]),
            min_seniority=eligibility["min_seniority"],
            max_seniority=eligibility["max_seniority"],
        ),
    )


class ProgramRepository:
    """``service.repositories.Programs`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, program_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Program]:
        ids = sorted(set(program_ids))
        if not ids:
            return {}
        query = select(programs).where(programs.c.program_id == any_(bindparam("ids", type_=ARRAY(Text))))
        if for_update:
            query = query.order_by(programs.c.program_id).with_for_update()
        rows = await self._session.execute(query, {"ids": ids})
        return {row.program_id: program_from_row(row) for row in rows}

    async def add(self, program: Program) -> None:
        await self._session.execute(insert(programs).values(_row(program)))

    async def save(self, program: Program) -> None:
        row = _row(program)
        del row["program_id"]
        await self._session.execute(
            update(programs).where(programs.c.program_id == program.program_id).values(row)
        )

    async def page(self, *, after: str | None, limit: int, status: ProgramStatus | None) -> list[Program]:
        query = select(programs)
        if after is not None:
            query = query.where(programs.c.program_id > after)
        if status is not None:
            query = query.where(programs.c.status == status)
        query = query.order_by(programs.c.program_id).limit(limit)
        return [program_from_row(row) for row in await self._session.execute(query)]
