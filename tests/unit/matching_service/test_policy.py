"""The permission table: every action, for each kind of viewer."""

from __future__ import annotations

import pytest

from tandem_common.user_errors import UserErrors
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

# Subjects of an action on one person: the viewer themself (E1) or someone else (E2).
IN_PROGRAM = Subject(program=PROGRAM)
SELF = Subject(program=PROGRAM, employee_id="E1")
SOMEONE_ELSE = Subject(program=PROGRAM, employee_id="E2")
OF_MATCH = Subject(program=PROGRAM, match=MATCH)


def each(action, subject, *allowed):
    """The cases of one action on one subject: ``(viewer, allowed)`` pairs."""
    return [(action, viewer, subject, verdict) for viewer, verdict in allowed]


CASES = [
    *each(
        "create_program",
        Subject(),
        (EMPLOYEE, False),
        (ANALYST, False),
        (OTHER_PROGRAM_ADMIN, True),
        (ADMIN, True),
    ),
    *each(
        "administer_program",
        IN_PROGRAM,
        (PROGRAM_ADMIN, True),
        (CO_ADMIN, True),
        (OTHER_PROGRAM_ADMIN, False),
        (ADMIN, True),
        (EMPLOYEE, False),
    ),
    ("enrol", EMPLOYEE, SELF, True),
    *each(
        "enrol",
        SOMEONE_ELSE,
        (EMPLOYEE, False),
        (PROGRAM_ADMIN, True),
        (OTHER_PROGRAM_ADMIN, False),
        (ADMIN, True),
    ),
    ("withdraw", EMPLOYEE, SELF, True),
    *each("withdraw", SOMEONE_ELSE, (EMPLOYEE, False), (CO_ADMIN, True)),
    *each("respond_to_proposal", Subject(match=MATCH), (MEMBER, True), (EMPLOYEE, False), (ADMIN, False)),
    *each(
        "end_match",
        OF_MATCH,
        (MEMBER, True),
        (PROGRAM_ADMIN, True),
        (ADMIN, True),
        (EMPLOYEE, False),
        (OTHER_PROGRAM_ADMIN, False),
    ),
    *each(
        "start_round",
        IN_PROGRAM,
        (PROGRAM_ADMIN, True),
        (CO_ADMIN, True),
        (ADMIN, True),
        (OTHER_PROGRAM_ADMIN, False),
        (EMPLOYEE, False),
    ),
    ("view_recommendations", EMPLOYEE, SELF, True),
    *each(
        "view_recommendations",
        SOMEONE_ELSE,
        (EMPLOYEE, False),
        (PROGRAM_ADMIN, True),
        (OTHER_PROGRAM_ADMIN, False),
        (ADMIN, True),
    ),
    ("request_match", EMPLOYEE, SELF, True),
    *each("request_match", SOMEONE_ELSE, (EMPLOYEE, False), (PROGRAM_ADMIN, False)),
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
