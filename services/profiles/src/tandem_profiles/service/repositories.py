"""What the use cases need from storage: one protocol per repository.

``adapters/`` implements them with SQL (``EmployeeRepository``, ``HrLogRepository``),
``tests/fakes/profiles.py`` in memory, and the suites in ``tests/contract/`` hold both
to the same behaviour. Every method runs inside the unit of work's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from tandem_profiles.domain.employee import EmployeeRecord, Fold, HrEvent, HrLogEntry, OrderKey
from tandem_profiles.domain.profile import StoredEmployee


class Employees(Protocol):
    """The employees' profiles, one row per employee."""

    async def lock_employees(self, employee_ids: Iterable[str]) -> None:
        """Serialise this transaction with every other writer of these employees, stored or not."""
        ...

    async def load(
        self, employee_ids: Iterable[str], *, for_update: bool = False
    ) -> dict[str, StoredEmployee]:
        """The stored profiles among ``employee_ids``; ``for_update`` locks them until commit."""
        ...

    async def save(self, stored: Sequence[StoredEmployee]) -> None:
        """Insert or replace each profile (as not erased: only ``save_erased`` erases)."""
        ...

    async def advance_positions(self, positions: Mapping[str, OrderKey]) -> None:
        """Move the HR log position of stored profiles, and nothing else of them."""
        ...

    async def save_erased(self, stored: StoredEmployee, erased_at: datetime) -> None:
        """Replace a stored profile with its erased version."""
        ...

    async def erasure_candidates(self, cutoff: date, limit: int) -> list[StoredEmployee]:
        """Up to ``limit`` departed, not erased profiles that exited on or before ``cutoff``,
        by id, locked; rows another transaction holds are skipped."""
        ...

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
        """Up to ``limit`` profiles that are not erased, by id after ``after``, matching
        every filter given (``skill``: among the skills offered)."""
        ...


class HrLog(Protocol):
    """Every HR event applied, per employee, and the compacted snapshot of old ones."""

    async def reserve_seqs(self, count: int) -> list[int]:
        """``count`` new log sequence numbers, rising, above every one handed out before."""
        ...

    async def append(self, entries: Sequence[HrLogEntry]) -> None: ...

    async def load_events(self, employee_ids: Iterable[str]) -> dict[str, list[HrEvent]]:
        """Every logged event of each employee (an empty list for none), in no set order."""
        ...

    async def load_snapshots(self, employee_ids: Iterable[str]) -> dict[str, Fold]:
        """The compacted snapshot of each of these employees that has one."""
        ...

    async def compaction_candidates(
        self, *, dated_before: date, min_events: int, after: str | None, limit: int
    ) -> list[str]:
        """Stored employees with at least ``min_events`` events dated before a day, by id."""
        ...

    async def first_events(self, employee_id: str, limit: int) -> list[HrEvent]:
        """The employee's first ``limit`` logged events in replay order."""
        ...

    async def save_snapshot(self, employee_id: str, snapshot: Fold, folded: int) -> None:
        """Make ``snapshot`` the compacted part of the log; ``folded`` events joined it."""
        ...

    async def delete_events(self, seqs: Sequence[int]) -> int: ...

    async def redact(
        self,
        employee_id: str,
        event_data: Callable[[dict[str, Any]], dict[str, Any]],
        record: Callable[[EmployeeRecord], EmployeeRecord],
    ) -> None:
        """Rewrite the employee's logged events with ``event_data`` and their snapshot's
        record with ``record`` (erasure passes what it keeps)."""
        ...
