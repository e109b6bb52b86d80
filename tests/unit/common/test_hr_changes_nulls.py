"""A ``changed`` event may clear only the fields the record may lack: nulls elsewhere are bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tandem_common.envelope import CloudEvent, EnvelopeError
from tandem_common.events.hr import HR_EVENTS, EmployeeChangedV1
from tandem_common.events.registry import EventRegistry


def _changed(changes: dict[str, object]) -> CloudEvent:
    return CloudEvent(
        id="c-1",
        source="workday/acme-test",
        type=EmployeeChangedV1.ce_type,
        time=datetime(2026, 11, 1, tzinfo=UTC),
        data={
            "employee_id": "E1",
            "effective_date": "2026-11-01",
            "reason": "correction",
            "changes": changes,
        },
    )


@pytest.mark.parametrize(
    "field",
    ["email", "display_name", "job_title", "department", "location", "timezone", "seniority_level"],
)
def test_a_null_for_a_field_a_hire_requires_is_rejected_at_validate_naming_field_and_rule(field: str) -> None:
    with pytest.raises(EnvelopeError) as raised:
        EventRegistry(HR_EVENTS).validate(_changed({field: None}))
    assert raised.value.stage == "validate"
    assert raised.value.reason == (
        f"field changes.{field}: must not be null "
        "(a hire requires it; only manager_id and languages may be null)"
    )


def test_the_reason_names_the_first_null_field_and_counts_the_others() -> None:
    with pytest.raises(EnvelopeError) as raised:
        EventRegistry(HR_EVENTS).validate(_changed({"job_title": "Lead", "email": None, "timezone": None}))
    assert raised.value.reason == (
        "field changes.email: must not be null "
        "(a hire requires it; only manager_id and languages may be null) (and 1 more problem)"
    )


def test_manager_id_and_languages_may_be_cleared_and_absent_fields_stay_absent() -> None:
    data = EventRegistry(HR_EVENTS).validate(_changed({"manager_id": None, "languages": None}))
    assert isinstance(data, EmployeeChangedV1)
    assert data.changes.present() == {"manager_id": None, "languages": None}


def test_a_present_value_is_still_checked_by_its_own_rule() -> None:
    with pytest.raises(EnvelopeError) as raised:
        EventRegistry(HR_EVENTS).validate(_changed({"seniority_level": 11}))
    assert raised.value.reason == "field changes.seniority_level: Input should be less than or equal to 10"
