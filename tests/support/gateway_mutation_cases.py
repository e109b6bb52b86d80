"""One row per mutation of graphql.md: the document, the exact command it must send and
the answer it must give. Shared by ``test_mutations_commands.py`` and
``test_mutations_refusals.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tandem_gateway.auth.viewer import Viewer
from tests.support.gateway_mutations import (
    checkin_json,
    enrolment_json,
    gid,
    goal_json,
    match_json,
    profile_json,
    program_json,
    round_json,
    session_json,
    viewer,
)

EMPLOYEE = viewer("E1", "employee")
PROGRAM_ADMIN = viewer("E1", "employee", "program_admin")
ERRORS = "userErrors { field message code }"


@dataclass
class Case:
    name: str
    document: str
    variables: dict[str, Any]
    service: str
    method: str
    path: str
    body: Any
    answer: dict[str, Any]
    status: int
    result_key: str
    result: dict[str, Any]
    # A field as the service names it, and as the mutation's client reads it.
    service_field: str
    graphql_field: str | None
    who: Viewer = field(default_factory=lambda: EMPLOYEE)

    def __str__(self) -> str:
        return self.name


CASES = [
    Case(
        name="updateMentoringProfile",
        document=f"""mutation($input: MentoringProfileInput!) {{ updateMentoringProfile(input: $input) {{
            person {{ employeeId mentoring {{ hoursPerMonth roles }} }} {ERRORS} }} }}""",
        variables={"input": {"hoursPerMonth": 6, "roles": ["MENTOR"]}},
        service="profiles",
        method="PATCH",
        path="/v1/profiles/E1/mentoring",
        body={"roles": ["mentor"], "hours_per_month": 6},
        answer=profile_json("E1", hours_per_month=6),
        status=200,
        result_key="person",
        result={"employeeId": "E1", "mentoring": {"hoursPerMonth": 6, "roles": ["MENTOR"]}},
        service_field="hours_per_month",
        graphql_field="input.hoursPerMonth",
    ),
    Case(
        name="createProgram",
        document=f"""mutation($input: CreateProgramInput!) {{ createProgram(input: $input) {{
            program {{ id name type status }} {ERRORS} }} }}""",
        variables={
            "input": {
                "name": "Reverse mentoring",
                "type": "REVERSE",
                "cadence": {"sessionsPerMonth": 2},
                "checkIns": {"everyDays": 60},
                "acceptance": "BOTH",
            }
        },
        service="matching",
        method="POST",
        path="/v1/programs",
        body={
            "name": "Reverse mentoring",
            "type": "reverse",
            "cadence": {"sessions_per_month": 2},
            "acceptance": "both",
            "checkins": {"every_days": 60},
        },
        answer=program_json("prg_1"),
        status=201,
        result_key="program",
        result={
            "id": gid("Program", "prg_1"),
            "name": "Reverse mentoring",
            "type": "REVERSE",
            "status": "DRAFT",
        },
        service_field="checkins.every_days",
        graphql_field="input.checkIns.everyDays",
        who=PROGRAM_ADMIN,
    ),
    Case(
        name="setProgramStatus",
        document=f"""mutation($id: ID!) {{ setProgramStatus(programId: $id, status: ENROLLING) {{
            program {{ id status }} {ERRORS} }} }}""",
        variables={"id": gid("Program", "prg_1")},
        service="matching",
        method="POST",
        path="/v1/programs/prg_1/status",
        body={"status": "enrolling"},
        answer=program_json("prg_1", status="enrolling"),
        status=200,
        result_key="program",
        result={"id": gid("Program", "prg_1"), "status": "ENROLLING"},
        service_field="program_id",
        graphql_field="programId",
        who=PROGRAM_ADMIN,
    ),
    Case(
        name="enrol",
        document=f"""mutation($id: ID!) {{ enrol(programId: $id, roles: [MENTOR, MENTEE]) {{
            enrolment {{ id roles status }} {ERRORS} }} }}""",
        variables={"id": gid("Program", "prg_1")},
        service="matching",
        method="POST",
        path="/v1/programs/prg_1/enrolments",
        body={"roles": ["mentor", "mentee"]},
        answer=enrolment_json("prg_1", "E1", ("mentor", "mentee")),
        status=200,
        result_key="enrolment",
        result={"id": gid("Enrolment", "prg_1:E1"), "roles": ["MENTOR", "MENTEE"], "status": "ENROLLED"},
        service_field="roles.1",
        graphql_field="roles.1",
    ),
    Case(
        name="startMatchRound",
        document=f"""mutation($id: ID!) {{ startMatchRound(programId: $id) {{
            round {{ id status }} {ERRORS} }} }}""",
        variables={"id": gid("Program", "prg_1")},
        service="matching",
        method="POST",
        path="/v1/programs/prg_1/rounds",
        body=None,
        answer=round_json("rnd_1"),
        status=201,
        result_key="round",
        result={"id": gid("MatchRound", "rnd_1"), "status": "QUEUED"},
        service_field="program_id",
        graphql_field="programId",
        who=PROGRAM_ADMIN,
    ),
    Case(
        name="requestMatch",
        document=f"""mutation($id: ID!) {{ requestMatch(programId: $id, employeeId: "E2") {{
            match {{ id status }} {ERRORS} }} }}""",
        variables={"id": gid("Program", "prg_1")},
        service="matching",
        method="POST",
        path="/v1/programs/prg_1/match-requests",
        body={"employee_id": "E2"},
        answer=match_json("mt_1"),
        status=201,
        result_key="match",
        result={"id": gid("Match", "mt_1"), "status": "PROPOSED"},
        service_field="employee_id",
        graphql_field="employeeId",
    ),
    Case(
        name="respondToProposal",
        document=f"""mutation($id: ID!) {{ respondToProposal(matchId: $id, accept: true) {{
            match {{ id status }} {ERRORS} }} }}""",
        variables={"id": gid("Match", "mt_1")},
        service="matching",
        method="POST",
        path="/v1/matches/mt_1/response",
        body={"accept": True},
        answer=match_json("mt_1", status="active"),
        status=200,
        result_key="match",
        result={"id": gid("Match", "mt_1"), "status": "ACTIVE"},
        service_field="match_id",
        graphql_field="matchId",
    ),
    Case(
        name="endMatch",
        document=f"""mutation($id: ID!) {{ endMatch(matchId: $id, reason: "moved teams") {{
            match {{ id status }} {ERRORS} }} }}""",
        variables={"id": gid("Match", "mt_1")},
        service="matching",
        method="POST",
        path="/v1/matches/mt_1/end",
        body={"reason": "moved teams"},
        answer=match_json("mt_1", status="ended"),
        status=200,
        result_key="match",
        result={"id": gid("Match", "mt_1"), "status": "ENDED"},
        service_field="reason",
        graphql_field="reason",
    ),
    Case(
        name="logSession",
        document=f"""mutation($input: LogSessionInput!) {{ logSession(input: $input) {{
            session {{ id heldOn minutes }} {ERRORS} }} }}""",
        variables={
            "input": {
                "matchId": gid("Match", "mt_1"),
                "heldOn": "2026-11-20",
                "minutes": 45,
                "mode": "VIDEO",
                "taught": ["social-media"],
                "learned": ["stakeholder-management"],
                "notes": "good",
            }
        },
        service="engagement",
        method="POST",
        path="/v1/matches/mt_1/sessions",
        body={
            "held_on": "2026-11-20",
            "minutes": 45,
            "mode": "video",
            "taught": ["social-media"],
            "learned": ["stakeholder-management"],
            "notes": "good",
        },
        answer=session_json("ses_1"),
        status=201,
        result_key="session",
        result={"id": gid("Session", "ses_1"), "heldOn": "2026-11-20", "minutes": 45},
        service_field="held_on",
        graphql_field="input.heldOn",
    ),
    Case(
        name="setGoal",
        document=f"""mutation($input: SetGoalInput!) {{ setGoal(input: $input) {{
            goal {{ id title status }} {ERRORS} }} }}""",
        variables={"input": {"matchId": gid("Match", "mt_1"), "title": "Ship a post", "dueOn": "2026-12-31"}},
        service="engagement",
        method="POST",
        path="/v1/goals",
        body={"title": "Ship a post", "due_on": "2026-12-31", "match_id": "mt_1"},
        answer=goal_json("gl_1"),
        status=201,
        result_key="goal",
        result={"id": gid("Goal", "gl_1"), "title": "Ship a post", "status": "OPEN"},
        service_field="due_on",
        graphql_field="input.dueOn",
    ),
    Case(
        name="submitCheckIn",
        document=f"""mutation($input: SubmitCheckInInput!) {{ submitCheckIn(input: $input) {{
            checkIn {{ id status }} {ERRORS} }} }}""",
        variables={
            "input": {
                "checkInId": gid("CheckIn", "ci_1"),
                "satisfaction": 5,
                "careerSupport": 4,
                "psychosocialSupport": 4,
                "roleModelling": 3,
            }
        },
        service="engagement",
        method="POST",
        path="/v1/checkins/ci_1/answers",
        body={"satisfaction": 5, "career_support": 4, "psychosocial_support": 4, "role_modelling": 3},
        answer=checkin_json("ci_1"),
        status=200,
        result_key="checkIn",
        result={"id": gid("CheckIn", "ci_1"), "status": "SUBMITTED"},
        service_field="checkin_id",
        graphql_field="input.checkInId",
    ),
]
