"""Profiles and HR log entries built in one line, for unit and contract tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from tandem_profiles.domain.employee import EmployeeRecord, HrLogEntry
from tandem_profiles.domain.mentoring import Consents, MentoringProfile, SkillLevel
from tandem_profiles.domain.profile import StoredEmployee

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)

A_MENTORING_PROFILE = MentoringProfile(
    skills_offered=(SkillLevel("kubernetes", 4), SkillLevel("python", 3)),
    skills_wanted=(SkillLevel("public-speaking", 2),),
    roles=("mentor",),
    capacity=2,
    hours_per_month=6,
    goals="Share what I know about running platforms.",
    consents=Consents(generation_aware_pairing=True),
)


def a_record(employee_id: str, **changes: Any) -> EmployeeRecord:
    record = EmployeeRecord(
        employee_id=employee_id,
        status="active",
        employment=1,
        hire_date=date(2020, 3, 1),
        email=f"{employee_id.lower()}@example.com",
        display_name=f"Person {employee_id}",
        job_title="Data Analyst",
        department="Finance",
        manager_id="M1",
        location={"country": "BR", "city": "Sao Paulo"},
        timezone="America/Sao_Paulo",
        seniority_level=3,
        languages=("pt", "en"),
        birth_year=1990,
    )
    return replace(record, **changes)


def a_profile(
    employee_id: str,
    *,
    version: int = 1,
    mentoring: MentoringProfile = A_MENTORING_PROFILE,
    hr_position: tuple[date, datetime, int] | None = (date(2020, 3, 1), T0, 1),
    **record_changes: Any,
) -> StoredEmployee:
    return StoredEmployee(
        record=a_record(employee_id, **record_changes),
        version=version,
        mentoring=mentoring,
        hr_position=hr_position,
    )


def departed(employee_id: str, exit_date: date, **changes: Any) -> StoredEmployee:
    return a_profile(
        employee_id, status="departed", exit_date=exit_date, exit_reason="voluntary", version=2, **changes
    )


def a_log_entry(
    seq: int, employee_id: str, effective_date: date, kind: str = "changed", **data: Any
) -> HrLogEntry:
    return HrLogEntry(
        seq=seq,
        employee_id=employee_id,
        ce_source="workday/acme-test",
        ce_id=f"{kind}-{seq}",
        kind=kind,  # type: ignore[arg-type]
        effective_date=effective_date,
        ce_time=T0,
        data={"employee_id": employee_id, **data},
    )
