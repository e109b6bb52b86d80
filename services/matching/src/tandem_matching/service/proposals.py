"""Proposals: the one way matches come into being, and the answers to them.

:func:`propose_matches` is what every source of proposals calls (a round, a
self-requested match, a re-match after an exit): it stores each match with its
members and publishes ``match.proposed.v1``; in a program with ``acceptance: auto``
the match starts at once and ``match.started.v1`` follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tandem_common.outbox.writer import OutgoingEvent
from tandem_matching.domain import policy
from tandem_matching.domain.errors import UserErrors, validation
from tandem_matching.domain.matches import ExplanationFactor, Match, MemberRole
from tandem_matching.domain.policy import Subject, Viewer
from tandem_matching.domain.programs import Program
from tandem_matching.service import events
from tandem_matching.service.ids import IdFactory, new_match_id
from tandem_matching.service.loading import load_match, load_program
from tandem_matching.service.unit_of_work import MatchingUnitOfWork


@dataclass(frozen=True, slots=True)
class ProposedMatch:
    """One match to propose: its members as ``(employee_id, role)`` in the order of
    matching-cli.md (``domain.matches.member_roles`` gives the roles of a plan's
    members), its score in [0, 1] and the engine's explanation."""

    members: Sequence[tuple[str, MemberRole]]
    score: float
    explanation: Sequence[ExplanationFactor] = field(default_factory=tuple)


async def propose_matches(
    uow: MatchingUnitOfWork,
    program: Program,
    proposals: Sequence[ProposedMatch],
    *,
    round_id: str | None,
    now: datetime,
    source: str,
    expiry_days: int,
    new_id: IdFactory = new_match_id,
) -> list[Match]:
    """Store and publish ``proposals`` of ``program``; returns the stored matches.

    ``round_id`` is None for a self-requested or automatic re-match. Each proposal
    expires ``expiry_days`` after ``now`` unless every member accepts before.
    The caller chose who to propose (enrolled, active, not matched, no previous pair).
    """
    expires_at = now + timedelta(days=expiry_days)
    matches: list[Match] = []
    outgoing: list[OutgoingEvent] = []
    for proposal in proposals:
        match = Match.propose(
            new_id(),
            program.program_id,
            round_id=round_id,
            members=proposal.members,
            score=proposal.score,
            explanation=proposal.explanation,
            now=now,
            expires_at=expires_at,
        )
        outgoing.append(events.match_proposed(match, source=source))
        if program.acceptance == "auto":
            match = match.start(now.date(), duration_days=program.duration_days, now=now)
            outgoing.append(events.match_started(match, program, source=source))
        matches.append(match)
    await uow.matches.add(matches)
    await uow.publish(outgoing)
    return matches


@dataclass(frozen=True, slots=True)
class RespondToProposal:
    viewer: Viewer
    match_id: str
    accept: object


async def respond_to_proposal(
    uow: MatchingUnitOfWork, command: RespondToProposal, *, now: datetime, source: str
) -> Match:
    """The viewer accepts or declines a proposal they are a member of.

    Once every member accepted, the match starts today for the program's duration
    (``match.started.v1``); one decline ends the proposal for all (``match.declined.v1``)
    and its members return to the pool.
    """
    if not isinstance(command.accept, bool):
        raise UserErrors([validation("accept", "must be true or false")])
    match = await load_match(uow, command.match_id, for_update=True)
    policy.require("respond_to_proposal", command.viewer, Subject(match=match))
    employee_id = command.viewer.employee_id
    if not command.accept:
        after = match.decline(employee_id, now=now)
        await uow.matches.save([after])
        await uow.publish_one(events.match_declined(after, source=source))
        return after
    program = await load_program(uow, match.program_id)
    after = match.accept(employee_id, now=now, duration_days=program.duration_days)
    await uow.matches.save([after])
    if after.status == "active":
        await uow.publish_one(events.match_started(after, program, source=source))
    return after
