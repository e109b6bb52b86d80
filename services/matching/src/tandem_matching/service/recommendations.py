"""Self-match: the best partners of one person in one program, from the pool, without a round.

The engine's ``RecommendationIndex`` answers from a snapshot of the program's pool: its
enrolled people (each snapshot carrying the roles they enrolled with), the organisation's
manager links (a reporting line may run through people outside the program), the members
of the program's open matches (so matched people are not offered and a mentor's load
counts) and its previous pairs. :func:`index_inputs` turns stored rows into those inputs
and :func:`build_index` builds the index from them; building is CPU work of seconds at
100,000 people, so the caller runs it off the event loop and keeps the result.

An index is a snapshot and may lag behind the database for as long as a rebuild takes.
:func:`recommend` therefore re-reads, for the partners it is about to show and for the
viewer, who is enrolled and which open matches they have now, and drops anyone who
became matched, full or withdrawn since the index was built. A request-match command
re-checks everything in its own transaction anyway (``service.match_requests``).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from tandem_common.user_errors import UserErrors, conflict, validation
from tandem_matching.domain import policy
from tandem_matching.domain.matches import OPEN_STATUSES, Match
from tandem_matching.domain.policy import Subject, Viewer
from tandem_matching.domain.programs import Program
from tandem_matching.engine.people import build_population
from tandem_matching.engine.program import parse_program
from tandem_matching.engine.recommend import MAX_FIRST, Recommendation, RecommendationIndex
from tandem_matching.service.loading import load_program
from tandem_matching.service.unit_of_work import MatchingUnitOfWork

# Programs whose pool recommendations are read from: people enrol (and are matched) then.
RECOMMENDING_STATUSES = ("enrolling", "running")
# Partners asked of the index beyond ``first``, so that some can be dropped as taken.
SPARE_PARTNERS = 10


@dataclass(frozen=True, slots=True)
class IndexInputs:
    """What one program's index is built from, as read from storage."""

    # (employee_id, enrolled roles, profile snapshot as JSON text) per enrolled person.
    participants: Sequence[tuple[str, Sequence[str], str]]
    # (employee_id, manager_id) of everyone in the pool.
    manager_links: Sequence[tuple[str, str | None]]
    # Members of the program's proposed and active matches, in position order.
    open_matches: Sequence[Sequence[str]]
    previous_pairs: Iterable[tuple[str, str]]


def engine_program(program: Program, previous_pairs: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """The program as the engine's program document (matching-cli.md)."""
    return {
        "program_id": program.program_id,
        "type": program.type,
        "rules": {
            **asdict(program.rules),
            "exclude_previous_pairs": [list(pair) for pair in previous_pairs],
        },
        "weights": {name: value for name, value in asdict(program.weights).items() if value > 0},
    }


def _decoded(snapshot: str, roles: Sequence[str]) -> dict[str, Any]:
    """``participant`` of a snapshot in JSON text, changing its fresh dict in place."""
    person: dict[str, Any] = orjson.loads(snapshot)
    mentoring = person.get("mentoring")
    if isinstance(mentoring, dict):
        mentoring["roles"] = list(roles)
    else:
        person["mentoring"] = {"roles": list(roles)}
    return person


class _CyclicGcPause:
    """No cyclic garbage collection while a build allocates its 100,000s of objects.

    A build makes several objects per person that all live on, so the collector runs
    again and again over a growing heap and finds nothing: that tripled the build time
    at 100,000 people. Reference counting still frees everything as usual. The
    collector is process-wide, so builds that overlap share one pause.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._resume = False

    def __enter__(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._holders += 1

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._resume:
                gc.enable()


_GC_PAUSE = _CyclicGcPause()


def participant(snapshot: Mapping[str, Any], roles: Sequence[str]) -> dict[str, Any]:
    """A pool snapshot as a participant: their mentoring roles are the ones they enrolled with."""
    mentoring = dict(snapshot.get("mentoring") or {})
    mentoring["roles"] = list(roles)
    return {**snapshot, "mentoring": mentoring}


def build_index(program: Program, inputs: IndexInputs) -> RecommendationIndex:
    """The program's index (CPU-bound: run it in a worker thread)."""
    with _GC_PAUSE:
        people = [_decoded(snapshot, roles) for _, roles, snapshot in inputs.participants]
        org = [{"employee_id": e, "manager_id": m} for e, m in inputs.manager_links]
        population = build_population(people, org)
    # Previous pairs go to the index, not the program document: the index keeps them
    # as a sparse adjacency, the document as a list the rule checker sorts per call.
    return RecommendationIndex(
        population,
        parse_program(engine_program(program)),
        matches=inputs.open_matches,
        previous_pairs=inputs.previous_pairs,
    )


# The current index of a program, built or cached: ``index_of(program, viewer_id)``. A
# cached one may be stale; one that does not know the viewer yet is waited for afresh.
IndexProvider = Callable[[Program, str], Awaitable[RecommendationIndex]]


@dataclass(frozen=True, slots=True)
class GetRecommendations:
    viewer: Viewer
    program_id: str
    employee_id: str
    first: object = 10


@dataclass(frozen=True, slots=True)
class RecommendationsResult:
    program_id: str
    employee_id: str
    partners: list[Recommendation]
    eligible: int
    reason: str | None


async def recommend(
    uow: MatchingUnitOfWork, query: GetRecommendations, *, index_of: IndexProvider
) -> RecommendationsResult:
    """The best ``first`` partners of ``employee_id`` in the program, for the viewer
    (that person, or an admin of the program)."""
    first = query.first
    if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= MAX_FIRST:
        raise UserErrors([validation("first", f"must be an integer from 1 to {MAX_FIRST}")])
    program = await load_program(uow, query.program_id)
    policy.require(
        "view_recommendations", query.viewer, Subject(program=program, employee_id=query.employee_id)
    )
    if program.type == "group":
        raise UserErrors(
            [conflict("program_id", "a group program forms circles in rounds; it has no recommendations")]
        )
    if program.status not in RECOMMENDING_STATUSES:
        raise UserErrors(
            [
                conflict(
                    "program_id", f"the program is {program.status}; it recommends while enrolling or running"
                )
            ]
        )
    index = await index_of(program, query.employee_id)
    found = index.recommend(query.employee_id, min(MAX_FIRST, first + SPARE_PARTNERS))
    if not found.partners:
        return RecommendationsResult(program.program_id, query.employee_id, [], found.eligible, found.reason)
    partners, dropped, reason = await _still_free(uow, index, program, query.employee_id, found.partners)
    kept = partners[:first]
    eligible = max(found.eligible - dropped, len(partners))
    if not kept:
        return RecommendationsResult(program.program_id, query.employee_id, [], 0, reason)
    return RecommendationsResult(program.program_id, query.employee_id, kept, eligible, None)


async def _still_free(
    uow: MatchingUnitOfWork,
    index: RecommendationIndex,
    program: Program,
    viewer_id: str,
    partners: list[Recommendation],
) -> tuple[list[Recommendation], int, str]:
    """The partners who are, as of now, still enrolled and free for a pair with the
    viewer; how many were dropped; and, should none remain, why."""
    ids = [viewer_id, *(p["employee_id"] for p in partners)]
    enrolled = {
        e.employee_id
        for e in (await uow.enrolments.get(program.program_id, ids)).values()
        if e.status == "enrolled"
    }
    open_matches = await uow.matches.of_members(ids, statuses=OPEN_STATUSES, program_id=program.program_id)
    if viewer_id not in enrolled:
        return [], len(partners), f"not eligible: {viewer_id} is not enrolled in this program"
    population = index.population
    as_mentor, as_other = _loads(open_matches)

    def full(employee_id: str) -> bool:
        position = population.index.get(employee_id)
        capacity = int(population.capacity[position]) if position is not None else 0
        return as_mentor.get(employee_id, 0) >= capacity

    if program.partners:
        viewer_taken = viewer_id in as_other or viewer_id in as_mentor
    else:
        viewer_taken = viewer_id in as_other or full(viewer_id)
    kept: list[Recommendation] = []
    for partner in partners:
        who, role = partner["employee_id"], partner["role"]
        if who not in enrolled:
            continue
        if role == "mentor":  # the viewer would be the mentee
            taken = full(who) or viewer_id in as_other
        elif role == "mentee":  # the viewer would be the mentor
            taken = who in as_other or full(viewer_id)
        else:
            taken = who in as_other or who in as_mentor or viewer_id in as_other or viewer_id in as_mentor
        if not taken:
            kept.append(partner)
    if viewer_taken and not kept:
        reason = f"not eligible: {viewer_id} is already matched in this program"
    else:
        reason = "no eligible partner is free at the moment: those eligible were matched meanwhile"
    return kept, len(partners) - len(kept), reason


def _loads(matches: Iterable[Match]) -> tuple[dict[str, int], set[str]]:
    """Open matches per mentor, and everyone who is in an open match as anything else."""
    as_mentor: dict[str, int] = {}
    as_other: set[str] = set()
    for match in matches:
        for member in match.members:
            if member.role == "mentor":
                as_mentor[member.employee_id] = as_mentor.get(member.employee_id, 0) + 1
            else:
                as_other.add(member.employee_id)
    return as_mentor, as_other
