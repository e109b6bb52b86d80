"""The mutations the engagement service owns: sessions, goals and check-ins.

Each is one command to engagement (``entrypoints/api.py`` there), made as
:mod:`tandem_gateway.schema.commands` says.
"""

from __future__ import annotations

from typing import Any, TypeVar

import strawberry

from tandem_gateway.context import GatewayContext
from tandem_gateway.schema.commands import Answer, Command
from tandem_gateway.schema.engagement import CheckIn, Goal, Session
from tandem_gateway.schema.inputs import LogSessionInput, SetGoalInput, SubmitCheckInInput
from tandem_gateway.schema.payloads import CheckInPayload, GoalPayload, SessionPayload
from tandem_gateway.schema.user_errors import FieldNames

Info = strawberry.Info[GatewayContext, None]
P = TypeVar("P")
# A global id argument: its value, the type it must name, and its path in the arguments.
GlobalId = tuple[str, str, str]

# Every field is under ``input``; the path and body ids are the input's ids.
INPUT = FieldNames(prefix="input", renames={"body": "input", "input": "input", "viewer": None})

SESSION = Answer(SessionPayload, lambda data: SessionPayload(session=Session.from_service(data)))
GOAL = Answer(GoalPayload, lambda data: GoalPayload(goal=Goal.from_service(data)))
CHECK_IN = Answer(CheckInPayload, lambda data: CheckInPayload(check_in=CheckIn.from_service(data)))


async def log_session(info: Info, input: LogSessionInput) -> SessionPayload:
    match = (input.match_id, "Match", "input.matchId")
    body = input.to_service()
    return await _command_at(info, "Mutation.logSession", SESSION, match, "/v1/matches/{}/sessions", body)


async def set_goal(info: Info, input: SetGoalInput) -> GoalPayload:
    command = Command(info.context.viewer, "Mutation.setGoal", "input.matchId")
    match_id = command.ids.optional(input.match_id, "Match", "input.matchId")
    goal_id = command.ids.optional(input.goal_id, "Goal", "input.goalId")
    body = input.to_service()
    if match_id is not None:
        body["match_id"] = match_id
    if goal_id is not None:
        body["goal_id"] = goal_id
    return await command.send(
        GOAL, info.context.services.engagement, "POST", "/v1/goals", body=body, names=INPUT
    )


async def submit_check_in(info: Info, input: SubmitCheckInInput) -> CheckInPayload:
    checkin = (input.check_in_id, "CheckIn", "input.checkInId")
    body = input.to_service()
    return await _command_at(
        info, "Mutation.submitCheckIn", CHECK_IN, checkin, "/v1/checkins/{}/answers", body
    )


async def _command_at(
    info: Info, rule: str, answer: Answer[P], global_id: GlobalId, path: str, body: dict[str, Any]
) -> P:
    """``POST`` of ``body`` to ``path`` with the service's id behind ``global_id`` (its
    id, type and argument path) in its ``{}``; a refusal of the rule points at that argument."""
    value, type_name, field_path = global_id
    command = Command(info.context.viewer, rule, field_path)
    raw = command.ids.raw(value, type_name, field_path)
    client = info.context.services.engagement
    return await command.send(answer, client, "POST", path.format(raw), body=body, names=INPUT)
