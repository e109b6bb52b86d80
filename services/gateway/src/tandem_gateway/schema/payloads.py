"""The payloads of the mutations: the result (null when refused) beside ``userErrors``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from tandem_gateway.schema.user_errors import UserError

if TYPE_CHECKING:
    from tandem_gateway.schema.engagement import CheckIn, Goal, Session
    from tandem_gateway.schema.matches import Match
    from tandem_gateway.schema.people import Person
    from tandem_gateway.schema.programs import Enrolment, MatchRound, Program

PEOPLE = "tandem_gateway.schema.people"
PROGRAMS = "tandem_gateway.schema.programs"
MATCHES = "tandem_gateway.schema.matches"
ENGAGEMENT = "tandem_gateway.schema.engagement"


@strawberry.type
class MentoringProfilePayload:
    person: Annotated[Person, strawberry.lazy(PEOPLE)] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProgramPayload:
    program: Annotated[Program, strawberry.lazy(PROGRAMS)] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EnrolmentPayload:
    enrolment: Annotated[Enrolment, strawberry.lazy(PROGRAMS)] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MatchRoundPayload:
    round: Annotated[MatchRound, strawberry.lazy(PROGRAMS)] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MatchPayload:
    match: Annotated[Match, strawberry.lazy(MATCHES)] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SessionPayload:
    session: Annotated[Session, strawberry.lazy(ENGAGEMENT)] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class GoalPayload:
    goal: Annotated[Goal, strawberry.lazy(ENGAGEMENT)] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CheckInPayload:
    check_in: Annotated[CheckIn, strawberry.lazy(ENGAGEMENT)] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
