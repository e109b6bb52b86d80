"""requestMatch on the in-memory unit of work: what it proposes, and every refusal
leaving the database as it was."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tandem_common.user_errors import UserErrors
from tandem_matching.domain.enrolment import Enrolment
from tandem_matching.service.match_requests import RequestMatch, request_match
from tests.fakes.matching import FakeMatchingDatabase, FakeMatchingUnitOfWork
from tests.unit.matching_service.support import T0, a_match, a_member, a_program, as_viewer

SOCIAL, STAKEHOLDERS = "social-media", "stakeholder-management"
LATER = T0 + timedelta(hours=1)


def mentoring(
    offers: str, wants: str, roles: tuple[str, ...] = ("mentor", "mentee"), capacity: int = 2
) -> dict:
    return {
        "skills_offered": [{"skill": offers, "level": 4}],
        "skills_wanted": [{"skill": wants, "level": 3}],
        "roles": list(roles),
        "capacity": capacity,
        "hours_per_month": 4,
        "goals": "",
        "consents": {"generation_aware_pairing": False, "demographics_for_reporting": False},
    }


def world(kind: str = "reciprocal", **settings: Any) -> FakeMatchingDatabase:
    """P1 running; A teaches social media, B and C stakeholder management; all enrolled."""
    database = FakeMatchingDatabase()
    database.programs["P1"] = a_program("P1", status="running", type=kind, **settings)
    add(database, "A", mentoring(SOCIAL, STAKEHOLDERS), seniority_level=2)
    add(database, "B", mentoring(STAKEHOLDERS, SOCIAL), seniority_level=6)
    add(database, "C", mentoring(STAKEHOLDERS, SOCIAL), seniority_level=6)
    return database


def add(
    database: FakeMatchingDatabase, who: str, profile: dict, *, enrol: bool = True, **overrides: Any
) -> None:
    database.pool[who] = a_member(who, mentoring=profile, **overrides)
    if enrol:
        roles = tuple(profile["roles"])
        database.enrolments[("P1", who)] = Enrolment("P1", who, roles, "enrolled", T0, T0)


async def ask(database: FakeMatchingDatabase, viewer: str, partner: Any, **fields: Any):
    uow = FakeMatchingUnitOfWork(database)
    async with uow:
        made = await request_match(
            uow,
            RequestMatch(as_viewer(viewer), fields.pop("program_id", "P1"), partner, **fields),
            now=LATER,
            source="tandem/matching",
            expiry_days=14,
            new_id=lambda: "M9",
        )
        await uow.commit()
    return made, uow


async def refused(database: FakeMatchingDatabase, viewer: str, partner: Any, **fields: Any) -> list[tuple]:
    before = (dict(database.enrolments), dict(database.matches))
    outbox = len(database.outbox)
    with pytest.raises(UserErrors) as raised:
        await ask(database, viewer, partner, **fields)
    assert (dict(database.enrolments), dict(database.matches)) == before
    assert len(database.outbox) == outbox
    return [(e.field, e.code, e.message) for e in raised.value.errors]


async def test_a_request_proposes_the_pair_with_the_requester_accepted() -> None:
    database = world(duration_days=60)
    made, uow = await ask(database, "A", "B")
    assert (made.match_id, made.status, made.round_id) == ("M9", "proposed", None)
    assert [(m.employee_id, m.role, m.response) for m in made.members] == [
        ("A", "partner", "accepted"),
        ("B", "partner", None),
    ]
    assert "skill_complementarity" in {factor.factor for factor in made.explanation}
    assert 0 < made.score <= 1
    assert made.expires_at == LATER + timedelta(days=14)
    assert database.matches["M9"] == made
    assert [(e.data.ce_type, e.id) for e in uow.published] == [
        ("tandem.matching.match.proposed.v1", "M9.proposed")
    ]


async def test_in_a_reverse_program_the_roles_follow_the_enrolments() -> None:
    database = world("reverse")
    # A (seniority 2) mentors B (seniority 6) whichever of them asks.
    made, _ = await ask(database, "B", "A")
    assert [(m.employee_id, m.role, m.response) for m in made.members] == [
        ("A", "mentor", None),
        ("B", "mentee", "accepted"),
    ]


async def test_with_auto_acceptance_it_starts_at_once() -> None:
    database = world(acceptance="auto", duration_days=30)
    made, uow = await ask(database, "A", "C")
    assert (made.status, made.started_on, made.ends_on) == (
        "active",
        LATER.date(),
        LATER.date() + timedelta(days=30),
    )
    assert [e.data.ce_type for e in uow.published] == [
        "tandem.matching.match.proposed.v1",
        "tandem.matching.match.started.v1",
    ]


async def test_bad_input_and_permissions() -> None:
    database = world()
    assert await refused(database, "A", "A") == [
        ("employee_id", "VALIDATION", "cannot be matched with oneself")
    ]
    assert await refused(database, "A", None) == [("employee_id", "VALIDATION", "must be an employee id")]
    assert await refused(database, "A", "B", requester_id="no spaces") == [
        ("requester_id", "VALIDATION", "must be an employee id")
    ]
    assert await refused(database, "C", "B", requester_id="A") == [
        ("requester_id", "FORBIDDEN", "people request matches for themselves only")
    ]
    assert await refused(database, "A", "B", program_id="P404") == [
        ("program_id", "NOT_FOUND", "no such program")
    ]


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [
        ("enrolling", "reciprocal", "the program is enrolling; matches are requested while it runs"),
        ("closed", "reciprocal", "the program is closed; matches are requested while it runs"),
        ("running", "group", "a group program forms circles in rounds, not on request"),
    ],
)
async def test_only_a_running_one_to_one_program_takes_requests(status: str, kind: str, message: str) -> None:
    database = world()
    database.programs["P1"] = a_program("P1", status=status, type=kind)
    assert await refused(database, "A", "B") == [("program_id", "CONFLICT", message)]


async def test_both_must_be_enrolled_and_active() -> None:
    database = world()
    add(database, "D", mentoring(STAKEHOLDERS, SOCIAL), enrol=False)
    add(database, "E", mentoring(STAKEHOLDERS, SOCIAL), status="on_leave")
    database.enrolments[("P1", "C")] = database.enrolments[("P1", "C")].withdraw("withdrew", now=T0)
    assert await refused(database, "A", "D") == [
        ("employee_id", "NOT_FOUND", "D is not enrolled in this program")
    ]
    assert await refused(database, "A", "C") == [
        ("employee_id", "NOT_FOUND", "C is not enrolled in this program")
    ]
    assert await refused(database, "D", "A") == [
        ("requester_id", "NOT_FOUND", "D is not enrolled in this program")
    ]
    assert await refused(database, "A", "E") == [("employee_id", "CONFLICT", "E is not active")]


async def test_matched_people_and_previous_pairs_are_refused() -> None:
    database = world()
    database.matches["M1"] = a_match("M1", members=(("B", "partner"), ("X", "partner")))
    assert await refused(database, "A", "B") == [
        ("employee_id", "CONFLICT", "B is already matched in this program")
    ]
    declined = a_match("M2", members=(("A", "partner"), ("C", "partner"))).decline("C", now=T0)
    database.matches["M2"] = declined
    assert await refused(database, "A", "C") == [
        ("employee_id", "CONFLICT", "was in a declined or ended match with the requester in this program")
    ]
    database.matches["M3"] = a_match("M3", members=(("A", "partner"), ("Y", "partner")))
    database.matches.pop("M1")
    assert await refused(database, "A", "B") == [
        ("requester_id", "CONFLICT", "A is already matched in this program")
    ]


async def test_a_full_mentor_is_refused_with_who_is_free_for_what() -> None:
    database = world("reverse")
    add(database, "A", mentoring(SOCIAL, STAKEHOLDERS, roles=("mentor",), capacity=1), seniority_level=2)
    database.matches["M1"] = a_match("M1", members=(("A", "mentor"), ("C", "mentee")))
    assert await refused(database, "B", "A") == [
        (
            "employee_id",
            "CONFLICT",
            "neither can mentor the other now: a mentor needs the mentor role, skills to offer and room "
            "left; a mentee the mentee role, skills wanted and no mentor yet in this program "
            "(B is free as mentor and mentee; A is free for neither role)",
        )
    ]


async def test_a_reporting_line_through_people_outside_the_program_is_a_broken_rule() -> None:
    database = world()
    # A -> M1 -> M2 -> B: B manages A two levels up; neither manager is enrolled.
    add(database, "A", mentoring(SOCIAL, STAKEHOLDERS), manager_id="M1")
    add(database, "M1", mentoring(SOCIAL, STAKEHOLDERS), enrol=False, manager_id="M2")
    add(database, "M2", mentoring(SOCIAL, STAKEHOLDERS), enrol=False, manager_id="B")
    assert await refused(database, "A", "B") == [
        (
            "employee_id",
            "CONFLICT",
            "cannot be matched with the requester: no eligible partner: of 1 whose skills fit, the rules "
            "exclude 1 person in A's reporting line",
        )
    ]
    made, _ = await ask(database, "A", "C")
    assert made.employee_ids == ("A", "C")


async def test_a_cycle_in_the_manager_links_still_ends() -> None:
    database = world()
    add(database, "A", mentoring(SOCIAL, STAKEHOLDERS), manager_id="M1")
    add(database, "M1", mentoring(SOCIAL, STAKEHOLDERS), enrol=False, manager_id="M2")
    add(database, "M2", mentoring(SOCIAL, STAKEHOLDERS), enrol=False, manager_id="M1")
    made, _ = await ask(database, "A", "B")
    assert made.employee_ids == ("A", "B")
