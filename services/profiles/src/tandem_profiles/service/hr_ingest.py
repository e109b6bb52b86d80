"""Applies a batch of HR events: one transaction, bulk reads and bulk writes.

Every event is logged; each employee touched is replayed from their whole log, and
every change of their record publishes exactly one snapshot with the next version.
Duplicates never get here (the inbox filtered them) and a no-op change publishes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.events.hr import EmployeeChangedV1, EmployeeExitedV1, EmployeeHiredV1
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.outbox.writer import OutgoingEvent, publish_many_later
from tandem_profiles.adapters.employee_repository import EmployeeRepository, StoredEmployee
from tandem_profiles.domain.employee import HrEvent, replay, snapshot_kind
from tandem_profiles.domain.erasure import purge_event_data
from tandem_profiles.domain.mentoring import EMPTY_MENTORING_PROFILE
from tandem_profiles.service.snapshots import snapshot_event, snapshot_id

# Events of this batch sort after every logged one with the same date and time,
# in arrival order, exactly as they will once logged with their sequence numbers.
_IN_BATCH_ARRIVAL = 1 << 62


def _as_hr_event(received: ReceivedEvent, arrival: int) -> tuple[HrEvent, dict[str, Any]]:
    data = received.data
    payload = data.model_dump(mode="json", exclude_unset=False)
    if isinstance(data, EmployeeHiredV1):
        kind, effective = "hired", data.hire_date
        payload = data.model_dump(mode="json", exclude_none=True)
    elif isinstance(data, EmployeeChangedV1):
        kind, effective = "changed", data.effective_date
        payload = {**payload, "changes": data.changes.present()}
    elif isinstance(data, EmployeeExitedV1):
        kind, effective = "exited", data.exit_date
    else:  # pragma: no cover - the registry only admits the three types
        raise TypeError(f"not an HR event: {type(data).__name__}")
    event = HrEvent(kind, effective, received.envelope.time, arrival, payload)  # type: ignore[arg-type]
    row = {
        "employee_id": payload["employee_id"],
        "ce_source": received.envelope.source,
        "ce_id": received.envelope.id,
        "kind": kind,
        "effective_date": effective,
        "ce_time": received.envelope.time,
        "data": payload,
    }
    return event, row


class HrIngest:
    def __init__(self, source: str) -> None:
        self._source = source

    async def __call__(self, uow: UnitOfWork, events: Sequence[ReceivedEvent]) -> None:
        repository = EmployeeRepository(uow.session)
        employee_ids = {event.data.key() for event in events}
        current = await repository.load(employee_ids, for_update=True)
        logs = await repository.load_events(employee_ids)
        log_rows: list[dict[str, Any]] = []
        changed: dict[str, StoredEmployee] = {}
        outgoing: list[OutgoingEvent] = []
        for position, received in enumerate(events):
            hr_event, row = _as_hr_event(received, _IN_BATCH_ARRIVAL + position)
            employee_id = row["employee_id"]
            log_rows.append(row)
            logs[employee_id].append(hr_event)
            before = current.get(employee_id)
            record = replay(employee_id, logs[employee_id])
            if record is None:
                continue  # held until the employee is hired
            if before is not None:
                if before.erased and record.employment == before.record.employment:
                    # An erased employment stays erased, and a late event about it
                    # is logged without its personal data.
                    row["data"] = purge_event_data(row["data"])
                    continue
                if not before.erased and before.record == record:
                    continue  # a no-op change
            after = StoredEmployee(
                record=record,
                version=(before.version if before else 0) + 1,
                mentoring=before.mentoring if before and not before.erased else EMPTY_MENTORING_PROFILE,
            )
            kind = snapshot_kind(None if before is None else before.record, record)
            current[employee_id] = after
            changed[employee_id] = after
            outgoing.append(
                received.follow_up(
                    snapshot_event(kind, after), source=self._source, event_id=snapshot_id(after)
                )
            )
        await repository.append_events(log_rows)
        await repository.save(list(changed.values()))
        await publish_many_later(uow.session, outgoing)
