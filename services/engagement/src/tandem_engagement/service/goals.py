"""Setting a goal: create one (no ``goal_id``) or change the fields given; each effective
change publishes ``goal.changed.v1``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tandem_common.user_errors import UserError, UserErrors, conflict, not_found, validation
from tandem_engagement.domain import policy
from tandem_engagement.domain.goals import Goal, check_goal, create_goal, edit_goal, owners_of
from tandem_engagement.domain.policy import Subject, Viewer
from tandem_engagement.service import events
from tandem_engagement.service.loading import load_match
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork


@dataclass(frozen=True, slots=True)
class SetGoal:
    viewer: Viewer
    # One of them at least: a new goal names its match, a change its goal.
    match_id: str | None
    goal_id: str | None
    # The goal's fields as the caller sent them (JSON): title, success_criteria,
    # due_on, progress, status, owner_id.
    fields: Any


@dataclass(frozen=True, slots=True)
class GoalSet:
    goal: Goal
    created: bool


async def set_goal(uow: EngagementUnitOfWork, command: SetGoal, *, now: datetime, source: str) -> GoalSet:
    creating = command.goal_id is None
    errors = check_goal(command.fields, creating=creating)
    goal: Goal | None = None
    match_id = command.match_id
    if command.goal_id is not None:
        goal = (await uow.goals.get([command.goal_id], for_update=True)).get(command.goal_id)
        if goal is None:
            raise UserErrors([not_found("goal_id", "no such goal")])
        if match_id is not None and match_id != goal.match_id:
            raise UserErrors([validation("match_id", "is not the goal's match")])
        match_id = goal.match_id
    if match_id is None:
        raise UserErrors([validation("match_id", "is required to create a goal")])
    match = await load_match(uow, match_id, for_update=True)
    policy.require("set_goal", command.viewer, Subject(match=match))
    if errors:
        raise UserErrors(errors)
    fields: Mapping[str, Any] = command.fields
    problems: list[UserError] = []
    if match.status != "active":
        problems.append(conflict("match_id", "goals are set while the match is active"))
    owners: tuple[str, ...] | None = None
    if "owner_id" in fields or creating:
        owners, owner_problem = owners_of(match, fields.get("owner_id"))
        if owner_problem is not None:
            problems.append(owner_problem)
    if problems:
        raise UserErrors(problems)
    if goal is None:
        created = create_goal(
            match, fields, owners or match.member_ids, by=command.viewer.employee_id, now=now
        )
        await uow.goals.add(created)
        await uow.publish_one(events.goal_changed(created, source=source))
        return GoalSet(created, created=True)
    after = edit_goal(goal, fields, owners, now=now)
    if after is not goal:
        await uow.goals.save(after)
        await uow.publish_one(events.goal_changed(after, source=source))
    return GoalSet(after, created=False)
