"""What the gateway refuses itself, before any service is asked: malformed global ids,
ids of another type, and mutations the policy refuses whatever the object."""

from __future__ import annotations

import copy

import pytest

from tests.support.gateway_mutation_cases import CASES, EMPLOYEE, ERRORS, Case
from tests.support.gateway_mutations import FakeServices, execute, gid, viewer

BY_NAME = {case.name: case for case in CASES}
# Where each mutation takes a global id: (the variables' path to it, its client field).
ID_ARGUMENTS = {
    "setProgramStatus": (("id",), "programId", "Program"),
    "enrol": (("id",), "programId", "Program"),
    "startMatchRound": (("id",), "programId", "Program"),
    "requestMatch": (("id",), "programId", "Program"),
    "respondToProposal": (("id",), "matchId", "Match"),
    "endMatch": (("id",), "matchId", "Match"),
    "logSession": (("input", "matchId"), "input.matchId", "Match"),
    "setGoal": (("input", "matchId"), "input.matchId", "Match"),
    "submitCheckIn": (("input", "checkInId"), "input.checkInId", "CheckIn"),
}
MALFORMED = ["not-an-id", "", "%%%", gid("Nothing", "x"), "UHJvZ3JhbQ"]


def _with_id(case: Case, value: str) -> dict:
    variables = copy.deepcopy(case.variables)
    path, _, _ = ID_ARGUMENTS[case.name]
    holder = variables
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return variables


def _refused(case: Case, field: str | None, message: str, code: str) -> dict:
    return {
        case.name: {case.result_key: None, "userErrors": [{"field": field, "message": message, "code": code}]}
    }


@pytest.mark.parametrize("name", sorted(ID_ARGUMENTS))
@pytest.mark.parametrize("malformed", MALFORMED)
async def test_a_malformed_global_id_is_a_validation_error_and_nothing_is_sent(
    name: str, malformed: str
) -> None:
    case = BY_NAME[name]
    _, field, type_name = ID_ARGUMENTS[name]
    fake = FakeServices()
    result = await execute(fake, case.document, _with_id(case, malformed), who=case.who)
    assert result.errors is None
    assert result.data == _refused(case, field, f"is not a {type_name} id", "VALIDATION")
    assert fake.sent == []


@pytest.mark.parametrize("name", sorted(ID_ARGUMENTS))
async def test_an_id_of_another_type_is_refused_like_a_malformed_one(name: str) -> None:
    case = BY_NAME[name]
    _, field, type_name = ID_ARGUMENTS[name]
    other = "Person" if type_name != "Person" else "Program"
    fake = FakeServices()
    result = await execute(fake, case.document, _with_id(case, gid(other, "prg_1")), who=case.who)
    assert result.data == _refused(case, field, f"is not a {type_name} id", "VALIDATION")
    assert fake.sent == []


async def test_set_goal_checks_the_goal_id_too() -> None:
    fake = FakeServices()
    document = f"mutation($input: SetGoalInput!) {{ setGoal(input: $input) {{ goal {{ id }} {ERRORS} }} }}"
    variables = {"input": {"goalId": gid("Match", "mt_1"), "matchId": "junk", "progress": 50}}
    result = await execute(fake, document, variables)
    assert result.data == {
        "setGoal": {
            "goal": None,
            "userErrors": [
                {"field": "input.matchId", "message": "is not a Match id", "code": "VALIDATION"},
                {"field": "input.goalId", "message": "is not a Goal id", "code": "VALIDATION"},
            ],
        }
    }
    assert fake.sent == []


@pytest.mark.parametrize(
    ("name", "who", "field"),
    [
        ("createProgram", EMPLOYEE, None),
        ("createProgram", viewer("E1", "hr_analyst"), None),
        ("setProgramStatus", EMPLOYEE, "programId"),
        ("startMatchRound", EMPLOYEE, "programId"),
        ("startMatchRound", viewer("E1", "hr_analyst"), "programId"),
        ("enrol", viewer("E1", "hr_analyst"), None),
        ("requestMatch", viewer("E1", "hr_analyst"), None),
    ],
)
async def test_what_the_policy_refuses_whatever_the_object_is_forbidden_without_a_call(
    name: str, who, field: str | None
) -> None:
    case = BY_NAME[name]
    fake = FakeServices()
    result = await execute(fake, case.document, case.variables, who=who)
    assert result.errors is None
    assert result.data == _refused(case, field, "you may not do this", "FORBIDDEN")
    assert fake.sent == []


@pytest.mark.parametrize("roles", [("admin",), ("program_admin",)])
async def test_admins_and_program_admins_may_create_programs(roles: tuple[str, ...]) -> None:
    case = BY_NAME["createProgram"]
    fake = FakeServices()
    fake.answer(case.service, case.method, case.path, case.status, case.answer)
    result = await execute(fake, case.document, case.variables, who=viewer("E1", *roles))
    assert result.data == {case.name: {"program": case.result, "userErrors": []}}
    assert [(s.method, s.path, s.roles) for s in fake.sent] == [("POST", "/v1/programs", ",".join(roles))]


async def test_a_rule_that_depends_on_the_object_is_left_to_the_service() -> None:
    # A program admin of some program: whether it is this one is matching's check.
    case = BY_NAME["setProgramStatus"]
    fake = FakeServices()
    body = {
        "user_errors": [{"field": "program_id", "message": "only the program's admins", "code": "FORBIDDEN"}]
    }
    fake.answer(case.service, case.method, case.path, 403, body)
    result = await execute(fake, case.document, case.variables, who=case.who)
    assert result.data == _refused(case, "programId", "only the program's admins", "FORBIDDEN")
    assert len(fake.sent) == 1
