"""Who may do what: the one table of the matching service's permissions.

The gateway verifies the caller and passes the viewer on (``X-Tandem-Viewer``,
``X-Tandem-Roles``); the service checks again here, so a bug in one place does not
open a command to everyone (defence in depth). Roles are graphql.md's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from tandem_common.policy import Permission, Viewer
from tandem_common.user_errors import UserError
from tandem_matching.domain.matches import Match
from tandem_matching.domain.programs import Program

__all__ = ["POLICY", "Action", "Permission", "Subject", "Viewer", "refusal", "require"]

Action = Literal[
    "create_program",
    "administer_program",
    "enrol",
    "withdraw",
    "respond_to_proposal",
    "end_match",
    "start_round",
    "view_recommendations",
    "request_match",
]


@dataclass(frozen=True, slots=True)
class Subject:
    """What an action is about: a program, a person, a match (as far as it applies)."""

    program: Program | None = None
    employee_id: str | None = None
    match: Match | None = None


def _creates_programs(viewer: Viewer, _: Subject) -> bool:
    return bool(viewer.roles & {"program_admin", "admin"})


def _administers(viewer: Viewer, subject: Subject) -> bool:
    program = subject.program
    return viewer.is_admin or (program is not None and viewer.employee_id in program.admins)


def _is_the_person(viewer: Viewer, subject: Subject) -> bool:
    return subject.employee_id is not None and viewer.employee_id == subject.employee_id


def _is_a_member(viewer: Viewer, subject: Subject) -> bool:
    return subject.match is not None and subject.match.member(viewer.employee_id) is not None


def _the_person_or_an_administrator(viewer: Viewer, subject: Subject) -> bool:
    return _is_the_person(viewer, subject) or _administers(viewer, subject)


def _a_member_or_an_administrator(viewer: Viewer, subject: Subject) -> bool:
    return _is_a_member(viewer, subject) or _administers(viewer, subject)


POLICY: Mapping[Action, Permission[Subject]] = {
    "create_program": Permission(
        _creates_programs, "viewer", "creating a program needs the program_admin or admin role"
    ),
    "administer_program": Permission(
        _administers, "program_id", "only the program's admins (or an admin) can administer it"
    ),
    "enrol": Permission(
        _the_person_or_an_administrator,
        "employee_id",
        "people enrol themselves; only the program's admins can enrol others",
    ),
    "withdraw": Permission(
        _the_person_or_an_administrator,
        "employee_id",
        "people withdraw themselves; only the program's admins can withdraw others",
    ),
    "respond_to_proposal": Permission(
        _is_a_member, "match_id", "only a member of the match can answer its proposal"
    ),
    "end_match": Permission(
        _a_member_or_an_administrator,
        "match_id",
        "only a member of the match or the program's admins can end it",
    ),
    "start_round": Permission(
        _administers, "program_id", "only the program's admins (or an admin) can start a match round"
    ),
    "view_recommendations": Permission(
        _the_person_or_an_administrator,
        "employee_id",
        "people see their own recommendations; only the program's admins can see others'",
    ),
    "request_match": Permission(_is_the_person, "requester_id", "people request matches for themselves only"),
}


def refusal(action: Action, viewer: Viewer, subject: Subject) -> UserError | None:
    return POLICY[action].refusal_for(viewer, subject)


def require(action: Action, viewer: Viewer, subject: Subject) -> None:
    """Raises ``UserErrors`` (``FORBIDDEN``) unless ``viewer`` may do ``action`` to ``subject``."""
    POLICY[action].require(viewer, subject)
