"""Check-ins: when they fall due, and what a member answers.

The program sets the schedule (``checkins``: the first ``first_after_days`` after the
match started, then every ``every_days``), and it runs until the match ends: a date on
or after ``ends_on`` is the end itself, not a check-in. Each member of the match gets
their own check-in for each date and answers it alone; the answers are theirs only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from tandem_common.fields import Check, check_object, integer
from tandem_common.user_errors import UserError, conflict
from tandem_engagement.domain.fields import free_text
from tandem_engagement.domain.matches import CheckinSchedule, Match

CheckinStatus = Literal["due", "submitted", "cancelled"]
RATING = integer(1, 5)
MAX_COMMENT = 2000
# Rows keyed by the same (match, member, date) always get the same id, in any replica.
_CHECKIN_IDS = uuid.UUID("4f1f3c52-2c1e-4a8e-9d8a-3f1b7a9c0e61")

ANSWER_FIELDS: Mapping[str, Check] = {
    "satisfaction": RATING,
    "career_support": RATING,
    "psychosocial_support": RATING,
    "role_modelling": RATING,
    "comment": free_text(MAX_COMMENT),
}
REQUIRED_ANSWERS = ("satisfaction", "career_support", "psychosocial_support", "role_modelling")


def due_dates(started_on: date, ends_on: date, schedule: CheckinSchedule) -> Iterator[date]:
    """Every check-in date of a match, in order: strictly before ``ends_on``."""
    day = started_on + timedelta(days=schedule.first_after_days)
    while day < ends_on:
        yield day
        day += timedelta(days=schedule.every_days)


def next_due(match: Match, schedule: CheckinSchedule, *, after: date | None) -> date | None:
    """The first check-in date of an active match after ``after`` (every one if None)."""
    if match.status != "active" or match.started_on is None or match.ends_on is None:
        return None
    return next(
        (day for day in due_dates(match.started_on, match.ends_on, schedule) if after is None or day > after),
        None,
    )


def come_due(match: Match, schedule: CheckinSchedule, *, today: date) -> list[date]:
    """The dates not yet announced (after ``checkins_through``) that have come by ``today``."""
    if match.status != "active" or match.started_on is None or match.ends_on is None:
        return []
    through = match.checkins_through
    return [
        day
        for day in due_dates(match.started_on, match.ends_on, schedule)
        if day <= today and (through is None or day > through)
    ]


def checkin_id(match_id: str, employee_id: str, due_on: date) -> str:
    return uuid.uuid5(_CHECKIN_IDS, f"{match_id}\x1f{employee_id}\x1f{due_on.isoformat()}").hex


@dataclass(frozen=True, slots=True)
class Answers:
    satisfaction: int
    career_support: int
    psychosocial_support: int
    role_modelling: int
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Checkin:
    checkin_id: str
    match_id: str
    program_id: str
    employee_id: str
    due_on: date
    status: CheckinStatus
    announced_at: datetime
    submitted_on: date | None = None
    answers: Answers | None = None
    closed_at: datetime | None = None

    def submit(self, answers: Answers, *, today: date, now: datetime) -> Checkin:
        return replace(self, status="submitted", submitted_on=today, answers=answers, closed_at=now)

    def cancel(self, *, now: datetime) -> Checkin:
        return replace(self, status="cancelled", closed_at=now)

    def refusal(self) -> UserError | None:
        """Why it cannot be answered now, if it cannot."""
        if self.status == "submitted":
            return conflict("checkin_id", "this check-in is already answered")
        if self.status == "cancelled":
            return conflict("checkin_id", "this check-in was cancelled when its match ended")
        return None


def announce(match: Match, due_on: date, *, now: datetime) -> list[Checkin]:
    """One check-in per member of ``match`` for ``due_on``."""
    return [
        Checkin(
            checkin_id(match.match_id, member.employee_id, due_on),
            match.match_id,
            match.program_id,
            member.employee_id,
            due_on,
            "due",
            now,
        )
        for member in match.members
    ]


def check_answers(data: Any) -> tuple[list[UserError], Answers | None]:
    """The problems of a submission per field, or its answers."""
    errors = check_object(data, ANSWER_FIELDS, required=REQUIRED_ANSWERS)
    if errors:
        return errors, None
    return [], Answers(
        satisfaction=data["satisfaction"],
        career_support=data["career_support"],
        psychosocial_support=data["psychosocial_support"],
        role_modelling=data["role_modelling"],
        comment=data.get("comment") or "",
    )


def rescheduled(match: Match, schedule: CheckinSchedule) -> Match:
    """``match`` with its next check-in after the last one announced, on ``schedule``."""
    return match.scheduled(next_due(match, schedule, after=match.checkins_through), match.checkins_through)
