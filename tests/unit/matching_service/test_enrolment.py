"""Who may enrol in a program, with which roles."""

from __future__ import annotations

import pytest

from tandem_matching.domain.enrolment import enrol_person, program_refusal
from tandem_matching.domain.pool import PoolMember
from tests.unit.matching_service.support import T0, a_member, a_program


def outcome_errors(outcome) -> list[tuple[str, str]]:
    assert isinstance(outcome, list), outcome
    return [(e.field, e.code) for e in outcome]


@pytest.mark.parametrize(
    ("status", "open_"), [("draft", False), ("enrolling", True), ("running", True), ("closed", False)]
)
def test_people_enrol_while_a_program_is_enrolling_or_running(status, open_) -> None:
    error = program_refusal(a_program(status=status))
    assert (error is None) == open_
    if error is not None:
        assert (error.field, error.code) == ("program_id", "CONFLICT")


def test_an_eligible_active_person_with_the_role_enrols() -> None:
    enrolment = enrol_person(
        a_program(status="enrolling"),
        {"employee_id": "E1", "roles": ["mentee"]},
        a_member("E1"),
        held=None,
        now=T0,
    )
    assert (enrolment.employee_id, enrolment.roles, enrolment.status, enrolment.enrolled_at) == (
        "E1",
        ("mentee",),
        "enrolled",
        T0,
    )


def test_a_role_needs_that_role_in_the_mentoring_profile() -> None:
    outcome = enrol_person(
        a_program(status="enrolling"),
        {"employee_id": "E1", "roles": ["mentee", "mentor"]},
        a_member("E1", roles=("mentee",)),
        held=None,
        now=T0,
    )
    assert outcome_errors(outcome) == [("roles.1", "CONFLICT")]


def test_a_mentor_program_needs_a_role() -> None:
    outcome = enrol_person(
        a_program(status="enrolling"), {"employee_id": "E1"}, a_member("E1"), held=None, now=T0
    )
    assert outcome_errors(outcome) == [("roles", "VALIDATION")]


@pytest.mark.parametrize(
    ("roles", "field"), [(["boss"], "roles.0"), (["mentor", "mentor"], "roles.1"), ("mentor", "roles")]
)
def test_roles_are_validated(roles, field) -> None:
    outcome = enrol_person(
        a_program(status="enrolling"),
        {"employee_id": "E1", "roles": roles},
        a_member("E1"),
        held=None,
        now=T0,
    )
    assert outcome_errors(outcome) == [(field, "VALIDATION")]


def test_a_partner_program_takes_the_profile_roles_when_none_are_given() -> None:
    program = a_program(status="enrolling", type="reciprocal")
    enrolment = enrol_person(
        program, {"employee_id": "E1"}, a_member("E1", roles=("mentee",)), held=None, now=T0
    )
    assert enrolment.roles == ("mentee",)
    outcome = enrol_person(
        program, {"employee_id": "E1", "roles": []}, a_member("E1", roles=()), held=None, now=T0
    )
    assert outcome_errors(outcome) == [("roles", "CONFLICT")]


def test_unknown_departed_and_on_leave_people_cannot_enrol() -> None:
    program = a_program(status="enrolling")
    item = {"employee_id": "E1", "roles": ["mentee"]}
    assert outcome_errors(enrol_person(program, item, None, held=None, now=T0)) == [
        ("employee_id", "NOT_FOUND")
    ]
    departed = a_member("E1", status="departed", exit_date="2026-10-31", exit_reason="voluntary")
    assert outcome_errors(enrol_person(program, item, departed, held=None, now=T0)) == [
        ("employee_id", "CONFLICT")
    ]
    erased = PoolMember.erased("E1", 4)
    assert outcome_errors(enrol_person(program, item, erased, held=None, now=T0)) == [
        ("employee_id", "CONFLICT")
    ]
    on_leave = a_member("E1", status="on_leave")
    assert outcome_errors(enrol_person(program, item, on_leave, held=None, now=T0)) == [
        ("employee_id", "CONFLICT")
    ]


@pytest.mark.parametrize(
    ("eligibility", "member", "eligible"),
    [
        ({"departments": ["Finance"]}, {"department": "Finance"}, True),
        ({"departments": ["Finance"]}, {"department": "Sales"}, False),
        ({"countries": ["PT"]}, {}, False),
        ({"countries": ["BR", "PT"]}, {}, True),
        ({"min_seniority": 4}, {"seniority_level": 3}, False),
        ({"min_seniority": 3}, {"seniority_level": 3}, True),
        ({"max_seniority": 2}, {"seniority_level": 3}, False),
        ({"max_seniority": 3}, {"seniority_level": None}, False),
        ({}, {"department": None, "location": None}, True),
    ],
)
def test_eligibility(eligibility, member, eligible) -> None:
    program = a_program(status="enrolling", eligibility=eligibility)
    outcome = enrol_person(
        program, {"employee_id": "E1", "roles": ["mentor"]}, a_member("E1", **member), held=None, now=T0
    )
    if eligible:
        assert not isinstance(outcome, list)
    else:
        assert outcome_errors(outcome) == [("employee_id", "CONFLICT")]
        assert outcome[0].message.startswith("does not meet the program's eligibility")


def test_enrolling_again_with_the_same_roles_keeps_the_enrolment_and_other_roles_change_it() -> None:
    program = a_program(status="enrolling")
    first = enrol_person(
        program, {"employee_id": "E1", "roles": ["mentee"]}, a_member("E1"), held=None, now=T0
    )
    assert (
        enrol_person(program, {"employee_id": "E1", "roles": ["mentee"]}, a_member("E1"), held=first, now=T0)
        is first
    )
    both = enrol_person(
        program, {"employee_id": "E1", "roles": ["mentor", "mentee"]}, a_member("E1"), held=first, now=T0
    )
    assert both.roles == ("mentor", "mentee") and both.enrolled_at == first.enrolled_at


def test_withdrawing_twice_is_one_withdrawal() -> None:
    program = a_program(status="enrolling")
    enrolment = enrol_person(
        program, {"employee_id": "E1", "roles": ["mentee"]}, a_member("E1"), held=None, now=T0
    )
    withdrawn = enrolment.withdraw("withdrew", now=T0)
    assert (withdrawn.status, withdrawn.withdrawn_reason) == ("withdrawn", "withdrew")
    assert withdrawn.withdraw("departed", now=T0) is withdrawn


def test_the_pool_keeps_only_a_higher_version() -> None:
    held = a_member("E1", 3)
    assert not a_member("E1", 3).supersedes(held)
    assert not a_member("E1", 2).supersedes(held)
    assert a_member("E1", 4).supersedes(held)
    assert a_member("E1", 1).supersedes(None)
