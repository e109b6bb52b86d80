"""The periodic jobs: erasure and HR log compaction.

Like the consumer and the HTTP handlers, a job opens a unit of work, calls a use case
and commits, one transaction per batch so that none holds its locks for long. The
runtime's supervisor runs ``run_periodically`` and restarts it if it raises.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tandem_common.runtime.tasks import succeeded
from tandem_profiles.domain.erasure import erasure_cutoff
from tandem_profiles.service.erasure import EraseDueProfiles, erase_due_profiles
from tandem_profiles.service.hr_log_compaction import CompactHrLog, compact_hr_log
from tandem_profiles.service.queries import compaction_candidates
from tandem_profiles.service.unit_of_work import ProfilesUnitOfWorkFactory

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class ErasureJob:
    def __init__(
        self,
        unit_of_work: ProfilesUnitOfWorkFactory,
        *,
        source: str,
        retention_days: int,
        clock: Clock = system_clock,
        batch_size: int = 200,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._source = source
        self._retention_days = retention_days
        self._clock = clock
        self._batch_size = batch_size

    def cutoff(self) -> date:
        return erasure_cutoff(self._clock().date(), self._retention_days)

    async def run_once(self) -> int:
        """Erase every employee now due, in batches; returns how many were erased."""
        total = 0
        while True:
            command = EraseDueProfiles(self._clock(), self._retention_days, self._batch_size)
            async with self._unit_of_work() as uow:
                erased = await erase_due_profiles(uow, command, source=self._source)
                await uow.commit()
            if erased:
                log.info("erased personal data", extra={"employees": erased})
            total += erased
            if erased < self._batch_size:
                return total

    async def run_periodically(self, interval_seconds: float) -> None:
        while True:
            await self.run_once()
            # A good run resets the supervisor's failure count, so a failure weeks
            # later is retried after the shortest pause again.
            succeeded()
            await asyncio.sleep(interval_seconds)


@dataclass(frozen=True, slots=True)
class CompactionReport:
    employees: int = 0
    events: int = 0
    transactions: int = 0


class HrLogCompactionJob:
    def __init__(
        self,
        unit_of_work: ProfilesUnitOfWorkFactory,
        *,
        window_days: int,
        min_events: int,
        batch_events: int,
        page_size: int,
        time_slice_seconds: float = 0.01,
        clock: Clock = system_clock,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._window_days = window_days
        self._min_events = min_events
        self._batch_events = batch_events
        self._page_size = page_size
        self._time_slice_seconds = time_slice_seconds
        self._clock = clock

    def horizon(self) -> date:
        """Events dated before this day are compacted."""
        return self._clock().date() - timedelta(days=self._window_days)

    async def run_once(self) -> CompactionReport:
        horizon = self.horizon()
        employees = events = transactions = 0
        after: str | None = None
        while True:
            async with self._unit_of_work() as uow:
                candidates = await compaction_candidates(
                    uow, dated_before=horizon, min_events=self._min_events, after=after, limit=self._page_size
                )
            for employee_id in candidates:
                folded_for_employee = 0
                while True:
                    folded = await self._compact_batch(CompactHrLog(employee_id, horizon, self._batch_events))
                    if folded == 0:
                        break
                    folded_for_employee += folded
                    transactions += 1
                    if folded < self._batch_events:
                        break
                if folded_for_employee:
                    employees += 1
                    events += folded_for_employee
            if len(candidates) < self._page_size:
                break
            after = candidates[-1]
        if events:
            log.info("compacted the HR log", extra={"employees": employees, "events": events})
        return CompactionReport(employees, events, transactions)

    async def _compact_batch(self, command: CompactHrLog) -> int:
        async with self._unit_of_work() as uow:
            folded = await compact_hr_log(uow, command, time_slice_seconds=self._time_slice_seconds)
            await uow.commit()
        return folded

    async def run_periodically(self, interval_seconds: float) -> None:
        while True:
            await self.run_once()
            # A good run resets the supervisor's failure count (as erasure does).
            succeeded()
            await asyncio.sleep(interval_seconds)
