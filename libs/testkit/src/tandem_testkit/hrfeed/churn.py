"""Promotions, transfers, manager changes and exits after the initial load.

The hire events describe the organisation as of the reference date (an initial load
from an HR system), so every later event falls within the year after it, and
therefore after the person's hire date. Each churned person gets one to three events
on distinct days. Events are applied in date order against the evolving organisation;
a change that would break it is replaced by another kind of change, and dropped only
when no change is possible (a department head already one level below the top):

- a promotion needs the new seniority to stay below the manager's;
- only individual contributors transfer or leave, so no one is left reporting to a
  departed manager and no team moves with its manager;
- a new manager is a manager of the right department who is more senior than the
  person, which also rules out cycles, since everyone below a person is less senior.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from tandem_testkit.hrfeed.arrays import IntArray
from tandem_testkit.hrfeed.organisation import EXECUTIVE_DEPARTMENT, Organisation
from tandem_testkit.hrfeed.reference_data import EXIT_REASONS
from tandem_testkit.hrfeed.titles import job_title

CHURN_WINDOW_DAYS = 365
MAX_EVENTS_PER_PERSON = 3
PROMOTION = "promotion"
TRANSFER = "transfer"
MANAGER_CHANGE = "manager_change"
CHANGE_KINDS = (PROMOTION, TRANSFER, MANAGER_CHANGE)
_VOLUNTARY, _INVOLUNTARY, _RETIREMENT, _OTHER = EXIT_REASONS
RETIREMENT_AGE = 60
MAX_SENIORITY_GAP = 3


@dataclass(frozen=True, slots=True)
class Change:
    row: int
    day: int  # days after the reference date
    sequence: int  # position among the person's events
    reason: str
    job_title: str | None = None
    seniority: int | None = None
    department: int | None = None
    manager: int | None = None


@dataclass(frozen=True, slots=True)
class Exit:
    row: int
    day: int
    sequence: int
    reason: str


ChurnEvent = Change | Exit


@dataclass(frozen=True, slots=True)
class _Planned:
    row: int
    day: int
    sequence: int
    kind: str  # a change reason, or "exit"
    choice: float  # uniform number for the event's random choices


def churn_count(size: int, rate: float) -> int:
    """How many people get later events: ``rate`` of everyone except the top."""
    return min(round(rate * size), size - 1)


def build_churn(organisation: Organisation, rate: float, rng: np.random.Generator) -> list[ChurnEvent]:
    count = churn_count(organisation.size, rate)
    if count <= 0:
        return []
    resolver = _Resolver(organisation)
    # People for whom no change is possible at all are passed over, so that exactly
    # ``count`` people get events whenever the organisation allows it.
    candidates = rng.permutation(np.flatnonzero(organisation.manager >= 0)).tolist()
    chosen = list(_take_changeable(candidates, resolver, count))
    plan = _plan(organisation, np.sort(np.array(chosen, dtype=np.int64)), rng)
    return resolver.resolve(plan)


def _take_changeable(candidates: list[int], resolver: _Resolver, count: int) -> Iterator[int]:
    taken = 0
    for row in candidates:
        if taken == count:
            return
        if resolver.can_change(row):
            taken += 1
            yield row


def _plan(organisation: Organisation, rows: IntArray, rng: np.random.Generator) -> list[_Planned]:
    count = rows.shape[0]
    days = np.sort(rng.integers(1, CHURN_WINDOW_DAYS + 1, size=(count, MAX_EVENTS_PER_PERSON)), 1)
    for column in range(1, MAX_EVENTS_PER_PERSON):
        days[:, column] = np.maximum(days[:, column], days[:, column - 1] + 1)
    shape_draw: list[float] = rng.random((count,)).tolist()
    exit_draw: list[float] = rng.random((count,)).tolist()
    kind_draw: list[list[float]] = rng.random((count, MAX_EVENTS_PER_PERSON)).tolist()
    choice_draw: list[list[float]] = rng.random((count, MAX_EVENTS_PER_PERSON)).tolist()
    day_rows: list[list[int]] = days.tolist()
    managers: list[bool] = organisation.is_manager[rows].tolist()
    planned: list[_Planned] = []
    for index, row in enumerate(rows.tolist()):
        leaves = not managers[index] and exit_draw[index] < 0.35
        if managers[index]:
            changes = 1 if shape_draw[index] < 0.6 else 2
        elif leaves:
            changes = 0 if shape_draw[index] < 0.5 else (1 if shape_draw[index] < 0.85 else 2)
        else:
            changes = 1 if shape_draw[index] < 0.7 else 2
        kinds = [_change_kind(float(kind_draw[index][k])) for k in range(changes)]
        if leaves:
            kinds.append("exit")
        for sequence, kind in enumerate(kinds):
            planned.append(
                _Planned(
                    row=row,
                    day=day_rows[index][sequence],
                    sequence=sequence,
                    kind=kind,
                    choice=choice_draw[index][sequence],
                )
            )
    planned.sort(key=lambda event: (event.day, event.row, event.sequence))
    return planned


def _change_kind(draw: float) -> str:
    if draw < 0.4:
        return PROMOTION
    if draw < 0.65:
        return TRANSFER
    return MANAGER_CHANGE


class _Resolver:
    """Applies planned events in date order to a mutable copy of the organisation."""

    def __init__(self, organisation: Organisation) -> None:
        self._seniority: list[int] = organisation.seniority.tolist()
        self._department: list[int] = organisation.department.tolist()
        self._manager: list[int] = organisation.manager.tolist()
        self._role: list[int] = organisation.role.tolist()
        self._is_manager: list[bool] = organisation.is_manager.tolist()
        self._age: list[int] = organisation.age.tolist()
        self._managers_by_department = _managers_by_department(organisation)
        self._departments = sorted(d for d in self._managers_by_department if d != EXECUTIVE_DEPARTMENT)

    def can_change(self, row: int) -> bool:
        """Whether some change is possible for ``row`` in the current state.

        Seniority only ever rises, so a change possible now stays possible for the
        person's first event, whatever happens to others before it.
        """
        if self._seniority[row] + 1 < self._seniority[self._manager[row]]:
            return True
        if self._pick_manager(row, self._department[row], 0.0) is not None:
            return True
        return not self._is_manager[row] and any(
            self._pick_manager(row, department, 0.0) is not None
            for department in self._departments
            if department != self._department[row]
        )

    def resolve(self, plan: Sequence[_Planned]) -> list[ChurnEvent]:
        events: list[ChurnEvent] = []
        sequence: dict[int, int] = {}
        for planned in plan:
            event = self._apply(planned, sequence.get(planned.row, 0))
            if event is not None:
                events.append(event)
                sequence[planned.row] = event.sequence + 1
        return events

    def _apply(self, planned: _Planned, sequence: int) -> ChurnEvent | None:
        """The planned event, or the first other change that is possible, or nothing."""
        row, day = planned.row, planned.day
        if planned.kind == "exit":
            return Exit(row, day, sequence, self._exit_reason(row, planned.choice))
        for kind in (planned.kind, *(k for k in CHANGE_KINDS if k != planned.kind)):
            event = self._change(kind, row, day, sequence, planned.choice)
            if event is not None:
                return event
        return None

    def _change(self, kind: str, row: int, day: int, sequence: int, choice: float) -> Change | None:
        if kind == PROMOTION:
            return self._promote(row, day, sequence)
        if kind == TRANSFER:
            if self._is_manager[row]:
                return None
            return self._transfer(row, day, sequence, choice)
        return self._change_manager(row, day, sequence, choice)

    def _promote(self, row: int, day: int, sequence: int) -> Change | None:
        seniority = self._seniority[row] + 1
        if seniority >= self._seniority[self._manager[row]]:
            return None
        self._seniority[row] = seniority
        title = self._title(row)
        return Change(row, day, sequence, PROMOTION, job_title=title, seniority=seniority)

    def _transfer(self, row: int, day: int, sequence: int, choice: float) -> Change | None:
        options = [d for d in self._departments if d != self._department[row]]
        if not options:
            return None
        scaled = choice * len(options)
        first = int(scaled)
        for offset in range(len(options)):
            department = options[(first + offset) % len(options)]
            manager = self._pick_manager(row, department, scaled - first)
            if manager is not None:
                break
        else:
            return None
        self._department[row] = department
        self._manager[row] = manager
        return Change(
            row,
            day,
            sequence,
            TRANSFER,
            job_title=self._title(row),
            department=department,
            manager=manager,
        )

    def _change_manager(self, row: int, day: int, sequence: int, choice: float) -> Change | None:
        manager = self._pick_manager(row, self._department[row], choice)
        if manager is None:
            return None
        self._manager[row] = manager
        return Change(row, day, sequence, MANAGER_CHANGE, manager=manager)

    def _pick_manager(self, row: int, department: int, choice: float) -> int | None:
        """A manager in ``department`` a little more senior than ``row``, not the current one.

        People move to a manager up to MAX_SENIORITY_GAP levels above them when the
        department has one, and to any more senior manager otherwise.
        """
        rows, levels = self._managers_by_department.get(department, ([], []))
        seniority = self._seniority[row]
        first = bisect_right(levels, seniority)
        stop = bisect_right(levels, seniority + MAX_SENIORITY_GAP)
        if stop == first:
            stop = len(rows)
        span = stop - first
        if span == 0:
            return None
        index = first + int(choice * span)
        if rows[index] == self._manager[row]:
            if span == 1:
                return None
            index = first + (index - first + 1) % span
        return rows[index]

    def _title(self, row: int) -> str:
        return job_title(self._department[row], self._role[row], self._seniority[row], self._is_manager[row])

    def _exit_reason(self, row: int, choice: float) -> str:
        if self._age[row] >= RETIREMENT_AGE and choice < 0.6:
            return _RETIREMENT
        if choice < 0.75:
            return _VOLUNTARY
        if choice < 0.93:
            return _INVOLUNTARY
        return _OTHER


def _managers_by_department(organisation: Organisation) -> dict[int, tuple[list[int], list[int]]]:
    """Per department: manager rows and their seniorities, by ascending seniority."""
    rows = np.flatnonzero(organisation.is_manager)
    department = organisation.department[rows]
    seniority = organisation.seniority[rows]
    order = np.lexsort((rows, seniority, department))
    grouped: dict[int, tuple[list[int], list[int]]] = {}
    for manager, dept, level in zip(
        rows[order].tolist(), department[order].tolist(), seniority[order].tolist(), strict=True
    ):
        members, levels = grouped.setdefault(dept, ([], []))
        members.append(manager)
        levels.append(level)
    return grouped
