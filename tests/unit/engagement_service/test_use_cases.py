"""Use cases on the fake unit of work: what they store, what they publish (exactly), what
they refuse per field, and that they leave the commit to their caller."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tandem_common.envelope import CloudEvent
from tandem_common.events.matching import (
    EnrolmentChanged,
    MatchDeclined,
    MatchEnded,
    MatchMember,
    MatchStarted,
    ProgramChanged,
)
from tandem_common.events.profiles import ProfileErasedV1, ProfileRegisteredV1, ProfileUpdatedV1
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.user_errors import UserError, UserErrors
from tandem_engagement.domain.checkins import Answers, checkin_id
from tandem_engagement.domain.enrolments import Enrolment
from tandem_engagement.domain.matches import CheckinSchedule
from tandem_engagement.service import queries
from tandem_engagement.service.checkins import (
    AnnounceDueCheckins,
    SubmitCheckin,
    announce_due_checkins,
    submit_checkin,
)
from tandem_engagement.service.goals import SetGoal, set_goal
from tandem_engagement.service.read_models import apply_matching_events, apply_profile_events
from tandem_engagement.service.sessions import LogSession, log_session
from tests.fakes.engagement import FakeEngagementDatabase, FakeEngagementUnitOfWork
from tests.unit.engagement_service.support import DEFAULTS, SOURCE, T0, a_log, a_match, a_program, viewer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def database_with(*matches: Any, programs: tuple[Any, ...] = ()) -> FakeEngagementDatabase:
    database = FakeEngagementDatabase()
    database.matches = {m.match_id: m for m in matches}
    database.programs = {p.program_id: p for p in (programs or (a_program(),))}
    return database


def published(uow: FakeEngagementUnitOfWork) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (e.data.ce_type, e.id, e.data.key(), e.data.model_dump(mode="json", by_alias=True))
        for e in uow.published
    ]


async def refused(action: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(UserErrors) as raised:
        await action
    return [(e.field, e.message, e.code) for e in raised.value.errors]


# -- sessions -----------------------------------------------------------------------


async def test_a_logged_session_records_both_directions_and_publishes_no_notes() -> None:
    database = database_with(a_match())
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        logged = await log_session(uow, LogSession(viewer("A"), "M1", a_log()), now=NOW, source=SOURCE)
        assert not uow.committed
        await uow.commit()
    session = logged.session
    assert logged.created and session.notes == "Private: talked about the reorganisation"
    assert published(uow) == [
        (
            "tandem.engagement.session.logged.v1",
            f"{session.session_id}.logged",
            "M1",
            {
                "session_id": session.session_id,
                "match_id": "M1",
                "program_id": "P1",
                "held_on": "2026-02-10",
                "minutes": 45,
                "mode": "video",
                "logged_by": "A",
                "learning": [
                    {"from": "A", "to": "B", "skill": "social-media"},
                    {"from": "B", "to": "A", "skill": "stakeholder-management"},
                    {"from": "B", "to": "A", "skill": "negotiation"},
                ],
            },
        )
    ]
    assert database.sessions == {session.session_id: session}


async def test_a_repeated_submission_has_one_effect_and_a_reused_id_for_another_session_conflicts() -> None:
    database = database_with(a_match())
    body = a_log(client_request_id="req-1")
    for _ in range(2):
        uow = FakeEngagementUnitOfWork(database)
        async with uow:
            logged = await log_session(uow, LogSession(viewer("A"), "M1", body), now=NOW, source=SOURCE)
            await uow.commit()
    assert not logged.created and uow.published == []
    assert list(database.sessions) == [logged.session.session_id]
    assert len(database.outbox) == 1
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        assert await refused(
            log_session(uow, LogSession(viewer("A"), "M1", {**body, "minutes": 30}), now=NOW, source=SOURCE)
        ) == [("client_request_id", "was already used for a different session", "CONFLICT")]
    # The partner may use the same request id for their own log.
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        other = await log_session(uow, LogSession(viewer("B"), "M1", body), now=NOW, source=SOURCE)
    assert other.created


@pytest.mark.parametrize(
    ("who", "match_id", "body", "expected"),
    [
        pytest.param("A", "M9", a_log(), [("match_id", "no such match", "NOT_FOUND")], id="no-match"),
        pytest.param(
            "C",
            "M1",
            a_log(),
            [("match_id", "only a member of the match can log its sessions", "FORBIDDEN")],
            id="not-a-member",
        ),
        pytest.param(
            "A",
            "M1",
            a_log(held_on="2026-03-02"),
            [("held_on", "is in the future", "VALIDATION")],
            id="future",
        ),
        pytest.param(
            "A",
            "M1",
            a_log(held_on="2026-01-04"),
            [("held_on", "is before the match started", "VALIDATION")],
            id="before-start",
        ),
        pytest.param(
            "A",
            "M2",
            a_log(held_on="2026-02-21"),
            [("held_on", "is after the match ended", "VALIDATION")],
            id="after-end",
        ),
        pytest.param(
            "A", "M3", a_log(), [("match_id", "the match has not started", "CONFLICT")], id="proposed"
        ),
        pytest.param(
            "A",
            "M1",
            a_log(minutes=0, mode="fax"),
            [
                ("minutes", "must be from 1 to 1440", "VALIDATION"),
                ("mode", "must be one of in_person, video, phone, chat", "VALIDATION"),
            ],
            id="fields",
        ),
        pytest.param(
            "A",
            "M4",
            a_log(),
            [("partner_id", "is required for a match of more than two members", "VALIDATION")],
            id="circle-without-partner",
        ),
    ],
)
async def test_a_refused_session_changes_nothing(
    who: str, match_id: str, body: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    database = database_with(
        a_match(),
        a_match("M2", status="ended", ended_on=date(2026, 2, 20)),
        a_match("M3", status="proposed", started_on=None, ends_on=None),
        a_match("M4", members=("F", "A", "B", "C")),
    )
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        assert (
            await refused(log_session(uow, LogSession(viewer(who), match_id, body), now=NOW, source=SOURCE))
            == expected
        )
    assert database.sessions == {} and database.outbox == []


async def test_a_session_in_a_circle_is_with_the_named_member_and_an_ended_match_takes_past_sessions() -> (
    None
):
    database = database_with(
        a_match("M4", members=("F", "A", "B", "C")), a_match("M2", status="ended", ended_on=date(2026, 2, 20))
    )
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        circle = await log_session(
            uow, LogSession(viewer("A"), "M4", a_log(partner_id="C")), now=NOW, source=SOURCE
        )
        late = await log_session(
            uow, LogSession(viewer("B"), "M2", a_log(held_on="2026-02-20")), now=NOW, source=SOURCE
        )
    assert [(e.from_id, e.to_id) for e in circle.session.learning] == [("A", "C"), ("C", "A"), ("C", "A")]
    assert (late.session.partner_id, late.session.held_on) == ("A", date(2026, 2, 20))


# -- goals --------------------------------------------------------------------------


async def test_goals_are_created_changed_and_each_change_published() -> None:
    database = database_with(a_match())
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        made = await set_goal(
            uow,
            SetGoal(
                viewer("A"),
                "M1",
                None,
                {"title": "Present to the board", "success_criteria": "Secret plan", "due_on": "2026-06-30"},
            ),
            now=NOW,
            source=SOURCE,
        )
        await uow.commit()
    goal = made.goal
    assert made.created and (goal.owners, goal.progress, goal.status) == (("A", "B"), 0, "open")
    assert published(uow) == [
        (
            "tandem.engagement.goal.changed.v1",
            f"{goal.goal_id}.v1",
            "M1",
            {
                "goal_id": goal.goal_id,
                "match_id": "M1",
                "owners": ["A", "B"],
                "status": "open",
                "progress": 0,
                "due_on": "2026-06-30",
            },
        )
    ]
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        changed = await set_goal(
            uow,
            SetGoal(viewer("B"), None, goal.goal_id, {"progress": 60, "owner_id": "B"}),
            now=NOW,
            source=SOURCE,
        )
        same = await set_goal(
            uow, SetGoal(viewer("B"), "M1", goal.goal_id, {"progress": 60}), now=NOW, source=SOURCE
        )
    assert (changed.goal.progress, changed.goal.owners, changed.goal.version, same.goal.version) == (
        60,
        ("B",),
        2,
        2,
    )
    assert [
        (ce_type, event_id, data["owners"], data["progress"]) for ce_type, event_id, _, data in published(uow)
    ] == [("tandem.engagement.goal.changed.v1", f"{goal.goal_id}.v2", ["B"], 60)]


@pytest.mark.parametrize(
    ("who", "match_id", "goal_id", "fields", "expected"),
    [
        pytest.param(
            "A", "M1", None, {"title": "T"}, [("due_on", "is required", "VALIDATION")], id="no-due-date"
        ),
        pytest.param(
            "C",
            "M1",
            None,
            {"title": "T", "due_on": "2026-06-30"},
            [("match_id", "only a member of the match can set its goals", "FORBIDDEN")],
            id="not-a-member",
        ),
        pytest.param(
            "A", "M1", "G9", {"progress": 5}, [("goal_id", "no such goal", "NOT_FOUND")], id="no-goal"
        ),
        pytest.param(
            "A",
            None,
            None,
            {"title": "T", "due_on": "2026-06-30"},
            [("match_id", "is required to create a goal", "VALIDATION")],
            id="no-match",
        ),
        pytest.param(
            "A",
            "M2",
            None,
            {"title": "T", "due_on": "2026-06-30"},
            [("match_id", "goals are set while the match is active", "CONFLICT")],
            id="ended",
        ),
        pytest.param(
            "A",
            "M1",
            None,
            {"title": "T", "due_on": "2026-06-30", "owner_id": "Z"},
            [("owner_id", "must be a member of the match", "VALIDATION")],
            id="owner",
        ),
        pytest.param(
            "A",
            "M1",
            None,
            {"title": "T", "due_on": "2026-06-30", "progress": -1},
            [("progress", "must be from 0 to 100", "VALIDATION")],
            id="progress",
        ),
    ],
)
async def test_a_refused_goal_changes_nothing(
    who: str,
    match_id: str | None,
    goal_id: str | None,
    fields: dict[str, Any],
    expected: list[tuple[str, str, str]],
) -> None:
    database = database_with(a_match(), a_match("M2", status="ended", ended_on=date(2026, 2, 20)))
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        assert (
            await refused(
                set_goal(uow, SetGoal(viewer(who), match_id, goal_id, fields), now=NOW, source=SOURCE)
            )
            == expected
        )
    assert database.goals == {} and database.outbox == []


# -- check-ins ----------------------------------------------------------------------


async def announce(
    database: FakeEngagementDatabase, today: date, limit: int = 100
) -> list[tuple[str, str, dict[str, Any]]]:
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        await announce_due_checkins(
            uow,
            AnnounceDueCheckins(today, datetime.combine(today, datetime.min.time(), UTC), limit),
            defaults=DEFAULTS,
            source=SOURCE,
        )
        await uow.commit()
    return [(ce_type, event_id, data) for ce_type, event_id, _, data in published(uow)]


async def test_check_ins_are_announced_once_per_member_and_date() -> None:
    match = a_match(started_on=date(2026, 1, 1), ends_on=date(2026, 7, 1), next_checkin_on=date(2026, 1, 31))
    database = database_with(match)
    assert await announce(database, date(2026, 1, 30)) == []
    first = await announce(database, date(2026, 1, 31))
    assert first == [
        (
            "tandem.engagement.checkin.due.v1",
            f"{checkin_id('M1', member, date(2026, 1, 31))}.due",
            {
                "checkin_id": checkin_id("M1", member, date(2026, 1, 31)),
                "match_id": "M1",
                "employee_id": member,
                "due_on": "2026-01-31",
            },
        )
        for member in ("A", "B")
    ]
    assert await announce(database, date(2026, 1, 31)) == []
    stored = database.matches["M1"]
    assert (stored.checkins_through, stored.next_checkin_on) == (date(2026, 1, 31), date(2026, 4, 1))
    # Two dates come at once after a long pause: both are announced, each once.
    database.matches["M1"] = replace(stored, checkins_through=None, next_checkin_on=date(2026, 1, 31))
    again = await announce(database, date(2026, 6, 1))
    assert [(data["employee_id"], data["due_on"]) for _, _, data in again] == [
        ("A", "2026-04-01"),
        ("B", "2026-04-01"),
        ("A", "2026-05-31"),
        ("B", "2026-05-31"),
    ]
    assert database.matches["M1"].next_checkin_on is None


async def test_the_program_schedule_and_batches_are_followed() -> None:
    program = a_program(checkins=CheckinSchedule(7, 14))
    matches = [
        a_match(f"M{i}", started_on=date(2026, 1, 1), next_checkin_on=date(2026, 1, 8)) for i in range(3)
    ]
    database = database_with(*matches, programs=(program,))
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        done = await announce_due_checkins(
            uow, AnnounceDueCheckins(date(2026, 1, 8), NOW, 2), defaults=DEFAULTS, source=SOURCE
        )
    assert (done.matches, done.checkins) == (2, 4)
    assert {m.next_checkin_on for m in database.matches.values()} == {date(2026, 1, 8)}  # not committed


async def test_an_answer_is_the_respondents_only_and_once() -> None:
    database = database_with(a_match(started_on=date(2026, 1, 1), next_checkin_on=date(2026, 1, 31)))
    await announce(database, date(2026, 1, 31))
    mine = checkin_id("M1", "A", date(2026, 1, 31))
    answers = {
        "satisfaction": 2,
        "career_support": 4,
        "psychosocial_support": 3,
        "role_modelling": 5,
        "comment": "My manager worries me",
    }
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        assert await refused(
            submit_checkin(uow, SubmitCheckin(viewer("B"), mine, answers), now=NOW, source=SOURCE)
        ) == [("checkin_id", "a check-in is answered by the person it was sent to only", "FORBIDDEN")]
        assert await refused(
            submit_checkin(uow, SubmitCheckin(viewer("A"), "nope", answers), now=NOW, source=SOURCE)
        ) == [("checkin_id", "no such check-in", "NOT_FOUND")]
        assert await refused(
            submit_checkin(
                uow, SubmitCheckin(viewer("A"), mine, {**answers, "satisfaction": 9}), now=NOW, source=SOURCE
            )
        ) == [("satisfaction", "must be from 1 to 5", "VALIDATION")]
        done = await submit_checkin(uow, SubmitCheckin(viewer("A"), mine, answers), now=NOW, source=SOURCE)
        await uow.commit()
    assert (done.status, done.submitted_on, done.answers) == (
        "submitted",
        date(2026, 3, 1),
        Answers(2, 4, 3, 5, "My manager worries me"),
    )
    assert published(uow) == [
        (
            "tandem.engagement.checkin.submitted.v1",
            f"{mine}.submitted",
            "M1",
            {"checkin_id": mine, "match_id": "M1", "employee_id": "A", "submitted_on": "2026-03-01"},
        )
    ]
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        assert await refused(
            submit_checkin(uow, SubmitCheckin(viewer("A"), mine, answers), now=NOW, source=SOURCE)
        ) == [("checkin_id", "this check-in is already answered", "CONFLICT")]


# -- read models --------------------------------------------------------------------


def received(data: Any, n: int, *, time: datetime = T0) -> ReceivedEvent:
    envelope = CloudEvent(
        id=f"e{n}", source="tests", type=data.ce_type, time=time, data=data.model_dump(mode="json")
    )
    return ReceivedEvent(envelope, data, "t", 0, n, data.key(), None)


PAIR = [MatchMember(employee_id="A", role="partner"), MatchMember(employee_id="B", role="partner")]


def program_event(version: int, first: int = 30, every: int = 60) -> ProgramChanged:
    return ProgramChanged.model_validate(
        {
            "program_id": "P1",
            "program_version": version,
            "name": "Reverse",
            "type": "reverse",
            "status": "running",
            "rules": {
                "exclude_reporting_line": True,
                "exclude_same_department": False,
                "min_timezone_overlap_hours": 0,
                "require_common_language": False,
                "exclude_previous_pairs": [],
            },
            "weights": {
                "skill_complementarity": 1,
                "reciprocity_balance": 1,
                "cross_department": 0,
                "cross_generation": 0,
                "timezone_overlap": 0,
            },
            "cadence": {"sessions_per_month": 2, "minutes_per_session": 60},
            "duration_days": 180,
            "checkins": {"first_after_days": first, "every_days": every},
            "acceptance": "both",
            "auto_rematch": False,
            "admins": ["PA"],
        }
    )


def started(match_id: str = "M1") -> MatchStarted:
    return MatchStarted(
        match_id=match_id,
        program_id="P1",
        program_type="reverse",
        members=PAIR,
        started_on=date(2026, 1, 1),
        ends_on=date(2026, 7, 1),
    )


def ended(match_id: str = "M1", reason: str = "member_departed") -> MatchEnded:
    return MatchEnded(
        match_id=match_id, program_id="P1", members=PAIR, ended_on=date(2026, 2, 10), reason=reason
    )  # type: ignore[arg-type]


async def apply(database: FakeEngagementDatabase, *events: Any) -> None:
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        await apply_matching_events(
            uow, [received(e, n) for n, e in enumerate(events)], defaults=DEFAULTS, clock=lambda: NOW
        )
        await uow.commit()


async def test_programs_keep_the_newest_version_and_a_new_schedule_moves_active_matches() -> None:
    database = FakeEngagementDatabase()
    await apply(database, started())
    assert database.matches["M1"].next_checkin_on == date(2026, 1, 31)  # the defaults
    await apply(database, program_event(2, first=14, every=28), program_event(1, first=30))
    assert database.programs["P1"].version == 2
    assert database.matches["M1"].next_checkin_on == date(2026, 1, 15)
    await apply(database, program_event(1, first=30))
    assert (database.programs["P1"].version, database.matches["M1"].next_checkin_on) == (2, date(2026, 1, 15))


async def test_match_events_in_any_order_keep_the_furthest_state() -> None:
    database = FakeEngagementDatabase()
    await apply(database, ended())
    await apply(database, started())
    match = database.matches["M1"]
    assert (match.status, match.started_on, match.ended_on, match.end_reason, match.next_checkin_on) == (
        "ended",
        date(2026, 1, 1),
        date(2026, 2, 10),
        "member_departed",
        None,
    )
    await apply(database, MatchDeclined(match_id="M2", program_id="P1", declined_by="B"), started("M2"))
    assert database.matches["M2"].status == "declined"


async def test_an_ended_match_cancels_its_check_ins_waiting_for_answers() -> None:
    database = FakeEngagementDatabase()
    await apply(database, started())
    await announce(database, date(2026, 1, 31))
    answered = checkin_id("M1", "B", date(2026, 1, 31))
    database.checkins[answered] = replace(database.checkins[answered], status="submitted")
    await apply(database, ended())
    statuses = {c.employee_id: c.status for c in database.checkins.values()}
    assert statuses == {"A": "cancelled", "B": "submitted"}
    assert database.matches["M1"].next_checkin_on is None
    assert await announce(database, date(2026, 6, 1)) == []


def enrolment_event(employee_id: str, status: str, minutes: int, *roles: str) -> EnrolmentChanged:
    return EnrolmentChanged.model_validate(
        {
            "program_id": "P1",
            "employee_id": employee_id,
            "roles": list(roles),
            "status": status,
            "changed_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        }
    )


async def test_enrolments_keep_each_persons_latest_change_in_any_order() -> None:
    database = FakeEngagementDatabase()
    await apply(
        database,
        enrolment_event("A", "enrolled", 1, "mentee"),
        enrolment_event("B", "enrolled", 1, "mentor"),
        enrolment_event("A", "enrolled", 3, "mentor", "mentee"),
        enrolment_event("A", "withdrawn", 2, "mentee"),  # older than the change before it
    )
    assert database.enrolments == {
        ("P1", "A"): Enrolment("P1", "A", ("mentor", "mentee"), "enrolled", T0 + timedelta(minutes=3)),
        ("P1", "B"): Enrolment("P1", "B", ("mentor",), "enrolled", T0 + timedelta(minutes=1)),
    }
    # A later batch: an older change is ignored, a newer one wins.
    await apply(database, enrolment_event("B", "withdrawn", 0, "mentor"))
    assert database.enrolments[("P1", "B")].status == "enrolled"
    await apply(database, enrolment_event("B", "withdrawn", 5, "mentor"))
    assert database.enrolments[("P1", "B")] == Enrolment(
        "P1", "B", ("mentor",), "withdrawn", T0 + timedelta(minutes=5)
    )
    assert database.matches == {} and database.programs == {}


def profile(cls: Any, version: int, **changes: Any) -> Any:
    data = {
        "employee_id": "E1",
        "profile_version": version,
        "status": "active",
        "display_name": "Ana",
        "job_title": "Analyst",
        "department": "Finance",
        "manager_id": None,
        "location": {"country": "BR"},
        "timezone": "America/Sao_Paulo",
        "seniority_level": 3,
        "hire_date": "2025-03-01",
        **changes,
    }
    return cls.model_validate(data)


async def test_people_keep_the_newest_version_with_history_and_erasure_forgets() -> None:
    database = database_with(a_match(members=("E1", "B")))
    events = [
        received(profile(ProfileRegisteredV1, 1), 1),
        received(profile(ProfileUpdatedV1, 3, department="Sales"), 2, time=T0 + timedelta(days=10)),
        received(profile(ProfileUpdatedV1, 2, seniority_level=9), 3),
    ]
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        await apply_profile_events(uow, events)
        history = await uow.people.history(["E1"])
        await uow.commit()
    assert database.people["E1"].department == "Sales" and database.people["E1"].profile_version == 3
    assert [(r.profile_version, r.valid_from, r.department, r.seniority_level) for r in history["E1"]] == [
        (1, date(2025, 3, 1), "Finance", 3),
        (3, date(2026, 3, 11), "Sales", 3),
    ]
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        await log_session(uow, LogSession(viewer("E1"), "M1", a_log()), now=NOW, source=SOURCE)
        await apply_profile_events(uow, [received(ProfileErasedV1(employee_id="E1", profile_version=4), 4)])
        await uow.commit()
    assert database.people["E1"].status == "erased" and database.history == {}
    assert [s.notes for s in database.sessions.values()] == [None]


# -- queries ------------------------------------------------------------------------


async def test_reads_answer_per_id_and_keep_private_words_private() -> None:
    database = database_with(
        a_match(started_on=date(2026, 1, 1), next_checkin_on=date(2026, 1, 31)),
        a_match("M2", members=("C", "D")),
    )
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        await log_session(uow, LogSession(viewer("A"), "M1", a_log()), now=NOW, source=SOURCE)
        await uow.commit()
    await announce(database, date(2026, 1, 31))
    answers = {
        "satisfaction": 4,
        "career_support": 4,
        "psychosocial_support": 4,
        "role_modelling": 4,
        "comment": "fine",
    }
    uow = FakeEngagementUnitOfWork(database)
    async with uow:
        await submit_checkin(
            uow,
            SubmitCheckin(viewer("A"), checkin_id("M1", "A", date(2026, 1, 31)), answers),
            now=NOW,
            source=SOURCE,
        )
        await uow.commit()
    async with FakeEngagementUnitOfWork(database) as uow:
        mine = await queries.sessions_by_match(uow, viewer("A"), ["M1", "M2", "M9"])
        partner = await queries.sessions_by_match(uow, viewer("B"), ["M1"])
        admin = await queries.checkins_by_match(uow, viewer("ADM", "program_admin"), ["M1"])
        own = await queries.checkins_by_match(uow, viewer("A"), ["M1"])
        ledger = await queries.ledger_by_match(uow, viewer("B"), ["M1"])
        due = await queries.checkins_due(uow, viewer("B"), ["B", "A"])
        people = await queries.ledger_by_person(uow, viewer("X", "admin"), ["A"])
    assert (list(mine.found), mine.missing, mine.forbidden) == (["M1"], ["M9"], ["M2"])
    assert mine.found["M1"][0].notes == "Private: talked about the reorganisation"
    assert partner.found["M1"][0].notes is None
    assert [c.answers for c in admin.found["M1"]] == [None, None]
    assert [(c.employee_id, c.answers) for c in own.found["M1"]] == [
        ("A", Answers(4, 4, 4, 4, "fine")),
        ("B", None),
    ]
    assert ledger.found["M1"].reciprocity.given == (("A", 1), ("B", 2))
    assert ([c.employee_id for c in due.found["B"]], due.forbidden) == (["B"], ["A"])
    assert [(s.skill, s.count) for s in people.found["A"].learned] == [
        ("negotiation", 1),
        ("stakeholder-management", 1),
    ]


def test_user_error_shape_is_field_message_code() -> None:
    assert UserError("f", "m", "CONFLICT").under("items.1") == UserError("items.1.f", "m", "CONFLICT")
