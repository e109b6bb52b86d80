"""Outbound engagement events on ``engagement.events`` (``events.md``, "Outbound").

Every event is keyed by ``match_id``. Free text (session notes, goal descriptions,
check-in answers) never leaves the engagement service, so no field here carries any.
"""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import ConfigDict, Field, StrictInt, model_validator

from tandem_common.events.fields import ClosedModel, EmployeeId, IsoDate, IsoDateTime, OpaqueId
from tandem_common.events.registry import EventSchema

ENGAGEMENT_TOPIC = "engagement.events"


class LearningEntry(ClosedModel):
    """One thing one member taught another in a session: employee ids and a skill id."""

    # ``from`` is a Python keyword: the field is ``from_`` in code and ``from`` on the wire.
    # Separate aliases (not ``alias=``) keep ``from_`` the constructor's keyword for type checkers.
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    from_: EmployeeId = Field(validation_alias="from", serialization_alias="from")
    to: EmployeeId
    skill: str = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _two_people(self) -> Self:
        if self.from_ == self.to:
            raise ValueError("from and to must be different members")
        return self


class HealthFactor(ClosedModel):
    factor: str = Field(min_length=1, max_length=100)
    value: float = Field(allow_inf_nan=False)
    detail: str = Field(max_length=2000)


class _MatchKeyed(EventSchema):
    topic: ClassVar[str] = ENGAGEMENT_TOPIC
    key_field: ClassVar[str] = "match_id"


class SessionLogged(_MatchKeyed):
    ce_type: ClassVar[str] = "tandem.engagement.session.logged.v1"

    session_id: OpaqueId
    match_id: OpaqueId
    program_id: OpaqueId
    held_on: IsoDate
    minutes: StrictInt = Field(ge=1, le=1440)
    mode: Literal["in_person", "video", "phone", "chat"]
    logged_by: EmployeeId
    learning: list[LearningEntry]


class GoalChanged(_MatchKeyed):
    ce_type: ClassVar[str] = "tandem.engagement.goal.changed.v1"

    goal_id: OpaqueId
    match_id: OpaqueId
    owners: list[EmployeeId] = Field(min_length=1)
    status: Literal["open", "done", "dropped"]
    progress: StrictInt = Field(ge=0, le=100)
    due_on: IsoDate


class CheckinDue(_MatchKeyed):
    ce_type: ClassVar[str] = "tandem.engagement.checkin.due.v1"

    checkin_id: OpaqueId
    match_id: OpaqueId
    employee_id: EmployeeId
    due_on: IsoDate


class CheckinSubmitted(_MatchKeyed):
    ce_type: ClassVar[str] = "tandem.engagement.checkin.submitted.v1"

    checkin_id: OpaqueId
    match_id: OpaqueId
    employee_id: EmployeeId
    submitted_on: IsoDate


class HealthChanged(_MatchKeyed):
    """Published when the band changes, not on every recomputation."""

    ce_type: ClassVar[str] = "tandem.engagement.health.changed.v1"

    match_id: OpaqueId
    program_id: OpaqueId
    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    band: Literal["healthy", "watch", "at_risk"]
    factors: list[HealthFactor]
    computed_at: IsoDateTime


ENGAGEMENT_EVENTS: tuple[type[EventSchema], ...] = (
    SessionLogged,
    GoalChanged,
    CheckinDue,
    CheckinSubmitted,
    HealthChanged,
)
