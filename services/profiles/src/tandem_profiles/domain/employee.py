"""An employee's HR record as the fold of their HR events in effective order.

HR systems deliver events late, twice and out of order. The record is therefore not
updated in arrival order: it is the fold of every event known for the employee,
sorted by effective date (``hire_date``, ``effective_date``, ``exit_date``), then by
``ce_time``, then by arrival. This gives the contract's promises directly:

- a ``changed`` before its ``hired`` waits in the log and applies once the employee
  exists;
- an ``exited`` before its ``hired`` stays in the log, so the late ``hired`` (with an
  earlier date) replays before it and the employee stays departed;
- a ``hired`` dated after the last exit starts a new employment (a rehire).

The fold is incremental: :class:`Fold` is the state after a prefix of the log in
replay order, and :func:`step` adds one more event. An event that sorts after every
event already folded (almost every event) is stepped onto the current state; only an
event that sorts earlier needs the whole log folded again.

**Compaction.** Old events are folded into a snapshot and deleted, so a fold may start
from a snapshot whose ``horizon`` is the order key of the last event compacted into
it. An event that sorts at or before the horizon arrived after the events around it
were folded away, so it cannot be put in its place. Such a late event is folded first
after the snapshot, with these rules (:func:`_step_before_horizon`), which keep what
cannot be undone and let newer information win:

- an ``exited`` ends the current employment if it is dated within it, or moves an
  already recorded exit of that employment earlier;
- a ``hired`` dated after the recorded exit is a rehire;
- a ``changed``, and a ``hired`` that would correct the current employment, change
  nothing: the snapshot already holds the values set after them.

Events within the replay window (see the profiles settings) are never compacted, so
late events dated inside the window replay exactly in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

EventKind = Literal["hired", "changed", "exited"]
Status = Literal["active", "departed"]
# (effective date, ce_time, arrival): where an event sorts in an employee's log.
OrderKey = tuple[date, datetime, int]

HR_FIELDS = (
    "email",
    "display_name",
    "job_title",
    "department",
    "manager_id",
    "location",
    "timezone",
    "seniority_level",
    "languages",
)


@dataclass(frozen=True, slots=True)
class HrEvent:
    kind: EventKind
    effective_date: date
    ce_time: datetime
    arrival: int
    data: Mapping[str, Any]

    @property
    def order(self) -> OrderKey:
        return (self.effective_date, self.ce_time, self.arrival)


@dataclass(slots=True)
class HrLogEntry:
    """An HR event as the log keeps it: where it came from, and its replayable data.

    ``seq`` is its arrival in the log (the last part of its order key). Not frozen:
    an event about an erased employment is logged with its personal data stripped.
    """

    seq: int
    employee_id: str
    ce_source: str
    ce_id: str
    kind: EventKind
    effective_date: date
    ce_time: datetime
    data: dict[str, Any]

    def event(self) -> HrEvent:
        return HrEvent(self.kind, self.effective_date, self.ce_time, self.seq, self.data)


@dataclass(frozen=True, slots=True)
class EmployeeRecord:
    employee_id: str
    status: Status
    employment: int
    hire_date: date
    exit_date: date | None = None
    exit_reason: str | None = None
    email: str | None = None
    display_name: str | None = None
    job_title: str | None = None
    department: str | None = None
    manager_id: str | None = None
    location: Mapping[str, Any] | None = None
    timezone: str | None = None
    seniority_level: int | None = None
    languages: tuple[str, ...] = ()
    birth_year: int | None = None


@dataclass(frozen=True, slots=True)
class Fold:
    """The record after a prefix of an employee's log in replay order.

    ``last`` is the order key of the last event folded in (``None``: nothing yet);
    ``held`` the changes waiting for the hire; ``horizon`` the order key of the last
    event of the compacted snapshot this fold started from, if any.
    """

    record: EmployeeRecord | None = None
    held: tuple[Mapping[str, Any], ...] = ()
    last: OrderKey | None = None
    horizon: OrderKey | None = None

    def follows(self, event: HrEvent) -> bool:
        """Whether ``event`` sorts after every event folded so far (it can be stepped on)."""
        return self.last is None or event.order > self.last

    def as_snapshot(self) -> Fold:
        """This fold as a compacted snapshot: later replays start here."""
        return replace(self, horizon=self.last)


EMPTY_FOLD = Fold()


def _location(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    # An absent city and a null one are the same location.
    if value is None or None not in value.values():
        return value
    return {key: part for key, part in value.items() if part is not None}


def _with_fields(record: EmployeeRecord, values: Mapping[str, Any]) -> EmployeeRecord:
    """``record`` with every HR field present in ``values``; a present null clears it."""
    updates: dict[str, Any] = {}
    for name in HR_FIELDS:
        if name in values:
            value = values[name]
            if name == "languages":
                value = tuple(value) if value is not None else ()
            elif name == "location":
                value = _location(value)
            updates[name] = value
    return replace(record, **updates)


def _hire(employee_id: str, event: HrEvent, employment: int) -> EmployeeRecord:
    record = EmployeeRecord(
        employee_id=employee_id,
        status="active",
        employment=employment,
        hire_date=event.effective_date,
        birth_year=event.data.get("birth_year"),
    )
    return _with_fields(record, event.data)


def _depart(record: EmployeeRecord, event: HrEvent) -> EmployeeRecord:
    return replace(
        record, status="departed", exit_date=event.effective_date, exit_reason=event.data.get("reason")
    )


def _is_rehire(record: EmployeeRecord, event: HrEvent) -> bool:
    # A hire dated on or before the exit belongs to the ended employment: it must not
    # bring the employee back; a later one is a rehire.
    return (
        record.status == "departed"
        and record.exit_date is not None
        and event.effective_date > record.exit_date
    )


# What one step decides: the record, and the changes still waiting for a hire.
_Outcome = tuple[EmployeeRecord | None, tuple[Mapping[str, Any], ...]]


def _step_in_order(employee_id: str, fold: Fold, event: HrEvent) -> _Outcome:
    record, held = fold.record, fold.held
    if event.kind == "hired":
        if record is None:
            record = _hire(employee_id, event, 1)
            for changes in held:
                record = _with_fields(record, changes)
            return record, ()
        if _is_rehire(record, event):
            return _hire(employee_id, event, record.employment + 1), held
        if record.status == "active":
            # A second hire of a current employment corrects the fields it carries; a
            # field it leaves out keeps its value, an explicit null clears it.
            record = _with_fields(record, event.data)
            if "birth_year" in event.data:
                record = replace(record, birth_year=event.data["birth_year"])
    elif event.kind == "changed":
        changes = event.data.get("changes", {})
        if record is None:
            return None, (*held, changes)
        if record.status == "active":
            record = _with_fields(record, changes)
    elif event.kind == "exited" and record is not None and record.status == "active":
        record = _depart(record, event)
    return record, held


def _step_before_horizon(employee_id: str, fold: Fold, event: HrEvent) -> _Outcome:
    """A late event sorting before the compacted snapshot: the module's documented rules."""
    record = fold.record
    if record is None:
        # Compaction keeps every event of an employee not yet hired, so there is no
        # history to lose: the ordinary rule is the right one.
        return _step_in_order(employee_id, fold, event)
    if event.kind == "exited" and event.effective_date >= record.hire_date:
        if record.status == "active" or (
            record.exit_date is not None and event.effective_date < record.exit_date
        ):
            record = _depart(record, event)
    elif event.kind == "hired" and _is_rehire(record, event):
        record = _hire(employee_id, event, record.employment + 1)
    return record, fold.held


def step(employee_id: str, fold: Fold, event: HrEvent) -> Fold:
    """``fold`` with ``event`` added, ``event`` sorting after it in replay order."""
    if fold.horizon is not None and event.order <= fold.horizon:
        record, held = _step_before_horizon(employee_id, fold, event)
    else:
        record, held = _step_in_order(employee_id, fold, event)
    order = event.order
    last = order if fold.last is None or order > fold.last else fold.last
    return Fold(record, held, last, fold.horizon)


def replay_order(events: Iterable[HrEvent]) -> list[HrEvent]:
    """``events`` in effective order. After a snapshot, the late events (at or before its
    horizon) therefore come first, and take the before-horizon rules in :func:`step`."""
    return sorted(events, key=lambda e: e.order)


def fold_in_order(employee_id: str, fold: Fold, ordered: Iterable[HrEvent]) -> Fold:
    """``fold`` with ``ordered`` stepped on one by one (already in replay order)."""
    for event in ordered:
        fold = step(employee_id, fold, event)
    return fold


def replay(employee_id: str, events: Iterable[HrEvent], start: Fold = EMPTY_FOLD) -> EmployeeRecord | None:
    """The record after every event in replay order; ``None`` while never hired."""
    return fold_in_order(employee_id, start, replay_order(events)).record


SnapshotKind = Literal["registered", "updated", "departed"]


def snapshot_kind(before: EmployeeRecord | None, after: EmployeeRecord) -> SnapshotKind:
    """Which profile event announces the move from ``before`` to ``after``."""
    if before is None:
        return "registered"
    if after.status == "departed" and before.status != "departed":
        return "departed"
    return "updated"
