"""Erasure: who is due, and what it keeps (the opaque id, department, dates and
seniority, for analytics)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from .employee import EmployeeRecord
from .mentoring import EMPTY_MENTORING_PROFILE
from .profile import StoredEmployee

# Keys an HR event keeps in the log after erasure: enough to replay dates and status.
KEPT_EVENT_KEYS = frozenset(
    {
        "employee_id",
        "hire_date",
        "effective_date",
        "exit_date",
        "reason",
        "department",
        "seniority_level",
    }
)


def erasure_cutoff(today: date, retention_days: int) -> date:
    """Employees who exited on or before this date are due for erasure."""
    return today - timedelta(days=retention_days)


def is_due(record: EmployeeRecord, today: date, retention_days: int) -> bool:
    """The rule erasure runs by. Repositories may pre-select candidates with
    :func:`erasure_cutoff`, but the erasure use case decides with this."""
    return (
        record.status == "departed"
        and record.exit_date is not None
        and record.exit_date <= erasure_cutoff(today, retention_days)
    )


def erase(record: EmployeeRecord) -> EmployeeRecord:
    return replace(
        record,
        email=None,
        display_name=None,
        job_title=None,
        manager_id=None,
        location=None,
        timezone=None,
        languages=(),
        birth_year=None,
    )


def due_for_erasure(stored: StoredEmployee, today: date, retention_days: int) -> bool:
    """Whether erasure takes ``stored`` now: due by :func:`is_due` and not erased yet."""
    return not stored.erased and is_due(stored.record, today, retention_days)


def erase_profile(stored: StoredEmployee) -> StoredEmployee:
    """The next version of a due profile: no personal data, an empty mentoring profile."""
    return replace(
        stored,
        record=erase(stored.record),
        mentoring=EMPTY_MENTORING_PROFILE,
        version=stored.version + 1,
        erased=True,
    )


def purge_event_data(data: dict[str, object]) -> dict[str, object]:
    """An HR event's data with only what erasure keeps (``changes`` keeps its keepers)."""
    kept = {key: value for key, value in data.items() if key in KEPT_EVENT_KEYS}
    changes = data.get("changes")
    if isinstance(changes, dict):
        kept["changes"] = {k: v for k, v in changes.items() if k in KEPT_EVENT_KEYS}
    return kept
