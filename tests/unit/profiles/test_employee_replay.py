"""The employee record as a fold of HR events in effective order (plain objects)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_profiles.domain.employee import (
    EMPTY_FOLD,
    Fold,
    HrEvent,
    fold_in_order,
    replay,
    replay_order,
    snapshot_kind,
    step,
)
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


# -- incremental folding, snapshots and late events ---------------------------------


@st.composite
def hr_events(draw: st.DrawFn) -> list[HrEvent]:
    """An employee's events in arrival order: dates and times collide, kinds interleave."""
    events = []
    for arrival in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["hired", "changed", "exited"]))
        on = (date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 20)))).isoformat()
        minute = draw(st.integers(0, 2))
        if kind == "hired":
            event = hire(on, arrival, job_title=draw(st.sampled_from(["Analyst", "Lead"])))
            events.append(
                HrEvent("hired", event.effective_date, T0.replace(minute=minute), arrival, event.data)
            )
        elif kind == "changed":
            field = draw(st.sampled_from(["job_title", "department", "manager_id"]))
            value = (
                draw(st.sampled_from(["A", "B", None]))
                if field == "manager_id"
                else draw(st.sampled_from(["A", "B"]))
            )
            events.append(change(on, arrival, minute, **{field: value}))
        else:
            events.append(leave(on, arrival))
    return events


@settings(max_examples=300, deadline=None)
@given(hr_events())
def test_stepping_what_sorts_last_and_replaying_the_rest_gives_the_replayed_record(
    events: list[HrEvent],
) -> None:
    """What ingestion does, one arrival at a time, against a replay of everything so far."""
    fold, seen = EMPTY_FOLD, []
    for event in events:
        seen.append(event)
        if fold.follows(event):
            fold = step("E1", fold, event)
        else:
            fold = fold_in_order("E1", EMPTY_FOLD, replay_order(seen))
        assert fold.record == replay("E1", seen)
        assert fold.last == max(e.order for e in seen)


@settings(max_examples=300, deadline=None)
@given(hr_events(), st.integers(0, 12))
def test_a_snapshot_and_the_rest_of_the_log_replay_to_the_whole_log(events: list[HrEvent], cut: int) -> None:
    ordered = replay_order(events)
    snapshot = fold_in_order("E1", EMPTY_FOLD, ordered[:cut]).as_snapshot()
    if snapshot.record is None:
        return  # compaction keeps the log of an employee not hired yet
    assert replay("E1", ordered[cut:], start=snapshot) == replay("E1", events)


def _snapshot(*events: HrEvent) -> Fold:
    return fold_in_order("E1", EMPTY_FOLD, replay_order(events)).as_snapshot()


def test_before_the_snapshot_a_change_or_a_corrective_hire_loses_to_the_folded_values() -> None:
    snapshot = _snapshot(hire("2020-01-01", 1), change("2021-01-01", 2, job_title="Lead"))
    late = [
        change("2020-06-01", 3, job_title="Senior", department="Risk"),
        hire("2020-01-01", 4, job_title="X"),
    ]
    record = replay("E1", late, start=snapshot)
    assert record is not None and (record.job_title, record.department) == ("Lead", "Finance")


def test_before_the_snapshot_an_exit_ends_the_employment_and_later_events_replay_after_it() -> None:
    snapshot = _snapshot(hire("2020-01-01", 1), change("2021-01-01", 2, job_title="Lead"))
    after = change("2022-01-01", 4, job_title="CEO")
    record = replay("E1", [after, leave("2020-12-31", 3, "retirement")], start=snapshot)
    assert record is not None
    assert (record.status, record.exit_date, record.exit_reason, record.job_title) == (
        "departed",
        date(2020, 12, 31),
        "retirement",
        "Lead",
    )
    # An exit dated before the employment began belongs to an earlier one.
    assert replay("E1", [leave("2019-06-01", 3)], start=snapshot) == snapshot.record


def test_before_the_snapshot_an_earlier_exit_moves_the_exit_and_a_later_hire_is_a_rehire() -> None:
    snapshot = _snapshot(hire("2020-01-01", 1), leave("2022-01-01", 2))
    earlier = replay("E1", [leave("2021-06-01", 3, "involuntary")], start=snapshot)
    assert earlier is not None and (earlier.exit_date, earlier.exit_reason) == (
        date(2021, 6, 1),
        "involuntary",
    )
    assert replay("E1", [hire("2021-01-01", 3, job_title="X")], start=snapshot) == snapshot.record
    rehired = replay(
        "E1",
        [hire("2021-12-31", 3)],
        start=_snapshot(hire("2020-01-01", 1), leave("2021-06-01", 2), change("2022-01-01", 5)),
    )
    assert rehired is not None and (rehired.status, rehired.employment) == ("active", 2)


def test_a_corrective_hire_clears_what_it_nulls_and_keeps_what_it_leaves_out() -> None:
    first = hire(
        "2020-01-01",
        1,
        manager_id="M1",
        birth_year=1990,
        languages=["pt"],
        location={"country": "BR", "city": "Recife"},
    )
    record = replay(
        "E1", [first, hire("2020-01-01", 2, manager_id=None, location={"country": "BR", "city": None})]
    )
    assert record is not None
    assert (record.manager_id, record.birth_year, record.languages, record.location) == (
        None,
        1990,
        ("pt",),
        {"country": "BR"},
    )
    record = replay("E1", [first, hire("2020-01-01", 2, birth_year=None)])
    assert record is not None and (record.birth_year, record.manager_id) == (None, "M1")


def test_a_fold_knows_where_it_ends() -> None:
    first, second = hire("2020-01-01", 1), change("2021-01-01", 2, job_title="Lead")
    fold = step("E1", step("E1", EMPTY_FOLD, first), second)
    assert fold.last == second.order
    assert not fold.follows(first) and not fold.follows(second)
    assert fold.follows(change("2021-01-01", 3))
    assert fold.as_snapshot().horizon == second.order
