"""Relationship health: recomputing it, publishing band changes, reading it.

**When.** Every transaction that changes an input (a session logged, a goal changed,
a check-in answered, a match started or ended, a program changed) marks its matches
in ``uow.health_touched``; the unit of work recomputes them in the same transaction
just before it commits (:class:`HealthRefresh`). The daily job
(``entrypoints/health_job.py``) recomputes every active match not yet scored today,
because time passing alone changes the score.

**Exactly once.** A recomputation locks the match's health row (and, on an event,
the match row, which also covers a match not scored yet), so one transaction at a
time compares the new band with the stored one. When it differs,
``health.changed.v1`` goes into the outbox in that transaction with the id
``<match>.health.<n>``, ``n`` counting the match's band changes: a replayed or
concurrent recomputation finds the band already stored and publishes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tandem_common.events.engagement import CheckinSubmitted, GoalChanged, HealthChanged, SessionLogged
from tandem_common.events.engagement import HealthFactor as FactorData
from tandem_common.events.matching import MatchEnded, MatchStarted, ProgramChanged
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.outbox.writer import OutgoingEvent
from tandem_engagement.domain.health import Health, StoredHealth, band_changed, compute_health
from tandem_engagement.domain.policy import Viewer
from tandem_engagement.service.clock import Clock, utc_now
from tandem_engagement.service.queries import Batch, _visible_matches
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork

# What engagement itself publishes that changes an input of the formula.
HEALTH_INPUT_EVENTS = (SessionLogged, GoalChanged, CheckinSubmitted)


def health_changed(health: Health, *, computed_at: datetime, change: int, source: str) -> OutgoingEvent:
    data = HealthChanged(
        match_id=health.match_id,
        program_id=health.program_id,
        score=health.score,
        band=health.band,
        factors=[FactorData(factor=f.factor, value=f.value, detail=f.detail) for f in health.factors],
        computed_at=computed_at,
    )
    return OutgoingEvent(
        data=data, source=source, id=f"{health.match_id}.health.{change}", subject=data.key()
    )


def touched_by(events: Iterable[OutgoingEvent]) -> set[str]:
    """The matches whose health inputs ``events`` record."""
    return {e.data.match_id for e in events if isinstance(e.data, HEALTH_INPUT_EVENTS)}


async def touch_from_matching(uow: EngagementUnitOfWork, events: Sequence[ReceivedEvent]) -> None:
    """Mark what a batch of ``matching.events`` changes: started and ended matches, and
    every active match of a changed program (its cadence or type may have changed)."""
    uow.health_touched.update(
        e.data.match_id for e in events if isinstance(e.data, MatchStarted | MatchEnded)
    )
    programs = {e.data.program_id for e in events if isinstance(e.data, ProgramChanged)}
    uow.health_touched.update(await uow.health.active_of_programs(programs))


@dataclass(frozen=True, slots=True)
class Recomputed:
    scored: int
    # Band changes published.
    changed: int


async def recompute_locked(
    uow: EngagementUnitOfWork, match_ids: Sequence[str], *, now: datetime, source: str
) -> Recomputed:
    """Score ``match_ids`` (already locked by this transaction) for ``now``'s day, store
    the scores and publish each band change once."""
    inputs = await uow.health.inputs_of(match_ids)
    # Locked: a recomputation waits for another one of the same match (the daily job
    # holds the health row, not the match) and then reads what it stored.
    held = await uow.health.get(inputs, for_update=True)
    today = now.date()
    stored: list[StoredHealth] = []
    published: list[OutgoingEvent] = []
    for match_id, given in inputs.items():
        health = compute_health(given, today)
        before = held.get(match_id)
        changes = before.band_changes if before is not None else 0
        if band_changed(before.health.band if before is not None else None, health.band):
            changes += 1
            published.append(health_changed(health, computed_at=now, change=changes, source=source))
        stored.append(StoredHealth(health, now, changes))
    await uow.health.save(stored)
    await uow.publish(published)
    return Recomputed(len(stored), len(published))


async def recompute_health(
    uow: EngagementUnitOfWork, match_ids: Iterable[str], *, now: datetime, source: str
) -> Recomputed:
    """Lock ``match_ids`` and recompute their health (matches not active are left as they were)."""
    locked = await uow.health.lock(match_ids)
    return await recompute_locked(uow, locked, now=now, source=source)


class HealthRefresh:
    """What the unit of work runs before it commits: recompute the touched matches."""

    def __init__(self, *, source: str, clock: Clock = utc_now) -> None:
        self._source = source
        self._clock = clock

    async def __call__(self, uow: EngagementUnitOfWork) -> None:
        touched, uow.health_touched = uow.health_touched, set()
        if touched:
            await recompute_health(uow, touched, now=self._clock(), source=self._source)


@dataclass(frozen=True, slots=True)
class RecomputeStale:
    today: date
    now: datetime
    # Only matches after this id (the job's bookmark within one run).
    after: str
    limit: int
    # Matches never scored (started before health was kept) rather than those scored
    # before today: a run drains those first.
    unscored: bool = False


@dataclass(frozen=True, slots=True)
class StaleBatch:
    claimed: list[str]
    recomputed: Recomputed


async def recompute_stale(uow: EngagementUnitOfWork, command: RecomputeStale, *, source: str) -> StaleBatch:
    """One batch of the daily job: claim matches not scored today and score them."""
    if command.unscored:
        claimed = await uow.health.unscored(command.after, command.limit)
    else:
        claimed = await uow.health.stale(command.today, command.after, command.limit)
    done = await recompute_locked(uow, claimed, now=command.now, source=source)
    return StaleBatch(claimed, done)


async def health_by_match(
    uow: EngagementUnitOfWork, viewer: Viewer, match_ids: Iterable[str]
) -> Batch[StoredHealth | None]:
    """Each visible match's stored health (None while it has none: not started yet)."""
    batch = await _visible_matches(uow, viewer, match_ids)
    stored = await uow.health.get(batch.found)
    found = {match_id: stored.get(match_id) for match_id in batch.found}
    return Batch(found, batch.missing, batch.forbidden)
