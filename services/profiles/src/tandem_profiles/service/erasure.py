"""The periodic erasure of departed employees' personal data after the retention period."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.outbox.writer import OutgoingEvent, publish_many_later
from tandem_common.runtime.tasks import succeeded
from tandem_profiles.adapters.employee_repository import EmployeeRepository
from tandem_profiles.domain.erasure import erase, erasure_cutoff, purge_event_data
from tandem_profiles.domain.mentoring import EMPTY_MENTORING_PROFILE
from tandem_profiles.service.snapshots import erased_event, snapshot_id

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class Erasure:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
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
            erased = await self._erase_batch()
            total += erased
            if erased < self._batch_size:
                return total

    async def _erase_batch(self) -> int:
        async with self._unit_of_work() as uow:
            repository = EmployeeRepository(uow.session)
            due = await repository.due_for_erasure(self.cutoff(), self._batch_size)
            outgoing = []
            for stored in due:
                after = replace(
                    stored,
                    record=erase(stored.record),
                    mentoring=EMPTY_MENTORING_PROFILE,
                    version=stored.version + 1,
                    erased=True,
                )
                await repository.save_erased(after, self._clock())
                await repository.purge_event_log(stored.record.employee_id, purge_event_data)
                await repository.purge_outbox_payloads(stored.record.employee_id)
                outgoing.append(
                    OutgoingEvent(
                        data=erased_event(after),
                        source=self._source,
                        id=snapshot_id(after),
                        subject=stored.record.employee_id,
                    )
                )
            await publish_many_later(uow.session, outgoing)
            await uow.commit()
        if due:
            log.info("erased personal data", extra={"employees": len(due)})
        return len(due)

    async def run_periodically(self, interval_seconds: float) -> None:
        while True:
            await self.run_once()
            # A good run resets the supervisor's failure count, so a failure weeks
            # later is retried after the shortest pause again.
            succeeded()
            await asyncio.sleep(interval_seconds)
