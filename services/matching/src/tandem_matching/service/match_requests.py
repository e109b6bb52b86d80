"""requestMatch: a person asks for a match with a partner of their choosing.

Everything is checked in the command's own transaction, whatever a recommendation said
a moment ago: the program runs and pairs people one to one; both people are enrolled
and active there; they never were in a declined or ended match together in this
program; both are free for the pairing (a partner or mentee in no open match of the
program, a mentor with room left); and the pair is one the engine itself would
recommend: the roles they enrolled with fit, their skills fit, and it breaks no hard
rule of the program. That last check builds the engine's ``RecommendationIndex`` over
the two of them, with their manager chains for the reporting-line rule, so the roles,
the rules, the score and the explanation are the engine's, not a second copy of them.

The enrolments of both are locked first (in id order, as every command locks), so two
requests for the same person are serialised and the second sees the first's match.
The match is proposed through ``propose_matches`` with no round; the requester has
already accepted it, so it waits for the partner (or, with ``acceptance: auto``,
starts at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tandem_common.fields import EMPLOYEE_ID
from tandem_common.user_errors import UserError, UserErrors, conflict, not_found, validation
from tandem_matching.domain import policy
from tandem_matching.domain.matches import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ExplanationFactor,
    Match,
    MemberRole,
)
from tandem_matching.domain.policy import Subject, Viewer
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.programs import Program
from tandem_matching.engine.people import build_population
from tandem_matching.engine.program import parse_program
from tandem_matching.engine.recommend import RecommendationIndex
from tandem_matching.service.ids import IdFactory, new_match_id
from tandem_matching.service.loading import load_program
from tandem_matching.service.proposals import ProposedMatch, lock_program, propose_matches
from tandem_matching.service.recommendations import engine_program, participant
from tandem_matching.service.unit_of_work import MatchingUnitOfWork

# Manager links followed up from each person for the reporting-line rule; an
# organisation is far shallower, and a cycle in bad HR data must still end.
MAX_CHAIN = 64


@dataclass(frozen=True, slots=True)
class RequestMatch:
    viewer: Viewer
    program_id: str
    # The partner asked for (the command's ``employee_id``).
    partner_id: object
    # Who asks; the viewer unless given.
    requester_id: object = None


async def request_match(
    uow: MatchingUnitOfWork,
    command: RequestMatch,
    *,
    now: datetime,
    source: str,
    expiry_days: int,
    new_id: IdFactory = new_match_id,
) -> Match:
    """The proposal of the requester with the partner, or ``UserErrors`` and no change."""
    requester = command.viewer.employee_id if command.requester_id is None else command.requester_id
    partner = command.partner_id
    shape = [
        validation(field, "must be an employee id")
        for field, value in (("requester_id", requester), ("employee_id", partner))
        if not isinstance(value, str) or not EMPLOYEE_ID.match(value)
    ]
    if shape:
        raise UserErrors(shape)
    assert isinstance(requester, str) and isinstance(partner, str)
    program = await load_program(uow, command.program_id)
    policy.require("request_match", command.viewer, Subject(program=program, employee_id=requester))
    if partner == requester:
        raise UserErrors([validation("employee_id", "cannot be matched with oneself")])
    if program.type == "group":
        raise UserErrors([conflict("program_id", "a group program forms circles in rounds, not on request")])
    if program.status != "running":
        raise UserErrors(
            [conflict("program_id", f"the program is {program.status}; matches are requested while it runs")]
        )

    people = [requester, partner]
    enrolments = await uow.enrolments.get(program.program_id, people, for_update=True)
    pool = await uow.pool.get(people)
    errors = [
        error
        for field, who in (("requester_id", requester), ("employee_id", partner))
        if (error := _not_enrolled(field, who, enrolments.get(who), pool.get(who))) is not None
    ]
    if errors:
        raise UserErrors(errors)
    # The program row lock, after the enrolments as the exit re-match takes them, so a
    # round or a re-match storing at the same time cannot propose either of them too.
    await lock_program(uow, program.program_id)
    closed = await uow.matches.of_members(people, statuses=CLOSED_STATUSES, program_id=program.program_id)
    if any(requester in m.employee_ids and partner in m.employee_ids for m in closed):
        raise UserErrors(
            [conflict("employee_id", "was in a declined or ended match with the requester in this program")]
        )
    opened = await uow.matches.of_members(people, statuses=OPEN_STATUSES, program_id=program.program_id)
    chains = await _manager_chains(uow, [pool[requester], pool[partner]])
    index = RecommendationIndex(
        build_population(
            [participant(pool[who].snapshot or {}, enrolments[who].roles) for who in people],
            [{"employee_id": e, "manager_id": m} for e, m in chains],
        ),
        parse_program(engine_program(program)),
        matches=[m.employee_ids for m in opened],
    )
    taken = _taken(index, program, requester, partner)
    if taken:
        raise UserErrors(taken)
    found = index.recommend(requester, 1)
    if not found.partners:
        raise UserErrors([conflict("employee_id", f"cannot be matched with the requester: {found.reason}")])
    chosen = found.partners[0]
    members: Sequence[tuple[str, MemberRole]]
    if chosen["role"] == "mentor":
        members = [(partner, "mentor"), (requester, "mentee")]
    elif chosen["role"] == "mentee":
        members = [(requester, "mentor"), (partner, "mentee")]
    else:  # partners: the requester is first in the two-person pool, as in the explanation
        members = [(requester, "partner"), (partner, "partner")]
    proposal = ProposedMatch(
        members,
        chosen["score"],
        [ExplanationFactor(f["factor"], float(f["value"]), str(f["detail"])) for f in chosen["explanation"]],
    )
    [match] = await propose_matches(
        uow,
        program,
        [proposal],
        round_id=None,
        now=now,
        source=source,
        expiry_days=expiry_days,
        new_id=new_id,
    )
    if match.status == "proposed":
        match = match.accept(requester, now=now, duration_days=program.duration_days)
        await uow.matches.save([match])
    return match


def _not_enrolled(
    field: str, employee_id: str, enrolment: Any, member: PoolMember | None
) -> UserError | None:
    if enrolment is None or enrolment.status != "enrolled":
        return not_found(field, f"{employee_id} is not enrolled in this program")
    if member is None or member.snapshot is None or not member.active:
        return conflict(field, f"{employee_id} is not active")
    return None


async def _manager_chains(
    uow: MatchingUnitOfWork, people: Sequence[PoolMember]
) -> list[tuple[str, str | None]]:
    """(employee_id, manager_id) of everyone above ``people``, read level by level."""
    known = {m.employee_id for m in people}
    links: list[tuple[str, str | None]] = []
    above = {_manager(m) for m in people} - {None}
    for _ in range(MAX_CHAIN):
        wanted = {who for who in above if who is not None and who not in known}
        if not wanted:
            break
        found = await uow.pool.get(wanted)
        known |= wanted
        above = set()
        for who in sorted(wanted):
            manager = _manager(found[who]) if who in found else None
            links.append((who, manager))
            above.add(manager)
    return links


def _manager(member: PoolMember) -> str | None:
    manager = (member.snapshot or {}).get("manager_id")
    return manager if isinstance(manager, str) else None


def _taken(index: RecommendationIndex, program: Program, requester: str, partner: str) -> list[UserError]:
    """Why the two are not both free for a pairing, per person (empty when they are)."""
    r, p = index.population.index[requester], index.population.index[partner]
    if program.partners:
        return [
            conflict(field, f"{who} is already matched in this program")
            for field, who, position in (("requester_id", requester, r), ("employee_id", partner, p))
            if bool(index.busy[position])
        ]
    if (index.as_mentor[r] and index.as_mentee[p]) or (index.as_mentor[p] and index.as_mentee[r]):
        return []
    return [
        conflict(
            "employee_id",
            f"neither can mentor the other now: a mentor needs the mentor role, skills to offer and "
            f"room left; a mentee the mentee role, skills wanted and no mentor yet in this program "
            f"({_free_as(index, requester, r)}; {_free_as(index, partner, p)})",
        )
    ]


def _free_as(index: RecommendationIndex, who: str, position: int) -> str:
    sides = [
        side for side, free in (("mentor", index.as_mentor), ("mentee", index.as_mentee)) if free[position]
    ]
    return f"{who} is free as {' and '.join(sides)}" if sides else f"{who} is free for neither role"
