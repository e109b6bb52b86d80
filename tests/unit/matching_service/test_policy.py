"""The permission table: every action, for each kind of viewer."""

from __future__ import annotations

import pytest

from tandem_matching.domain.errors import UserErrors
from tandem_matching.domain.policy import POLICY, Subject, Viewer, refusal, require
from tests.unit.matching_service.support import a_match, a_program

PROGRAM = a_program(admins=("ADM", "CO"))
MATCH = a_match(members=(("A", "mentor"), ("B", "mentee")))

EMPLOYEE = Viewer.of("E1", ["employee"])
PROGRAM_ADMIN = Viewer.of("ADM", ["employee", "program_admin"])
CO_ADMIN = Viewer.of("CO", ["employee"])
OTHER_PROGRAM_ADMIN = Viewer.of("PA2", ["employee", "program_admin"])
ADMIN = Viewer.of("ROOT", ["admin"])
ANALYST = Viewer.of("HR1", ["employee", "hr_analyst"])
MEMBER = Viewer.of("A", ["employee"])

CASES = [
    ("create_program", EMPLOYEE, Subject(), False),
    ("create_program", ANALYST, Subject(), False),
    ("create_program", OTHER_PROGRAM_ADMIN, Subject(), True),
    ("create_program", ADMIN, Subject(), True),
    ("administer_program", PROGRAM_ADMIN, Subject(program=PROGRAM), True),
    ("administer_program", CO_ADMIN, Subject(program=PROGRAM), True),
    ("administer_program", OTHER_PROGRAM_ADMIN, Subject(program=PROGRAM), False),
    ("administer_program", ADMIN, Subject(program=PROGRAM), True),
    ("administer_program", EMPLOYEE, Subject(program=PROGRAM), False),
    ("enrol", EMPLOYEE, Subject(program=PROGRAM, employee_id="E1"), True),
    ("enrol", EMPLOYEE, Subject(program=PROGRAM, employee_id="E2"), False),
    ("enrol", PROGRAM_ADMIN, Subject(program=PROGRAM, employee_id="E2"), True),
    ("enrol", OTHER_PROGRAM_ADMIN, Subject(program=PROGRAM, employee_id="E2"), False),
    ("enrol", ADMIN, Subject(program=PROGRAM, employee_id="E2"), True),
    ("withdraw", EMPLOYEE, Subject(program=PROGRAM, employee_id="E1"), True),
    ("withdraw", EMPLOYEE, Subject(program=PROGRAM, employee_id="E2"), False),
    ("withdraw", CO_ADMIN, Subject(program=PROGRAM, employee_id="E2"), True),
    ("respond_to_proposal", MEMBER, Subject(match=MATCH), True),
    ("respond_to_proposal", EMPLOYEE, Subject(match=MATCH), False),
    ("respond_to_proposal", ADMIN, Subject(match=MATCH), False),
    ("end_match", MEMBER, Subject(program=PROGRAM, match=MATCH), True),
    ("end_match", PROGRAM_ADMIN, Subject(program=PROGRAM, match=MATCH), True),
    ("end_match", ADMIN, Subject(program=PROGRAM, match=MATCH), True),
    ("end_match", EMPLOYEE, Subject(program=PROGRAM, match=MATCH), False),
    ("end_match", OTHER_PROGRAM_ADMIN, Subject(program=PROGRAM, match=MATCH), False),
]


@pytest.mark.parametrize(
    ("action", "viewer", "subject", "allowed"),
    [pytest.param(*case, id=f"{case[0]}-{case[1].employee_id}-{case[3]}") for case in CASES],
)
def test_policy(action, viewer, subject, allowed) -> None:
    error = refusal(action, viewer, subject)
    if allowed:
        assert error is None
        require(action, viewer, subject)
    else:
        assert error is not None
        assert (error.field, error.code) == (POLICY[action].field, "FORBIDDEN")
        with pytest.raises(UserErrors):
            require(action, viewer, subject)


def test_every_action_is_covered() -> None:
    assert {case[0] for case in CASES} == set(POLICY)


def test_unknown_roles_are_ignored() -> None:
    assert Viewer.of("E1", ["employee", "superuser", "admin "]).roles == frozenset({"employee"})
