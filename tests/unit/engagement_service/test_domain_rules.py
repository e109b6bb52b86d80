"""Engagement domain rules with plain objects: session fields, dating, partners, the
reciprocity index, check-in dates and answers, goals, match states, people history."""

from __future__ import annotations

from datetime import date

import pytest

from tandem_common.user_errors import UserError
from tandem_engagement.domain.checkins import (
    Answers,
    check_answers,
    checkin_id,
    come_due,
    due_dates,
    next_due,
)
from tandem_engagement.domain.goals import check_goal, create_goal, edit_goal, owners_of
from tandem_engagement.domain.ledger import RecordedEntry, match_ledger, person_ledger, reciprocity
from tandem_engagement.domain.matches import CheckinSchedule, Member, new_match
from tandem_engagement.domain.people import erased_person, person_from_snapshot
from tandem_engagement.domain.sessions import (
    LedgerEntry,
    check_session,
    dating_problems,
    ledger_entries,
    partner_of,
)
from tests.unit.engagement_service.support import T0, a_log, a_match

TODAY = date(2026, 3, 1)


def errors_of(body: object) -> list[tuple[str, str, str]]:
    errors, _ = check_session(body)
    return [(e.field, e.message, e.code) for e in errors]


# -- sessions, per field ------------------------------------------------------------


def test_a_good_log_is_read_into_its_parts() -> None:
    errors, given = check_session(a_log(client_request_id="r-1"))
    assert errors == []
    assert given is not None
    assert (given.held_on, given.minutes, given.mode) == (date(2026, 2, 10), 45, "video")
    assert (given.taught, given.learned) == (("social-media",), ("stakeholder-management", "negotiation"))
    assert given.client_request_id == "r-1"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"held_on": "10/02/2026"}, ("held_on", "must be an ISO 8601 date, YYYY-MM-DD"), id="date-format"
        ),
        pytest.param({"held_on": "2026-02-30"}, ("held_on", "is not a calendar date"), id="date-calendar"),
        pytest.param(
            {"held_on": 20260210}, ("held_on", "must be an ISO 8601 date, YYYY-MM-DD"), id="date-type"
        ),
        pytest.param({"minutes": 0}, ("minutes", "must be from 1 to 1440"), id="minutes-zero"),
        pytest.param({"minutes": 1441}, ("minutes", "must be from 1 to 1440"), id="minutes-over-a-day"),
        pytest.param({"minutes": 30.5}, ("minutes", "must be a whole number"), id="minutes-fraction"),
        pytest.param({"minutes": True}, ("minutes", "must be a whole number"), id="minutes-bool"),
        pytest.param(
            {"mode": "carrier-pigeon"}, ("mode", "must be one of in_person, video, phone, chat"), id="mode"
        ),
        pytest.param(
            {"taught": ["Social Media"]},
            ("taught.0", "must be a skill id: lower-case letters and digits joined by hyphens"),
            id="skill-format",
        ),
        pytest.param({"taught": "social-media"}, ("taught", "must be a list"), id="taught-not-a-list"),
        pytest.param(
            {"learned": ["negotiation", "negotiation"]},
            ("learned.1", "repeats an earlier entry"),
            id="learned-twice",
        ),
        pytest.param(
            {"learned": [f"skill-{i}" for i in range(21)]},
            ("learned", "must have at most 20 entries"),
            id="too-many",
        ),
        pytest.param({"notes": "x" * 4001}, ("notes", "must be at most 4000 characters"), id="notes-long"),
        pytest.param(
            {"notes": "bell\x07"},
            ("notes", "must not contain control characters other than line breaks and tabs"),
            id="notes-control",
        ),
        pytest.param(
            {"partner_id": "no spaces"},
            ("partner_id", "must be an employee id: 1 to 64 characters of A-Z a-z 0-9 . _ : -"),
            id="partner-format",
        ),
        pytest.param(
            {"client_request_id": "x" * 65},
            ("client_request_id", "must be 1 to 64 characters of A-Z a-z 0-9 . _ : -"),
            id="request-id",
        ),
        pytest.param({"colour": "red"}, ("colour", "is not a known field"), id="unknown"),
    ],
)
def test_each_bad_field_is_named(changes: dict[str, object], expected: tuple[str, str]) -> None:
    assert errors_of(a_log(**changes)) == [(*expected, "VALIDATION")]


def test_missing_fields_are_each_named_and_nulls_of_optional_ones_are_absent() -> None:
    assert errors_of({"notes": None, "taught": None}) == [
        ("held_on", "is required", "VALIDATION"),
        ("minutes", "is required", "VALIDATION"),
        ("mode", "is required", "VALIDATION"),
    ]
    assert errors_of([1, 2]) == [("input", "must be an object", "VALIDATION")]


def test_notes_may_span_lines() -> None:
    assert errors_of(a_log(notes="line one\n\tline two")) == []


def test_dates_outside_the_match_or_in_the_future_are_refused() -> None:
    ended = a_match(status="ended", started_on=date(2026, 1, 5), ended_on=date(2026, 2, 20))
    assert dating_problems(ended, date(2026, 2, 20), today=TODAY) == []
    assert dating_problems(ended, date(2026, 1, 4), today=TODAY) == [
        UserError("held_on", "is before the match started", "VALIDATION")
    ]
    assert dating_problems(ended, date(2026, 2, 21), today=TODAY) == [
        UserError("held_on", "is after the match ended", "VALIDATION")
    ]
    active = a_match()
    assert dating_problems(active, TODAY, today=TODAY) == []
    assert dating_problems(active, date(2026, 3, 2), today=TODAY) == [
        UserError("held_on", "is in the future", "VALIDATION")
    ]


@pytest.mark.parametrize("status", ["proposed", "declined"])
def test_a_match_that_never_started_takes_no_session(status: str) -> None:
    match = a_match(status=status, started_on=None, ends_on=None)
    assert dating_problems(match, date(2026, 2, 1), today=TODAY) == [
        UserError("match_id", "the match has not started", "CONFLICT")
    ]


def test_the_partner_is_the_other_member_of_a_pair_and_named_in_a_circle() -> None:
    pair = a_match()
    assert partner_of(pair, "A", None) == ("B", None)
    assert partner_of(pair, "A", "A") == (
        None,
        UserError("partner_id", "must be another member of the match", "VALIDATION"),
    )
    circle = a_match(members=("F", "A", "B", "C"))
    assert partner_of(circle, "A", None) == (
        None,
        UserError("partner_id", "is required for a match of more than two members", "VALIDATION"),
    )
    assert partner_of(circle, "A", "C") == ("C", None)
    assert partner_of(circle, "A", "Z")[1] == UserError(
        "partner_id", "must be another member of the match", "VALIDATION"
    )


def test_the_viewer_side_becomes_both_directions() -> None:
    assert ledger_entries("A", "B", ("python",), ("public-speaking", "excel")) == (
        LedgerEntry("A", "B", "python"),
        LedgerEntry("B", "A", "public-speaking"),
        LedgerEntry("B", "A", "excel"),
    )


# -- the reciprocity index, exact ---------------------------------------------------


def entry(from_id: str, to_id: str, skill: str = "s", day: int = 1, session: str = "S1") -> RecordedEntry:
    return RecordedEntry(session, "M1", "P1", from_id, to_id, skill, date(2026, 2, day))


@pytest.mark.parametrize(
    ("given", "index"),
    [
        pytest.param([], 0.0, id="nothing-yet-0-over-0"),
        pytest.param([("A", "B")] * 5, 0.0, id="one-way-0-over-5"),
        pytest.param([("A", "B")] * 3 + [("B", "A")] * 3, 1.0, id="even-3-3"),
        pytest.param([("A", "B")] * 4 + [("B", "A")], 0.25, id="4-to-1"),
        pytest.param([("A", "B")] * 2 + [("B", "A")] * 3, 2 / 3, id="2-to-3"),
    ],
)
def test_reciprocity_is_the_weaker_direction_over_the_stronger(
    given: list[tuple[str, str]], index: float
) -> None:
    result = reciprocity(["A", "B"], [entry(f, t) for f, t in given])
    assert result.index == index
    assert dict(result.given) == {
        "A": sum(1 for f, _ in given if f == "A"),
        "B": sum(1 for f, _ in given if f == "B"),
    }


def test_in_a_circle_the_least_giving_member_over_the_most() -> None:
    entries = [
        entry("F", "A"),
        entry("F", "B"),
        entry("F", "C"),
        entry("F", "A"),
        entry("A", "F"),
        entry("B", "C"),
    ]
    result = reciprocity(["F", "A", "B", "C"], entries)
    assert result.given == (("F", 4), ("A", 1), ("B", 1), ("C", 0))
    assert result.index == 0.0
    assert reciprocity(["F", "A", "B"], entries[:5] + [entry("B", "F")] * 3).index == 1 / 3


def test_a_match_ledger_lists_skills_per_direction() -> None:
    entries = [
        entry("A", "B", "python", 2, "S2"),
        entry("B", "A", "excel", 1, "S1"),
        entry("A", "B", "python", 1, "S1"),
        entry("A", "B", "sql", 1, "S1"),
    ]
    ledger = match_ledger("M1", ["A", "B"], entries)
    assert [(e.session_id, e.skill) for e in ledger.entries] == [
        ("S1", "excel"),
        ("S1", "python"),
        ("S1", "sql"),
        ("S2", "python"),
    ]
    assert [
        (d.from_id, d.to_id, d.count, [(s.skill, s.count) for s in d.skills]) for d in ledger.directions
    ] == [
        ("A", "B", 3, [("python", 2), ("sql", 1)]),
        ("B", "A", 1, [("excel", 1)]),
    ]
    assert ledger.reciprocity.index == 1 / 3


def test_a_person_ledger_counts_across_programs() -> None:
    entries = [
        entry("A", "B", "python"),
        RecordedEntry("S9", "M2", "P2", "A", "C", "python", date(2026, 3, 1)),
        RecordedEntry("S9", "M2", "P2", "C", "A", "excel", date(2026, 3, 1)),
        entry("B", "C", "sql"),
    ]
    ledger = person_ledger("A", entries)
    assert [(s.skill, s.count) for s in ledger.taught] == [("python", 2)]
    assert [(s.skill, s.count) for s in ledger.learned] == [("excel", 1)]
    assert (ledger.taught_people, ledger.learned_from_people, ledger.programs) == (2, 1, ("P1", "P2"))


# -- check-in dates -----------------------------------------------------------------


def test_the_default_schedule_is_30_days_then_every_60_until_the_end() -> None:
    dates = list(due_dates(date(2026, 1, 1), date(2026, 7, 1), CheckinSchedule(30, 60)))
    assert dates == [date(2026, 1, 31), date(2026, 4, 1), date(2026, 5, 31)]


def test_a_date_on_the_last_day_is_the_end_not_a_check_in() -> None:
    assert list(due_dates(date(2026, 1, 1), date(2026, 1, 31), CheckinSchedule(30, 60))) == []
    assert list(due_dates(date(2026, 1, 1), date(2026, 2, 1), CheckinSchedule(30, 60))) == [date(2026, 1, 31)]


def test_a_program_schedule_is_followed() -> None:
    assert list(due_dates(date(2026, 1, 1), date(2026, 2, 1), CheckinSchedule(7, 7))) == [
        date(2026, 1, 8),
        date(2026, 1, 15),
        date(2026, 1, 22),
        date(2026, 1, 29),
    ]


def test_next_and_come_due_start_after_the_last_announced_date() -> None:
    match = a_match(started_on=date(2026, 1, 1), ends_on=date(2026, 7, 1))
    schedule = CheckinSchedule(30, 60)
    assert next_due(match, schedule, after=None) == date(2026, 1, 31)
    assert next_due(match, schedule, after=date(2026, 1, 31)) == date(2026, 4, 1)
    assert next_due(match, schedule, after=date(2026, 5, 31)) is None
    assert come_due(match, schedule, today=date(2026, 1, 30)) == []
    assert come_due(match, schedule, today=date(2026, 4, 1)) == [date(2026, 1, 31), date(2026, 4, 1)]
    through = match.scheduled(date(2026, 4, 1), date(2026, 1, 31))
    assert come_due(through, schedule, today=date(2026, 4, 1)) == [date(2026, 4, 1)]
    ended = a_match(
        status="ended", started_on=date(2026, 1, 1), ends_on=date(2026, 7, 1), ended_on=date(2026, 2, 1)
    )
    assert next_due(ended, schedule, after=None) is None
    assert come_due(ended, schedule, today=date(2026, 4, 1)) == []


def test_check_in_ids_are_the_same_everywhere_and_opaque() -> None:
    first = checkin_id("M1", "A", date(2026, 1, 31))
    assert first == checkin_id("M1", "A", date(2026, 1, 31))
    assert (
        len({first, checkin_id("M1", "B", date(2026, 1, 31)), checkin_id("M1", "A", date(2026, 4, 1))}) == 3
    )
    assert len(first) == 32 and "M1" not in first


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"satisfaction": 0}, ("satisfaction", "must be from 1 to 5"), id="low"),
        pytest.param({"career_support": 6}, ("career_support", "must be from 1 to 5"), id="high"),
        pytest.param(
            {"psychosocial_support": "4"}, ("psychosocial_support", "must be a whole number"), id="text"
        ),
        pytest.param({"role_modelling": 2.5}, ("role_modelling", "must be a whole number"), id="fraction"),
        pytest.param({"comment": "c" * 2001}, ("comment", "must be at most 2000 characters"), id="comment"),
        pytest.param({"mood": 3}, ("mood", "is not a known field"), id="unknown"),
    ],
)
def test_each_bad_answer_is_named(body: dict[str, object], expected: tuple[str, str]) -> None:
    good = {"satisfaction": 4, "career_support": 3, "psychosocial_support": 5, "role_modelling": 2}
    errors, answers = check_answers({**good, **body})
    assert [(e.field, e.message, e.code) for e in errors] == [(*expected, "VALIDATION")]
    assert answers is None


def test_answers_need_all_four_ratings_and_the_comment_is_optional() -> None:
    errors, _ = check_answers({"satisfaction": 4})
    assert [e.field for e in errors] == ["career_support", "psychosocial_support", "role_modelling"]
    assert check_answers(
        {"satisfaction": 4, "career_support": 3, "psychosocial_support": 5, "role_modelling": 2}
    ) == (
        [],
        Answers(4, 3, 5, 2, ""),
    )


# -- goals --------------------------------------------------------------------------


def test_goal_fields_are_checked_and_creation_needs_a_title_and_due_date() -> None:
    assert [(e.field, e.message) for e in check_goal({}, creating=True)] == [
        ("title", "is required"),
        ("due_on", "is required"),
    ]
    assert check_goal({}, creating=False) == []
    found = check_goal(
        {"progress": 101, "status": "finished", "title": " ", "owner_id": None}, creating=False
    )
    assert [(e.field, e.message) for e in found] == [
        ("progress", "must be from 0 to 100"),
        ("status", "must be one of open, done, dropped"),
        ("title", "must be a non-empty string"),
    ]


def test_a_goal_is_shared_or_owned_by_a_member_and_done_means_100() -> None:
    match = a_match()
    assert owners_of(match, None) == (("A", "B"), None)
    assert owners_of(match, "B") == (("B",), None)
    assert owners_of(match, "Z")[1] == UserError("owner_id", "must be a member of the match", "VALIDATION")
    goal = create_goal(match, {"title": "Ship", "due_on": "2026-06-30"}, ("A", "B"), by="A", now=T0)
    assert (goal.progress, goal.status, goal.version, goal.shared) == (0, "open", 1, True)
    assert edit_goal(goal, {"title": "Ship"}, None, now=T0) is goal
    done = edit_goal(goal, {"status": "done"}, None, now=T0)
    assert (done.progress, done.status, done.version) == (100, "done", 2)
    owned = edit_goal(done, {"progress": 40, "status": "open"}, ("A",), now=T0)
    assert (owned.progress, owned.owners, owned.version, owned.shared) == (40, ("A",), 3, False)


# -- match states -------------------------------------------------------------------


def test_a_match_keeps_the_furthest_state_in_any_order() -> None:
    members = [Member("A", "partner"), Member("B", "partner")]
    ended = new_match("M1", "P1", [], now=T0).ended(
        members=members, ended_on=date(2026, 2, 1), reason="member_departed", now=T0
    )
    late_start = ended.started(
        program_type="reverse", members=members, started_on=date(2026, 1, 1), ends_on=date(2026, 6, 1), now=T0
    )
    assert (late_start.status, late_start.started_on, late_start.ended_on, late_start.end_reason) == (
        "ended",
        date(2026, 1, 1),
        date(2026, 2, 1),
        "member_departed",
    )
    assert late_start.proposed(members, now=T0).status == "ended"
    started = new_match("M2", "P1", members, now=T0).started(
        program_type="peer", members=members, started_on=date(2026, 1, 1), ends_on=date(2026, 6, 1), now=T0
    )
    assert started.status == "active"
    assert started.declined(now=T0).status == "declined"


# -- people -------------------------------------------------------------------------


def snapshot(version: int, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "employee_id": "E1",
        "profile_version": version,
        "status": "active",
        "department": "Finance",
        "location": {"country": "BR"},
        "seniority_level": 3,
        "hire_date": "2025-03-01",
        "mentoring": {"consents": {"demographics_for_reporting": True}},
    }
    data.update(changes)
    return data


def test_history_rows_are_kept_for_tracked_changes_only() -> None:
    hired = person_from_snapshot(snapshot(1))
    first = hired.history_row(None, published_on=date(2025, 3, 2))
    assert first is not None and (first.valid_from, first.department, first.seniority_level) == (
        date(2025, 3, 1),
        "Finance",
        3,
    )
    assert hired.demographics_consent is True
    retitled = person_from_snapshot(snapshot(2, job_title="Senior"))
    assert retitled.history_row(hired, published_on=date(2025, 6, 1)) is None
    promoted = person_from_snapshot(snapshot(3, seniority_level=4))
    row = promoted.history_row(retitled, published_on=date(2025, 9, 1))
    assert row is not None and (row.valid_from, row.seniority_level) == (date(2025, 9, 1), 4)
    left = person_from_snapshot(
        snapshot(4, seniority_level=4, status="departed", exit_date="2025-12-31", exit_reason="voluntary")
    )
    row = left.history_row(promoted, published_on=date(2026, 1, 5))
    assert row is not None and (row.valid_from, row.status) == (date(2025, 12, 31), "departed")
    assert (left.exit_date, left.exit_reason) == (date(2025, 12, 31), "voluntary")


def test_an_erased_person_keeps_only_dates_and_ignores_older_versions() -> None:
    left = person_from_snapshot(
        snapshot(4, status="departed", exit_date="2025-12-31", exit_reason="voluntary")
    )
    gone = erased_person("E1", 5, left)
    assert (gone.status, gone.department, gone.country, gone.seniority_level) == ("erased", None, None, None)
    assert (gone.hire_date, gone.exit_date, gone.exit_reason) == (
        date(2025, 3, 1),
        date(2025, 12, 31),
        "voluntary",
    )
    assert gone.history_row(left, published_on=date(2026, 1, 1)) is None
    assert not person_from_snapshot(snapshot(3)).supersedes(gone)
