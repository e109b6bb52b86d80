"""Profile events: the full snapshot of an employee (event-carried state transfer)."""

from __future__ import annotations

from typing import Any

from tandem_common.events.profiles import (
    ProfileDepartedV1,
    ProfileErasedV1,
    ProfileRegisteredV1,
    ProfileSnapshot,
    ProfileUpdatedV1,
)
from tandem_common.events.registry import EventSchema
from tandem_profiles.domain.employee import SnapshotKind
from tandem_profiles.domain.profile import StoredEmployee

_SCHEMAS: dict[SnapshotKind, type[ProfileSnapshot]] = {
    "registered": ProfileRegisteredV1,
    "updated": ProfileUpdatedV1,
    "departed": ProfileDepartedV1,
}


def snapshot_data(stored: StoredEmployee) -> dict[str, Any]:
    """The snapshot fields of ``events.md``. The email never leaves this service."""
    record = stored.record
    data: dict[str, Any] = {
        "employee_id": record.employee_id,
        "profile_version": stored.version,
        "status": record.status,
        "display_name": record.display_name,
        "job_title": record.job_title,
        "department": record.department,
        "manager_id": record.manager_id,
        "location": dict(record.location) if record.location else None,
        "timezone": record.timezone,
        "seniority_level": record.seniority_level,
        "hire_date": record.hire_date,
        "languages": list(record.languages),
        "mentoring": stored.mentoring.to_data(),
    }
    if record.status == "departed":
        data["exit_date"] = record.exit_date
        data["exit_reason"] = record.exit_reason
    return data


def snapshot_id(stored: StoredEmployee) -> str:
    """``E000123.v7``: unique per source because versions only rise, and cheap to make."""
    return f"{stored.record.employee_id}.v{stored.version}"


def snapshot_event(kind: SnapshotKind, stored: StoredEmployee) -> EventSchema:
    return _SCHEMAS[kind].model_validate(snapshot_data(stored))


def erased_event(stored: StoredEmployee) -> EventSchema:
    return ProfileErasedV1(employee_id=stored.record.employee_id, profile_version=stored.version)
