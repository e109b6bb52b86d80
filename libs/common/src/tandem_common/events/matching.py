"""Outbound program and match events on ``matching.events`` (``events.md``, "Outbound").

Program and enrolment events are keyed by ``program_id`` (so a program's enrolments stay
in order with the program) and match events by ``match_id``. People are
named by employee id only; rules and weights are those of ``matching-cli.md``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, Field, StrictBool, StrictInt, model_validator

from tandem_common.events.fields import (
    ClosedModel,
    CountryCode,
    EmployeeId,
    IsoDate,
    IsoDateTime,
    NonEmptyText,
    OpaqueId,
    SeniorityLevel,
)
from tandem_common.events.registry import EventSchema

MATCHING_TOPIC = "matching.events"

ProgramType = Literal["reciprocal", "reverse", "traditional", "peer", "group"]
# The engine's score factors and pair scores are each in [0, 1] (matching-cli.md).
UnitInterval = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ProgramRules(ClosedModel):
    """The hard rules of ``matching-cli.md``."""

    exclude_reporting_line: StrictBool
    exclude_same_department: StrictBool
    # Working hours are 09:00-17:00 local, so two people overlap by 8 hours at most.
    min_timezone_overlap_hours: float = Field(ge=0, le=8, allow_inf_nan=False)
    require_common_language: StrictBool
    exclude_previous_pairs: list[tuple[EmployeeId, EmployeeId]]


class ProgramWeights(ClosedModel):
    """The score weights of ``matching-cli.md``."""

    skill_complementarity: Weight
    reciprocity_balance: Weight
    cross_department: Weight
    cross_generation: Weight
    timezone_overlap: Weight
    # The engine's sixth factor: optional, as a service may add optional fields.
    common_goals: Weight = 0.0


class Cadence(ClosedModel):
    sessions_per_month: StrictInt = Field(ge=1, le=31)
    minutes_per_session: StrictInt = Field(ge=1, le=480)


class CheckinSchedule(ClosedModel):
    first_after_days: StrictInt = Field(ge=1)
    every_days: StrictInt = Field(ge=1)


class Eligibility(ClosedModel):
    """Who may enrol; an absent criterion admits everyone."""

    departments: list[NonEmptyText] | None = None
    countries: list[CountryCode] | None = None
    min_seniority: SeniorityLevel | None = None
    max_seniority: SeniorityLevel | None = None

    @model_validator(mode="after")
    def _seniority_range(self) -> Self:
        if (
            self.min_seniority is not None
            and self.max_seniority is not None
            and self.min_seniority > self.max_seniority
        ):
            raise ValueError("min_seniority must not exceed max_seniority")
        return self


class MatchMember(ClosedModel):
    employee_id: EmployeeId
    role: Literal["mentor", "mentee", "partner", "facilitator"]


def _distinct_members(members: list[MatchMember]) -> list[MatchMember]:
    if len({member.employee_id for member in members}) != len(members):
        raise ValueError("lists an employee twice")
    return members


# A pair, or a circle of 4 to 8, in the order of matching-cli.md (mentor or facilitator first).
Members = Annotated[list[MatchMember], Field(min_length=2, max_length=8), AfterValidator(_distinct_members)]


class ExplanationFactor(ClosedModel):
    factor: str = Field(min_length=1, max_length=100)
    value: float = Field(allow_inf_nan=False)
    detail: str = Field(max_length=2000)


class ProgramChanged(EventSchema):
    """The full current program; ``program_version`` increases strictly per program."""

    ce_type: ClassVar[str] = "tandem.matching.program.changed.v1"
    topic: ClassVar[str] = MATCHING_TOPIC
    key_field: ClassVar[str] = "program_id"

    program_id: OpaqueId
    program_version: StrictInt = Field(ge=1)
    name: NonEmptyText
    type: ProgramType
    status: Literal["draft", "enrolling", "running", "closed"]
    rules: ProgramRules
    weights: ProgramWeights
    cadence: Cadence
    duration_days: StrictInt = Field(ge=1)
    checkins: CheckinSchedule
    acceptance: Literal["both", "auto"]
    auto_rematch: StrictBool
    admins: list[EmployeeId]
    eligibility: Eligibility | None = None


class EnrolmentChanged(EventSchema):
    """A person enrolled in a program, changed their roles, or withdrew (or was withdrawn)."""

    ce_type: ClassVar[str] = "tandem.matching.enrolment.changed.v1"
    topic: ClassVar[str] = MATCHING_TOPIC
    key_field: ClassVar[str] = "program_id"

    program_id: OpaqueId
    employee_id: EmployeeId
    roles: Annotated[list[Literal["mentor", "mentee"]], Field(max_length=2)]
    status: Literal["enrolled", "withdrawn"]
    changed_at: IsoDateTime

    @model_validator(mode="after")
    def _distinct_roles(self) -> Self:
        if len(set(self.roles)) != len(self.roles):
            raise ValueError("roles lists a role twice")
        return self


class MatchProposed(EventSchema):
    ce_type: ClassVar[str] = "tandem.matching.match.proposed.v1"
    topic: ClassVar[str] = MATCHING_TOPIC
    key_field: ClassVar[str] = "match_id"

    match_id: OpaqueId
    program_id: OpaqueId
    round_id: OpaqueId | None  # null for a self-requested or automatic re-match
    members: Members
    score: UnitInterval
    explanation: list[ExplanationFactor]
    expires_at: IsoDateTime


class MatchStarted(EventSchema):
    ce_type: ClassVar[str] = "tandem.matching.match.started.v1"
    topic: ClassVar[str] = MATCHING_TOPIC
    key_field: ClassVar[str] = "match_id"

    match_id: OpaqueId
    program_id: OpaqueId
    program_type: ProgramType
    members: Members
    started_on: IsoDate
    ends_on: IsoDate

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_on < self.started_on:
            raise ValueError("ends_on must not be before started_on")
        return self


class MatchDeclined(EventSchema):
    ce_type: ClassVar[str] = "tandem.matching.match.declined.v1"
    topic: ClassVar[str] = MATCHING_TOPIC
    key_field: ClassVar[str] = "match_id"

    match_id: OpaqueId
    program_id: OpaqueId
    declined_by: EmployeeId | None  # null when the proposal expired


class MatchEnded(EventSchema):
    ce_type: ClassVar[str] = "tandem.matching.match.ended.v1"
    topic: ClassVar[str] = MATCHING_TOPIC
    key_field: ClassVar[str] = "match_id"

    match_id: OpaqueId
    program_id: OpaqueId
    members: Members
    ended_on: IsoDate
    reason: Literal[
        "completed",
        "member_departed",
        "ended_by_member",
        "ended_by_admin",
        "rule_violated",
        "program_closed",
    ]


MATCHING_EVENTS: tuple[type[EventSchema], ...] = (
    ProgramChanged,
    EnrolmentChanged,
    MatchProposed,
    MatchStarted,
    MatchDeclined,
    MatchEnded,
)
