"""What a round hands to a worker process, and what the worker does with it.

The input is plain, cheaply pickled data: each participant's profile snapshot stays
the JSON text the database holds, and is parsed in the worker, so the service's event
loop neither decodes 100,000 snapshots nor pickles 100,000 dictionaries.
:func:`plan_round_timed` runs in the worker (``ProcessPoolExecutor``) and calls the
engine; it reports how long each part took, for the round's ``stats.phases``.

The parsed snapshots are a million and more small objects that live as long as the
plan. The collector would walk all of them at each of its full passes while the
engine works, so they are parsed with it paused and then frozen (``gc.freeze``: kept
out of every later pass); the engine's own objects are collected as usual.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from tandem_matching.engine.planner import plan
from tandem_matching.service.collector import collector_paused


class RoundParticipant(NamedTuple):
    # A plain tuple on the wire: 100,000 of them unpickle in the worker in a blink, where
    # as many dataclass instances take seconds.
    employee_id: str
    # The roles they take part with (their enrolment's, less what open matches use).
    roles: tuple[str, ...]
    # A mentor's remaining capacity, when open matches use some of it.
    capacity: int | None
    # Their profiles.events snapshot as stored (JSON text).
    snapshot: str


@dataclass(frozen=True, slots=True)
class RoundInput:
    # The engine's program document (matching-cli.md), previous pairs included.
    program: dict[str, Any]
    # RoundParticipant fields as plain tuples (see there).
    participants: list[tuple[str, tuple[str, ...], int | None, str]]
    # Everyone else in the pool, for the manager tree: (employee_id, manager_id).
    org: list[tuple[str, str | None]] = field(default_factory=list)
    top_k: int = 30


def participant_document(participant: RoundParticipant) -> dict[str, Any]:
    """The snapshot the engine reads: the person's profile as it is, with the roles (and
    capacity) this round may use."""
    snapshot: dict[str, Any] = orjson.loads(participant.snapshot)
    # The parsed document is this call's own: change it in place rather than copy it.
    mentoring = snapshot.get("mentoring")
    if not isinstance(mentoring, dict):
        mentoring = snapshot["mentoring"] = {}
    offered = set(mentoring.get("roles") or ())
    mentoring["roles"] = [role for role in participant.roles if role in offered]
    if participant.capacity is not None:
        mentoring["capacity"] = participant.capacity
    return snapshot


@dataclass(frozen=True, slots=True)
class WorkerTimes:
    # Wall-clock (time.time) instants, comparable with the service process's clock.
    started_at: float
    finished_at: float
    # Seconds parsing the snapshots, and in the engine's ``plan``.
    parse: float
    engine: float


def plan_round_timed(job: RoundInput) -> tuple[bytes, WorkerTimes]:
    """The engine's plan for ``job`` as JSON, and where the worker spent its time (runs
    in a worker process; raises ``InvalidInput`` for data the engine refuses).

    The plan goes back as one bytes object: pickling its hundreds of thousands of small
    objects, and unpickling them in the service with its collector running, costs far
    more than JSON both ways (:func:`plan_document` reads it).
    """
    started_at = time.time()
    parse_started = time.perf_counter()
    with collector_paused():
        participants = [participant_document(RoundParticipant._make(p)) for p in job.participants]
        ids = {p[0] for p in job.participants}
        org = [
            {"employee_id": employee_id, "manager_id": manager_id}
            for employee_id, manager_id in job.org
            if employee_id not in ids
        ]
    parsed = time.perf_counter()
    gc.freeze()
    try:
        result = plan(job.program, participants, org=org, top_k=job.top_k)
    finally:
        gc.unfreeze()
    planned = time.perf_counter()
    document = orjson.dumps(result, option=orjson.OPT_SERIALIZE_NUMPY)
    return document, WorkerTimes(started_at, time.time(), parsed - parse_started, planned - parsed)


def plan_document(document: bytes) -> dict[str, Any]:
    """A plan from :func:`plan_round_timed`, in the service process."""
    with collector_paused():
        plan: dict[str, Any] = orjson.loads(document)
    return plan


def plan_round(job: RoundInput) -> dict[str, Any]:
    """The engine's plan for ``job`` (see :func:`plan_round_timed`)."""
    return plan_document(plan_round_timed(job)[0])


def warm_up() -> None:
    """Runs in a new worker so that its imports (the engine, numpy, scipy) are done
    before the first round needs it."""
