"""The input objects of the mutations (graphql.md), and their JSON for the services.

Enum values go to the services as their lower-case values (events.md). Dates are ISO
8601 strings (``2026-11-27``), checked by the owning service, so that a bad date is a
``VALIDATION`` user error on its field like any other bad value.

Two kinds of "left out":

- ``MentoringProfileInput`` and ``SetGoalInput`` change what is there: a field left
  out keeps its value, so they use ``Maybe`` (left out, or given; ``null`` is refused
  by GraphQL validation where it means nothing). A consents object is replaced as a
  whole, so both of its flags are required.
- ``CreateProgramInput`` and the other creating inputs: a field left out (or null)
  takes the service's default, and is not sent.
"""

from __future__ import annotations

from typing import Any

import strawberry

from tandem_gateway.schema.enums import (
    Acceptance,
    GoalStatus,
    MentoringRole,
    ProgramType,
    SessionMode,
)


def given(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` without the ones left out (None, or a ``Maybe`` not given); a
    ``Maybe`` given is unwrapped."""
    found: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        found[name] = value.value if isinstance(value, strawberry.Some) else value
    return found


# -- the mentoring profile ---------------------------------------------------------------


@strawberry.input(description="A skill (a taxonomy id such as `social-media`, or its name) and a level 1-5.")
class SkillLevelInput:
    skill: str
    level: int

    def to_service(self) -> dict[str, Any]:
        return {"skill": self.skill, "level": self.level}


@strawberry.input(description="The consents of a mentoring profile; both are set together.")
class ConsentsInput:
    generation_aware_pairing: bool
    demographics_for_reporting: bool

    def to_service(self) -> dict[str, Any]:
        return {
            "generation_aware_pairing": self.generation_aware_pairing,
            "demographics_for_reporting": self.demographics_for_reporting,
        }


@strawberry.input(description="The viewer's own mentoring profile; fields left out keep their value.")
class MentoringProfileInput:
    skills_offered: strawberry.Maybe[list[SkillLevelInput]]
    skills_wanted: strawberry.Maybe[list[SkillLevelInput]]
    roles: strawberry.Maybe[list[MentoringRole]]
    capacity: strawberry.Maybe[int]
    hours_per_month: strawberry.Maybe[int]
    goals: strawberry.Maybe[str]
    consents: strawberry.Maybe[ConsentsInput]

    def to_service(self) -> dict[str, Any]:
        """The body of ``PATCH /v1/profiles/{id}/mentoring``: only the fields given."""
        body: dict[str, Any] = {}
        if self.skills_offered is not None:
            body["skills_offered"] = [s.to_service() for s in self.skills_offered.value]
        if self.skills_wanted is not None:
            body["skills_wanted"] = [s.to_service() for s in self.skills_wanted.value]
        if self.roles is not None:
            body["roles"] = [role.value for role in self.roles.value]
        if self.consents is not None:
            body["consents"] = self.consents.value.to_service()
        return {
            **body,
            **given(
                {"capacity": self.capacity, "hours_per_month": self.hours_per_month, "goals": self.goals}
            ),
        }


# -- programs ----------------------------------------------------------------------------


@strawberry.input(description="The hard rules of matching; a rule left out takes its default.")
class ProgramRulesInput:
    exclude_reporting_line: bool | None = None
    exclude_same_department: bool | None = None
    min_timezone_overlap_hours: float | None = None
    require_common_language: bool | None = None


@strawberry.input(description="The score weights (0-100); a factor at 0 does not count.")
class ProgramWeightsInput:
    skill_complementarity: float | None = None
    reciprocity_balance: float | None = None
    cross_department: float | None = None
    cross_generation: float | None = None
    timezone_overlap: float | None = None
    common_goals: float | None = None


@strawberry.input
class CadenceInput:
    sessions_per_month: int | None = None
    minutes_per_session: int | None = None


@strawberry.input(description="When members are asked to check in: first after, then every, so many days.")
class CheckInScheduleInput:
    first_after_days: int | None = None
    every_days: int | None = None


def _section(value: Any) -> dict[str, Any] | None:
    """An input section as its service JSON (its attributes are already snake_case)."""
    if value is None:
        return None
    return given(dict(vars(value)))


@strawberry.input(description="A new program: the creator becomes its first admin; it starts as DRAFT.")
class CreateProgramInput:
    name: str
    type: ProgramType
    rules: ProgramRulesInput | None = None
    weights: ProgramWeightsInput | None = None
    cadence: CadenceInput | None = None
    duration_days: int | None = None
    acceptance: Acceptance | None = None
    auto_rematch: bool | None = None
    check_ins: CheckInScheduleInput | None = None

    def to_service(self) -> dict[str, Any]:
        """The body of ``POST /v1/programs``."""
        return given(
            {
                "name": self.name,
                "type": self.type.value,
                "rules": _section(self.rules),
                "weights": _section(self.weights),
                "cadence": _section(self.cadence),
                "duration_days": self.duration_days,
                "acceptance": self.acceptance.value if self.acceptance is not None else None,
                "auto_rematch": self.auto_rematch,
                "checkins": _section(self.check_ins),
            }
        )


# -- engagement --------------------------------------------------------------------------


@strawberry.input(
    description="A session, from the viewer's side: `taught` are the skill ids the viewer "
    "taught the partner, `learned` those the viewer learned from the partner; the ledger "
    "records both directions."
)
class LogSessionInput:
    match_id: strawberry.ID
    held_on: str = strawberry.field(description="ISO 8601 date, not in the future.")
    minutes: int
    mode: SessionMode
    taught: list[str] | None = None
    learned: list[str] | None = None
    notes: str | None = strawberry.field(default=None, description="Private to the viewer.")
    partner_id: str | None = strawberry.field(
        default=None, description="The member the session was with; needed in a circle of three or more."
    )
    client_request_id: str | None = strawberry.field(
        default=None, description="Sending the same session again with the same id logs it once."
    )

    def to_service(self) -> dict[str, Any]:
        """The body of ``POST /v1/matches/{match_id}/sessions``."""
        return given(
            {
                "held_on": self.held_on,
                "minutes": self.minutes,
                "mode": self.mode.value,
                "taught": self.taught,
                "learned": self.learned,
                "notes": self.notes,
                "partner_id": self.partner_id,
                "client_request_id": self.client_request_id,
            }
        )


@strawberry.input(
    description="Without `goalId` it creates a goal of `matchId`; with it, it changes that goal."
)
class SetGoalInput:
    match_id: strawberry.ID | None = None
    goal_id: strawberry.ID | None = None
    title: strawberry.Maybe[str]
    success_criteria: strawberry.Maybe[str]
    due_on: strawberry.Maybe[str]
    progress: strawberry.Maybe[int]
    status: strawberry.Maybe[GoalStatus]
    owner_id: strawberry.Maybe[str | None] = strawberry.field(
        description="The member the goal belongs to; null (or left out when creating) for a shared goal."
    )

    def to_service(self) -> dict[str, Any]:
        """The goal's fields of ``POST /v1/goals`` (the ids are added by the caller)."""
        body = given(
            {
                "title": self.title,
                "success_criteria": self.success_criteria,
                "due_on": self.due_on,
                "progress": self.progress,
            }
        )
        if self.status is not None:
            body["status"] = self.status.value.value
        if self.owner_id is not None:
            body["owner_id"] = self.owner_id.value
        return body


@strawberry.input(description="The answers to a check-in: ratings 1 to 5, and a comment.")
class SubmitCheckInInput:
    check_in_id: strawberry.ID
    satisfaction: int
    career_support: int
    psychosocial_support: int
    role_modelling: int
    comment: str | None = None

    def to_service(self) -> dict[str, Any]:
        """The body of ``POST /v1/checkins/{checkin_id}/answers``."""
        return given(
            {
                "satisfaction": self.satisfaction,
                "career_support": self.career_support,
                "psychosocial_support": self.psychosocial_support,
                "role_modelling": self.role_modelling,
                "comment": self.comment,
            }
        )
