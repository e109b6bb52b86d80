"""All SQL of the profiles service's employee state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Text, and_, any_, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_common.db.bulk import copy_rows
from tandem_profiles.adapters.tables import employees
from tandem_profiles.domain.employee import EmployeeRecord, OrderKey
from tandem_profiles.domain.mentoring import mentoring_from_data
from tandem_profiles.domain.profile import StoredEmployee


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
    position = None
    if row.hr_position_seq is not None:
        position = (row.hr_position_date, row.hr_position_time, row.hr_position_seq)
    return StoredEmployee(
        record=_record_from_row(row),
        version=row.profile_version,
        mentoring=mentoring_from_data(row.mentoring),
        erased=row.erased_at is not None,
        hr_position=position,
    )


def _row_from_stored(stored: StoredEmployee, erased_at: datetime | None = None) -> dict[str, Any]:
    record = stored.record
    location = record.location or {}
    position = stored.hr_position or (None, None, None)
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
        "hr_position_date": position[0],
        "hr_position_time": position[1],
        "hr_position_seq": position[2],
    }


_EMPLOYEE_COLUMNS = (
    "employee_id",
    "status",
    "profile_version",
    "employment",
    "hire_date",
    "exit_date",
    "exit_reason",
    "email",
    "display_name",
    "job_title",
    "department",
    "manager_id",
    "country",
    "city",
    "timezone",
    "seniority_level",
    "languages",
    "birth_year",
    "mentoring",
    "erased_at",
    "hr_position_date",
    "hr_position_time",
    "hr_position_seq",
)
# ON COMMIT DELETE ROWS: the staging table lives with the pooled connection and is
# empty at the start of every transaction.
_CREATE_STAGING = text(
    "CREATE TEMP TABLE IF NOT EXISTS employees_staging "
    "(LIKE employees INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)
_UPSERT_FROM_STAGING = text(
    f"""
    INSERT INTO employees ({", ".join(_EMPLOYEE_COLUMNS)}, updated_at)
    SELECT {", ".join(_EMPLOYEE_COLUMNS)}, now() FROM employees_staging
    ON CONFLICT (employee_id) DO UPDATE SET
    {", ".join(f"{c} = excluded.{c}" for c in _EMPLOYEE_COLUMNS if c != "employee_id")},
    updated_at = now()
    """
)
_UPSERT_EMPLOYMENTS = text(
    """
    INSERT INTO employments (employee_id, employment, hire_date, exit_date, exit_reason)
    SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:employments AS int[]),
                         CAST(:hires AS date[]), CAST(:exits AS date[]), CAST(:reasons AS text[]))
    ON CONFLICT (employee_id, employment) DO UPDATE SET
        hire_date = excluded.hire_date, exit_date = excluded.exit_date,
        exit_reason = excluded.exit_reason
    """
)


# One advisory lock per employee, taken in the order of the lock keys so that two
# transactions locking overlapping sets cannot deadlock (a subquery with ORDER BY is
# not flattened, so the locks are taken in its order). Each lock takes a slot of the
# server's shared lock table (max_locks_per_transaction x max_connections), which
# bounds the consumer batch size times the number of concurrent consumers.
_LOCK_EMPLOYEES = text(
    """
    SELECT pg_advisory_xact_lock(key) FROM (
        SELECT DISTINCT hashtextextended(id, 0) AS key
        FROM unnest(CAST(:ids AS text[])) AS id ORDER BY key
    ) AS keys
    """
)
_ADVANCE_POSITIONS = text(
    """
    UPDATE employees AS e SET
        hr_position_date = v.position_date, hr_position_time = v.position_time,
        hr_position_seq = v.position_seq
    FROM unnest(CAST(:ids AS text[]), CAST(:dates AS date[]), CAST(:times AS timestamptz[]),
                CAST(:seqs AS bigint[])) AS v(employee_id, position_date, position_time, position_seq)
    WHERE e.employee_id = v.employee_id
    """
)


def _employee_record(stored: StoredEmployee) -> tuple[Any, ...]:
    row = _row_from_stored(stored)
    row["mentoring"] = orjson.dumps(row["mentoring"]).decode()
    return tuple(row[c] for c in _EMPLOYEE_COLUMNS)


class EmployeeRepository:
    """``service.repositories.Employees`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_employees(self, employee_ids: Iterable[str]) -> None:
        """Serialise this transaction with every other writer of these employees.

        Row locks (``load(..., for_update=True)``) cover only employees that already
        have a row; two consumers holding events of the same new employee (a rebalance)
        would otherwise both see no row and both register it.
        """
        ids = sorted(set(employee_ids))
        if ids:
            await self._session.execute(_LOCK_EMPLOYEES, {"ids": ids})

    async def load(
        self, employee_ids: Iterable[str], *, for_update: bool = False
    ) -> dict[str, StoredEmployee]:
        ids = sorted(set(employee_ids))
        if not ids:
            return {}
        # One array parameter rather than thousands of IN placeholders.
        query = select(employees).where(employees.c.employee_id == any_(bindparam("ids", type_=ARRAY(Text))))
        if for_update:
            # Sorted ids lock rows in one order, so concurrent writers cannot deadlock.
            query = query.order_by(employees.c.employee_id).with_for_update()
        rows = await self._session.execute(query, {"ids": ids})
        return {row.employee_id: stored_from_row(row) for row in rows}

    async def save(self, stored: Sequence[StoredEmployee]) -> None:
        """Insert or update ``stored`` in bulk: COPY into a staging table, then one upsert."""
        if not stored:
            return
        await self._session.execute(_CREATE_STAGING)
        await copy_rows(
            self._session,
            "employees_staging",
            _EMPLOYEE_COLUMNS,
            [_employee_record(item) for item in stored],
        )
        await self._session.execute(_UPSERT_FROM_STAGING)
        await self._session.execute(
            _UPSERT_EMPLOYMENTS,
            {
                "ids": [item.record.employee_id for item in stored],
                "employments": [item.record.employment for item in stored],
                "hires": [item.record.hire_date for item in stored],
                "exits": [item.record.exit_date for item in stored],
                "reasons": [item.record.exit_reason for item in stored],
            },
        )

    async def advance_positions(self, positions: Mapping[str, OrderKey]) -> None:
        """Record how far in the HR log the records of these employees are folded.

        For records that did not change: the no-op events still count for ordering.
        Only the position columns are written, so an erased row stays as it is.
        """
        if not positions:
            return
        ids = sorted(positions)
        await self._session.execute(
            _ADVANCE_POSITIONS,
            {
                "ids": ids,
                "dates": [positions[i][0] for i in ids],
                "times": [positions[i][1] for i in ids],
                "seqs": [positions[i][2] for i in ids],
            },
        )

    async def save_erased(self, stored: StoredEmployee, erased_at: datetime) -> None:
        row = _row_from_stored(stored, erased_at)
        await self._session.execute(
            update(employees)
            .where(employees.c.employee_id == stored.record.employee_id)
            .values({k: v for k, v in row.items() if k != "employee_id"} | {"updated_at": func.now()})
        )

    async def erasure_candidates(self, cutoff: date, limit: int) -> list[StoredEmployee]:
        # The same conditions as domain.erasure.due_for_erasure, so that a batch holds
        # due profiles only and a full batch means more may be due.
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
            query = query.where(employees.c.mentoring.contains({"skills_offered": [{"skill": skill}]}))
        query = query.order_by(employees.c.employee_id).limit(limit)
        return [stored_from_row(row) for row in await self._session.execute(query)]
