"""The match aggregate: a proposal, and the relationship it becomes.

::

    proposed --every member accepts--> active --duration ran out / ended--> ended
        \\--a member declines, or nobody answered in time--> declined

With ``acceptance: auto`` a proposal starts at once. A person is *matched* in a
program while they are a member of a proposed or active match there; a declined or
ended match returns its members to the pool, and its pairs are never proposed again
in that program (``previous pairs``).

Every method returns the match after the step (a new value) or raises ``UserErrors``
with code ``CONFLICT`` when the match is not in a state that allows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import combinations
from typing import Literal, get_args

from tandem_common.user_errors import UserErrors, conflict, forbidden
from tandem_matching.domain.programs import ProgramType

MatchStatus = Literal["proposed", "active", "declined", "ended"]
MemberRole = Literal["mentor", "mentee", "partner", "facilitator"]
Response = Literal["accepted", "declined"]
EndReason = Literal[
    "completed",
    "member_departed",
    "ended_by_member",
    "ended_by_admin",
    "rule_violated",
    "program_closed",
]
MATCH_STATUSES: tuple[MatchStatus, ...] = get_args(MatchStatus)
OPEN_STATUSES: tuple[MatchStatus, ...] = ("proposed", "active")
CLOSED_STATUSES: tuple[MatchStatus, ...] = ("declined", "ended")
MEMBER_ROLES: tuple[MemberRole, ...] = get_args(MemberRole)
END_REASONS: tuple[EndReason, ...] = get_args(EndReason)


@dataclass(frozen=True, slots=True)
class MatchMember:
    employee_id: str
    role: MemberRole
    response: Response | None = None


@dataclass(frozen=True, slots=True)
class ExplanationFactor:
    factor: str
    value: float
    detail: str


def member_roles(program_type: ProgramType, count: int, *, circle_style: str = "mentor") -> list[MemberRole]:
    """The role of each position of a plan's ``members`` (matching-cli.md): the mentor
    first in a mentor program, partners in a partner program, and in a circle its mentor
    (or, in a peer circle, its facilitator) first."""
    first: MemberRole
    rest: MemberRole
    if program_type in ("reciprocal", "peer"):
        first, rest = "partner", "partner"
    elif program_type == "group" and circle_style == "peer":
        first, rest = "facilitator", "partner"
    else:
        first, rest = "mentor", "mentee"
    return [first] + [rest] * (count - 1)


def pair(a: str, b: str) -> tuple[str, str]:
    """An unordered pair of people, in one spelling."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True, slots=True)
class Match:
    match_id: str
    program_id: str
    round_id: str | None
    status: MatchStatus
    # In the order of matching-cli.md: members[0] is the mentor (or facilitator).
    members: tuple[MatchMember, ...]
    score: float
    explanation: tuple[ExplanationFactor, ...]
    proposed_at: datetime
    expires_at: datetime
    updated_at: datetime
    started_on: date | None = None
    ends_on: date | None = None
    ended_on: date | None = None
    end_reason: EndReason | None = None
    # Who declined; None for a proposal that expired or was withdrawn.
    declined_by: str | None = None
    # Why, in the words of whoever ended it (never published).
    end_note: str | None = None
    # Raised by engagement signals, for the program's admins.
    at_risk: bool = False

    @classmethod
    def propose(
        cls,
        match_id: str,
        program_id: str,
        *,
        round_id: str | None,
        members: Sequence[tuple[str, MemberRole]],
        score: float,
        explanation: Sequence[ExplanationFactor],
        now: datetime,
        expires_at: datetime,
    ) -> Match:
        ids = [employee_id for employee_id, _ in members]
        if len(ids) < 2 or len(set(ids)) != len(ids):
            raise ValueError("a match has at least two different members")
        return cls(
            match_id=match_id,
            program_id=program_id,
            round_id=round_id,
            status="proposed",
            members=tuple(MatchMember(employee_id, role) for employee_id, role in members),
            score=score,
            explanation=tuple(explanation),
            proposed_at=now,
            expires_at=expires_at,
            updated_at=now,
        )

    # -- what it is --------------------------------------------------------------------

    @property
    def employee_ids(self) -> tuple[str, ...]:
        return tuple(member.employee_id for member in self.members)

    @property
    def open(self) -> bool:
        """Proposed or active: its members are matched."""
        return self.status in OPEN_STATUSES

    def member(self, employee_id: str) -> MatchMember | None:
        return next((m for m in self.members if m.employee_id == employee_id), None)

    def pairs(self) -> set[tuple[str, str]]:
        """Every unordered pair of its members."""
        return {pair(a, b) for a, b in combinations(self.employee_ids, 2)}

    # -- what may happen to it ---------------------------------------------------------

    def accept(self, employee_id: str, *, now: datetime, duration_days: int) -> Match:
        """``employee_id`` accepts; once every member has, the match starts today."""
        self._require_member(employee_id)
        self._require("proposed", "accepted")
        members = self._answered(employee_id, "accepted")
        after = replace(self, members=members, updated_at=now)
        if all(m.response == "accepted" for m in members):
            return after.start(now.date(), duration_days=duration_days, now=now)
        return after

    def decline(self, employee_id: str, *, now: datetime) -> Match:
        """``employee_id`` declines: the proposal is over for everyone."""
        self._require_member(employee_id)
        self._require("proposed", "declined")
        return replace(
            self,
            status="declined",
            members=self._answered(employee_id, "declined"),
            declined_by=employee_id,
            updated_at=now,
        )

    def lapse(self, *, now: datetime) -> Match:
        """The proposal ends unanswered (it expired, or its program closed)."""
        self._require("proposed", "withdrawn")
        return replace(self, status="declined", declined_by=None, updated_at=now)

    def expire(self, *, now: datetime) -> Match:
        """The proposal lapses because nobody answered by ``expires_at``."""
        if now < self.expires_at:
            raise UserErrors([conflict("match_id", "the proposal has not expired yet")])
        return self.lapse(now=now)

    def start(self, today: date, *, duration_days: int, now: datetime) -> Match:
        """Active from ``today`` for ``duration_days``."""
        self._require("proposed", "started")
        return replace(
            self,
            status="active",
            started_on=today,
            ends_on=today + timedelta(days=duration_days),
            updated_at=now,
        )

    def end(self, reason: EndReason, *, today: date, now: datetime, note: str | None = None) -> Match:
        """An active match ends ``today`` for ``reason``."""
        self._require("active", "ended")
        return replace(self, status="ended", ended_on=today, end_reason=reason, end_note=note, updated_at=now)

    def flag_at_risk(self, at_risk: bool, *, now: datetime) -> Match:
        if at_risk == self.at_risk:
            return self
        return replace(self, at_risk=at_risk, updated_at=now)

    # -- helpers -----------------------------------------------------------------------

    def _answered(self, employee_id: str, response: Response) -> tuple[MatchMember, ...]:
        return tuple(
            replace(m, response=response) if m.employee_id == employee_id else m for m in self.members
        )

    def _require(self, status: MatchStatus, verb: str) -> None:
        if self.status != status:
            raise UserErrors([conflict("match_id", f"a {self.status} match cannot be {verb}")])

    def _require_member(self, employee_id: str) -> None:
        if self.member(employee_id) is None:
            raise UserErrors([forbidden("match_id", "only a member of the match can answer its proposal")])


def pairs_of(matches: Iterable[Match]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for match in matches:
        found |= match.pairs()
    return found
