"""Read-only queries for the internal API (the gateway's DataLoaders).

Each takes the viewer and many ids, and answers per id: the data, ``missing`` (no such
match) or ``forbidden`` (the viewer may not see it), so that one id the viewer may not
see never fails the others. What is private is removed here, before anything is
rendered: notes of sessions the viewer did not log, answers of check-ins that were not
sent to the viewer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from tandem_engagement.domain import policy
from tandem_engagement.domain.checkins import Checkin
from tandem_engagement.domain.goals import Goal
from tandem_engagement.domain.ledger import MatchLedger, PersonLedger, match_ledger, person_ledger
from tandem_engagement.domain.matches import Match
from tandem_engagement.domain.policy import Subject, Viewer
from tandem_engagement.domain.sessions import Session
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Batch(Generic[T]):
    """Per asked id, in the order asked: what the viewer may see, and the ids they may not."""

    found: dict[str, T] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)


async def _visible_matches(
    uow: EngagementUnitOfWork, viewer: Viewer, match_ids: Iterable[str]
) -> Batch[Match]:
    asked = list(dict.fromkeys(match_ids))
    matches = await uow.matches.get(asked)
    programs = await uow.programs.get({m.program_id for m in matches.values()})
    batch: Batch[Match] = Batch()
    for match_id in asked:
        match = matches.get(match_id)
        if match is None:
            batch.missing.append(match_id)
        elif policy.allows("view_match_engagement", viewer, Subject(match, programs.get(match.program_id))):
            batch.found[match_id] = match
        else:
            batch.forbidden.append(match_id)
    return batch


def _carried(batch: Batch[Match], values: Mapping[str, T]) -> Batch[T]:
    return Batch({i: values[i] for i in batch.found}, batch.missing, batch.forbidden)


def _own_notes(viewer: Viewer) -> Callable[[Session], Session]:
    def redact(session: Session) -> Session:
        if policy.allows("view_session_notes", viewer, Subject(owner_id=session.logged_by)):
            return session
        return replace(session, notes=None)

    return redact


def _own_answers(viewer: Viewer) -> Callable[[Checkin], Checkin]:
    def redact(checkin: Checkin) -> Checkin:
        if policy.allows("view_checkin_answers", viewer, Subject(owner_id=checkin.employee_id)):
            return checkin
        return replace(checkin, answers=None)

    return redact


async def sessions_by_match(
    uow: EngagementUnitOfWork, viewer: Viewer, match_ids: Iterable[str]
) -> Batch[list[Session]]:
    batch = await _visible_matches(uow, viewer, match_ids)
    found = await uow.sessions.of_matches(batch.found)
    redact = _own_notes(viewer)
    return _carried(batch, {i: [redact(s) for s in found.get(i, [])] for i in batch.found})


async def ledger_by_match(
    uow: EngagementUnitOfWork, viewer: Viewer, match_ids: Iterable[str]
) -> Batch[MatchLedger]:
    batch = await _visible_matches(uow, viewer, match_ids)
    found = await uow.sessions.ledger_of_matches(batch.found)
    return _carried(
        batch, {i: match_ledger(i, m.member_ids, found.get(i, [])) for i, m in batch.found.items()}
    )


async def goals_by_match(
    uow: EngagementUnitOfWork, viewer: Viewer, match_ids: Iterable[str]
) -> Batch[list[Goal]]:
    batch = await _visible_matches(uow, viewer, match_ids)
    found = await uow.goals.of_matches(batch.found)
    return _carried(batch, {i: found.get(i, []) for i in batch.found})


async def checkins_by_match(
    uow: EngagementUnitOfWork, viewer: Viewer, match_ids: Iterable[str]
) -> Batch[list[Checkin]]:
    batch = await _visible_matches(uow, viewer, match_ids)
    found = await uow.checkins.of_matches(batch.found)
    redact = _own_answers(viewer)
    return _carried(batch, {i: [redact(c) for c in found.get(i, [])] for i in batch.found})


def _people(viewer: Viewer, employee_ids: Iterable[str]) -> Batch[None]:
    batch: Batch[None] = Batch()
    for employee_id in dict.fromkeys(employee_ids):
        if policy.allows("view_person_engagement", viewer, Subject(owner_id=employee_id)):
            batch.found[employee_id] = None
        else:
            batch.forbidden.append(employee_id)
    return batch


async def checkins_due(
    uow: EngagementUnitOfWork, viewer: Viewer, employee_ids: Iterable[str]
) -> Batch[list[Checkin]]:
    """Each person's check-ins waiting for their answer (none answered yet, so nothing to redact)."""
    batch = _people(viewer, employee_ids)
    found = await uow.checkins.due_of_people(batch.found)
    return Batch({i: found.get(i, []) for i in batch.found}, [], batch.forbidden)


async def ledger_by_person(
    uow: EngagementUnitOfWork, viewer: Viewer, employee_ids: Iterable[str]
) -> Batch[PersonLedger]:
    batch = _people(viewer, employee_ids)
    found = await uow.sessions.ledger_of_people(batch.found)
    return Batch({i: person_ledger(i, found.get(i, [])) for i in batch.found}, [], batch.forbidden)
