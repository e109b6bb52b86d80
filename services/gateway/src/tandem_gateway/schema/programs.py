"""Programs, their rounds and enrolments, from the matching service's JSON.

What a program is (name, type, status, cadence, duration, acceptance) is every
viewer's: people choose what to enrol in. How it is run (rules, weights, admins,
enrolments, rounds, matches, analytics) is its admins' (``policy.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry import UNSET
from strawberry.types import Info

from tandem_gateway.context import GatewayContext
from tandem_gateway.policy import Facts
from tandem_gateway.schema.analytics import ProgramAnalytics
from tandem_gateway.schema.connections import Connection, check_page, connection_from_service
from tandem_gateway.schema.enums import (
    Acceptance,
    EnrolmentStatus,
    MatchStatus,
    MentoringRole,
    ProgramStatus,
    ProgramType,
    RoundStatus,
)
from tandem_gateway.schema.facts import program_admins
from tandem_gateway.schema.fields import field
from tandem_gateway.schema.matches import match_page
from tandem_gateway.schema.nodes import Node, encode_id
from tandem_gateway.schema.service_reads import expect_ok

if TYPE_CHECKING:
    from tandem_gateway.schema.matches import Match
    from tandem_gateway.schema.people import Person

__all__ = ["Enrolment", "MatchRound", "Program", "ProgramAnalytics"]

Context = Info[GatewayContext, Any]
# Rounds are few (one per matching cycle): the list is the program's first page of them.
ROUNDS_LISTED = 100


@strawberry.type
class ProgramRules:
    exclude_reporting_line: bool
    exclude_same_department: bool
    min_timezone_overlap_hours: float
    require_common_language: bool


@strawberry.type
class ProgramWeights:
    skill_complementarity: float
    reciprocity_balance: float
    cross_department: float
    cross_generation: float
    timezone_overlap: float
    common_goals: float


@strawberry.type
class Cadence:
    sessions_per_month: int
    minutes_per_session: int


@strawberry.type
class CheckInSchedule:
    first_after_days: int
    every_days: int


async def _program_facts(info: Context, program_id: str) -> Facts:
    return Facts(program_admins=await program_admins(info, program_id))


@strawberry.type(description="A matching cycle of a program.")
class MatchRound(Node):
    status: RoundStatus
    requested_at: str
    started_at: str | None
    finished_at: str | None
    stats: RoundStats | None
    unmatched: list[Unmatched]
    _raw_id: strawberry.Private[str]
    _program_id: strawberry.Private[str]

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        stats = data.get("stats")
        return cls(
            id=strawberry.ID(encode_id("MatchRound", str(data["round_id"]))),
            status=RoundStatus(data["status"]),
            requested_at=str(data["requested_at"]),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
            stats=None
            if stats is None
            else RoundStats(
                participants=int(stats["participants"]),
                matched=int(stats["matched"]),
                objective=float(stats["objective"]),
                seconds=float(stats["seconds"]),
            ),
            unmatched=[
                Unmatched(employee_id=str(item["employee_id"]), reason=str(item["reason"]))
                for item in data.get("unmatched") or ()
            ],
            _raw_id=str(data["round_id"]),
            _program_id=str(data["program_id"]),
        )

    async def access_facts(self, info: Context) -> Facts:
        return await _program_facts(info, self._program_id)

    @field()
    async def program(self, info: Context) -> Program | None:
        return await info.context.loaders.programs.load(self._program_id)


@strawberry.type
class RoundStats:
    participants: int
    matched: int
    objective: float
    seconds: float


@strawberry.type
class Unmatched:
    employee_id: str
    reason: str


@strawberry.type(description="A person's enrolment in a program, with the roles they take.")
class Enrolment:
    id: strawberry.ID
    roles: list[MentoringRole]
    status: EnrolmentStatus
    enrolled_at: str
    _program_id: strawberry.Private[str]
    _employee_id: strawberry.Private[str]

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        program_id, employee_id = str(data["program_id"]), str(data["employee_id"])
        return cls(
            id=strawberry.ID(encode_id("Enrolment", f"{program_id}:{employee_id}")),
            roles=[MentoringRole(role) for role in data.get("roles") or ()],
            status=EnrolmentStatus(data.get("status", "enrolled")),
            enrolled_at=str(data["enrolled_at"]),
            _program_id=program_id,
            _employee_id=employee_id,
        )

    async def access_facts(self, info: Context) -> Facts:
        facts = await _program_facts(info, self._program_id)
        return Facts(owner=self._employee_id, program_admins=facts.program_admins)

    @field()
    async def program(self, info: Context) -> Program | None:
        return await info.context.loaders.programs.load(self._program_id)

    @field()
    async def person(
        self, info: Context
    ) -> Annotated[Person, strawberry.lazy("tandem_gateway.schema.people")] | None:
        return await info.context.loaders.profiles.load(self._employee_id)


@strawberry.type(description="A mentoring program.")
class Program(Node):
    name: str
    type: ProgramType
    status: ProgramStatus
    cadence: Cadence
    duration_days: int
    acceptance: Acceptance
    auto_rematch: bool
    check_ins: CheckInSchedule
    _raw_id: strawberry.Private[str]
    _rules: strawberry.Private[ProgramRules]
    _weights: strawberry.Private[ProgramWeights]
    _admins: strawberry.Private[list[str]]

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        rules, weights, cadence = data["rules"], data["weights"], data["cadence"]
        checkins = data.get("checkins") or {"first_after_days": 0, "every_days": 0}
        return cls(
            id=strawberry.ID(encode_id("Program", str(data["program_id"]))),
            name=str(data["name"]),
            type=ProgramType(data["type"]),
            status=ProgramStatus(data["status"]),
            cadence=Cadence(
                sessions_per_month=int(cadence["sessions_per_month"]),
                minutes_per_session=int(cadence["minutes_per_session"]),
            ),
            duration_days=int(data["duration_days"]),
            acceptance=Acceptance(data["acceptance"]),
            auto_rematch=bool(data["auto_rematch"]),
            check_ins=CheckInSchedule(
                first_after_days=int(checkins["first_after_days"]), every_days=int(checkins["every_days"])
            ),
            _raw_id=str(data["program_id"]),
            _rules=ProgramRules(
                exclude_reporting_line=bool(rules["exclude_reporting_line"]),
                exclude_same_department=bool(rules["exclude_same_department"]),
                min_timezone_overlap_hours=float(rules["min_timezone_overlap_hours"]),
                require_common_language=bool(rules["require_common_language"]),
            ),
            _weights=ProgramWeights(**{name: float(weights.get(name, 0.0)) for name in _WEIGHTS}),
            _admins=[str(admin) for admin in data.get("admins") or ()],
        )

    @property
    def raw_id(self) -> str:
        return self._raw_id

    @property
    def admins_ids(self) -> frozenset[str]:
        return frozenset(self._admins)

    def known_facts(self) -> Facts:
        return Facts(program_admins=self.admins_ids)

    @field(rule="Program.rules")
    def rules(self) -> ProgramRules | None:
        return self._rules

    @field(rule="Program.weights")
    def weights(self) -> ProgramWeights | None:
        return self._weights

    @field(rule="Program.admins", description="The employee ids of the program's admins.")
    def admins(self) -> list[str] | None:
        return list(self._admins)

    @field(rule="Program.admins", description="The program's admins' profiles.")
    async def admin_people(
        self, info: Context
    ) -> list[Annotated[Person, strawberry.lazy("tandem_gateway.schema.people")]] | None:
        found = await info.context.loaders.profiles.load_many(self._admins)
        return [person for person in found if person is not None]

    @field(rule="Program.enrolments")
    async def enrolments(
        self, info: Context, first: int | None = 20, after: str | None = UNSET
    ) -> Connection[Enrolment] | None:
        size, cursor = check_page(first, after, default=20)
        path = f"/v1/programs/{self._raw_id}/enrolments"
        answer = await info.context.services.matching.get(path, params={"first": size, "after": cursor})
        return connection_from_service(expect_ok(answer, "matching", path), Enrolment.from_service)

    @field(rule="Program.rounds", description="Oldest first.")
    async def rounds(self, info: Context) -> list[MatchRound] | None:
        path = f"/v1/programs/{self._raw_id}/rounds"
        answer = await info.context.services.matching.get(path, params={"first": ROUNDS_LISTED})
        page = connection_from_service(expect_ok(answer, "matching", path), MatchRound.from_service)
        return [edge.node for edge in page.edges]

    @field(rule="Program.matches")
    async def matches(
        self,
        info: Context,
        first: int | None = 20,
        after: str | None = UNSET,
        status: MatchStatus | None = UNSET,
    ) -> Connection[Annotated[Match, strawberry.lazy("tandem_gateway.schema.matches")]] | None:
        return await match_page(
            info, self._raw_id, first=first, after=after, status=status or None, admins=self.admins_ids
        )

    @field(rule="Program.analytics")
    async def analytics(self, info: Context) -> ProgramAnalytics | None:
        path = f"/v1/programs/{self._raw_id}/analytics"
        answer = await info.context.services.engagement.get(path, viewer=info.context.viewer)
        return ProgramAnalytics.from_service(expect_ok(answer, "engagement", path))


_WEIGHTS = (
    "skill_complementarity",
    "reciprocity_balance",
    "cross_department",
    "cross_generation",
    "timezone_overlap",
    "common_goals",
)
