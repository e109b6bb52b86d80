"""Compaction of the HR event log: old events are folded into a snapshot and deleted.

Without it ``hr_events`` grows forever, and so does the replay an out-of-order event
costs. For each employee with many events dated before the replay window, the events
in replay order up to the window are folded onto the employee's log snapshot (the
record, and the order key of the last event folded in), and deleted, a bounded number
per transaction. What a late event dated before a snapshot does is documented in
``domain/employee.py``.

It runs as a periodic background job (``entrypoints/jobs.py``) rather than inside the
consumer's transaction: ingestion no longer reads the log for events that arrive in
order, so a long log does not slow it down, and folding thousands of old events would
hold the employee's lock and lengthen the batch's transaction for nothing the batch
needs. It takes the same per-employee locks as ingestion, so the two never interleave
on one employee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import takewhile

from tandem_profiles.domain.employee import EMPTY_FOLD, step
from tandem_profiles.service.time_slice import TimeSlice
from tandem_profiles.service.unit_of_work import ProfilesUnitOfWork


@dataclass(frozen=True, slots=True)
class CompactHrLog:
    employee_id: str
    # Events dated before this day are folded.
    horizon: date
    # At most this many events per transaction.
    max_events: int


async def compact_hr_log(
    uow: ProfilesUnitOfWork, command: CompactHrLog, *, time_slice_seconds: float = 0.01
) -> int:
    """Fold and delete up to ``max_events`` of the employee's old events; returns how many."""
    pace = TimeSlice(time_slice_seconds)
    employee_id = command.employee_id
    await uow.employees.lock_employees([employee_id])
    if employee_id not in await uow.employees.load([employee_id], for_update=True):
        return 0
    start = (await uow.hr_log.load_snapshots([employee_id])).get(employee_id, EMPTY_FOLD)
    first = await uow.hr_log.first_events(employee_id, command.max_events)
    folding = list(takewhile(lambda event: event.effective_date < command.horizon, first))
    fold = start
    for event in folding:
        fold = step(employee_id, fold, event)
        await pace.pause_if_due()
    if not folding or fold.record is None:
        # Nothing old enough, or not hired yet at the horizon: the events before a hire
        # stay in the log, where a late hire can still sort before them.
        return 0
    await uow.hr_log.save_snapshot(employee_id, fold.as_snapshot(), len(folding))
    await uow.hr_log.delete_events([event.arrival for event in folding])
    return len(folding)
