"""The gateway's mutations against the real profiles, matching and engagement services
(embedded PostgreSQL and broker): each is one command the owning service validates and writes,
and its refusals come back as user errors that changed nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tandem_common.testing.backends import Infrastructure
from tandem_gateway.clients.service_client import Services
from tandem_gateway.schema.nodes import decode_id, encode_id
from tests.support.engagement import days, today
from tests.support.gateway_mutations import execute_on, viewer
from tests.support.gateway_services import engagement_with_a_pair, profiles_and_matching

ADMIN = viewer("GWADM", "employee", "program_admin")
PERSON = viewer("GW1", "employee")
ERRORS = "userErrors { field message code }"
CREATE = f"""mutation($input: CreateProgramInput!) {{ createProgram(input: $input) {{
    program {{ id name type status durationDays }} {ERRORS} }} }}"""
STATUS = f"""mutation($id: ID!, $status: ProgramStatus!) {{
    setProgramStatus(programId: $id, status: $status) {{ program {{ id status }} {ERRORS} }} }}"""
ENROL = f"""mutation($id: ID!) {{ enrol(programId: $id, roles: [MENTOR]) {{
    enrolment {{ program {{ id status }} person {{ employeeId }} roles }} {ERRORS} }} }}"""
PROFILE = f"""mutation($input: MentoringProfileInput!) {{ updateMentoringProfile(input: $input) {{
    person {{ employeeId mentoring {{ capacity hoursPerMonth goals }} }} {ERRORS} }} }}"""


@pytest.fixture
async def services(
    infrastructure: Infrastructure, database_url: str, module_database_url: str
) -> AsyncIterator[Services]:
    """Profiles (GW1 hired) and matching (GW1 in its pool), behind the gateway's clients;
    each service on a database of its own."""
    async with profiles_and_matching(infrastructure, database_url, module_database_url, "GW1") as services:
        yield services


async def _run(services: Services, document: str, variables: dict, who=PERSON) -> dict:
    result = await execute_on(services, document, variables, who=who)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def test_a_program_is_created_opened_and_enrolled_in_and_refusals_change_nothing(
    services: Services,
) -> None:
    created = await _run(
        services,
        CREATE,
        {"input": {"name": "Reverse mentoring", "type": "REVERSE", "durationDays": 90}},
        ADMIN,
    )
    program = created["createProgram"]["program"]
    assert created["createProgram"]["userErrors"] == []
    assert (program["name"], program["type"], program["status"], program["durationDays"]) == (
        "Reverse mentoring",
        "REVERSE",
        "DRAFT",
        90,
    )
    program_id = program["id"]

    # A draft takes nobody in: matching refuses, and no enrolment is written.
    early = await _run(services, ENROL, {"id": program_id})
    assert early["enrol"] == {
        "enrolment": None,
        "userErrors": [
            {
                "field": "programId",
                "message": "the program is draft; people enrol while it is enrolling or running",
                "code": "CONFLICT",
            }
        ],
    }

    # An employee may not open it (the gateway refuses without asking matching).
    calls = services.matching.calls
    refused = await _run(services, STATUS, {"id": program_id, "status": "ENROLLING"}, PERSON)
    assert refused["setProgramStatus"] == {
        "program": None,
        "userErrors": [{"field": "programId", "message": "you may not do this", "code": "FORBIDDEN"}],
    }
    assert services.matching.calls == calls

    opened = await _run(services, STATUS, {"id": program_id, "status": "ENROLLING"}, ADMIN)
    assert opened["setProgramStatus"] == {
        "program": {"id": program_id, "status": "ENROLLING"},
        "userErrors": [],
    }

    enrolled = await _run(services, ENROL, {"id": program_id})
    assert enrolled["enrol"] == {
        "enrolment": {
            "program": {"id": program_id, "status": "ENROLLING"},
            "person": {"employeeId": "GW1"},
            "roles": ["MENTOR"],
        },
        "userErrors": [],
    }

    # Back to draft is refused on the status field, and the program stays enrolling.
    backwards = await _run(services, STATUS, {"id": program_id, "status": "DRAFT"}, ADMIN)
    assert backwards["setProgramStatus"] == {
        "program": None,
        "userErrors": [
            {
                "field": "status",
                "message": "a enrolling program cannot become draft (allowed: running, closed)",
                "code": "CONFLICT",
            }
        ],
    }
    raw_id = decode_id(program_id, "Program")
    stored = await services.matching.get(f"/v1/programs/{raw_id}")
    assert (stored.body["status"], stored.body["program_version"]) == ("enrolling", 2)
    # One enrolment: the refused one before it was opened left nothing behind.
    enrolments = await services.matching.get(f"/v1/programs/{raw_id}/enrolments")
    assert [(e["node"]["employee_id"], e["node"]["roles"]) for e in enrolments.body["edges"]] == [
        ("GW1", ["mentor"])
    ]


async def test_a_profile_write_with_a_bad_field_changes_nothing(services: Services) -> None:
    before = (await services.profiles.get("/v1/profiles/GW1")).body
    refused = await _run(services, PROFILE, {"input": {"capacity": 3, "hoursPerMonth": 99}})
    assert refused["updateMentoringProfile"]["person"] is None
    [error] = refused["updateMentoringProfile"]["userErrors"]
    assert (error["field"], error["code"]) == ("input.hoursPerMonth", "VALIDATION")
    after = (await services.profiles.get("/v1/profiles/GW1")).body
    assert after == before

    # The same write within range is stored, and fields left out keep their value.
    written = await _run(services, PROFILE, {"input": {"capacity": 3, "hoursPerMonth": 8}})
    assert written["updateMentoringProfile"] == {
        "person": {"employeeId": "GW1", "mentoring": {"capacity": 3, "hoursPerMonth": 8, "goals": ""}},
        "userErrors": [],
    }
    stored = (await services.profiles.get("/v1/profiles/GW1")).body
    assert stored["profile_version"] == before["profile_version"] + 1
    assert stored["mentoring"] == {**before["mentoring"], "capacity": 3, "hours_per_month": 8}


# -- engagement --------------------------------------------------------------------------

MENTOR = viewer("GWA", "employee")
LOG = f"""mutation($input: LogSessionInput!) {{ logSession(input: $input) {{
    session {{ id heldOn minutes }} {ERRORS} }} }}"""
GOAL = f"""mutation($input: SetGoalInput!) {{ setGoal(input: $input) {{
    goal {{ id title progress status }} {ERRORS} }} }}"""
CHECK_IN = f"""mutation($input: SubmitCheckInInput!) {{ submitCheckIn(input: $input) {{
    checkIn {{ id status }} {ERRORS} }} }}"""


@pytest.fixture
async def engagement_services(
    infrastructure: Infrastructure, database_url: str
) -> AsyncIterator[tuple[Services, str]]:
    """Engagement with one pair (GWA mentor, GWB mentee) and its first check-ins due."""
    async with engagement_with_a_pair(infrastructure, database_url, "GWA", "GWB") as found:
        yield found


async def test_sessions_goals_and_check_ins_are_commands_to_engagement(
    engagement_services: tuple[Services, str],
) -> None:
    services, match_id = engagement_services
    match = encode_id("Match", match_id)
    held_on = (today() - days(3)).isoformat()
    session = {
        "matchId": match,
        "heldOn": held_on,
        "minutes": 45,
        "mode": "VIDEO",
        "taught": ["social-media"],
        "learned": ["stakeholder-management"],
        "notes": "private",
    }
    logged = await _run(services, LOG, {"input": session}, MENTOR)
    assert logged["logSession"]["userErrors"] == []
    assert (logged["logSession"]["session"]["heldOn"], logged["logSession"]["session"]["minutes"]) == (
        held_on,
        45,
    )
    # The ledger records both directions, from the viewer's side.
    ledger = await services.engagement.post("/v1/ledger/by-match", {"match_ids": [match_id]}, viewer=MENTOR)
    [entry] = ledger.body["by_match"]
    assert sorted((e["from"], e["to"], e["skill"]) for e in entry["ledger"]["entries"]) == [
        ("GWA", "GWB", "social-media"),
        ("GWB", "GWA", "stakeholder-management"),
    ]

    # A session in the future is refused on its field, and nothing is logged.
    future = await _run(
        services, LOG, {"input": {**session, "heldOn": (today() + days(2)).isoformat()}}, MENTOR
    )
    assert future["logSession"] == {
        "session": None,
        "userErrors": [{"field": "input.heldOn", "message": "is in the future", "code": "VALIDATION"}],
    }
    sessions = await services.engagement.post(
        "/v1/sessions/by-match", {"match_ids": [match_id]}, viewer=MENTOR
    )
    assert len(sessions.body["by_match"][0]["sessions"]) == 1

    # A goal is created without goalId, and changed with it.
    created = await _run(
        services, GOAL, {"input": {"matchId": match, "title": "Post weekly", "dueOn": "2027-01-31"}}, MENTOR
    )
    goal = created["setGoal"]["goal"]
    assert (goal["title"], goal["progress"], goal["status"]) == ("Post weekly", 0, "OPEN")
    changed = await _run(services, GOAL, {"input": {"goalId": goal["id"], "progress": 50}}, MENTOR)
    assert changed["setGoal"] == {
        "goal": {"id": goal["id"], "title": "Post weekly", "progress": 50, "status": "OPEN"},
        "userErrors": [],
    }
    missing = await _run(
        services, GOAL, {"input": {"goalId": encode_id("Goal", "nope"), "progress": 5}}, MENTOR
    )
    assert missing["setGoal"] == {
        "goal": None,
        "userErrors": [{"field": "input.goalId", "message": "no such goal", "code": "NOT_FOUND"}],
    }

    # The mentor's due check-in: a rating out of range, then an answer, then a repeat.
    due = await services.engagement.post("/v1/checkins/due", {"employee_ids": ["GWA"]}, viewer=MENTOR)
    [checkin] = due.body["by_person"][0]["checkins"]
    answers = {
        "checkInId": encode_id("CheckIn", checkin["checkin_id"]),
        "satisfaction": 9,
        "careerSupport": 4,
        "psychosocialSupport": 4,
        "roleModelling": 3,
    }
    out_of_range = await _run(services, CHECK_IN, {"input": answers}, MENTOR)
    assert out_of_range["submitCheckIn"] == {
        "checkIn": None,
        "userErrors": [
            {"field": "input.satisfaction", "message": "must be from 1 to 5", "code": "VALIDATION"}
        ],
    }
    submitted = await _run(services, CHECK_IN, {"input": {**answers, "satisfaction": 5}}, MENTOR)
    assert submitted["submitCheckIn"] == {
        "checkIn": {"id": answers["checkInId"], "status": "SUBMITTED"},
        "userErrors": [],
    }
    again = await _run(services, CHECK_IN, {"input": {**answers, "satisfaction": 5}}, MENTOR)
    assert again["submitCheckIn"] == {
        "checkIn": None,
        "userErrors": [
            {"field": "input.checkInId", "message": "this check-in is already answered", "code": "CONFLICT"}
        ],
    }
    # Someone else's check-in is the service's refusal (the gateway cannot know whose it is).
    other = await _run(
        services, CHECK_IN, {"input": {**answers, "satisfaction": 5}}, viewer("GWB", "employee")
    )
    assert [e["code"] for e in other["submitCheckIn"]["userErrors"]] == ["FORBIDDEN"]
