"""The mutations the matching service owns: programs, enrolment, rounds and matches.

Each is one command to matching (``entrypoints/api.py``, ``api_rounds.py``,
``api_recommendations.py`` there), made as :mod:`tandem_gateway.schema.commands` says.
"""

from __future__ import annotations

from typing import Any, TypeVar

import strawberry

from tandem_gateway.context import GatewayContext
from tandem_gateway.schema.commands import Answer, Command
from tandem_gateway.schema.enums import MentoringRole, ProgramStatus
from tandem_gateway.schema.inputs import CreateProgramInput
from tandem_gateway.schema.matches import Match
from tandem_gateway.schema.payloads import EnrolmentPayload, MatchPayload, MatchRoundPayload, ProgramPayload
from tandem_gateway.schema.programs import Enrolment, MatchRound, Program
from tandem_gateway.schema.user_errors import FieldNames

Info = strawberry.Info[GatewayContext, None]
P = TypeVar("P")

# The service's names for the viewer (who asks) are no argument of these mutations.
_VIEWER = {"viewer": None, "requester_id": None}
PROGRAM_INPUT = FieldNames(prefix="input", renames={**_VIEWER, "input": "input", "body": "input"})
BY_PROGRAM = FieldNames(renames=_VIEWER)
# enrol: ``employee_id`` is the viewer enrolling themself.
ENROLMENT = FieldNames(renames={**_VIEWER, "employee_id": None})

PROGRAM = Answer(ProgramPayload, lambda data: ProgramPayload(program=Program.from_service(data)))
ENROLLED = Answer(EnrolmentPayload, lambda data: EnrolmentPayload(enrolment=Enrolment.from_service(data)))
ROUND = Answer(MatchRoundPayload, lambda data: MatchRoundPayload(round=MatchRound.from_service(data)))
MATCH = Answer(MatchPayload, lambda data: MatchPayload(match=Match.from_service(data)))


async def create_program(info: Info, input: CreateProgramInput) -> ProgramPayload:
    command = Command(info.context.viewer, "Mutation.createProgram")
    return await command.send(
        PROGRAM,
        info.context.services.matching,
        "POST",
        "/v1/programs",
        body=input.to_service(),
        names=PROGRAM_INPUT,
    )


async def set_program_status(info: Info, program_id: strawberry.ID, status: ProgramStatus) -> ProgramPayload:
    body = {"status": status.value}
    return await _program_command(info, "Mutation.setProgramStatus", program_id, "status", PROGRAM, body)


async def enrol(info: Info, program_id: strawberry.ID, roles: list[MentoringRole]) -> EnrolmentPayload:
    body = {"roles": [role.value for role in roles]}
    return await _program_command(
        info, "Mutation.enrol", program_id, "enrolments", ENROLLED, body, names=ENROLMENT, refused_at=None
    )


async def start_match_round(info: Info, program_id: strawberry.ID) -> MatchRoundPayload:
    return await _program_command(info, "Mutation.startMatchRound", program_id, "rounds", ROUND)


async def request_match(info: Info, program_id: strawberry.ID, employee_id: str) -> MatchPayload:
    body = {"employee_id": employee_id}
    return await _program_command(
        info, "Mutation.requestMatch", program_id, "match-requests", MATCH, body, refused_at=None
    )


async def respond_to_proposal(info: Info, match_id: strawberry.ID, accept: bool) -> MatchPayload:
    return await _match_command(info, "Mutation.respondToProposal", match_id, "response", {"accept": accept})


async def end_match(info: Info, match_id: strawberry.ID, reason: str | None = None) -> MatchPayload:
    body = {} if reason is None else {"reason": reason}
    return await _match_command(info, "Mutation.endMatch", match_id, "end", body)


async def _program_command(
    info: Info,
    rule: str,
    program_id: str,
    action: str,
    answer: Answer[P],
    body: dict[str, Any] | None = None,
    *,
    names: FieldNames = BY_PROGRAM,
    refused_at: str | None = "programId",
) -> P:
    """``POST /v1/programs/{id}/{action}``; a refusal of the rule points at
    ``refused_at`` (None where the rule refuses the viewer, not this program)."""
    command = Command(info.context.viewer, rule, refused_at)
    raw = command.ids.raw(program_id, "Program", "programId")
    path = f"/v1/programs/{raw}/{action}"
    return await command.send(answer, info.context.services.matching, "POST", path, body=body, names=names)


async def _match_command(
    info: Info, rule: str, match_id: str, action: str, body: dict[str, Any]
) -> MatchPayload:
    """``POST /v1/matches/{id}/{action}``."""
    command = Command(info.context.viewer, rule, "matchId")
    raw = command.ids.raw(match_id, "Match", "matchId")
    path = f"/v1/matches/{raw}/{action}"
    return await command.send(
        MATCH, info.context.services.matching, "POST", path, body=body, names=BY_PROGRAM
    )
