"""The JSON each input becomes for its service, and how the services' user errors are
read back in the client's names."""

from __future__ import annotations

import pytest

from tandem_gateway.clients.service_client import ServiceAnswer
from tandem_gateway.schema.enums import UserErrorCode
from tandem_gateway.schema.user_errors import FieldNames, UserError, camel, user_errors_from
from tests.support.gateway_mutation_cases import ERRORS, PROGRAM_ADMIN
from tests.support.gateway_mutations import (
    FakeServices,
    execute,
    gid,
    goal_json,
    match_json,
    profile_json,
    program_json,
    session_json,
)

PROFILE = f"""mutation($input: MentoringProfileInput!) {{ updateMentoringProfile(input: $input) {{
    person {{ employeeId }} {ERRORS} }} }}"""
PATCH = ("profiles", "PATCH", "/v1/profiles/E1/mentoring")


async def _bodies(fake: FakeServices, document: str, variables: dict, **kwargs) -> list:
    result = await execute(fake, document, variables, **kwargs)
    assert result.errors is None, result.errors
    return [sent.body for sent in fake.sent]


async def test_only_the_profile_fields_given_are_sent() -> None:
    fake = FakeServices()
    fake.answer(*PATCH, 200, profile_json())
    assert await _bodies(fake, PROFILE, {"input": {"goals": "learn SQL"}}) == [{"goals": "learn SQL"}]


async def test_every_profile_field_is_sent_in_the_services_names() -> None:
    fake = FakeServices()
    fake.answer(*PATCH, 200, profile_json())
    full = {
        "skillsOffered": [{"skill": "social-media", "level": 4}],
        "skillsWanted": [{"skill": "SQL", "level": 2}],
        "roles": ["MENTEE", "MENTOR"],
        "capacity": 2,
        "hoursPerMonth": 6,
        "goals": "",
        "consents": {"generationAwarePairing": True, "demographicsForReporting": False},
    }
    assert await _bodies(fake, PROFILE, {"input": full}) == [
        {
            "skills_offered": [{"skill": "social-media", "level": 4}],
            "skills_wanted": [{"skill": "SQL", "level": 2}],
            "roles": ["mentee", "mentor"],
            "consents": {"generation_aware_pairing": True, "demographics_for_reporting": False},
            "capacity": 2,
            "hours_per_month": 6,
            "goals": "",
        }
    ]


async def test_null_is_not_a_way_to_leave_a_profile_field_out() -> None:
    fake = FakeServices()
    result = await execute(fake, PROFILE, {"input": {"capacity": None}})
    assert result.data is None and result.errors is not None
    assert "cannot be explicitly set to null" in result.errors[0].message
    assert fake.sent == []


async def test_profiles_field_errors_are_read_with_their_nested_paths() -> None:
    fake = FakeServices()
    detail = [
        {
            "loc": ["body", "skills_offered", 0, "skill"],
            "field": "skills_offered.0.skill",
            "msg": "unknown skill",
        },
        {"loc": ["body", "hours_per_month"], "field": "hours_per_month", "msg": "at most 40"},
    ]
    fake.answer(*PATCH, 422, {"detail": detail})
    result = await execute(fake, PROFILE, {"input": {"hoursPerMonth": 99}})
    assert result.data == {
        "updateMentoringProfile": {
            "person": None,
            "userErrors": [
                {"field": "input.skillsOffered.0.skill", "message": "unknown skill", "code": "VALIDATION"},
                {"field": "input.hoursPerMonth", "message": "at most 40", "code": "VALIDATION"},
            ],
        }
    }


@pytest.mark.parametrize(
    ("status", "detail", "code"),
    [
        (404, "no employee E1", "NOT_FOUND"),
        (409, "employee E1 has departed; their profile is read-only", "CONFLICT"),
    ],
)
async def test_a_profile_refused_as_a_whole_is_an_error_about_the_viewer(
    status: int, detail: str, code: str
) -> None:
    fake = FakeServices()
    fake.answer(*PATCH, status, {"detail": detail})
    result = await execute(fake, PROFILE, {"input": {"capacity": 1}})
    assert result.data == {
        "updateMentoringProfile": {
            "person": None,
            "userErrors": [{"field": None, "message": detail, "code": code}],
        }
    }


async def test_a_program_input_is_sent_with_its_sections() -> None:
    fake = FakeServices()
    fake.answer("matching", "POST", "/v1/programs", 201, program_json())
    document = f"""mutation($input: CreateProgramInput!) {{
        createProgram(input: $input) {{ program {{ id }} {ERRORS} }} }}"""
    full = {
        "name": "Peers",
        "type": "PEER",
        "rules": {"excludeReportingLine": False, "minTimezoneOverlapHours": 2.5},
        "weights": {"skillComplementarity": 2, "crossDepartment": 1.5},
        "cadence": {"sessionsPerMonth": 4, "minutesPerSession": 30},
        "durationDays": 90,
        "acceptance": "AUTO",
        "autoRematch": True,
        "checkIns": {"firstAfterDays": 14, "everyDays": 30},
    }
    assert await _bodies(fake, document, {"input": full}, who=PROGRAM_ADMIN) == [
        {
            "name": "Peers",
            "type": "peer",
            "rules": {"exclude_reporting_line": False, "min_timezone_overlap_hours": 2.5},
            "weights": {"skill_complementarity": 2.0, "cross_department": 1.5},
            "cadence": {"sessions_per_month": 4, "minutes_per_session": 30},
            "duration_days": 90,
            "acceptance": "auto",
            "auto_rematch": True,
            "checkins": {"first_after_days": 14, "every_days": 30},
        }
    ]


async def test_set_goal_with_a_goal_id_changes_only_the_fields_given() -> None:
    fake = FakeServices()
    fake.answer("engagement", "POST", "/v1/goals", 200, goal_json())
    document = f"mutation($input: SetGoalInput!) {{ setGoal(input: $input) {{ goal {{ id }} {ERRORS} }} }}"
    variables = {"input": {"goalId": gid("Goal", "gl_1"), "progress": 100, "status": "DONE", "ownerId": None}}
    assert await _bodies(fake, document, variables) == [
        {"progress": 100, "status": "done", "owner_id": None, "goal_id": "gl_1"}
    ]


async def test_a_session_names_its_partner_and_request_id_when_given() -> None:
    fake = FakeServices()
    fake.answer("engagement", "POST", "/v1/matches/mt_1/sessions", 200, session_json())
    document = (
        f"mutation($input: LogSessionInput!) {{ logSession(input: $input) {{ session {{ id }} {ERRORS} }} }}"
    )
    variables = {
        "input": {
            "matchId": gid("Match", "mt_1"),
            "heldOn": "2026-11-20",
            "minutes": 30,
            "mode": "IN_PERSON",
            "partnerId": "E3",
            "clientRequestId": "req-1",
        }
    }
    assert await _bodies(fake, document, variables) == [
        {
            "held_on": "2026-11-20",
            "minutes": 30,
            "mode": "in_person",
            "partner_id": "E3",
            "client_request_id": "req-1",
        }
    ]


async def test_end_match_without_a_reason_sends_an_empty_object() -> None:
    fake = FakeServices()
    fake.answer("matching", "POST", "/v1/matches/mt_1/end", 200, match_json(status="ended"))
    document = f'mutation {{ endMatch(matchId: "{gid("Match", "mt_1")}") {{ match {{ status }} {ERRORS} }} }}'
    assert await _bodies(fake, document, {}) == [{}]


async def test_a_check_in_comment_is_sent_when_given() -> None:
    fake = FakeServices()
    fake.answer("engagement", "POST", "/v1/checkins/ci_1/answers", 422, {"user_errors": []})
    document = f"""mutation($input: SubmitCheckInInput!) {{
        submitCheckIn(input: $input) {{ checkIn {{ id }} {ERRORS} }} }}"""
    variables = {
        "input": {
            "checkInId": gid("CheckIn", "ci_1"),
            "satisfaction": 9,
            "careerSupport": 1,
            "psychosocialSupport": 2,
            "roleModelling": 3,
            "comment": "fine",
        }
    }
    result = await execute(fake, document, variables)
    assert fake.sent[0].body == {
        "satisfaction": 9,
        "career_support": 1,
        "psychosocial_support": 2,
        "role_modelling": 3,
        "comment": "fine",
    }
    # An answer with a user-error status but no entries still says what went wrong.
    assert result.data == {
        "submitCheckIn": {
            "checkIn": None,
            "userErrors": [{"field": None, "message": "is not valid", "code": "VALIDATION"}],
        }
    }


# -- the field mapping rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hours_per_month", "hoursPerMonth"),
        ("capacity", "capacity"),
        ("checkins", "checkIns"),
        ("checkin_id", "checkInId"),
        ("0", "0"),
        ("min_timezone_overlap_hours", "minTimezoneOverlapHours"),
    ],
)
def test_camel_case_of_a_service_name(name: str, expected: str) -> None:
    assert camel(name) == expected


@pytest.mark.parametrize(
    ("names", "service_field", "expected"),
    [
        (FieldNames(prefix="input"), "hours_per_month", "input.hoursPerMonth"),
        (FieldNames(prefix="input"), "skills_offered.3.skill", "input.skillsOffered.3.skill"),
        (FieldNames(prefix="input"), "checkins.first_after_days", "input.checkIns.firstAfterDays"),
        (FieldNames(), "program_id", "programId"),
        (FieldNames(), "roles.0", "roles.0"),
        (FieldNames(renames={"viewer": None}), "viewer", None),
        (FieldNames(prefix="input", renames={"body": "input"}), "body", "input"),
        (FieldNames(prefix="input", renames={"input": "input"}), "input.name", "input.name"),
        (FieldNames(prefix="input"), None, None),
        (FieldNames(prefix="input"), "", None),
    ],
)
def test_a_service_field_in_the_mutations_names(
    names: FieldNames, service_field: str | None, expected
) -> None:
    assert names.of(service_field) == expected


def test_an_unknown_code_takes_the_code_of_the_status() -> None:
    answer = ServiceAnswer(409, {"user_errors": [{"field": "status", "message": "", "code": "ODD"}]})
    assert user_errors_from(answer) == [
        UserError(field="status", message="conflicts with the current state", code=UserErrorCode.CONFLICT)
    ]
