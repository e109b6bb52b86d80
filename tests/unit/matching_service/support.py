"""Plain objects for the matching service's unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tandem_matching.domain.matches import ExplanationFactor, Match
from tandem_matching.domain.policy import Viewer
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.programs import Program
from tests.support.profile_snapshots import snapshot

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SOURCE = "tandem/matching"

ADMIN = Viewer.of("ADM", ["employee", "program_admin"])
PLATFORM_ADMIN = Viewer.of("ROOT", ["employee", "admin"])
EMPLOYEE = Viewer.of("E1", ["employee"])

# A program's rules and weights when its creator gives none (matching.md).
DEFAULT_RULES = {
    "exclude_reporting_line": True,
    "exclude_same_department": False,
    "min_timezone_overlap_hours": 0.0,
    "require_common_language": False,
}
DEFAULT_WEIGHTS = {
    "skill_complementarity": 1.0,
    "reciprocity_balance": 1.0,
    "cross_department": 0.0,
    "cross_generation": 0.0,
    "timezone_overlap": 0.0,
    "common_goals": 0.0,
}


def as_viewer(employee_id: str, *roles: str) -> Viewer:
    return Viewer.of(employee_id, roles or ("employee",))


def a_program(
    program_id: str = "P1", *, status: str = "draft", admins: tuple[str, ...] = ("ADM",), **settings: Any
) -> Program:
    program = Program.create(
        program_id, {"name": "Reverse 2027", "type": "reverse", **settings}, creator=admins[0], now=T0
    )
    program = program.edit({"admins": list(admins)}, now=T0) if len(admins) > 1 else program
    path = {"draft": [], "enrolling": ["enrolling"], "running": ["running"], "closed": ["closed"]}[status]
    for step in path:
        program = program.move_to(step, now=T0)
    return program


def a_member(employee_id: str, version: int = 1, **overrides: Any) -> PoolMember:
    return PoolMember.from_snapshot(snapshot(employee_id, version, **overrides))


def a_match(
    match_id: str = "M1",
    program_id: str = "P1",
    members: tuple[tuple[str, str], ...] = (("A", "mentor"), ("B", "mentee")),
    *,
    now: datetime = T0,
    expiry_days: int = 14,
) -> Match:
    return Match.propose(
        match_id,
        program_id,
        round_id="R1",
        members=members,  # type: ignore[arg-type]
        score=0.8,
        explanation=[ExplanationFactor("skill_complementarity", 0.6, "A teaches B social-media")],
        now=now,
        expires_at=now + timedelta(days=expiry_days),
    )
