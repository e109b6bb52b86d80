"""Goals and milestones of a match.

A goal is shared by every member (``owner_id`` left out) or owned by one of them. It
has a title and success criteria (free text that stays in the service), a due date,
progress from 0 to 100 and a status. Setting a goal without ``goal_id`` creates it;
with one, the fields given change and the others keep their value. A goal marked done
is at 100; each effective change raises ``version``, so its event has its own id.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from tandem_common.fields import Check, check_object, employee_id, integer, one_of, text
from tandem_common.user_errors import UserError, validation
from tandem_engagement.domain.fields import free_text, iso_date
from tandem_engagement.domain.matches import Match

GoalStatus = Literal["open", "done", "dropped"]
STATUSES: tuple[GoalStatus, ...] = ("open", "done", "dropped")
MAX_TITLE = 200
MAX_CRITERIA = 2000

GOAL_FIELDS: Mapping[str, Check] = {
    "title": text(MAX_TITLE),
    "success_criteria": free_text(MAX_CRITERIA),
    "due_on": iso_date,
    "progress": integer(0, 100),
    "status": one_of(STATUSES),
    "owner_id": employee_id,
}
REQUIRED_TO_CREATE = ("title", "due_on")


@dataclass(frozen=True, slots=True)
class Goal:
    goal_id: str
    match_id: str
    owners: tuple[str, ...]
    title: str
    success_criteria: str
    due_on: date
    progress: int
    status: GoalStatus
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def shared(self) -> bool:
        return len(self.owners) > 1


def check_goal(data: Any, *, creating: bool) -> list[UserError]:
    """The problems of a goal's fields (``null`` owner_id means shared)."""
    if isinstance(data, Mapping):
        data = {k: v for k, v in data.items() if not (k == "owner_id" and v is None)}
    return check_object(data, GOAL_FIELDS, required=REQUIRED_TO_CREATE if creating else ())


def owners_of(match: Match, owner_id: str | None) -> tuple[tuple[str, ...], UserError | None]:
    if owner_id is None:
        return match.member_ids, None
    if match.member(owner_id) is None:
        return (), validation("owner_id", "must be a member of the match")
    return (owner_id,), None


def _completed(status: GoalStatus, progress: int) -> int:
    return 100 if status == "done" else progress


def create_goal(
    match: Match, fields: Mapping[str, Any], owners: tuple[str, ...], *, by: str, now: datetime
) -> Goal:
    status: GoalStatus = fields.get("status", "open")
    return Goal(
        goal_id=uuid.uuid4().hex,
        match_id=match.match_id,
        owners=owners,
        title=fields["title"],
        success_criteria=fields.get("success_criteria", ""),
        due_on=date.fromisoformat(fields["due_on"]),
        progress=_completed(status, fields.get("progress", 0)),
        status=status,
        version=1,
        created_by=by,
        created_at=now,
        updated_at=now,
    )


def edit_goal(
    goal: Goal, fields: Mapping[str, Any], owners: tuple[str, ...] | None, *, now: datetime
) -> Goal:
    """``goal`` with ``fields`` applied; the same object when nothing changes."""
    status: GoalStatus = fields.get("status", goal.status)
    after = replace(
        goal,
        owners=owners if owners is not None else goal.owners,
        title=fields.get("title", goal.title),
        success_criteria=fields.get("success_criteria", goal.success_criteria),
        due_on=date.fromisoformat(fields["due_on"]) if "due_on" in fields else goal.due_on,
        progress=_completed(status, fields.get("progress", goal.progress)),
        status=status,
    )
    if after == goal:
        return goal
    return replace(after, version=goal.version + 1, updated_at=now)
