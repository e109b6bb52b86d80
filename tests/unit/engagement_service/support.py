"""Builders of engagement aggregates for unit and contract tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tandem_engagement.domain.matches import CheckinSchedule, Match, Member, Program
from tandem_engagement.domain.policy import Viewer

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
STARTED = date(2026, 1, 5)
ENDS = date(2026, 12, 31)
SOURCE = "tandem/engagement"
DEFAULTS = CheckinSchedule(30, 60)


def a_program(
    program_id: str = "P1", *, admins: tuple[str, ...] = ("ADM",), version: int = 1, **changes: object
) -> Program:
    values: dict[str, object] = {
        "program_id": program_id,
        "version": version,
        "type": "reciprocal",
        "status": "running",
        "sessions_per_month": 2,
        "minutes_per_session": 60,
        "duration_days": 360,
        "checkins": DEFAULTS,
        "admins": admins,
    }
    values.update(changes)
    return Program(**values)  # type: ignore[arg-type]


def a_match(
    match_id: str = "M1",
    members: tuple[str, ...] = ("A", "B"),
    *,
    program_id: str = "P1",
    status: str = "active",
    started_on: date | None = STARTED,
    ends_on: date | None = ENDS,
    ended_on: date | None = None,
    **changes: object,
) -> Match:
    return Match(
        match_id=match_id,
        program_id=program_id,
        status=status,  # type: ignore[arg-type]
        members=tuple(Member(m, "partner") for m in members),
        updated_at=T0,
        program_type="reciprocal",
        started_on=started_on,
        ends_on=ends_on,
        ended_on=ended_on,
        **changes,  # type: ignore[arg-type]
    )


def viewer(employee_id: str, *roles: str) -> Viewer:
    return Viewer.of(employee_id, roles or ("employee",))


def a_log(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "held_on": "2026-02-10",
        "minutes": 45,
        "mode": "video",
        "taught": ["social-media"],
        "learned": ["stakeholder-management", "negotiation"],
        "notes": "Private: talked about the reorganisation",
    }
    body.update(changes)
    return body
