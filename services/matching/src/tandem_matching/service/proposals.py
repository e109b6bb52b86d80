"""Proposals: the one way matches come into being, and the answers to them.

:func:`propose_matches` is what every source of proposals calls (a round, a
self-requested match, a re-match after an exit): it stores each match with its
members and publishes ``match.proposed.v1``; in a program with ``acceptance: auto``
the match starts at once and ``match.started.v1`` follows.

Whoever proposes takes the program's row lock first (:func:`lock_program`) and checks
who is free only then, so two transactions proposing matches of one program (a round
being stored, a re-match after an HR event, a requested match) run one after the other
and the later one sees the earlier one's proposals: nobody is proposed twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tandem_common.outbox.writer import OutgoingEvent
from tandem_common.user_errors import UserErrors, validation
from tandem_matching.domain import policy
from tandem_matching.domain.matches import ExplanationFactor, Match, MemberRole
from tandem_matching.domain.policy import Subject, Viewer
from tandem_matching.domain.programs import Program
from tandem_matching.service import events
from tandem_matching.service.collector import collector_paused
from tandem_matching.service.ids import IdFactory, new_match_id
from tandem_matching.service.loading import load_match, load_program
from tandem_matching.service.unit_of_work import MatchingUnitOfWork

log = logging.getLogger(__name__)


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
    started = time.perf_counter()
    expires_at = now + timedelta(days=expiry_days)
    # A round builds tens of thousands of small objects here at once: see collector_paused.
    with collector_paused():
        proposed = [
            Match.propose(
                new_id(),
                program.program_id,
                round_id=round_id,
                members=proposal.members,
                score=proposal.score,
                explanation=proposal.explanation,
                now=now,
                expires_at=expires_at,
            )
            for proposal in proposals
        ]
        outgoing: list[OutgoingEvent] = events.matches_proposed(proposed, source=source)
        matches = proposed
        if program.acceptance == "auto":
            matches = [
                match.start(now.date(), duration_days=program.duration_days, now=now) for match in proposed
            ]
            # Each match's proposal, then its start.
            outgoing = [
                event
                for pair in zip(
                    outgoing, (events.match_started(m, program, source=source) for m in matches), strict=True
                )
                for event in pair
            ]
    built = time.perf_counter()
    await uow.matches.add(matches)
    await uow.publish(outgoing)
    if len(matches) > 1:
        log.debug(
            "matches proposed",
            extra={
                "program_id": program.program_id,
                "round_id": round_id,
                "count": len(matches),
                "build_seconds": round(built - started, 3),
                "write_seconds": round(time.perf_counter() - built, 3),
            },
        )
    return matches


async def lock_program(uow: MatchingUnitOfWork, program_id: str) -> Program:
    """The program, its row locked until the transaction ends (``NOT_FOUND`` when there
    is none). Take it before checking who is free to propose in the program."""
    return await load_program(uow, program_id, for_update=True)


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
