"""Applies a batch of HR events: one transaction, bulk reads and bulk writes.

``ingest_hr_events`` is the HR consumer's handler: the consumer opens the unit of work,
claims the batch's inbox rows, calls it and commits both together.

Every event is logged, and every change of an employee's record publishes exactly one
snapshot with the next version. Duplicates never get here (the inbox filtered them)
and a no-op change publishes nothing.

The record is the fold of the employee's log in effective order (``domain/employee``),
but it is not replayed from the whole log for every event. Each employee row stores
where in the log its record is folded to (``hr_position``); an event that sorts after
that position, as nearly every event does, is stepped onto the record alone, and
publishes its own snapshot. Only an employee with an event sorting earlier (or with no
known position yet) has their log loaded, and then it is replayed once for the batch:
the events of the batch from the first out-of-order one on are folded in together and
publish at most one snapshot. The cost of a batch is linear in its size, plus the log
length of those employees only.

The batch first locks its employees, new ones included, so two consumers holding
events of one employee (during a rebalance) apply them one after the other. The
CPU-bound parts run in slices (``TimeSlice``), so a batch of thousands of events, or a
replay of a long log, never holds the event loop for long.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from tandem_common.events.hr import EmployeeChangedV1, EmployeeExitedV1, EmployeeHiredV1
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.outbox.writer import OutgoingEvent
from tandem_profiles.domain.employee import (
    EMPTY_FOLD,
    EventKind,
    Fold,
    HrEvent,
    HrLogEntry,
    OrderKey,
    replay_order,
    snapshot_kind,
    step,
)
from tandem_profiles.domain.erasure import purge_event_data
from tandem_profiles.domain.mentoring import EMPTY_MENTORING_PROFILE
from tandem_profiles.domain.profile import StoredEmployee
from tandem_profiles.service.snapshots import snapshot_event, snapshot_id
from tandem_profiles.service.time_slice import TimeSlice
from tandem_profiles.service.unit_of_work import ProfilesUnitOfWork

# Log rows and outbox rows are written in chunks of this many: building a chunk's COPY
# records takes a few milliseconds, a whole batch's could hold the loop for a slice.
_WRITE_CHUNK = 500


@dataclass(slots=True)
class _Incoming:
    received: ReceivedEvent
    event: HrEvent
    entry: HrLogEntry


def _incoming(received: ReceivedEvent, seq: int) -> _Incoming:
    data = received.data
    kind: EventKind
    if isinstance(data, EmployeeHiredV1):
        kind, effective = "hired", data.hire_date
        # Only the fields the event set: a corrective hire that leaves a field out
        # keeps its value, while an explicit null (manager_id, birth_year) clears it.
        payload = data.model_dump(mode="json", exclude_unset=True)
    elif isinstance(data, EmployeeChangedV1):
        kind, effective = "changed", data.effective_date
        payload = {**data.model_dump(mode="json"), "changes": data.changes.present()}
    elif isinstance(data, EmployeeExitedV1):
        kind, effective = "exited", data.exit_date
        payload = data.model_dump(mode="json")
    else:  # pragma: no cover - the registry only admits the three types
        raise TypeError(f"not an HR event: {type(data).__name__}")
    entry = HrLogEntry(
        seq=seq,
        employee_id=payload["employee_id"],
        ce_source=received.envelope.source,
        ce_id=received.envelope.id,
        kind=kind,
        effective_date=effective,
        ce_time=received.envelope.time,
        data=payload,
    )
    return _Incoming(received, entry.event(), entry)


def _log_end(start: Fold, logged: Sequence[HrEvent]) -> OrderKey | None:
    """The order key a fold of ``start`` and ``logged`` ends at."""
    keys = [event.order for event in logged]
    if start.last is not None:
        keys.append(start.last)
    return max(keys, default=None)


def _in_order(last: OrderKey | None, items: Sequence[_Incoming]) -> bool:
    """Whether every event of ``items``, in arrival order, sorts after all before it."""
    for item in items:
        if last is not None and item.event.order <= last:
            return False
        last = item.event.order
    return True


@dataclass
class _Batch:
    """What one batch has decided so far: the current rows, and what to write."""

    source: str
    pace: TimeSlice
    current: dict[str, StoredEmployee]
    changed: dict[str, StoredEmployee] = field(default_factory=dict)
    positions: dict[str, OrderKey] = field(default_factory=dict)
    outgoing: list[OutgoingEvent] = field(default_factory=list)

    async def apply(
        self,
        employee_id: str,
        items: Sequence[_Incoming],
        head: Fold | None,
        start: Fold,
        logged: Sequence[HrEvent],
    ) -> None:
        """Fold the batch's events of one employee in, publishing what they change.

        ``head`` is the stored record and its position, if known; ``start`` and
        ``logged`` (the compacted snapshot and the logged events) are only loaded for
        an employee who needs a replay.
        """
        if head is None and not logged:
            head = start  # nothing logged after the snapshot, if any: a new employee, mostly
        if head is None:
            if not _in_order(_log_end(start, logged), items):
                # One replay of the log with every event of the batch.
                fold = await self.fold(employee_id, start, [*logged, *(i.event for i in items)])
                self.settle(employee_id, fold, items)
                self.finish(employee_id, fold)
                return
            head = await self.fold(employee_id, start, logged)
        fold = head
        for index, item in enumerate(items):
            if not fold.follows(item.event):
                # Out of order: one replay of the log with the rest of the batch (the
                # events stepped on before it are in the replay too, in their place).
                fold = await self.fold(employee_id, start, [*logged, *(i.event for i in items)])
                self.settle(employee_id, fold, items[index:])
                break
            fold = step(employee_id, fold, item.event)
            self.settle(employee_id, fold, [item])
            if self.pace.due():
                await self.pace.pause()
        self.finish(employee_id, fold)

    async def fold(self, employee_id: str, start: Fold, events: Sequence[HrEvent]) -> Fold:
        """``start`` with ``events`` folded in, in replay order: the full replay."""
        fold = start
        for event in replay_order(events):
            fold = step(employee_id, fold, event)
            if self.pace.due():
                await self.pace.pause()
        return fold

    def settle(self, employee_id: str, fold: Fold, items: Sequence[_Incoming]) -> None:
        """Publish the record of ``fold`` if ``items`` changed it (one snapshot)."""
        record = fold.record
        if record is None:
            return  # held until the employee is hired
        before = self.current.get(employee_id)
        if before is not None:
            if before.erased and record.employment == before.record.employment:
                # An erased employment stays erased, and a late event about it is
                # logged without its personal data.
                for item in items:
                    item.entry.data = purge_event_data(item.entry.data)
                return
            if not before.erased and before.record == record:
                return  # a no-op change
        after = StoredEmployee(
            record=record,
            version=(before.version if before else 0) + 1,
            mentoring=before.mentoring if before and not before.erased else EMPTY_MENTORING_PROFILE,
            hr_position=fold.last,
        )
        kind = snapshot_kind(None if before is None else before.record, record)
        self.current[employee_id] = after
        self.changed[employee_id] = after
        self.outgoing.append(
            items[-1].received.follow_up(
                snapshot_event(kind, after), source=self.source, event_id=snapshot_id(after)
            )
        )

    def finish(self, employee_id: str, fold: Fold) -> None:
        """Remember how far the employee's record is folded, changed or not."""
        if fold.last is None:
            return
        changed = self.changed.get(employee_id)
        if changed is not None:
            if changed.hr_position != fold.last:  # no-op events followed the last change
                self.changed[employee_id] = replace(changed, hr_position=fold.last)
        elif employee_id in self.current:
            self.positions[employee_id] = fold.last


async def ingest_hr_events(
    uow: ProfilesUnitOfWork,
    events: Sequence[ReceivedEvent],
    *,
    source: str,
    time_slice_seconds: float = 0.01,
) -> None:
    """Apply one batch of HR events (new ones: the consumer's inbox dropped duplicates).

    ``source`` is this service's CloudEvents source, for the snapshots it publishes.
    """
    pace = TimeSlice(time_slice_seconds)
    employee_ids = {event.data.key() for event in events}
    # The lock comes first: it also orders the sequence numbers taken below after
    # those of any earlier transaction about the same employees.
    await uow.employees.lock_employees(employee_ids)
    current = await uow.employees.load(employee_ids, for_update=True)
    seqs = await uow.hr_log.reserve_seqs(len(events))
    incoming: dict[str, list[_Incoming]] = {}
    for received, seq in zip(events, seqs, strict=True):
        item = _incoming(received, seq)
        incoming.setdefault(item.entry.employee_id, []).append(item)
        if pace.due():
            await pace.pause()

    heads = {
        employee_id: Fold(record=stored.record, last=stored.hr_position)
        for employee_id, stored in current.items()
        if stored.hr_position is not None
    }
    to_replay = [
        employee_id
        for employee_id, items in incoming.items()
        if employee_id not in heads or not _in_order(heads[employee_id].last, items)
    ]
    snapshots = await uow.hr_log.load_snapshots(to_replay)
    logs = await uow.hr_log.load_events(to_replay)

    batch = _Batch(source, pace, current)
    for employee_id, items in incoming.items():
        await batch.apply(
            employee_id,
            items,
            heads.get(employee_id),
            snapshots.get(employee_id, EMPTY_FOLD),
            logs.get(employee_id, []),
        )

    entries = [item.entry for items in incoming.values() for item in items]
    for start in range(0, len(entries), _WRITE_CHUNK):
        await uow.hr_log.append(entries[start : start + _WRITE_CHUNK])
    await uow.employees.save(list(batch.changed.values()))
    await uow.employees.advance_positions(batch.positions)
    for start in range(0, len(batch.outgoing), _WRITE_CHUNK):
        await uow.publish(batch.outgoing[start : start + _WRITE_CHUNK])
