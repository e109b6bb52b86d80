"""The match round aggregate: one run of the engine over a program's pool.

::

    queued --claimed by a runner--> running --plan stored with its proposals--> done
                                       |  \\--the plan raised, or attempts ran out--> failed
                                       \\--the runner's lease expired (it died)--> running again,
                                          under a new owner, attempts + 1

A runner *claims* a round by writing its name and a lease (``lease_until``) on it, and
renews the lease while the engine works. A round whose lease ran out belongs to
nobody: its runner was killed or lost the database, and any runner may claim it again.
Each claim counts one attempt; a claim beyond ``max_attempts`` fails the round instead,
so a round that kills its runner every time is not retried forever.

Only the runner holding the lease may finish the round, and it finishes it in the
transaction that stores the proposals: a round is done with all of its proposals, or
not done with none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from tandem_common.user_errors import UserError, conflict
from tandem_matching.domain.programs import Program

RoundStatus = Literal["queued", "running", "done", "failed"]
ROUND_STATUSES: tuple[RoundStatus, ...] = get_args(RoundStatus)
OPEN_ROUND_STATUSES: tuple[RoundStatus, ...] = ("queued", "running")
# A failure reason is a sentence for the program's admins, not a traceback.
MAX_ERROR_CHARACTERS = 500


class RoundStateError(ValueError):
    """A step the round's state does not allow (a bug in the caller, not a user error)."""


@dataclass(frozen=True, slots=True)
class RoundStats:
    participants: int
    matched: int
    objective: float
    seconds: float
    # Seconds per step of the run (reading the input, the worker, storing), for operators.
    phases: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UnmatchedPerson:
    employee_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Round:
    round_id: str
    program_id: str
    status: RoundStatus
    requested_by: str
    requested_at: datetime
    updated_at: datetime
    # When the attempt that produced the result (or the latest one) started.
    started_at: datetime | None = None
    finished_at: datetime | None = None
    stats: RoundStats | None = None
    unmatched: tuple[UnmatchedPerson, ...] = ()
    attempts: int = 0
    error: str | None = None
    # Who runs it now, and until when that claim holds unless renewed.
    lease_owner: str | None = None
    lease_until: datetime | None = None

    @classmethod
    def queue(cls, round_id: str, program_id: str, *, requested_by: str, now: datetime) -> Round:
        return cls(round_id, program_id, "queued", requested_by, requested_at=now, updated_at=now)

    @property
    def open(self) -> bool:
        """Queued or running: the program has a round under way."""
        return self.status in OPEN_ROUND_STATUSES

    def claimable(self, now: datetime) -> bool:
        """Whether a runner may take it: it waits, or its runner's lease ran out."""
        if self.status == "queued":
            return True
        return self.status == "running" and self.lease_until is not None and self.lease_until <= now

    def held_by(self, owner: str) -> bool:
        """Whether ``owner`` runs it now (the lease may be due; nobody else took it)."""
        return self.status == "running" and self.lease_owner == owner

    def claim(self, owner: str, *, now: datetime, lease_seconds: float, max_attempts: int) -> Round:
        """Running under ``owner`` for one more attempt, or failed once attempts ran out."""
        if not self.claimable(now):
            raise RoundStateError(f"round {self.round_id} is {self.status} and not claimable")
        if self.attempts >= max_attempts:
            return self.fail(
                f"gave up after {self.attempts} attempts: each one stopped before the plan was stored "
                "(the process running it ended)",
                now=now,
            )
        return replace(
            self,
            status="running",
            attempts=self.attempts + 1,
            started_at=now,
            lease_owner=owner,
            lease_until=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )

    def renew(self, owner: str, *, now: datetime, lease_seconds: float) -> Round:
        """The lease of ``owner`` extended from ``now``."""
        self._require_holder(owner)
        return replace(self, lease_until=now + timedelta(seconds=lease_seconds), updated_at=now)

    def release(self, owner: str, *, now: datetime) -> Round:
        """Back to the queue: ``owner`` stops without a result (its process is stopping,
        or its worker process died). The attempt still counts."""
        self._require_holder(owner)
        return replace(self, status="queued", lease_owner=None, lease_until=None, updated_at=now)

    def finish(
        self, owner: str, stats: RoundStats, unmatched: Sequence[UnmatchedPerson], *, now: datetime
    ) -> Round:
        """Done, with the plan's figures and the people it left unmatched."""
        self._require_holder(owner)
        return replace(
            self,
            status="done",
            stats=stats,
            unmatched=tuple(unmatched),
            finished_at=now,
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )

    def fail(self, reason: str, *, now: datetime) -> Round:
        """Failed for ``reason``; final."""
        if not self.open:
            raise RoundStateError(f"round {self.round_id} is {self.status} already")
        return replace(
            self,
            status="failed",
            error=short_reason(reason),
            finished_at=now,
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )

    def _require_holder(self, owner: str) -> None:
        if not self.held_by(owner):
            raise RoundStateError(f"round {self.round_id} is not running under {owner}")


def short_reason(reason: str) -> str:
    reason = " ".join(reason.split()) or "unknown error"
    if len(reason) <= MAX_ERROR_CHARACTERS:
        return reason
    return reason[: MAX_ERROR_CHARACTERS - 1] + "…"


def start_refusal(program: Program, open_round: Round | None) -> UserError | None:
    """Why a new round of ``program`` cannot start now, if so."""
    if program.status not in ("enrolling", "running"):
        return conflict(
            "program_id", f"the program is {program.status}; rounds run while it is enrolling or running"
        )
    if open_round is not None:
        return conflict(
            "program_id", f"round {open_round.round_id} is already {open_round.status} for this program"
        )
    return None


# -- what a round works on ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Availability:
    """What a person can still take in a round, given the program's open matches."""

    roles: tuple[str, ...]
    # Mentees a mentor can still take (their profile's capacity minus open matches).
    capacity: int | None = None


def availability(
    program_type: str,
    roles: Iterable[str],
    profile_capacity: int,
    *,
    mentor_load: int,
    busy: bool,
) -> Availability | None:
    """How a person enters a round, or None when they have nothing left to give.

    Existing matches are kept by leaving their people out rather than by the engine's
    ``keep``: the stored matches are the authority, and ``keep`` would drop (and so free
    the partner of) a match with a member who is no longer a participant while the
    stored match is still open. In a partner program or a circle, anyone in an open match
    (``busy``) is out. In a mentor program, a mentee in an open match is out as a mentee,
    and a mentor takes only their remaining capacity.
    """
    held = tuple(roles)
    if program_type not in ("reverse", "traditional"):
        return None if busy else Availability(held)
    left = tuple(
        role
        for role in held
        if not (role == "mentee" and busy) and not (role == "mentor" and profile_capacity - mentor_load <= 0)
    )
    if not left:
        return None
    capacity = max(profile_capacity - mentor_load, 0) if "mentor" in left else None
    return Availability(left, capacity)


@dataclass(frozen=True, slots=True)
class PlannedMatch:
    """One new match of a plan: members in the order of matching-cli.md."""

    members: tuple[str, ...]
    score: float
    explanation: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True, slots=True)
class RoundResult:
    matches: tuple[PlannedMatch, ...]
    unmatched: tuple[UnmatchedPerson, ...]
    stats: RoundStats


def round_result(plan: Mapping[str, Any]) -> RoundResult:
    """The engine's plan document as a round's result."""
    matches = tuple(
        PlannedMatch(
            members=tuple(match["members"]),
            score=float(match["score"]),
            explanation=tuple(match.get("explanation") or ()),
        )
        for match in plan["matches"]
    )
    unmatched = tuple(UnmatchedPerson(u["employee_id"], u["reason"]) for u in plan["unmatched"])
    stats = plan["stats"]
    return RoundResult(
        matches,
        unmatched,
        RoundStats(
            participants=int(stats["participants"]),
            matched=int(stats["matched"]),
            objective=float(stats["objective"]),
            seconds=float(stats["seconds"]),
        ),
    )


CHANGED_DURING_ROUND = (
    "proposed with someone who became unavailable while the round ran "
    "(matched elsewhere, withdrawn, departed or no longer active)"
)
BECAME_UNAVAILABLE = "became unavailable while the round ran (matched elsewhere, withdrawn or not active)"


def without_unavailable(result: RoundResult, unavailable: set[str]) -> RoundResult:
    """``result`` without the matches of people who became unavailable while the engine
    worked; their partners are reported unmatched, and the figures follow."""
    if not unavailable:
        return result
    kept = [match for match in result.matches if unavailable.isdisjoint(match.members)]
    matched = {member for match in kept for member in match.members}
    # A mentor may lose one mentee and keep another: only people left in no match are listed.
    left_out = dict.fromkeys(
        member
        for match in result.matches
        if not unavailable.isdisjoint(match.members)
        for member in match.members
        if member not in matched
    )
    dropped = [
        UnmatchedPerson(member, BECAME_UNAVAILABLE if member in unavailable else CHANGED_DURING_ROUND)
        for member in left_out
    ]
    stats = replace(
        result.stats,
        matched=len(matched),
        objective=round(sum(match.score for match in kept), 6),
    )
    return RoundResult(tuple(kept), result.unmatched + tuple(dropped), stats)


@dataclass(frozen=True, slots=True)
class EnrolledPerson:
    """A person enrolled in a program and active in the pool, as a round reads them."""

    employee_id: str
    roles: tuple[str, ...]
    # Their mentoring profile's capacity (mentees a mentor takes).
    capacity: int
    # Their profiles.events snapshot as stored (JSON text).
    snapshot: str
