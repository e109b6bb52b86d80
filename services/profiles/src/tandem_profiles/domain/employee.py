"""An employee's HR record as the fold of their HR events in effective order.

HR systems deliver events late, twice and out of order. The record is therefore not
updated in arrival order: it is replayed from every event known for the employee,
sorted by effective date (``hire_date``, ``effective_date``, ``exit_date``), then by
``ce_time``, then by arrival. This gives the contract's promises directly:

- a ``changed`` before its ``hired`` waits in the log and applies once the employee
  exists;
- an ``exited`` before its ``hired`` stays in the log, so the late ``hired`` (with an
  earlier date) replays before it and the employee stays departed;
- a ``hired`` dated after the last exit starts a new employment (a rehire).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

EventKind = Literal["hired", "changed", "exited"]
Status = Literal["active", "departed"]

HR_FIELDS = (
    "email",
    "display_name",
    "job_title",
    "department",
    "manager_id",
    "location",
    "timezone",
    "seniority_level",
    "languages",
)


@dataclass(frozen=True, slots=True)
class HrEvent:
    kind: EventKind
    effective_date: date
    ce_time: datetime
    arrival: int
    data: Mapping[str, Any]

    @property
    def order(self) -> tuple[date, datetime, int]:
        return (self.effective_date, self.ce_time, self.arrival)


@dataclass(frozen=True, slots=True)
class EmployeeRecord:
    employee_id: str
    status: Status
    employment: int
    hire_date: date
    exit_date: date | None = None
    exit_reason: str | None = None
    email: str | None = None
    display_name: str | None = None
    job_title: str | None = None
    department: str | None = None
    manager_id: str | None = None
    location: Mapping[str, Any] | None = None
    timezone: str | None = None
    seniority_level: int | None = None
    languages: tuple[str, ...] = ()
    birth_year: int | None = None


def _with_fields(record: EmployeeRecord, values: Mapping[str, Any]) -> EmployeeRecord:
    updates: dict[str, Any] = {}
    for name in HR_FIELDS:
        if name in values:
            value = values[name]
            updates[name] = tuple(value) if name == "languages" and value is not None else value
    if "languages" in updates and updates["languages"] is None:
        updates["languages"] = ()
    return replace(record, **updates)


def _hire(employee_id: str, event: HrEvent, employment: int) -> EmployeeRecord:
    record = EmployeeRecord(
        employee_id=employee_id,
        status="active",
        employment=employment,
        hire_date=event.effective_date,
        birth_year=event.data.get("birth_year"),
    )
    return _with_fields(record, event.data)


def replay(employee_id: str, events: Iterable[HrEvent]) -> EmployeeRecord | None:
    """The record after every event in effective order; ``None`` while never hired."""
    record: EmployeeRecord | None = None
    held: list[HrEvent] = []
    for event in sorted(events, key=lambda e: e.order):
        if event.kind == "hired":
            if record is None:
                record = _hire(employee_id, event, 1)
                for change in held:
                    record = _with_fields(record, change.data.get("changes", {}))
                held.clear()
            elif record.status == "departed":
                # A hire dated on or before the exit belongs to the ended employment:
                # it must not bring the employee back; a later one is a rehire.
                if record.exit_date is not None and event.effective_date > record.exit_date:
                    record = _hire(employee_id, event, record.employment + 1)
            else:
                # A second hire of a current employment corrects its data.
                record = _with_fields(record, event.data)
                if event.data.get("birth_year") is not None:
                    record = replace(record, birth_year=event.data["birth_year"])
        elif event.kind == "changed":
            if record is None:
                held.append(event)
            elif record.status == "active":
                record = _with_fields(record, event.data.get("changes", {}))
        elif event.kind == "exited" and record is not None and record.status == "active":
            record = replace(
                record,
                status="departed",
                exit_date=event.effective_date,
                exit_reason=event.data.get("reason"),
            )
    return record


SnapshotKind = Literal["registered", "updated", "departed"]


def snapshot_kind(before: EmployeeRecord | None, after: EmployeeRecord) -> SnapshotKind:
    """Which profile event announces the move from ``before`` to ``after``."""
    if before is None:
        return "registered"
    if after.status == "departed" and before.status != "departed":
        return "departed"
    return "updated"
