"""The periodic lifecycle job: proposals nobody answered lapse, matches whose
duration ran out complete.

Like the consumer and the HTTP handlers, the job opens a unit of work, calls a use
case and commits, one transaction per batch so that none holds its locks for long.
The runtime's supervisor runs ``run_periodically`` and restarts it if it raises.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from tandem_common.runtime.tasks import succeeded
from tandem_matching.service.clock import Clock, utc_now
from tandem_matching.service.matches import (
    CompleteDueMatches,
    ExpireProposals,
    complete_due_matches,
    expire_proposals,
)
from tandem_matching.service.unit_of_work import MatchingUnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LifecycleReport:
    expired: int = 0
    completed: int = 0


class MatchLifecycleJob:
    def __init__(
        self,
        unit_of_work: MatchingUnitOfWorkFactory,
        *,
        source: str,
        batch_size: int,
        clock: Clock = utc_now,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._source = source
        self._batch_size = batch_size
        self._clock = clock

    async def run_once(self) -> LifecycleReport:
        expired = completed = 0
        while True:
            async with self._unit_of_work() as uow:
                done = await expire_proposals(
                    uow, ExpireProposals(self._clock(), self._batch_size), source=self._source
                )
                await uow.commit()
            expired += done
            if done < self._batch_size:
                break
        while True:
            now = self._clock()
            async with self._unit_of_work() as uow:
                done = await complete_due_matches(
                    uow, CompleteDueMatches(now.date(), self._batch_size), now=now, source=self._source
                )
                await uow.commit()
            completed += done
            if done < self._batch_size:
                break
        if expired or completed:
            log.info("match lifecycle", extra={"expired": expired, "completed": completed})
        return LifecycleReport(expired, completed)

    async def run_periodically(self, interval_seconds: float) -> None:
        while True:
            await self.run_once()
            # A good run resets the supervisor's failure count.
            succeeded()
            await asyncio.sleep(interval_seconds)
