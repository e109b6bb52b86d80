"""The employee record as a fold of HR events in effective order (plain objects)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tandem_profiles.domain.employee import HrEvent, replay, snapshot_kind
from tandem_profiles.domain.erasure import erase, is_due, purge_event_data

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def hire(on: str, arrival: int, **data: object) -> HrEvent:
    return HrEvent(
        "hired",
        date.fromisoformat(on),
        T0,
        arrival,
        {
            "employee_id": "E1",
            "job_title": "Analyst",
            "department": "Finance",
            "seniority_level": 3,
            **data,
        },
    )


def change(on: str, arrival: int, minute: int = 0, **changes: object) -> HrEvent:
    return HrEvent(
        "changed", date.fromisoformat(on), T0.replace(minute=minute), arrival, {"changes": changes}
    )


def leave(on: str, arrival: int, reason: str = "voluntary") -> HrEvent:
    return HrEvent("exited", date.fromisoformat(on), T0, arrival, {"reason": reason})


def test_nothing_exists_before_a_hire() -> None:
    assert replay("E1", []) is None
    assert replay("E1", [change("2026-01-01", 1, job_title="Lead")]) is None
    assert replay("E1", [leave("2026-01-01", 1)]) is None


def test_arrival_order_does_not_matter() -> None:
    events = [
        hire("2020-01-01", 3),
        change("2021-01-01", 1, job_title="Lead"),
        change("2020-06-01", 2, job_title="Senior"),
    ]
    record = replay("E1", events)
    assert record is not None and record.job_title == "Lead"
    assert replay("E1", list(reversed(events))) == record


def test_same_date_ties_break_on_ce_time_then_arrival() -> None:
    record = replay(
        "E1",
        [
            hire("2020-01-01", 1),
            change("2021-01-01", 2, minute=5, department="Risk"),
            change("2021-01-01", 3, minute=1, department="Audit"),
        ],
    )
    assert record is not None and record.department == "Risk"
    record = replay(
        "E1",
        [
            hire("2020-01-01", 1),
            change("2021-01-01", 3, department="Risk"),
            change("2021-01-01", 2, department="Audit"),
        ],
    )
    assert record is not None and record.department == "Risk"


def test_a_held_change_applies_once_the_employee_is_hired() -> None:
    record = replay("E1", [change("2019-01-01", 1, department="Risk"), hire("2020-01-01", 2)])
    assert record is not None and record.department == "Risk"


def test_an_early_exit_keeps_a_late_earlier_hire_departed() -> None:
    record = replay("E1", [leave("2024-01-31", 1), hire("2020-01-01", 2)])
    assert record is not None
    assert (record.status, record.exit_date, record.employment) == (
        "departed",
        date(2024, 1, 31),
        1,
    )


def test_a_hire_after_the_exit_is_a_new_employment() -> None:
    record = replay(
        "E1",
        [hire("2020-01-01", 1), leave("2022-01-01", 2), hire("2023-01-01", 3, job_title="Lead")],
    )
    assert record is not None
    assert (
        record.status,
        record.employment,
        record.hire_date,
        record.exit_date,
        record.job_title,
    ) == ("active", 2, date(2023, 1, 1), None, "Lead")


def test_a_second_hire_inside_the_same_employment_corrects_it() -> None:
    record = replay("E1", [hire("2020-01-01", 1), hire("2020-01-01", 2, job_title="Senior Analyst")])
    assert record is not None and (record.employment, record.job_title) == (1, "Senior Analyst")


def test_changes_after_an_exit_do_not_alter_the_departed_record() -> None:
    record = replay(
        "E1",
        [hire("2020-01-01", 1), leave("2022-01-01", 2), change("2022-06-01", 3, job_title="CEO")],
    )
    assert record is not None and record.job_title == "Analyst"


def test_snapshot_kinds() -> None:
    active = replay("E1", [hire("2020-01-01", 1)])
    departed = replay("E1", [hire("2020-01-01", 1), leave("2022-01-01", 2)])
    assert active is not None and departed is not None
    assert snapshot_kind(None, active) == "registered"
    assert snapshot_kind(None, departed) == "registered"
    assert snapshot_kind(active, departed) == "departed"
    assert snapshot_kind(departed, active) == "updated"


def test_erasure_rules() -> None:
    departed = replay(
        "E1",
        [
            hire("2020-01-01", 1, email="a@x.io", display_name="A", birth_year=1990),
            leave("2024-01-31", 2),
        ],
    )
    assert departed is not None
    assert is_due(departed, date(2025, 1, 30), 365)
    assert not is_due(departed, date(2025, 1, 29), 365)
    erased = erase(departed)
    assert (erased.email, erased.display_name, erased.birth_year) == (None, None, None)
    assert (erased.department, erased.seniority_level, erased.hire_date) == (
        "Finance",
        3,
        date(2020, 1, 1),
    )
    assert purge_event_data(
        {
            "employee_id": "E1",
            "email": "a@x.io",
            "hire_date": "2020-01-01",
            "changes": {"job_title": "x", "department": "Risk"},
        }
    ) == {"employee_id": "E1", "hire_date": "2020-01-01", "changes": {"department": "Risk"}}
