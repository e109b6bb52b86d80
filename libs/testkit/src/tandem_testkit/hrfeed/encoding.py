"""Renders the feed as contract-shaped lines: one Kafka record per line.

Each line is ``{"topic", "key", "headers", "value"}``: the key is the employee id,
the headers are the CloudEvents binary-mode attributes, and the value is the event's
``data`` exactly as events.md defines it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any

import orjson

from tandem_testkit.hrfeed.churn import Change, ChurnEvent, Exit
from tandem_testkit.hrfeed.languages import LANGUAGE_TABLE
from tandem_testkit.hrfeed.organisation import Organisation
from tandem_testkit.hrfeed.reference_data import COUNTRIES, EMAIL_DOMAIN
from tandem_testkit.hrfeed.titles import department_name, job_title

TOPIC = "hr.employees"
HIRED = "tandem.hr.employee.hired.v1"
CHANGED = "tandem.hr.employee.changed.v1"
EXITED = "tandem.hr.employee.exited.v1"
EVENT_HOUR = "T09:00:00Z"
MIN_ID_DIGITS = 6

_job_title = cache(job_title)


def source_for_seed(seed: int) -> str:
    return f"tandem-hrfeed/seed-{seed}"


def employee_ids(size: int) -> list[str]:
    """``E`` and a zero-padded number, in hire order: E000001, E000002, ..."""
    width = max(MIN_ID_DIGITS, len(str(size)))
    return [f"E{number:0{width}d}" for number in range(1, size + 1)]


class DateLabels:
    """ISO dates by day offset from the reference date, formatted once per day."""

    def __init__(self, reference_date: date, first_day: int, last_day: int) -> None:
        self._first = first_day
        self._labels = [
            (reference_date + timedelta(days=day)).isoformat() for day in range(first_day, last_day + 1)
        ]

    def __getitem__(self, day: int) -> str:
        return self._labels[day - self._first]


class LineEncoder:
    def __init__(self, organisation: Organisation, ids: list[str], dates: DateLabels, seed: int) -> None:
        self._organisation = organisation
        self._ids = ids
        self._dates = dates
        self._source = source_for_seed(seed)
        self._reference_year = organisation.reference_date.year

    def _headers(self, ce_id: str, ce_type: str, day: str, subject: str) -> dict[str, str]:
        return {
            "ce_specversion": "1.0",
            "ce_id": ce_id,
            "ce_source": self._source,
            "ce_type": ce_type,
            "ce_time": day + EVENT_HOUR,
            "content-type": "application/json",
            "ce_subject": subject,
        }

    def hires(self, start: int, stop: int) -> bytes:
        """Lines for the hired events of rows ``start`` to ``stop``."""
        org = self._organisation
        ids = self._ids
        dates = self._dates
        countries = [
            (
                country.code,
                [(city.name, city.timezone) for city in country.cities],
                [name.lower() for name in country.first_names],
                [name.lower() for name in country.last_names],
                country.first_names,
                country.last_names,
            )
            for country in COUNTRIES
        ]
        columns = zip(
            range(start, stop),
            org.manager[start:stop].tolist(),
            org.is_manager[start:stop].tolist(),
            org.seniority[start:stop].tolist(),
            org.department[start:stop].tolist(),
            org.role[start:stop].tolist(),
            org.country[start:stop].tolist(),
            org.city[start:stop].tolist(),
            org.language_variant[start:stop].tolist(),
            org.first_name[start:stop].tolist(),
            org.last_name[start:stop].tolist(),
            org.hire_day[start:stop].tolist(),
            org.age[start:stop].tolist(),
            org.has_birth_year[start:stop].tolist(),
            strict=True,
        )
        lines: list[bytes] = []
        for (
            row,
            manager,
            is_manager,
            seniority,
            department,
            role,
            country,
            city,
            variant,
            first,
            last,
            hire_day,
            age,
            has_birth_year,
        ) in columns:
            employee_id = ids[row]
            code, cities, firsts, lasts, first_names, last_names = countries[country]
            city_name, timezone = cities[city]
            hire_date = dates[hire_day]
            value: dict[str, Any] = {
                "employee_id": employee_id,
                "email": f"{firsts[first]}.{lasts[last]}.{row + 1}@{EMAIL_DOMAIN}",
                "display_name": f"{first_names[first]} {last_names[last]}",
                "job_title": _job_title(department, role, seniority, is_manager),
                "department": department_name(department),
                "manager_id": ids[manager] if manager >= 0 else None,
                "location": {"country": code, "city": city_name},
                "timezone": timezone,
                "hire_date": hire_date,
                "seniority_level": seniority,
            }
            if has_birth_year:
                value["birth_year"] = self._reference_year - age
            value["languages"] = LANGUAGE_TABLE[country][variant]
            lines.append(
                orjson.dumps(
                    {
                        "topic": TOPIC,
                        "key": employee_id,
                        "headers": self._headers(f"hire-{employee_id}", HIRED, hire_date, employee_id),
                        "value": value,
                    }
                )
            )
        lines.append(b"")
        return b"\n".join(lines)

    def churn(self, events: list[ChurnEvent]) -> bytes:
        lines = [orjson.dumps(self._churn_record(event)) for event in events]
        lines.append(b"")
        return b"\n".join(lines)

    def _churn_record(self, event: ChurnEvent) -> dict[str, Any]:
        employee_id = self._ids[event.row]
        day = self._dates[event.day]
        if isinstance(event, Exit):
            headers = self._headers(f"exit-{employee_id}", EXITED, day, employee_id)
            value: dict[str, Any] = {
                "employee_id": employee_id,
                "exit_date": day,
                "reason": event.reason,
            }
        else:
            ce_id = f"chg-{employee_id}-{event.sequence + 1}"
            headers = self._headers(ce_id, CHANGED, day, employee_id)
            value = {
                "employee_id": employee_id,
                "effective_date": day,
                "reason": event.reason,
                "changes": self._changes(event),
            }
        return {"topic": TOPIC, "key": employee_id, "headers": headers, "value": value}

    def _changes(self, event: Change) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if event.job_title is not None:
            changes["job_title"] = event.job_title
        if event.seniority is not None:
            changes["seniority_level"] = event.seniority
        if event.department is not None:
            changes["department"] = department_name(event.department)
        if event.manager is not None:
            changes["manager_id"] = self._ids[event.manager]
        return changes


def mentoring_lines(ids: list[str], start: int, objects: list[dict[str, Any]]) -> bytes:
    """Lines of the mentoring file: ``{"employee_id", "mentoring"}`` per employee."""
    lines = [
        orjson.dumps({"employee_id": ids[start + offset], "mentoring": mentoring})
        for offset, mentoring in enumerate(objects)
    ]
    lines.append(b"")
    return b"\n".join(lines)
