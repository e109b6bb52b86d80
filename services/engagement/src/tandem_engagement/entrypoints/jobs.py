"""The periodic check-in job: announce the check-ins that have come due.

Like the consumers and the HTTP handlers, it opens a unit of work, calls a use case
and commits, one transaction per batch of matches. Replicas run it side by side: each
batch claims its matches with SKIP LOCKED, and the check-ins' unique key keeps every
announcement to one (``service/checkins.py``). The runtime's supervisor runs
``run_periodically`` and restarts it if it raises.
"""

from __future__ import annotations

import asyncio
import logging

from tandem_common.runtime.tasks import succeeded
from tandem_engagement.domain.matches import CheckinSchedule
from tandem_engagement.service.checkins import Announced, AnnounceDueCheckins, announce_due_checkins
from tandem_engagement.service.clock import Clock, utc_now
from tandem_engagement.service.unit_of_work import EngagementUnitOfWorkFactory

log = logging.getLogger(__name__)


class CheckinJob:
    def __init__(
        self,
        unit_of_work: EngagementUnitOfWorkFactory,
        *,
        source: str,
        batch_size: int,
        defaults: CheckinSchedule,
        clock: Clock = utc_now,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._source = source
        self._batch_size = batch_size
        self._defaults = defaults
        self._clock = clock

    async def run_once(self) -> Announced:
        matches = announced = 0
        while True:
            now = self._clock()
            async with self._unit_of_work() as uow:
                done = await announce_due_checkins(
                    uow,
                    AnnounceDueCheckins(now.date(), now, self._batch_size),
                    defaults=self._defaults,
                    source=self._source,
                )
                await uow.commit()
            matches += done.matches
            announced += done.checkins
            if done.matches < self._batch_size:
                break
        if announced:
            log.info("check-ins announced", extra={"matches": matches, "checkins": announced})
        return Announced(matches, announced)

    async def run_periodically(self, interval_seconds: float) -> None:
        while True:
            await self.run_once()
            # A good run resets the supervisor's failure count.
            succeeded()
            await asyncio.sleep(interval_seconds)
