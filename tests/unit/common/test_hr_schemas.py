"""The HR event rules of events.md, checked on the schemas."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tandem_common.events.hr import EmployeeChangedV1, EmployeeHiredV1
from tests.support.event_contract import HIRED_REQUIRED

HIRED = {
    "employee_id": "E000123",
    "email": "ana.lima@example.com",
    "display_name": "Ana Lima",
    "job_title": "Data Analyst",
    "department": "Finance",
    "manager_id": "E000042",
    "location": {"country": "BR", "city": "Sao Paulo"},
    "timezone": "America/Sao_Paulo",
    "hire_date": "2026-03-01",
    "seniority_level": 3,
    "birth_year": 1998,
    "languages": ["pt", "en"],
}


def test_the_contract_example_is_valid() -> None:
    hired = EmployeeHiredV1.model_validate(HIRED)
    assert hired.key() == "E000123"
    assert hired.hire_date.isoformat() == "2026-03-01"


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("employee_id", "E 1", "employee_id"),
        ("employee_id", "x" * 65, "employee_id"),
        ("hire_date", "01/03/2026", "hire_date"),
        ("hire_date", "2026-02-30", "hire_date"),
        ("location", {"country": "XX"}, "location.country"),
        ("location", {"country": "br"}, "location.country"),
        ("timezone", "Mars/Olympus", "timezone"),
        ("languages", ["english!"], "languages.0"),
        ("seniority_level", 0, "seniority_level"),
        ("seniority_level", 11, "seniority_level"),
        ("seniority_level", "3", "seniority_level"),
        ("email", "not-an-email", "email"),
    ],
)
def test_values_outside_the_rules_are_rejected_naming_the_field(
    field: str, value: object, where: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        EmployeeHiredV1.model_validate({**HIRED, field: value})
    locations = {".".join(str(p) for p in error["loc"]) for error in raised.value.errors()}
    assert where in locations


@pytest.mark.parametrize("missing", sorted(HIRED_REQUIRED))
def test_each_required_field_is_required(missing: str) -> None:
    data = {k: v for k, v in HIRED.items() if k != missing}
    with pytest.raises(ValidationError):
        EmployeeHiredV1.model_validate(data)


def test_changed_accepts_a_partial_object_and_knows_which_fields_were_set() -> None:
    changed = EmployeeChangedV1.model_validate(
        {
            "employee_id": "E1",
            "effective_date": "2026-09-01",
            "reason": "promotion",
            "changes": {
                "job_title": "Senior Data Analyst",
                "seniority_level": 4,
                "manager_id": None,
            },
        }
    )
    assert changed.changes.present() == {
        "job_title": "Senior Data Analyst",
        "seniority_level": 4,
        "manager_id": None,
    }


def test_changed_rejects_a_field_outside_the_list() -> None:
    with pytest.raises(ValidationError):
        EmployeeChangedV1.model_validate(
            {
                "employee_id": "E1",
                "effective_date": "2026-09-01",
                "reason": "other",
                "changes": {"birth_year": 1990},
            }
        )
