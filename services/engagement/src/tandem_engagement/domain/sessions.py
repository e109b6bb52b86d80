"""Sessions and the two-way learning ledger.

A member logs a session from their own side: what they taught the partner
(``taught``) and what they learned from the partner (``learned``), as skill ids. The
ledger records each as a directed entry ``{from, to, skill}``, so both directions of
the exchange are kept. The notes are the logger's own and never leave the service.

The rules of a log, field by field, are :func:`check_session`; it names every problem
at once and never quotes what was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from tandem_common.fields import Check, check_object, employee_id, integer, list_of, matching, one_of
from tandem_common.user_errors import UserError, conflict, validation
from tandem_engagement.domain.fields import free_text, iso_date
from tandem_engagement.domain.matches import Match

SessionMode = Literal["in_person", "video", "phone", "chat"]
MODES: tuple[SessionMode, ...] = ("in_person", "video", "phone", "chat")
# A session lasts at least a minute and at most a day (the event's bounds).
MAX_MINUTES = 1440
MAX_NOTES = 4000
MAX_SKILLS = 20
# The taxonomy's skill ids (profiles' SKILL_ID_PATTERN): lower-case words joined by hyphens.
SKILL_ID = r"^(?=.{1,100}$)[a-z0-9]+(?:-[a-z0-9]+)*$"
CLIENT_REQUEST_ID = r"^[A-Za-z0-9._:-]{1,64}$"

_skill = matching(SKILL_ID, "a skill id: lower-case letters and digits joined by hyphens")

SESSION_FIELDS: Mapping[str, Check] = {
    "held_on": iso_date,
    "minutes": integer(1, MAX_MINUTES),
    "mode": one_of(MODES),
    "taught": list_of(_skill, max_items=MAX_SKILLS),
    "learned": list_of(_skill, max_items=MAX_SKILLS),
    "notes": free_text(MAX_NOTES),
    "partner_id": employee_id,
    "client_request_id": matching(CLIENT_REQUEST_ID, "1 to 64 characters of A-Z a-z 0-9 . _ : -"),
}
REQUIRED = ("held_on", "minutes", "mode")
_NULLABLE = ("taught", "learned", "notes", "partner_id", "client_request_id")


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One thing one member taught another in one session."""

    from_id: str
    to_id: str
    skill: str


@dataclass(frozen=True, slots=True)
class SessionInput:
    """A validated log, before it is checked against the match."""

    held_on: date
    minutes: int
    mode: SessionMode
    taught: tuple[str, ...]
    learned: tuple[str, ...]
    notes: str | None
    partner_id: str | None
    client_request_id: str | None


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    match_id: str
    program_id: str
    logged_by: str
    partner_id: str
    held_on: date
    minutes: int
    mode: SessionMode
    learning: tuple[LedgerEntry, ...]
    notes: str | None
    client_request_id: str | None
    logged_at: datetime

    def same_log(self, other: SessionInput) -> bool:
        """Whether ``other`` asks for exactly this session (a repeated submission)."""
        return (
            self.held_on == other.held_on
            and self.minutes == other.minutes
            and self.mode == other.mode
            and self.learning == ledger_entries(self.logged_by, self.partner_id, other.taught, other.learned)
            and (self.notes or None) == (other.notes or None)
            and (other.partner_id is None or other.partner_id == self.partner_id)
        )


def ledger_entries(
    viewer: str, partner: str, taught: tuple[str, ...], learned: tuple[str, ...]
) -> tuple[LedgerEntry, ...]:
    """The viewer's side turned into directed entries: taught go viewer to partner,
    learned partner to viewer."""
    return tuple(
        [LedgerEntry(viewer, partner, skill) for skill in taught]
        + [LedgerEntry(partner, viewer, skill) for skill in learned]
    )


def check_session(data: Any) -> tuple[list[UserError], SessionInput | None]:
    """Every problem of the log per field, or the log itself."""
    if isinstance(data, Mapping):
        data = {k: v for k, v in data.items() if not (k in _NULLABLE and v is None)}
    errors = check_object(data, SESSION_FIELDS, required=REQUIRED)
    if errors:
        return errors, None
    return [], SessionInput(
        held_on=date.fromisoformat(data["held_on"]),
        minutes=data["minutes"],
        mode=data["mode"],
        taught=tuple(data.get("taught") or ()),
        learned=tuple(data.get("learned") or ()),
        notes=data.get("notes") or None,
        partner_id=data.get("partner_id"),
        client_request_id=data.get("client_request_id"),
    )


def partner_of(match: Match, viewer: str, partner_id: str | None) -> tuple[str | None, UserError | None]:
    """Whom the session was with: the other member of a pair, or the named member of a circle."""
    others = [m for m in match.member_ids if m != viewer]
    if partner_id is None:
        if len(others) == 1:
            return others[0], None
        return None, validation("partner_id", "is required for a match of more than two members")
    if partner_id not in others:
        return None, validation("partner_id", "must be another member of the match")
    return partner_id, None


def dating_problems(match: Match, held_on: date, *, today: date) -> list[UserError]:
    """Why ``held_on`` cannot be a session of ``match`` (empty when it can)."""
    if not match.open_for_sessions:
        return [conflict("match_id", "the match has not started")]
    errors: list[UserError] = []
    if held_on > today:
        errors.append(validation("held_on", "is in the future"))
    if match.started_on is not None and held_on < match.started_on:
        errors.append(validation("held_on", "is before the match started"))
    if match.ended_on is not None and held_on > match.ended_on:
        errors.append(validation("held_on", "is after the match ended"))
    return errors
