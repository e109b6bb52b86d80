"""The profiles repositories and unit of work in memory.

They behave as ``adapters/`` does on PostgreSQL, down to what a round trip keeps: the
suites in ``tests/contract/`` run against both. Locks are not modelled (one test runs
one transaction at a time).
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, ClassVar

import orjson

from tandem_profiles.domain.employee import EmployeeRecord, Fold, HrEvent, HrLogEntry, OrderKey
from tandem_profiles.domain.profile import StoredEmployee
from tandem_profiles.service.unit_of_work import ProfilesUnitOfWork
from tests.fakes.unit_of_work import FakeDatabase, FakeUnitOfWork


class FakeSequence:
    """Like a PostgreSQL sequence: a number handed out stays used, whatever rolls back."""

    def __init__(self) -> None:
        self._next = 1

    def take(self, count: int) -> list[int]:
        taken = list(range(self._next, self._next + count))
        self._next += count
        return taken

    def __deepcopy__(self, memo: dict[int, Any]) -> FakeSequence:
        return self


@dataclass
class LogSnapshot:
    fold: Fold
    events_folded: int


@dataclass
class FakeProfilesDatabase(FakeDatabase):
    employees: dict[str, StoredEmployee] = field(default_factory=dict)
    erased_at: dict[str, datetime] = field(default_factory=dict)
    hr_events: dict[int, HrLogEntry] = field(default_factory=dict)
    log_snapshots: dict[str, LogSnapshot] = field(default_factory=dict)
    hr_seqs: FakeSequence = field(default_factory=FakeSequence)


class FakeEmployeeRepository:
    def __init__(self, database: FakeProfilesDatabase) -> None:
        self._db = database
        # Which employees this transaction locked, in the order it locked them.
        self.locked: list[str] = []

    async def lock_employees(self, employee_ids: Iterable[str]) -> None:
        self.locked.extend(sorted(set(employee_ids)))

    async def load(
        self, employee_ids: Iterable[str], *, for_update: bool = False
    ) -> dict[str, StoredEmployee]:
        employees = self._db.employees
        return {i: employees[i] for i in sorted(set(employee_ids)) if i in employees}

    async def save(self, stored: Sequence[StoredEmployee]) -> None:
        for item in stored:
            employee_id = item.record.employee_id
            # As the upsert does: a saved profile is not erased.
            self._db.employees[employee_id] = replace(item, erased=False)
            self._db.erased_at.pop(employee_id, None)

    async def advance_positions(self, positions: Mapping[str, OrderKey]) -> None:
        for employee_id, position in positions.items():
            if employee_id in self._db.employees:
                self._db.employees[employee_id] = replace(
                    self._db.employees[employee_id], hr_position=position
                )

    async def save_erased(self, stored: StoredEmployee, erased_at: datetime) -> None:
        employee_id = stored.record.employee_id
        if employee_id in self._db.employees:
            self._db.employees[employee_id] = replace(stored, erased=True)
            self._db.erased_at[employee_id] = erased_at

    async def erasure_candidates(self, cutoff: date, limit: int) -> list[StoredEmployee]:
        due = [
            stored
            for _, stored in sorted(self._db.employees.items())
            if stored.record.status == "departed"
            and not stored.erased
            and stored.record.exit_date is not None
            and stored.record.exit_date <= cutoff
        ]
        return due[:limit]

    async def page(
        self,
        *,
        after: str | None,
        limit: int,
        department: str | None = None,
        country: str | None = None,
        status: str | None = None,
        skill: str | None = None,
    ) -> list[StoredEmployee]:
        def matches(stored: StoredEmployee) -> bool:
            record = stored.record
            return (
                not stored.erased
                and (after is None or record.employee_id > after)
                and (department is None or record.department == department)
                and (country is None or (record.location or {}).get("country") == country)
                and (status is None or record.status == status)
                and (skill is None or any(s.skill == skill for s in stored.mentoring.skills_offered))
            )

        found = [stored for _, stored in sorted(self._db.employees.items()) if matches(stored)]
        return found[:limit]


class FakeHrLogRepository:
    def __init__(self, database: FakeProfilesDatabase) -> None:
        self._db = database

    async def reserve_seqs(self, count: int) -> list[int]:
        return self._db.hr_seqs.take(count) if count > 0 else []

    async def append(self, entries: Sequence[HrLogEntry]) -> None:
        for entry in entries:
            # Stored as JSON is: a copy, so later changes to the entry do not reach the log.
            self._db.hr_events[entry.seq] = replace(entry, data=orjson.loads(orjson.dumps(entry.data)))

    async def load_events(self, employee_ids: Iterable[str]) -> dict[str, list[HrEvent]]:
        found: dict[str, list[HrEvent]] = {i: [] for i in sorted(set(employee_ids))}
        for entry in self._db.hr_events.values():
            if entry.employee_id in found:
                found[entry.employee_id].append(copy.deepcopy(entry).event())
        return found

    async def load_snapshots(self, employee_ids: Iterable[str]) -> dict[str, Fold]:
        snapshots = self._db.log_snapshots
        return {i: snapshots[i].fold for i in sorted(set(employee_ids)) if i in snapshots}

    async def compaction_candidates(
        self, *, dated_before: date, min_events: int, after: str | None, limit: int
    ) -> list[str]:
        old = Counter(
            entry.employee_id
            for entry in self._db.hr_events.values()
            if entry.effective_date < dated_before and entry.employee_id in self._db.employees
        )
        found = sorted(i for i, count in old.items() if count >= min_events and (after is None or i > after))
        return found[:limit]

    async def first_events(self, employee_id: str, limit: int) -> list[HrEvent]:
        events = [entry.event() for entry in self._db.hr_events.values() if entry.employee_id == employee_id]
        return sorted(events, key=lambda event: event.order)[:limit]

    async def save_snapshot(self, employee_id: str, snapshot: Fold, folded: int) -> None:
        if snapshot.record is None or snapshot.last is None:
            raise ValueError("a log snapshot holds a hired employee's record")
        before = self._db.log_snapshots.get(employee_id)
        # What the row keeps: the record and its position, not the held changes.
        fold = Fold(record=snapshot.record, last=snapshot.last).as_snapshot()
        self._db.log_snapshots[employee_id] = LogSnapshot(
            fold, folded + (before.events_folded if before else 0)
        )

    async def delete_events(self, seqs: Sequence[int]) -> int:
        return sum(self._db.hr_events.pop(seq, None) is not None for seq in set(seqs))

    async def redact(
        self,
        employee_id: str,
        event_data: Callable[[dict[str, Any]], dict[str, Any]],
        record: Callable[[EmployeeRecord], EmployeeRecord],
    ) -> None:
        for entry in self._db.hr_events.values():
            if entry.employee_id == employee_id:
                entry.data = event_data(entry.data)
        snapshot = self._db.log_snapshots.get(employee_id)
        if snapshot is not None and snapshot.fold.record is not None:
            snapshot.fold = replace(snapshot.fold, record=record(snapshot.fold.record))


class FakeProfilesUnitOfWork(FakeUnitOfWork, ProfilesUnitOfWork):
    database_class: ClassVar[type[FakeDatabase]] = FakeProfilesDatabase
    database: FakeProfilesDatabase

    def _bind(self, working: FakeDatabase) -> None:
        assert isinstance(working, FakeProfilesDatabase)
        super()._bind(working)
        self.employees = FakeEmployeeRepository(working)
        self.hr_log = FakeHrLogRepository(working)
