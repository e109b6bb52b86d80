"""An independent reading of events.md's hr.employees rules, for the generator's output.

It deliberately shares no code with the generator: if both were wrong the same way,
a shared helper would hide it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.event_contract import CE_HEADERS, CHANGEABLE, HIRED_OPTIONAL, HIRED_REQUIRED

EMPLOYEE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
COUNTRY = re.compile(r"[A-Z]{2}")
BCP47 = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
HIRED = "tandem.hr.employee.hired.v1"
CHANGED = "tandem.hr.employee.changed.v1"
EXITED = "tandem.hr.employee.exited.v1"
CHANGE_REASONS = {"promotion", "transfer", "manager_change", "correction", "other"}
EXIT_REASONS = {"voluntary", "involuntary", "retirement", "other"}


def check_date(value: Any) -> date:
    assert isinstance(value, str) and ISO_DATE.fullmatch(value), value
    return date.fromisoformat(value)


def check_text(value: Any) -> None:
    assert isinstance(value, str) and value.strip(), value


def check_seniority(value: Any) -> None:
    assert type(value) is int and 1 <= value <= 10, value


def check_timezone(value: Any) -> None:
    assert isinstance(value, str)
    ZoneInfo(value)


def check_languages(value: Any) -> None:
    assert isinstance(value, list) and value, value
    assert all(isinstance(tag, str) and BCP47.fullmatch(tag) for tag in value), value
    assert len(set(value)) == len(value), value


def check_location(value: Any) -> None:
    assert isinstance(value, dict) and set(value) <= {"country", "city"}, value
    assert isinstance(value["country"], str) and COUNTRY.fullmatch(value["country"]), value
    if "city" in value:
        check_text(value["city"])


def check_record(record: Any, source: str) -> tuple[str, str, date]:
    """Checks one line; returns (ce_type, employee id, effective date)."""
    assert isinstance(record, dict)
    assert list(record) == ["topic", "key", "headers", "value"]
    assert record["topic"] == "hr.employees"
    headers, value, key = record["headers"], record["value"], record["key"]
    assert set(headers) == CE_HEADERS
    assert all(isinstance(header, str) for header in headers.values())
    assert headers["ce_specversion"] == "1.0"
    assert headers["content-type"] == "application/json"
    assert headers["ce_source"] == source
    assert RFC3339_UTC.fullmatch(headers["ce_time"])
    datetime.fromisoformat(headers["ce_time"].replace("Z", "+00:00"))
    assert EMPLOYEE_ID.fullmatch(key)
    assert headers["ce_subject"] == key == value["employee_id"]
    ce_type = headers["ce_type"]
    if ce_type == HIRED:
        assert HIRED_REQUIRED <= set(value) <= HIRED_REQUIRED | HIRED_OPTIONAL
        for field in ("email", "display_name", "job_title", "department"):
            check_text(value[field])
        assert value["email"].endswith("@example.com")
        check_location(value["location"])
        check_timezone(value["timezone"])
        check_seniority(value["seniority_level"])
        manager = value.get("manager_id")
        assert manager is None or EMPLOYEE_ID.fullmatch(manager)
        if "birth_year" in value:
            assert type(value["birth_year"]) is int and 1940 <= value["birth_year"] <= 2010
        if "languages" in value:
            check_languages(value["languages"])
        effective = check_date(value["hire_date"])
        assert headers["ce_id"] == f"hire-{key}"
    elif ce_type == CHANGED:
        assert set(value) == {"employee_id", "effective_date", "reason", "changes"}
        assert value["reason"] in CHANGE_REASONS
        changes = value["changes"]
        assert isinstance(changes, dict) and changes and set(changes) <= CHANGEABLE
        if "seniority_level" in changes:
            check_seniority(changes["seniority_level"])
        if "manager_id" in changes:
            assert EMPLOYEE_ID.fullmatch(changes["manager_id"])
        for field in ("job_title", "department"):
            if field in changes:
                check_text(changes[field])
        effective = check_date(value["effective_date"])
        assert re.fullmatch(rf"chg-{re.escape(key)}-\d+", headers["ce_id"])
    else:
        assert ce_type == EXITED
        assert set(value) == {"employee_id", "exit_date", "reason"}
        assert value["reason"] in EXIT_REASONS
        effective = check_date(value["exit_date"])
        assert headers["ce_id"] == f"exit-{key}"
    assert headers["ce_time"].startswith(effective.isoformat())
    return ce_type, key, effective
