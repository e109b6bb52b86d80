"""Programs and matches as engagement knows them: read models of ``matching.events``.

Program events carry the whole program with a ``program_version`` that rises strictly,
so the highest version wins. Match events are keyed by ``match_id`` and normally
arrive in order, but a replay, a new consumer or a second source can deliver them in
any order, so a match keeps the furthest state it has heard of: ``proposed`` <
``active`` < ``declined``/``ended``. A late ``started`` still fills in the dates of a
match already ended; it never brings the match back to life.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

ProgramType = Literal["reciprocal", "reverse", "traditional", "peer", "group"]
MatchStatus = Literal["proposed", "active", "declined", "ended"]
MemberRole = Literal["mentor", "mentee", "partner", "facilitator"]
EndReason = Literal[
    "completed", "member_departed", "ended_by_member", "ended_by_admin", "rule_violated", "program_closed"
]

# How far along its life a state is: a match never moves back.
_PROGRESS: dict[MatchStatus, int] = {"proposed": 0, "active": 1, "declined": 2, "ended": 2}


@dataclass(frozen=True, slots=True)
class CheckinSchedule:
    first_after_days: int
    every_days: int


# The default: the first check-in 30 days after the start, then every 60 days.
DEFAULT_CHECKINS = CheckinSchedule(first_after_days=30, every_days=60)


@dataclass(frozen=True, slots=True)
class Program:
    program_id: str
    version: int
    type: ProgramType
    status: str
    sessions_per_month: int
    minutes_per_session: int
    duration_days: int
    checkins: CheckinSchedule
    admins: tuple[str, ...]

    def supersedes(self, held: Program | None) -> bool:
        return held is None or self.version > held.version


@dataclass(frozen=True, slots=True)
class Member:
    employee_id: str
    role: MemberRole


@dataclass(frozen=True, slots=True)
class Match:
    match_id: str
    program_id: str
    status: MatchStatus
    members: tuple[Member, ...]
    updated_at: datetime
    program_type: ProgramType | None = None
    started_on: date | None = None
    ends_on: date | None = None
    ended_on: date | None = None
    end_reason: EndReason | None = None
    # The check-in job's bookmark: the next due date not yet announced (None when the
    # match is not active or its schedule has no date left), and the last one announced.
    next_checkin_on: date | None = None
    checkins_through: date | None = None

    def member(self, employee_id: str) -> Member | None:
        return next((m for m in self.members if m.employee_id == employee_id), None)

    @property
    def member_ids(self) -> tuple[str, ...]:
        return tuple(m.employee_id for m in self.members)

    def _moved_to(self, status: MatchStatus) -> MatchStatus:
        return status if _PROGRESS[status] >= _PROGRESS[self.status] else self.status

    def _with_members(self, members: Sequence[Member]) -> tuple[Member, ...]:
        return self.members or tuple(members)

    def proposed(self, members: Sequence[Member], *, now: datetime) -> Match:
        return replace(self, members=self._with_members(members), updated_at=now)

    def started(
        self,
        *,
        program_type: ProgramType,
        members: Sequence[Member],
        started_on: date,
        ends_on: date,
        now: datetime,
    ) -> Match:
        return replace(
            self,
            status=self._moved_to("active"),
            program_type=program_type,
            members=tuple(members),
            started_on=started_on,
            ends_on=ends_on,
            updated_at=now,
        )

    def declined(self, *, now: datetime) -> Match:
        return replace(self, status=self._moved_to("declined"), next_checkin_on=None, updated_at=now)

    def ended(self, *, members: Sequence[Member], ended_on: date, reason: EndReason, now: datetime) -> Match:
        return replace(
            self,
            status="ended" if self.status != "declined" else self.status,
            members=tuple(members),
            ended_on=ended_on,
            end_reason=reason,
            next_checkin_on=None,
            updated_at=now,
        )

    def scheduled(self, next_checkin_on: date | None, checkins_through: date | None) -> Match:
        return replace(self, next_checkin_on=next_checkin_on, checkins_through=checkins_through)

    @property
    def open_for_sessions(self) -> bool:
        """Sessions are logged on an active match, and afterwards for the time it ran."""
        return self.status in ("active", "ended") and self.started_on is not None


def new_match(match_id: str, program_id: str, members: Sequence[Member], *, now: datetime) -> Match:
    return Match(match_id, program_id, "proposed", tuple(members), now)
