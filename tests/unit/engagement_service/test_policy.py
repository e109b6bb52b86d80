"""The permission table, action by action: who is allowed, who is refused and why."""

from __future__ import annotations

import pytest

from tandem_common.user_errors import UserError, UserErrors
from tandem_engagement.domain.policy import POLICY, Action, Subject, allows, refusal, require
from tests.unit.engagement_service.support import a_match, a_program, viewer

MATCH = a_match(members=("A", "B"))
PROGRAM = a_program(admins=("PA",))
ON_MATCH = Subject(match=MATCH, program=PROGRAM)

CASES = [
    ("log_session", ON_MATCH, viewer("A"), True),
    ("log_session", ON_MATCH, viewer("PA", "program_admin"), False),
    ("log_session", ON_MATCH, viewer("X", "admin"), False),
    ("set_goal", ON_MATCH, viewer("B"), True),
    ("set_goal", ON_MATCH, viewer("C"), False),
    ("submit_checkin", Subject(owner_id="A"), viewer("A"), True),
    ("submit_checkin", Subject(owner_id="A"), viewer("B"), False),
    ("submit_checkin", Subject(owner_id="A"), viewer("X", "admin"), False),
    ("view_match_engagement", ON_MATCH, viewer("A"), True),
    ("view_match_engagement", ON_MATCH, viewer("PA", "program_admin"), True),
    ("view_match_engagement", ON_MATCH, viewer("X", "admin"), True),
    ("view_match_engagement", ON_MATCH, viewer("C"), False),
    ("view_match_engagement", ON_MATCH, viewer("H", "hr_analyst"), False),
    ("view_match_engagement", ON_MATCH, viewer("Q", "program_admin"), False),
    ("view_session_notes", Subject(owner_id="A"), viewer("A"), True),
    ("view_session_notes", Subject(owner_id="A"), viewer("B"), False),
    ("view_session_notes", Subject(owner_id="A"), viewer("PA", "program_admin"), False),
    ("view_session_notes", Subject(owner_id="A"), viewer("X", "admin"), False),
    ("view_checkin_answers", Subject(owner_id="B"), viewer("B"), True),
    ("view_checkin_answers", Subject(owner_id="B"), viewer("A"), False),
    ("view_checkin_answers", Subject(owner_id="B"), viewer("X", "admin"), False),
    ("view_person_engagement", Subject(owner_id="A"), viewer("A"), True),
    ("view_person_engagement", Subject(owner_id="A"), viewer("X", "admin"), True),
    ("view_person_engagement", Subject(owner_id="A"), viewer("B"), False),
    ("view_person_engagement", Subject(owner_id="A"), viewer("H", "hr_analyst"), False),
    ("view_program_analytics", Subject(program=PROGRAM), viewer("PA", "program_admin"), True),
    ("view_program_analytics", Subject(program=PROGRAM), viewer("H", "hr_analyst"), True),
    ("view_program_analytics", Subject(program=PROGRAM), viewer("X", "admin"), True),
    ("view_program_analytics", Subject(program=PROGRAM), viewer("Q", "program_admin"), False),
    ("view_program_analytics", Subject(program=PROGRAM), viewer("A"), False),
    ("view_organisation_analytics", Subject(), viewer("H", "hr_analyst"), True),
    ("view_organisation_analytics", Subject(), viewer("X", "admin"), True),
    ("view_organisation_analytics", Subject(), viewer("PA", "program_admin"), False),
    ("export_person_engagement", Subject(owner_id="A"), viewer("A"), True),
    ("export_person_engagement", Subject(owner_id="A"), viewer("X", "admin"), True),
    ("export_person_engagement", Subject(owner_id="A"), viewer("H", "hr_analyst"), False),
    ("export_person_engagement", Subject(owner_id="A"), viewer("PA", "program_admin"), False),
]


@pytest.mark.parametrize(
    ("action", "subject", "who", "allowed"),
    [
        pytest.param(*case, id=f"{case[0]}-{case[2].employee_id}-{'yes' if case[3] else 'no'}")
        for case in CASES
    ],
)
def test_the_table(action: Action, subject: Subject, who: object, allowed: bool) -> None:
    assert allows(action, who, subject) is allowed  # type: ignore[arg-type]
    expected = None if allowed else UserError(POLICY[action].field, POLICY[action].refusal, "FORBIDDEN")
    assert refusal(action, who, subject) == expected  # type: ignore[arg-type]


def test_every_action_is_covered_by_the_table_test() -> None:
    assert {case[0] for case in CASES} == set(POLICY)


def test_require_raises_the_refusal() -> None:
    with pytest.raises(UserErrors) as raised:
        require("log_session", viewer("C"), ON_MATCH)
    assert raised.value.errors == (
        UserError("match_id", "only a member of the match can log its sessions", "FORBIDDEN"),
    )


def test_unknown_roles_are_ignored() -> None:
    assert viewer("A", "employee", "superuser").roles == frozenset({"employee"})
