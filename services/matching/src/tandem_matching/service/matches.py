"""The ends of matches: by a member or an admin, when their time is up, when a
proposal expires, and in bulk for whatever else ends them (a program closing, an HR
exit). Each step saves the match and publishes its event in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tandem_common.user_errors import UserErrors, validation
from tandem_matching.domain import policy
from tandem_matching.domain.matches import EndReason, Match
from tandem_matching.domain.policy import Subject, Viewer
from tandem_matching.service import events
from tandem_matching.service.loading import load_match, load_program
from tandem_matching.service.unit_of_work import MatchingUnitOfWork

MAX_END_NOTE = 2000


async def end_matches(
    uow: MatchingUnitOfWork, matches: Sequence[Match], *, reason: EndReason, now: datetime, source: str
) -> list[Match]:
    """End every active match of ``matches`` today for ``reason``; publishes ``match.ended.v1``
    for each. The caller loaded them for update; matches not active are left alone."""
    ended = [match.end(reason, today=now.date(), now=now) for match in matches if match.status == "active"]
    await uow.matches.save(ended)
    await uow.publish([events.match_ended(match, source=source) for match in ended])
    return ended


async def lapse_proposals(
    uow: MatchingUnitOfWork, matches: Sequence[Match], *, now: datetime, source: str
) -> list[Match]:
    """Withdraw every open proposal of ``matches`` unanswered (``declined_by`` null);
    publishes ``match.declined.v1`` for each. Matches not proposed are left alone."""
    lapsed = [match.lapse(now=now) for match in matches if match.status == "proposed"]
    await uow.matches.save(lapsed)
    await uow.publish([events.match_declined(match, source=source) for match in lapsed])
    return lapsed


@dataclass(frozen=True, slots=True)
class EndMatch:
    viewer: Viewer
    match_id: str
    # Why, in the words of whoever ends it; kept with the match, never published.
    note: str | None = None


async def end_match(uow: MatchingUnitOfWork, command: EndMatch, *, now: datetime, source: str) -> Match:
    """A member (``ended_by_member``) or an admin of its program (``ended_by_admin``) ends
    an active match."""
    if command.note is not None and len(command.note) > MAX_END_NOTE:
        raise UserErrors([validation("reason", f"must be at most {MAX_END_NOTE} characters")])
    match = await load_match(uow, command.match_id, for_update=True)
    program = await load_program(uow, match.program_id)
    policy.require("end_match", command.viewer, Subject(program=program, match=match))
    reason: EndReason = (
        "ended_by_member" if match.member(command.viewer.employee_id) is not None else "ended_by_admin"
    )
    ended = match.end(reason, today=now.date(), now=now, note=command.note)
    await uow.matches.save([ended])
    await uow.publish_one(events.match_ended(ended, source=source))
    return ended


@dataclass(frozen=True, slots=True)
class ExpireProposals:
    now: datetime
    limit: int


async def expire_proposals(uow: MatchingUnitOfWork, command: ExpireProposals, *, source: str) -> int:
    """Lapse up to ``limit`` proposals nobody answered by their ``expires_at``; how many."""
    due = await uow.matches.expired_proposals(command.now, command.limit)
    expired = [match.expire(now=command.now) for match in due]
    await uow.matches.save(expired)
    await uow.publish([events.match_declined(match, source=source) for match in expired])
    return len(expired)


@dataclass(frozen=True, slots=True)
class CompleteDueMatches:
    today: date
    limit: int


async def complete_due_matches(
    uow: MatchingUnitOfWork, command: CompleteDueMatches, *, now: datetime, source: str
) -> int:
    """End up to ``limit`` active matches whose ``ends_on`` has come (``completed``, on
    their ``ends_on`` however late the job runs); how many."""
    due = await uow.matches.due_to_complete(command.today, command.limit)
    ended = [match.end("completed", today=match.ends_on or command.today, now=now) for match in due]
    await uow.matches.save(ended)
    await uow.publish([events.match_ended(match, source=source) for match in ended])
    return len(ended)
