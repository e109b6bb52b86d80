"""HR events drive the match lifecycle: exits, transfers, promotions, manager changes.

The profiles consumer calls :func:`follow_profile_changes` with the pool members a
batch changed, in the transaction that stores them (and claims the batch's inbox rows):

1. **Exit.** Each open match of a person who departed (or was erased) ends:
   an active one with ``match.ended.v1`` ``member_departed``; a proposal, which never
   started and now never can, is withdrawn as an unanswered one is
   (``match.declined.v1`` with ``declined_by`` null, as when a program closes), so a
   consumer following events.md sees proposal -> declined, never an end without a
   start. The reason is kept on the row (``end_reason``) for the admins' reads.
2. **Change.** Every open match of a person whose rule fields changed, or who sits
   below a manager change, is re-checked with the engine's rule functions on the
   current snapshots and manager tree; one that breaks a rule ends ``rule_violated``
   (a proposal is withdrawn the same way).
3. **Re-match.** In a running program with ``auto_rematch`` the members those matches
   returned to the pool are re-matched at once against the program's free people,
   keeping every other match, and proposed through ``propose_matches`` (``round_id``
   null). Whoever has no eligible partner stays in the pool, and that is logged.

Everything happens in the consumer's one transaction: a crash, or a database that is
away, anywhere in between leaves nothing committed, the events are redelivered, and
the inbox makes the retry the only effect. So the end and the re-match can never be
separated, and no marker or second job is needed. The engine work (tens to a few
hundred milliseconds at 10,000 participants) runs in a thread, so the event loop
keeps serving heartbeats, the relay and the API meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from tandem_matching.domain import lifecycle
from tandem_matching.domain.matches import OPEN_STATUSES, EndReason, Match
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.programs import Program
from tandem_matching.service.ids import IdFactory, new_match_id
from tandem_matching.service.matches import end_matches, lapse_proposals
from tandem_matching.service.proposals import ProposedMatch, propose_matches
from tandem_matching.service.unit_of_work import MatchingUnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")

Offload = Callable[..., Awaitable[Any]]


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(function, *args, **kwargs)


@dataclass(frozen=True, slots=True)
class LifecycleDeps:
    """What the lifecycle needs from the composition root."""

    source: str
    expiry_days: int
    # Runs the engine off the event loop (tests may run it inline).
    offload: Offload = in_thread
    new_id: IdFactory = new_match_id


@dataclass(slots=True)
class LifecycleReport:
    ended: list[Match] = field(default_factory=list)
    withdrawn: list[Match] = field(default_factory=list)
    proposed: list[Match] = field(default_factory=list)
    # Who was returned to the pool without a new proposal, and why.
    unmatched: dict[str, str] = field(default_factory=dict)


async def follow_profile_changes(
    uow: MatchingUnitOfWork,
    held: Mapping[str, PoolMember],
    changed: Sequence[PoolMember],
    *,
    now: datetime,
    deps: LifecycleDeps,
) -> LifecycleReport:
    """What ``changed`` (the newer pool members just stored; ``held`` their versions
    before) does to matches. Runs in the caller's transaction; never commits."""
    report = LifecycleReport()
    returned: dict[str, set[str]] = defaultdict(set)

    gone = {m.employee_id for m in changed if m.gone}
    if gone:
        departing = await uow.matches.of_members(gone, statuses=OPEN_STATUSES, for_update=True)
        await _close(uow, departing, "member_departed", now=now, deps=deps, report=report)
        for match in departing:
            returned[match.program_id].update(set(match.employee_ids) - gone)

    suspects = {m.employee_id for m in changed if lifecycle.rules_may_break(held.get(m.employee_id), m)}
    movers = [m.employee_id for m in changed if lifecycle.moves_in_tree(held.get(m.employee_id), m)]
    if movers:
        suspects |= await uow.lifecycle.reports_of(movers)
    if suspects:
        closed = {m.match_id for m in report.ended + report.withdrawn}
        open_matches = [
            m
            for m in await uow.matches.of_members(suspects, statuses=OPEN_STATUSES, for_update=True)
            if m.match_id not in closed
        ]
        broken = await _broken(uow, open_matches, deps=deps)
        await _close(uow, broken, "rule_violated", now=now, deps=deps, report=report)
        for match in broken:
            returned[match.program_id].update(set(match.employee_ids) - gone)

    for program_id in sorted(returned):
        await _rematch(uow, program_id, returned[program_id], now=now, deps=deps, report=report)
    return report


async def _close(
    uow: MatchingUnitOfWork,
    matches: Sequence[Match],
    reason: EndReason,
    *,
    now: datetime,
    deps: LifecycleDeps,
    report: LifecycleReport,
) -> None:
    ended = await end_matches(uow, matches, reason=reason, now=now, source=deps.source)
    lapsed = await lapse_proposals(uow, matches, now=now, source=deps.source)
    # Why the proposal was withdrawn, for the admins' reads (declined.v1 has no reason).
    explained = [replace(match, end_reason=reason) for match in lapsed]
    await uow.matches.save(explained)
    report.ended.extend(ended)
    report.withdrawn.extend(explained)
    for match in [*ended, *explained]:
        log.info(
            "match closed by an HR event",
            extra={"match_id": match.match_id, "program_id": match.program_id, "reason": reason},
        )


async def _broken(uow: MatchingUnitOfWork, matches: Sequence[Match], *, deps: LifecycleDeps) -> list[Match]:
    """The matches among ``matches`` that now break a hard rule of their program."""
    if not matches:
        return []
    programs = await uow.programs.get({m.program_id for m in matches})
    people = {p for m in matches for p in m.employee_ids}
    pool = await uow.pool.get(people)
    managers = await uow.lifecycle.manager_chains(people)
    snapshots = {i: m.snapshot for i, m in pool.items() if m.snapshot is not None and not m.gone}
    checks = [(programs[m.program_id], m) for m in matches if m.program_id in programs]
    verdicts = await deps.offload(_verdicts, checks, snapshots, managers)
    broken = []
    for (_, match), rule in zip(checks, verdicts, strict=True):
        if rule is not None:
            log.info("match breaks a hard rule", extra={"match_id": match.match_id, "rule": rule})
            broken.append(match)
    return broken


def _verdicts(
    checks: Sequence[tuple[Program, Match]],
    snapshots: Mapping[str, Mapping[str, Any]],
    managers: Mapping[str, str | None],
) -> list[str | None]:
    return [lifecycle.broken_rule(program, match, snapshots, managers) for program, match in checks]


async def _rematch(
    uow: MatchingUnitOfWork,
    program_id: str,
    people: Iterable[str],
    *,
    now: datetime,
    deps: LifecycleDeps,
    report: LifecycleReport,
) -> None:
    # The program row, locked, serialises re-matches (and anything else that locks it)
    # of one program, so two transactions never propose the same free person.
    program = (await uow.programs.get([program_id], for_update=True)).get(program_id)
    wanted = sorted(set(people))
    if program is None or not program.auto_rematch or program.status != "running" or not wanted:
        return
    started = time.perf_counter()
    mentor_program = program.type in ("reverse", "traditional")
    participants = await uow.lifecycle.participants(program_id, mentor_program=mentor_program)
    candidates = lifecycle.candidates(program, participants)
    previous = await uow.matches.previous_pairs(program_id)
    managers = await uow.lifecycle.manager_chains(c.employee_id for c in candidates)
    loaded = time.perf_counter()
    plan = await deps.offload(
        lifecycle.rematch, program, wanted, candidates, previous_pairs=previous, managers=managers
    )
    computed = time.perf_counter()
    proposals = [ProposedMatch(m.members, m.score, m.explanation) for m in plan.matches]
    if proposals:
        made = await propose_matches(
            uow,
            program,
            proposals,
            round_id=None,
            now=now,
            source=deps.source,
            expiry_days=deps.expiry_days,
            new_id=deps.new_id,
        )
        report.proposed.extend(made)
        for match in made:
            log.info(
                "re-matched after an HR event",
                extra={
                    "match_id": match.match_id,
                    "program_id": program_id,
                    "candidates": len(candidates),
                    "load_seconds": round(loaded - started, 4),
                    "engine_seconds": round(computed - loaded, 4),
                },
            )
    for employee_id, reason in plan.unmatched.items():
        report.unmatched[employee_id] = reason
        log.info(
            "returned to the pool without a re-match",
            extra={"employee_id": employee_id, "program_id": program_id, "reason": reason},
        )
