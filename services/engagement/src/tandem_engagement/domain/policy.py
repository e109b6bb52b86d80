"""Who may do and see what: the one table of the engagement service's permissions.

The gateway verifies the caller and passes the viewer on (``X-Tandem-Viewer``,
``X-Tandem-Roles``); the service checks again here, so a bug in one place does not
open a command or someone's private words to everyone. Roles are graphql.md's:

- members log sessions, set goals and see their match's sessions, ledger, goals and
  check-in statuses; the program's admins (and ``admin``) see those too;
- private notes are their writer's, check-in answers their respondent's: nobody
  else sees them, partners and admins included;
- a person's ledger across programs and their due check-ins are theirs (and an
  ``admin``'s).
- analytics are aggregates: a program's for its admins, ``hr_analyst`` and ``admin``;
  the organisation's for ``hr_analyst`` and ``admin``; a person's export is theirs
  (and an ``admin``'s).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from tandem_common.policy import Permission, Viewer
from tandem_common.user_errors import UserError
from tandem_engagement.domain.matches import Match, Program

__all__ = ["POLICY", "Action", "Permission", "Subject", "Viewer", "allows", "refusal", "require"]

Action = Literal[
    "log_session",
    "set_goal",
    "submit_checkin",
    "view_match_engagement",
    "view_session_notes",
    "view_checkin_answers",
    "view_person_engagement",
    "view_program_analytics",
    "view_organisation_analytics",
    "export_person_engagement",
]


@dataclass(frozen=True, slots=True)
class Subject:
    """What an action is about, as far as it applies."""

    match: Match | None = None
    program: Program | None = None
    # The person a record belongs to: the writer of notes, the respondent of a
    # check-in, the person whose ledger is read.
    owner_id: str | None = None


def _is_a_member(viewer: Viewer, subject: Subject) -> bool:
    return subject.match is not None and subject.match.member(viewer.employee_id) is not None


def _administers(viewer: Viewer, subject: Subject) -> bool:
    program = subject.program
    return viewer.is_admin or (program is not None and viewer.employee_id in program.admins)


def _a_member_or_an_administrator(viewer: Viewer, subject: Subject) -> bool:
    return _is_a_member(viewer, subject) or _administers(viewer, subject)


def _is_the_owner(viewer: Viewer, subject: Subject) -> bool:
    return subject.owner_id is not None and subject.owner_id == viewer.employee_id


def _the_owner_or_an_admin(viewer: Viewer, subject: Subject) -> bool:
    return _is_the_owner(viewer, subject) or viewer.is_admin


def _analyses(viewer: Viewer, subject: Subject) -> bool:
    """hr_analyst and admin: aggregates of every program and of the organisation."""
    return bool(viewer.roles & {"hr_analyst", "admin"})


def _analyses_the_program(viewer: Viewer, subject: Subject) -> bool:
    return _analyses(viewer, subject) or _administers(viewer, subject)


POLICY: Mapping[Action, Permission[Subject]] = {
    "log_session": Permission(_is_a_member, "match_id", "only a member of the match can log its sessions"),
    "set_goal": Permission(_is_a_member, "match_id", "only a member of the match can set its goals"),
    "submit_checkin": Permission(
        _is_the_owner, "checkin_id", "a check-in is answered by the person it was sent to only"
    ),
    "view_match_engagement": Permission(
        _a_member_or_an_administrator,
        "match_id",
        "only the match's members and its program's admins can see its engagement",
    ),
    "view_session_notes": Permission(_is_the_owner, "notes", "private notes are their writer's only"),
    "view_checkin_answers": Permission(
        _is_the_owner, "answers", "check-in answers are their respondent's only"
    ),
    "view_person_engagement": Permission(
        _the_owner_or_an_admin, "employee_id", "people see their own engagement only"
    ),
    "view_program_analytics": Permission(
        _analyses_the_program,
        "program_id",
        "only the program's admins, hr analysts and admins can see its analytics",
    ),
    "view_organisation_analytics": Permission(
        _analyses, "organisation", "only hr analysts and admins can see organisation analytics"
    ),
    "export_person_engagement": Permission(
        _the_owner_or_an_admin, "employee_id", "people export their own engagement only"
    ),
}


def allows(action: Action, viewer: Viewer, subject: Subject) -> bool:
    return POLICY[action].allows(viewer, subject)


def refusal(action: Action, viewer: Viewer, subject: Subject) -> UserError | None:
    return POLICY[action].refusal_for(viewer, subject)


def require(action: Action, viewer: Viewer, subject: Subject) -> None:
    """Raises ``UserErrors`` (``FORBIDDEN``) unless ``viewer`` may do ``action`` to ``subject``."""
    POLICY[action].require(viewer, subject)
