"""The daily health job: score every active match not scored today yet.

Time passing alone changes a score (days since the last session, goals coming due), so
each day every active match is recomputed once. The job runs often (``health_interval_seconds``)
and finds nothing to do once today's scores are stored; the stored ``computed_on`` is
its bookmark, so a restart carries on where the last committed batch stopped. Each
batch claims its matches with SKIP LOCKED, so replicas share the work, and a band
change is published once whoever scores it (``service/health.py``).
"""

from __future__ import annotations

import asyncio
import logging

from tandem_common.runtime.tasks import succeeded
from tandem_engagement.service.clock import Clock, utc_now
from tandem_engagement.service.health import Recomputed, RecomputeStale, recompute_stale
from tandem_engagement.service.unit_of_work import EngagementUnitOfWorkFactory

log = logging.getLogger(__name__)


class HealthJob:
    def __init__(
        self,
        unit_of_work: EngagementUnitOfWorkFactory,
        *,
        source: str,
        batch_size: int,
        lanes: int = 1,
        clock: Clock = utc_now,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._source = source
        self._batch_size = batch_size
        self._lanes = lanes
        self._clock = clock

    async def run_once(self) -> Recomputed:
        """Score every active match not scored today; ``lanes`` transactions at a time,
        which SKIP LOCKED keeps apart as it keeps replicas apart."""
        done = await asyncio.gather(*(self._lane() for _ in range(self._lanes)))
        scored, changed = sum(d.scored for d in done), sum(d.changed for d in done)
        if scored:
            log.info("health recomputed", extra={"matches": scored, "band_changes": changed})
        return Recomputed(scored, changed)

    async def _lane(self) -> Recomputed:
        scored = changed = 0
        # Matches never scored first, then those scored before today: two passes, so
        # that neither query looks for the other's rows batch after batch.
        for unscored in (True, False):
            after = ""
            while True:
                now = self._clock()
                async with self._unit_of_work() as uow:
                    batch = await recompute_stale(
                        uow,
                        RecomputeStale(now.date(), now, after, self._batch_size, unscored=unscored),
                        source=self._source,
                    )
                    await uow.commit()
                scored += batch.recomputed.scored
                changed += batch.recomputed.changed
                if len(batch.claimed) < self._batch_size:
                    break
                after = batch.claimed[-1]
        return Recomputed(scored, changed)

    async def run_periodically(self, interval_seconds: float) -> None:
        while True:
            await self.run_once()
            succeeded()
            await asyncio.sleep(interval_seconds)
