"""Matches, from the matching service's JSON, and what happens in them (engagement).

A match is its members' and its program's admins' (``Match.read``): wherever a match
is reached by id (``match(id:)``, ``node(id:)``) the resolver asks the policy first.
Within a match, sessions, goals, check-ins and the ledger follow the same rule, health
is the program admins', notes and check-in answers their writers'.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any, Self, TypeVar, cast

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from tandem_gateway.context import GatewayContext
from tandem_gateway.policy import Facts
from tandem_gateway.schema.connections import Connection, check_page, connection_from_service
from tandem_gateway.schema.engagement import (
    CheckIn,
    CheckInAnswers,
    ExplanationFactor,
    Goal,
    LedgerEntry,
    MatchHealth,
    Party,
    Session,
)
from tandem_gateway.schema.enums import EndReason, MatchStatus, MemberRole
from tandem_gateway.schema.facts import program_admins
from tandem_gateway.schema.fields import field
from tandem_gateway.schema.nodes import Node, encode_id
from tandem_gateway.schema.service_reads import expect_ok

if TYPE_CHECKING:
    from tandem_gateway.schema.people import Person
    from tandem_gateway.schema.programs import Program

__all__ = [
    "CheckIn",
    "CheckInAnswers",
    "ExplanationFactor",
    "Goal",
    "LedgerEntry",
    "Match",
    "MatchHealth",
    "MatchMember",
    "Party",
    "Recommendation",
    "Session",
    "match_page",
]

Context = Info[GatewayContext, Any]
T = TypeVar("T")
PersonRef = Annotated["Person", strawberry.lazy("tandem_gateway.schema.people")]
ProgramRef = Annotated["Program", strawberry.lazy("tandem_gateway.schema.programs")]


# What a member's `person` is before a page of matches has read it.
_UNREAD: Any = object()


@strawberry.type(description="A member of a match and their role in it.")
class MatchMember:
    role: MemberRole
    employee_id: str
    # The person, or the error (and its traceback) reading them, where a page of
    # matches read every member at once (``match_page``); else ``_UNREAD``.
    _person: strawberry.Private[Any] = _UNREAD

    @field()
    def person(self, info: Context) -> PersonRef | None:
        # Synchronous where the page read the person already, so that graphql-core
        # makes no task per member; elsewhere the loader's awaitable, which it awaits.
        if self._person is _UNREAD:
            return cast("Person | None", info.context.loaders.profiles.load(self.employee_id))
        if isinstance(self._person, tuple):
            error, traceback = self._person
            raise error.with_traceback(traceback)
        return cast("Person | None", self._person)


@strawberry.type(description="A pair (or circle) of a program: proposed, active, declined or ended.")
class Match(Node):
    status: MatchStatus
    members: list[MatchMember]
    score: float
    explanation: list[ExplanationFactor]
    proposed_at: str
    expires_at: str
    started_on: str | None
    ends_on: str | None
    ended_on: str | None
    end_reason: EndReason | None
    _raw_id: strawberry.Private[str]
    _program_id: strawberry.Private[str]
    # The program's admins where whoever read the match had its program at hand (a page
    # of a program's matches), so that the fields guarded by them are decided without
    # a read (``facts_at_hand``).
    _program_admins: strawberry.Private[frozenset[str] | None] = None

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        reason = data.get("end_reason")
        return cls(
            id=strawberry.ID(encode_id("Match", str(data["match_id"]))),
            status=MatchStatus(data["status"]),
            members=[
                MatchMember(role=MemberRole(member["role"]), employee_id=str(member["employee_id"]))
                for member in data["members"]
            ],
            score=float(data["score"]),
            explanation=ExplanationFactor.many(data.get("explanation")),
            proposed_at=str(data["proposed_at"]),
            expires_at=str(data["expires_at"]),
            started_on=data.get("started_on"),
            ends_on=data.get("ends_on"),
            ended_on=data.get("ended_on"),
            end_reason=EndReason(reason) if reason else None,
            _raw_id=str(data["match_id"]),
            _program_id=str(data["program_id"]),
        )

    @property
    def raw_id(self) -> str:
        return self._raw_id

    @property
    def program_id(self) -> str:
        return self._program_id

    @property
    def member_ids(self) -> frozenset[str]:
        return frozenset(member.employee_id for member in self.members)

    async def access_facts(self, info: Context) -> Facts:
        return Facts(members=self.member_ids, program_admins=await program_admins(info, self._program_id))

    def facts_at_hand(self) -> Facts | None:
        """The facts of ``access_facts`` where the program's admins are known, else None."""
        if self._program_admins is None:
            return None
        return Facts(members=self.member_ids, program_admins=self._program_admins)

    async def _read_with_facts(
        self,
        info: Context,
        loader: DataLoader[str, list[dict[str, Any]]],
        build: Callable[[dict[str, Any], Facts], T],
    ) -> list[T]:
        """This match's items from ``loader``, each built with the match's facts (what
        the viewer may see of it, such as notes and answers, depends on them)."""
        facts = await self.access_facts(info)
        return [build(item, facts) for item in await loader.load(self._raw_id)]

    @field()
    async def program(self, info: Context) -> ProgramRef | None:
        return await info.context.loaders.programs.load(self._program_id)

    @field(rule="Session.read", loads_facts=True)
    async def sessions(self, info: Context) -> list[Session] | None:
        return await self._read_with_facts(info, info.context.loaders.sessions_by_match, Session.from_service)

    @field(rule="Match.ledger", loads_facts=True)
    async def ledger(self, info: Context) -> list[LedgerEntry] | None:
        found = await info.context.loaders.ledger_by_match.load(self._raw_id)
        return [LedgerEntry.from_service(item) for item in found]

    @field(rule="Goal.read", loads_facts=True)
    async def goals(self, info: Context) -> list[Goal] | None:
        return await self._read_with_facts(info, info.context.loaders.goals_by_match, Goal.from_service)

    @field(rule="CheckIn.read", loads_facts=True)
    async def check_ins(self, info: Context) -> list[CheckIn] | None:
        return await self._read_with_facts(info, info.context.loaders.checkins_by_match, CheckIn.from_service)

    @field(rule="Match.health", loads_facts=True, description="Null until the match has started.")
    async def health(self, info: Context) -> MatchHealth | None:
        return await info.context.loaders.health_by_match.load(self._raw_id)


@strawberry.type(description="A ranked partner for the viewer in a program, under its hard rules.")
class Recommendation:
    employee_id: str
    role: MemberRole
    score: float
    explanation: list[ExplanationFactor]

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        return cls(
            employee_id=str(data["employee_id"]),
            role=MemberRole(data["role"]),
            score=float(data["score"]),
            explanation=ExplanationFactor.many(data.get("explanation")),
        )

    @field()
    async def person(self, info: Context) -> PersonRef | None:
        return await info.context.loaders.profiles.load(self.employee_id)


def prime_matches(info: Context, matches: list[Match]) -> None:
    """Matches read in a page are known to the loader (their children ask it for facts)."""
    loader = info.context.loaders.matches
    for match in matches:
        loader.prime(match.raw_id, match)


async def match_page(
    info: Context,
    program_id: str,
    *,
    first: int | None,
    after: str | None,
    status: MatchStatus | None,
    admins: frozenset[str] | None = None,
) -> Connection[Match]:
    """A page of a program's matches (the caller has checked the viewer administers it);
    ``admins``, the program's admins where the caller has the program at hand."""
    size, cursor = check_page(first, after, default=20)
    path = f"/v1/programs/{program_id}/matches"
    params = {"first": size, "after": cursor, "status": status.value if status else None}
    answer = await info.context.services.matching.get(path, params=params)
    page = connection_from_service(expect_ok(answer, "matching", path), Match.from_service)
    matches = [edge.node for edge in page.edges]
    for match in matches:
        match._program_admins = admins
    prime_matches(info, matches)
    if any(_selects(top.selections, _MEMBER_PERSON) for top in info.selected_fields):
        await _read_people(info, matches)
    return page


# Where a page of matches selects its members' people.
_MEMBER_PERSON = ("edges", "node", "members", "person")


def _selects(selections: Sequence[Selection], path: Sequence[str]) -> bool:
    """Whether ``selections`` (fragments included) select the fields of ``path``.
    ``@skip``/``@include`` are not read: at worst the people are read for nothing."""
    if not path:
        return True
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == path[0] and _selects(selection.selections, path[1:]):
                return True
        elif _selects(selection.selections, path):
            return True
    return False


async def _read_people(info: Context, matches: list[Match]) -> None:
    """Every member's person, read at once (one batch call) and handed to the member;
    a member whose read failed keeps the error, which its ``person`` field raises."""
    members = [member for match in matches for member in match.members]
    loader = info.context.loaders.profiles
    found = await asyncio.gather(*(loader.load(m.employee_id) for m in members), return_exceptions=True)
    for member, person in zip(members, found, strict=True):
        if isinstance(person, BaseException):
            traceback: TracebackType | None = person.__traceback__
            member._person = (person, traceback)
        else:
            member._person = person
