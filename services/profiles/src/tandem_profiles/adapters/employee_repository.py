"""All SQL of the profiles service's employee state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_profiles.adapters.tables import employees, employments, hr_events
from tandem_profiles.domain.employee import EmployeeRecord, HrEvent
from tandem_profiles.domain.mentoring import (
    EMPTY_MENTORING_PROFILE,
    Consents,
    MentoringProfile,
    SkillLevel,
)


@dataclass(frozen=True, slots=True)
class StoredEmployee:
    record: EmployeeRecord
    version: int
    mentoring: MentoringProfile
    erased: bool = False


def mentoring_from_data(data: Mapping[str, Any] | None) -> MentoringProfile:
    if not data:
        return EMPTY_MENTORING_PROFILE
    consents = data.get("consents") or {}
    return MentoringProfile(
        skills_offered=tuple(SkillLevel(s["skill"], s["level"]) for s in data.get("skills_offered", ())),
        skills_wanted=tuple(SkillLevel(s["skill"], s["level"]) for s in data.get("skills_wanted", ())),
        roles=tuple(data.get("roles", ())),
        capacity=int(data.get("capacity", 0)),
        hours_per_month=int(data.get("hours_per_month", 0)),
        goals=str(data.get("goals", "")),
        consents=Consents(
            generation_aware_pairing=bool(consents.get("generation_aware_pairing", False)),
            demographics_for_reporting=bool(consents.get("demographics_for_reporting", False)),
        ),
    )


def _record_from_row(row: Any) -> EmployeeRecord:
    location = None
    if row.country is not None:
        location = {"country": row.country, "city": row.city} if row.city else {"country": row.country}
    return EmployeeRecord(
        employee_id=row.employee_id,
        status=row.status,
        employment=row.employment,
        hire_date=row.hire_date,
        exit_date=row.exit_date,
        exit_reason=row.exit_reason,
        email=row.email,
        display_name=row.display_name,
        job_title=row.job_title,
        department=row.department,
        manager_id=row.manager_id,
        location=location,
        timezone=row.timezone,
        seniority_level=row.seniority_level,
        languages=tuple(row.languages or ()),
        birth_year=row.birth_year,
    )


def stored_from_row(row: Any) -> StoredEmployee:
    return StoredEmployee(
        record=_record_from_row(row),
        version=row.profile_version,
        mentoring=mentoring_from_data(row.mentoring),
        erased=row.erased_at is not None,
    )


def _row_from_stored(stored: StoredEmployee, erased_at: datetime | None = None) -> dict[str, Any]:
    record = stored.record
    location = record.location or {}
    return {
        "employee_id": record.employee_id,
        "status": record.status,
        "profile_version": stored.version,
        "employment": record.employment,
        "hire_date": record.hire_date,
        "exit_date": record.exit_date,
        "exit_reason": record.exit_reason,
        "email": record.email,
        "display_name": record.display_name,
        "job_title": record.job_title,
        "department": record.department,
        "manager_id": record.manager_id,
        "country": location.get("country"),
        "city": location.get("city"),
        "timezone": record.timezone,
        "seniority_level": record.seniority_level,
        "languages": list(record.languages),
        "birth_year": record.birth_year,
        "mentoring": stored.mentoring.to_data(),
        "erased_at": erased_at,
    }


class EmployeeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, employee_ids: Iterable[str], *, for_update: bool = False) -> dict[str, StoredEmployee]:
        ids = sorted(set(employee_ids))
        if not ids:
            return {}
        query = select(employees).where(employees.c.employee_id.in_(ids))
        if for_update:
            # Sorted ids lock rows in one order, so concurrent writers cannot deadlock.
            query = query.order_by(employees.c.employee_id).with_for_update()
        rows = await self._session.execute(query)
        return {row.employee_id: stored_from_row(row) for row in rows}

    async def load_events(self, employee_ids: Iterable[str]) -> dict[str, list[HrEvent]]:
        ids = sorted(set(employee_ids))
        found: dict[str, list[HrEvent]] = {employee_id: [] for employee_id in ids}
        if not ids:
            return found
        rows = await self._session.execute(
            select(
                hr_events.c.seq,
                hr_events.c.employee_id,
                hr_events.c.kind,
                hr_events.c.effective_date,
                hr_events.c.ce_time,
                hr_events.c.data,
            ).where(hr_events.c.employee_id.in_(ids))
        )
        for row in rows:
            found[row.employee_id].append(
                HrEvent(row.kind, row.effective_date, row.ce_time, row.seq, row.data)
            )
        return found

    async def append_events(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await self._session.execute(hr_events.insert(), list(rows))

    async def save(self, stored: Sequence[StoredEmployee]) -> None:
        if not stored:
            return
        rows = [_row_from_stored(item) for item in stored]
        statement = pg_insert(employees)
        columns = {
            name: statement.excluded[name]
            for name in rows[0]
            if name not in ("employee_id", "erased_at")
        }
        columns["erased_at"] = statement.excluded.erased_at
        columns["updated_at"] = func.now()
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["employee_id"], set_=columns), rows
        )
        episodes = [
            {
                "employee_id": item.record.employee_id,
                "employment": item.record.employment,
                "hire_date": item.record.hire_date,
                "exit_date": item.record.exit_date,
                "exit_reason": item.record.exit_reason,
            }
            for item in stored
        ]
        episode_statement = pg_insert(employments)
        await self._session.execute(
            episode_statement.on_conflict_do_update(
                index_elements=["employee_id", "employment"],
                set_={
                    "hire_date": episode_statement.excluded.hire_date,
                    "exit_date": episode_statement.excluded.exit_date,
                    "exit_reason": episode_statement.excluded.exit_reason,
                },
            ),
            episodes,
        )

    async def save_erased(self, stored: StoredEmployee, erased_at: datetime) -> None:
        row = _row_from_stored(stored, erased_at)
        await self._session.execute(
            update(employees)
            .where(employees.c.employee_id == stored.record.employee_id)
            .values({k: v for k, v in row.items() if k != "employee_id"} | {"updated_at": func.now()})
        )

    async def due_for_erasure(self, cutoff: date, limit: int) -> list[StoredEmployee]:
        rows = await self._session.execute(
            select(employees)
            .where(
                and_(
                    employees.c.status == "departed",
                    employees.c.erased_at.is_(None),
                    employees.c.exit_date <= cutoff,
                )
            )
            .order_by(employees.c.employee_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [stored_from_row(row) for row in rows]

    async def purge_event_log(self, employee_id: str, purge: Any) -> None:
        rows = await self._session.execute(
            select(hr_events.c.seq, hr_events.c.data).where(hr_events.c.employee_id == employee_id)
        )
        for seq, data in rows.all():
            await self._session.execute(
                update(hr_events).where(hr_events.c.seq == seq).values(data=purge(data))
            )

    async def purge_outbox_payloads(self, employee_id: str) -> int:
        """Null the payloads of this employee's already-sent outbox rows."""
        result = await self._session.execute(
            text(
                "UPDATE outbox SET payload = NULL, traceparent = NULL, tracestate = NULL "
                "WHERE key = :key AND sent_at IS NOT NULL AND payload IS NOT NULL"
            ),
            {"key": employee_id},
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # -- queries for the internal API ---------------------------------------------

    async def page(
        self,
        *,
        after: str | None,
        limit: int,
        department: str | None = None,
        country: str | None = None,
        status: str | None = None,
        skill: str | None = None,
    ) -> list[StoredEmployee]:
        query = select(employees).where(employees.c.erased_at.is_(None))
        if after is not None:
            query = query.where(employees.c.employee_id > after)
        if department is not None:
            query = query.where(employees.c.department == department)
        if country is not None:
            query = query.where(employees.c.country == country)
        if status is not None:
            query = query.where(employees.c.status == status)
        if skill is not None:
            query = query.where(
                employees.c.mentoring.contains({"skills_offered": [{"skill": skill}]})
            )
        query = query.order_by(employees.c.employee_id).limit(limit)
        return [stored_from_row(row) for row in await self._session.execute(query)]
