"""What happens in a match, from the engagement service's JSON: sessions, the learning
ledger, goals, check-ins and health. Exported from ``tandem_gateway.schema.matches``.

Each object keeps the facts of its match (members, program admins) when it was reached
from the match; reached another way (a mutation's payload), it reads them through the
loaders. A session's notes are its author's own, a check-in's answers its member's own.

Their ids are global ids (the mutations take them), but they are read through their
match, not refetched with ``node(id:)``: the engagement service reads them by match.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry.types import Info

from tandem_gateway.context import GatewayContext
from tandem_gateway.policy import Facts
from tandem_gateway.schema.enums import CheckInStatus, GoalStatus, HealthBand, SessionMode
from tandem_gateway.schema.facts import match_facts
from tandem_gateway.schema.fields import field
from tandem_gateway.schema.nodes import encode_id

if TYPE_CHECKING:
    from tandem_gateway.schema.people import Person

Context = Info[GatewayContext, Any]
PersonRef = Annotated["Person", strawberry.lazy("tandem_gateway.schema.people")]


@strawberry.type(description="One factor of a score: its name, its value and why.")
class ExplanationFactor:
    factor: str
    value: float
    detail: str

    @classmethod
    def many(cls, items: Any) -> list[ExplanationFactor]:
        return [
            ExplanationFactor(factor=str(i["factor"]), value=float(i["value"]), detail=str(i["detail"]))
            for i in items or ()
        ]


@strawberry.type(description="A member of a match, or an end of a ledger entry.")
class Party:
    employee_id: str

    @field()
    async def person(self, info: Context) -> PersonRef | None:
        return await info.context.loaders.profiles.load(self.employee_id)


@strawberry.type(description="One skill taught in a session, from one member to another.")
class LedgerEntry:
    from_: Party = strawberry.field(name="from")
    to: Party
    skill: str
    held_on: str

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        return cls(
            from_=Party(employee_id=str(data["from"])),
            to=Party(employee_id=str(data["to"])),
            skill=str(data["skill"]),
            held_on=str(data["held_on"]),
        )


class _OfMatch:
    """Facts kept from the match this object was reached through."""

    _match_id: str
    _facts: Facts | None

    async def _match_facts(self, info: Context) -> Facts:
        if self._facts is None:
            self._facts = await match_facts(info, self._match_id)
        return self._facts


@strawberry.type(description="A mentoring session of a match.")
class Session(_OfMatch):
    id: strawberry.ID
    held_on: str
    minutes: int
    mode: SessionMode
    logged_by: Party
    learning: list[LedgerEntry]
    logged_at: str
    _match_id: strawberry.Private[str]
    _notes: strawberry.Private[str | None]
    _facts: strawberry.Private[Facts | None] = None

    @classmethod
    def from_service(cls, data: dict[str, Any], facts: Facts | None = None) -> Self:
        entries = [{**entry, "held_on": data["held_on"]} for entry in data.get("learning") or ()]
        return cls(
            id=strawberry.ID(encode_id("Session", str(data["session_id"]))),
            held_on=str(data["held_on"]),
            minutes=int(data["minutes"]),
            mode=SessionMode(data["mode"]),
            logged_by=Party(employee_id=str(data["logged_by"])),
            learning=[LedgerEntry.from_service(entry) for entry in entries],
            logged_at=str(data["logged_at"]),
            _match_id=str(data["match_id"]),
            _notes=data.get("notes"),
            _facts=facts,
        )

    async def access_facts(self, info: Context) -> Facts:
        return replace(await self._match_facts(info), owner=self.logged_by.employee_id)

    @field(rule="Session.notes", loads_facts=True, description="Only for their writer.")
    def notes(self) -> str | None:
        return self._notes


@strawberry.type(description="A goal of a match.")
class Goal(_OfMatch):
    id: strawberry.ID
    title: str
    success_criteria: str | None
    due_on: str
    progress: int
    status: GoalStatus
    owners: list[Party]
    shared: bool
    _match_id: strawberry.Private[str]
    _facts: strawberry.Private[Facts | None] = None

    @classmethod
    def from_service(cls, data: dict[str, Any], facts: Facts | None = None) -> Self:
        return cls(
            id=strawberry.ID(encode_id("Goal", str(data["goal_id"]))),
            title=str(data["title"]),
            success_criteria=data.get("success_criteria"),
            due_on=str(data["due_on"]),
            progress=int(data["progress"]),
            status=GoalStatus(data["status"]),
            owners=[Party(employee_id=str(owner)) for owner in data.get("owners") or ()],
            shared=bool(data.get("shared", False)),
            _match_id=str(data["match_id"]),
            _facts=facts,
        )

    async def access_facts(self, info: Context) -> Facts:
        return await self._match_facts(info)


@strawberry.type(description="A member's answers to a check-in, ratings 1 to 5.")
class CheckInAnswers:
    satisfaction: int
    career_support: int
    psychosocial_support: int
    role_modelling: int
    comment: str | None


@strawberry.type(description="A check-in one member of a match is asked to answer.")
class CheckIn(_OfMatch):
    id: strawberry.ID
    employee_id: str
    due_on: str
    status: CheckInStatus
    submitted_on: str | None
    _match_id: strawberry.Private[str]
    _answers: strawberry.Private[CheckInAnswers | None]
    _facts: strawberry.Private[Facts | None] = None

    @classmethod
    def from_service(cls, data: dict[str, Any], facts: Facts | None = None) -> Self:
        answers = data.get("answers")
        return cls(
            id=strawberry.ID(encode_id("CheckIn", str(data["checkin_id"]))),
            employee_id=str(data["employee_id"]),
            due_on=str(data["due_on"]),
            status=CheckInStatus(data["status"]),
            submitted_on=data.get("submitted_on"),
            _match_id=str(data["match_id"]),
            _answers=None
            if answers is None
            else CheckInAnswers(
                satisfaction=int(answers["satisfaction"]),
                career_support=int(answers["career_support"]),
                psychosocial_support=int(answers["psychosocial_support"]),
                role_modelling=int(answers["role_modelling"]),
                comment=answers.get("comment"),
            ),
            _facts=facts,
        )

    async def access_facts(self, info: Context) -> Facts:
        return replace(await self._match_facts(info), owner=self.employee_id)

    @field(rule="CheckIn.answers", loads_facts=True, description="Only for the member who answers.")
    def answers(self) -> CheckInAnswers | None:
        return self._answers


@strawberry.type(description="How a match is going: a score from 0 to 100, its band and why.")
class MatchHealth:
    score: float
    band: HealthBand
    factors: list[ExplanationFactor]
    computed_at: str

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        return cls(
            score=float(data["score"]),
            band=HealthBand(data["band"]),
            factors=ExplanationFactor.many(data.get("factors")),
            computed_at=str(data["computed_at"]),
        )
