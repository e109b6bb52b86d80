"""Match rounds: an admin starts one, a runner claims it, the engine plans it in a worker
process, and one transaction stores the result with every proposal.

The steps, each a use case on an open unit of work (its caller commits):

- :func:`start_round` queues a round (``CONFLICT`` while the program is not enrolling or
  running, or while another round of it is queued or running);
- :func:`claim_round` takes the next claimable round (``FOR UPDATE SKIP LOCKED`` in
  SQL, so two replicas never take the same one) and marks it running under a lease;
- :func:`round_input` reads what the engine needs, as plain data for the worker;
- :func:`renew_lease`, :func:`release_round` and :func:`fail_round` keep or give up the claim;
- :func:`finish_round` stores the plan: the round's figures and unmatched people, and
  every proposal through ``propose_matches`` (their ``match.proposed.v1`` outbox rows
  in the same transaction), only while the caller still holds the round. It takes the
  program's row lock (``proposals.lock_program``) before it checks who is still free,
  as a re-match after an HR event and a requested match do, so none of them proposes
  a person the other just proposed.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from tandem_common.user_errors import UserErrors
from tandem_matching.domain import policy
from tandem_matching.domain.matches import OPEN_STATUSES, ExplanationFactor, Match, member_roles, pair
from tandem_matching.domain.policy import Subject, Viewer
from tandem_matching.domain.programs import Program
from tandem_matching.domain.rounds import (
    Round,
    RoundResult,
    availability,
    round_result,
    start_refusal,
    without_unavailable,
)
from tandem_matching.service.collector import collector_paused
from tandem_matching.service.loading import load_program
from tandem_matching.service.proposals import ProposedMatch, lock_program
from tandem_matching.service.queries import Page
from tandem_matching.service.round_plan import RoundInput
from tandem_matching.service.unit_of_work import MatchingUnitOfWork


def new_round_id() -> str:
    """Ids that sort by creation time (a program's rounds list oldest first)."""
    return f"rnd_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(6)}"


class Propose(Protocol):
    """``propose_matches`` with the service's source and proposal expiry bound
    (``entrypoints.main.proposer``)."""

    def __call__(
        self,
        uow: MatchingUnitOfWork,
        program: Program,
        proposals: Sequence[ProposedMatch],
        *,
        round_id: str | None,
        now: datetime,
    ) -> Awaitable[list[Match]]: ...


# -- starting ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartRound:
    viewer: Viewer
    program_id: str


async def start_round(
    uow: MatchingUnitOfWork, command: StartRound, *, now: datetime, new_id: Callable[[], str] = new_round_id
) -> Round:
    """Queue a round of the program; a runner picks it up."""
    # The program's row lock orders concurrent starts: the second sees the first's round.
    program = await load_program(uow, command.program_id, for_update=True)
    policy.require("start_round", command.viewer, Subject(program=program))
    refusal = start_refusal(program, await uow.rounds.open_of_program(program.program_id))
    if refusal is not None:
        raise UserErrors([refusal])
    started = Round.queue(new_id(), program.program_id, requested_by=command.viewer.employee_id, now=now)
    await uow.rounds.add(started)
    return started


# -- claiming and keeping the claim -----------------------------------------------------


async def claim_round(
    uow: MatchingUnitOfWork, *, owner: str, now: datetime, lease_seconds: float, max_attempts: int
) -> Round | None:
    """The next round ``owner`` should run, now running under its lease; None when there
    is none. A round out of attempts is failed here and the next one is looked at."""
    while True:
        found = await uow.rounds.next_claimable(now)
        if found is None:
            return None
        claimed = found.claim(owner, now=now, lease_seconds=lease_seconds, max_attempts=max_attempts)
        await uow.rounds.save(claimed)
        if claimed.status == "running":
            return claimed


async def _held(uow: MatchingUnitOfWork, round_id: str, owner: str) -> Round | None:
    found = (await uow.rounds.get([round_id], for_update=True)).get(round_id)
    return found if found is not None and found.held_by(owner) else None


async def renew_lease(
    uow: MatchingUnitOfWork, round_id: str, *, owner: str, now: datetime, lease_seconds: float
) -> bool:
    """Extend ``owner``'s lease; False when the round is no longer theirs."""
    held = await _held(uow, round_id, owner)
    if held is None:
        return False
    await uow.rounds.save(held.renew(owner, now=now, lease_seconds=lease_seconds))
    return True


async def release_round(uow: MatchingUnitOfWork, round_id: str, *, owner: str, now: datetime) -> bool:
    """Put the round back in the queue (its runner stops without a result)."""
    held = await _held(uow, round_id, owner)
    if held is None:
        return False
    await uow.rounds.save(held.release(owner, now=now))
    return True


async def fail_round(
    uow: MatchingUnitOfWork, round_id: str, *, owner: str, reason: str, now: datetime
) -> Round | None:
    """The round failed for ``reason`` (the engine refused its data, say)."""
    held = await _held(uow, round_id, owner)
    if held is None:
        return None
    failed = held.fail(reason, now=now)
    await uow.rounds.save(failed)
    return failed


# -- the engine's input -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreparedRound:
    input: RoundInput
    # The program's open matches when the input was read: any other open match of a
    # proposed person at the end means they were matched meanwhile.
    open_match_ids: frozenset[str]


def engine_program(program: Program, previous_pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The program as the engine's document (matching-cli.md)."""
    settings = program.settings()
    return {
        "program_id": program.program_id,
        "type": program.type,
        "rules": {**settings["rules"], "exclude_previous_pairs": [list(p) for p in sorted(previous_pairs)]},
        "weights": settings["weights"],
    }


async def round_input(uow: MatchingUnitOfWork, round_: Round, *, top_k: int = 30) -> PreparedRound:
    """What the engine gets: the program's enrolled, active people, less what the
    program's open matches already hold (``domain.rounds.availability``), the pairs it
    never proposes again, and everyone else's manager for the reporting-line rule."""
    program = await load_program(uow, round_.program_id)
    previous = await uow.matches.previous_pairs(program.program_id)
    open_matches = await uow.matches.of_program(program.program_id, statuses=OPEN_STATUSES)
    # Who is in an open match, and how many mentees each mentor has in one.
    members: set[str] = set()
    mentees: set[str] = set()
    mentor_load: Counter[str] = Counter()
    for match in open_matches:
        for member in match.members:
            members.add(member.employee_id)
            if member.role == "mentor":
                mentor_load[member.employee_id] += 1
            else:
                mentees.add(member.employee_id)
    busy = mentees if program.type in ("reverse", "traditional") else members
    participants: list[tuple[str, tuple[str, ...], int | None, str]] = []
    enrolled = await uow.rounds.enrolled_people(program.program_id)
    with collector_paused():
        for person in enrolled:
            available = availability(
                program.type,
                person.roles,
                person.capacity,
                mentor_load=mentor_load[person.employee_id],
                busy=person.employee_id in busy,
            )
            if available is not None:
                participants.append(
                    (person.employee_id, available.roles, available.capacity, person.snapshot)
                )
    org = await uow.rounds.manager_links()
    return PreparedRound(
        RoundInput(engine_program(program, previous), participants, org, top_k),
        frozenset(match.match_id for match in open_matches),
    )


# -- storing the result -----------------------------------------------------------------


def proposals_of(program: Program, result: RoundResult) -> list[ProposedMatch]:
    return [
        ProposedMatch(
            members=list(zip(match.members, member_roles(program.type, len(match.members)), strict=True)),
            score=match.score,
            explanation=[_factor(f) for f in match.explanation],
        )
        for match in result.matches
    ]


def _factor(factor: Mapping[str, Any]) -> ExplanationFactor:
    return ExplanationFactor(str(factor["factor"]), float(factor["value"]), str(factor["detail"]))


async def finish_round(
    uow: MatchingUnitOfWork,
    round_id: str,
    plan: Mapping[str, Any],
    *,
    owner: str,
    open_match_ids: frozenset[str],
    now: datetime,
    propose: Propose,
    phases: Mapping[str, float] | None = None,
) -> Round | None:
    """Store ``plan`` as the round's result with all its proposals, and mark it done;
    None (and nothing written) when ``owner`` no longer holds the round.

    People who became unavailable while the engine worked (matched by a self-request
    or a re-match, withdrawn, departed, on leave) are not proposed; their partners are
    reported unmatched. A program closed meanwhile fails the round instead.
    ``phases`` (seconds per step of the run so far) go into the stats, with this
    step's ``check`` and ``store``.
    """
    held = await _held(uow, round_id, owner)
    if held is None:
        return None
    checking = time.perf_counter()
    # Held until commit: a re-match or a requested match of this program waits for the
    # proposals below, and then sees them; one that came first is seen here.
    program = await lock_program(uow, held.program_id)
    if program.status not in ("enrolling", "running"):
        failed = held.fail(f"the program was {program.status} while the round ran", now=now)
        await uow.rounds.save(failed)
        return failed
    with collector_paused():
        result = round_result(plan)
    proposed = {member for match in result.matches for member in match.members}
    still = await uow.rounds.available_people(program.program_id, proposed)
    matched_meanwhile = {
        employee_id
        for match in await uow.matches.of_members(
            proposed, statuses=OPEN_STATUSES, program_id=program.program_id
        )
        if match.match_id not in open_match_ids
        for employee_id in match.employee_ids
    }
    # A proposal made and declined while the engine worked makes a previous pair too.
    previous = await uow.matches.previous_pairs(program.program_id)
    repeating = {
        member
        for match in result.matches
        if any(p in previous for p in _pairs(match.members))
        for member in match.members
    }
    result = without_unavailable(result, (proposed - still) | matched_meanwhile | repeating)
    with collector_paused():
        proposals = proposals_of(program, result)
    storing = time.perf_counter()
    await propose(uow, program, proposals, round_id=held.round_id, now=now)
    stored = time.perf_counter()
    timings = {**(phases or {}), "check": storing - checking, "store": stored - storing}
    stats = replace(result.stats, phases={step: round(seconds, 3) for step, seconds in timings.items()})
    done = held.finish(owner, stats, result.unmatched, now=now)
    await uow.rounds.save(done)
    return done


def _pairs(members: Sequence[str]) -> list[tuple[str, str]]:
    return [pair(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]


# -- reads ------------------------------------------------------------------------------


async def rounds_by_id(uow: MatchingUnitOfWork, round_ids: Iterable[str]) -> dict[str, Round]:
    return await uow.rounds.get(round_ids)


async def program_rounds(
    uow: MatchingUnitOfWork, program_id: str, *, after: str | None, limit: int
) -> Page[Round]:
    """The program's rounds, oldest first."""
    found = await uow.rounds.page(program_id, after=after, limit=limit + 1)
    items = found[:limit]
    return Page(items, items[-1].round_id if len(found) > limit and items else None)
