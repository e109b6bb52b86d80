"""Compaction of the HR event log: old events are folded into a snapshot and deleted.

Without it ``hr_events`` grows forever, and so does the replay an out-of-order event
costs. For each employee with many events dated before the replay window, the events
in replay order up to the window are folded onto the employee's log snapshot (the
record, and the order key of the last event folded in), and deleted, a bounded number
per transaction. What a late event dated before a snapshot does is documented in
``domain/employee.py``.

It runs as a periodic background job rather than inside the consumer's transaction:
ingestion no longer reads the log for events that arrive in order, so a long log does
not slow it down, and folding thousands of old events would hold the employee's lock
and lengthen the batch's transaction for nothing the batch needs. It takes the same
per-employee locks as ingestion, so the two never interleave on one employee.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import takewhile

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.runtime.tasks import succeeded
from tandem_profiles.adapters.employee_repository import EmployeeRepository
from tandem_profiles.adapters.hr_log_repository import HrLogRepository
from tandem_profiles.domain.employee import EMPTY_FOLD, step
from tandem_profiles.service.time_slice import TimeSlice

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CompactionReport:
    employees: int = 0
    events: int = 0
    transactions: int = 0


class HrLogCompaction:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
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
                candidates = await HrLogRepository(uow.session).compaction_candidates(
                    dated_before=horizon, min_events=self._min_events, after=after, limit=self._page_size
                )
            for employee_id in candidates:
                folded_for_employee = 0
                while True:
                    folded = await self._compact_batch(employee_id, horizon)
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

    async def _compact_batch(self, employee_id: str, horizon: date) -> int:
        """Fold and delete up to one batch of the employee's old events; how many."""
        pace = TimeSlice(self._time_slice_seconds)
        async with self._unit_of_work() as uow:
            employees = EmployeeRepository(uow.session)
            hr_log = HrLogRepository(uow.session)
            await employees.lock_employees([employee_id])
            if employee_id not in await employees.load([employee_id], for_update=True):
                return 0
            start = (await hr_log.load_snapshots([employee_id])).get(employee_id, EMPTY_FOLD)
            first = await hr_log.first_events(employee_id, self._batch_events)
            folding = list(takewhile(lambda event: event.effective_date < horizon, first))
            fold = start
            for event in folding:
                fold = step(employee_id, fold, event)
                await pace.pause_if_due()
            if not folding or fold.record is None:
                # Nothing old enough, or not hired yet at the horizon: the events before
                # a hire stay in the log, where a late hire can still sort before them.
                return 0
            await hr_log.save_snapshot(employee_id, fold.as_snapshot(), len(folding))
            await hr_log.delete_events([event.arrival for event in folding])
            await uow.commit()
        return len(folding)

    async def run_periodically(self, interval_seconds: float) -> None:
        while True:
            await self.run_once()
            # A good run resets the supervisor's failure count (as erasure does).
            succeeded()
            await asyncio.sleep(interval_seconds)
