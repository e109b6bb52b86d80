"""Erasure of departed employees' personal data after the retention period: one batch.

The periodic job (``entrypoints/jobs.py``) runs this in a unit of work per batch and
commits each; the rule of who is due is ``domain.erasure.due_for_erasure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tandem_common.outbox.writer import OutgoingEvent
from tandem_profiles.domain.erasure import (
    due_for_erasure,
    erase,
    erase_profile,
    erasure_cutoff,
    purge_event_data,
)
from tandem_profiles.service.snapshots import erased_event, snapshot_id
from tandem_profiles.service.unit_of_work import ProfilesUnitOfWork


@dataclass(frozen=True, slots=True)
class EraseDueProfiles:
    now: datetime
    retention_days: int
    # At most this many profiles per transaction, so each holds its locks briefly.
    limit: int


async def erase_due_profiles(uow: ProfilesUnitOfWork, command: EraseDueProfiles, *, source: str) -> int:
    """Erase up to ``limit`` due profiles; returns how many (fewer: none is left due).

    Each erased profile loses its personal data in its row, its HR log and the outbox
    rows already sent, and publishes ``tandem.profile.erased.v1``.
    """
    today = command.now.date()
    candidates = await uow.employees.erasure_candidates(
        erasure_cutoff(today, command.retention_days), command.limit
    )
    outgoing: list[OutgoingEvent] = []
    for stored in candidates:
        if not due_for_erasure(stored, today, command.retention_days):
            continue
        after = erase_profile(stored)
        employee_id = stored.record.employee_id
        await uow.employees.save_erased(after, command.now)
        await uow.hr_log.redact(employee_id, purge_event_data, erase)
        await uow.outbox.redact_sent(employee_id)
        outgoing.append(
            OutgoingEvent(data=erased_event(after), source=source, id=snapshot_id(after), subject=employee_id)
        )
    await uow.publish(outgoing)
    return len(outgoing)
