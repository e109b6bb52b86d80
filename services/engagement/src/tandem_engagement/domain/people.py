"""Every employee as analytics needs them, from ``profiles.events``.

The newest ``profile_version`` of each person is kept (older ones are ignored), with
hire and exit (date and reason). Beside it a **history** row is kept each time the
department, country, seniority or status changes, with the day it took effect, so
that outcome analytics can follow a person over time, participants and
non-participants alike. A snapshot does not say when a change took effect, so:
the first row is dated at the hire, a departure at the exit, and any other change at
the day its event was published (``ce_time``).

An erased person keeps their id, version, hire and exit (nothing that names them);
their history goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

PersonStatus = Literal["active", "on_leave", "departed", "erased"]


@dataclass(frozen=True, slots=True)
class Person:
    employee_id: str
    profile_version: int
    status: PersonStatus
    hire_date: date | None
    exit_date: date | None
    exit_reason: str | None
    department: str | None
    country: str | None
    seniority_level: int | None
    # Whether they consented to demographics in reporting (graphql.md, analytics).
    demographics_consent: bool

    def supersedes(self, held: Person | None) -> bool:
        return held is None or self.profile_version > held.profile_version

    @property
    def erased(self) -> bool:
        return self.status == "erased"

    def _traits(self) -> tuple[Any, ...]:
        return (self.status, self.department, self.country, self.seniority_level)

    def history_row(self, held: Person | None, *, published_on: date) -> HistoryRow | None:
        """The history row this version adds after ``held``, if anything tracked changed."""
        if self.erased or (held is not None and held._traits() == self._traits()):
            return None
        if held is None and self.hire_date is not None:
            valid_from = self.hire_date
        elif self.status == "departed" and self.exit_date is not None:
            valid_from = self.exit_date
        else:
            valid_from = published_on
        return HistoryRow(
            self.employee_id,
            self.profile_version,
            valid_from,
            self.status,
            self.department,
            self.country,
            self.seniority_level,
        )


@dataclass(frozen=True, slots=True)
class HistoryRow:
    employee_id: str
    profile_version: int
    valid_from: date
    status: PersonStatus
    department: str | None
    country: str | None
    seniority_level: int | None


def person_from_snapshot(snapshot: Mapping[str, Any]) -> Person:
    """A person from a ``profiles.events`` snapshot (its JSON form)."""
    location = snapshot.get("location") or {}
    consents = (snapshot.get("mentoring") or {}).get("consents") or {}
    return Person(
        employee_id=snapshot["employee_id"],
        profile_version=snapshot["profile_version"],
        status=snapshot["status"],
        hire_date=_day(snapshot.get("hire_date")),
        exit_date=_day(snapshot.get("exit_date")),
        exit_reason=snapshot.get("exit_reason"),
        department=snapshot.get("department"),
        country=location.get("country"),
        seniority_level=snapshot.get("seniority_level"),
        demographics_consent=bool(consents.get("demographics_for_reporting", False)),
    )


def erased_person(employee_id: str, profile_version: int, held: Person | None) -> Person:
    return Person(
        employee_id=employee_id,
        profile_version=profile_version,
        status="erased",
        hire_date=held.hire_date if held else None,
        exit_date=held.exit_date if held else None,
        exit_reason=held.exit_reason if held else None,
        department=None,
        country=None,
        seniority_level=None,
        demographics_consent=False,
    )


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
