"""The people an outcome analysis looks at, held column by column.

A :class:`CohortBuilder` takes one employee and one match membership at a time, checks
each against the rules that make a history coherent (an exit after the hire, a match
of a known employee), and builds a :class:`Cohort` of numpy columns. Dates become day
numbers (proleptic ordinals), so the analysis is arithmetic on arrays.

The builder sees values, not files: the command's file reader and the service's read
models both feed it, and a broken rule is an :class:`InvalidRecord` naming the problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

EXIT_REASONS = ("voluntary", "involuntary", "retirement", "other")
# Retention counts only this exit reason as an event; the others censor the person.
VOLUNTARY = "voluntary"
MIN_SENIORITY, MAX_SENIORITY = 1, 10
# A day number later than any real date: "no exit" and "never joined".
NEVER = 10**9


class InvalidRecord(ValueError):
    """A record that breaks a rule of a coherent history; the message names the problem."""


@dataclass(frozen=True)
class Cohort:
    """Every employee's history, one row per employee; days are date ordinals."""

    department: IntArray  # index into departments
    departments: tuple[str, ...]
    country: IntArray  # index into countries
    countries: tuple[str, ...]
    seniority: IntArray
    hire: IntArray
    exit: IntArray  # NEVER while still employed
    voluntary: BoolArray  # the exit was voluntary
    first_match: IntArray  # start of the first counted match; NEVER if none
    promotion_person: IntArray  # one entry per promotion: whose ...
    promotion_day: IntArray  # ... and when

    @property
    def size(self) -> int:
        return int(self.hire.size)


class _Codes:
    """Small integer codes for repeated labels (departments, countries)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def code(self, label: str) -> int:
        found = self.index.get(label)
        if found is None:
            found = self.index[label] = len(self.index)
        return found

    def labels(self) -> tuple[str, ...]:
        return tuple(self.index)


class CohortBuilder:
    """Collects employees, then their match memberships, into a :class:`Cohort`.

    With ``program``, only that program's memberships count as participation; the
    others are still checked, so a bad line is reported whichever program it names.
    """

    def __init__(self, program: str | None = None) -> None:
        self.program = program
        self._row: dict[str, int] = {}
        self._departments = _Codes()
        self._countries = _Codes()
        self._department: list[int] = []
        self._country: list[int] = []
        self._seniority: list[int] = []
        self._hire: list[int] = []
        self._exit: list[int] = []
        self._voluntary: list[bool] = []
        self._first_match: list[int] = []
        self._promotion_person: list[int] = []
        self._promotion_day: list[int] = []

    def add_employee(
        self,
        employee_id: str,
        *,
        department: str,
        country: str,
        seniority_level: int,
        hire_date: date,
        exit_date: date | None,
        exit_reason: str | None,
        promotion_dates: Sequence[date],
    ) -> None:
        if employee_id in self._row:
            raise InvalidRecord(f"duplicate employee_id {employee_id!r}")
        if not MIN_SENIORITY <= seniority_level <= MAX_SENIORITY:
            raise InvalidRecord(f"seniority_level must be an integer from {MIN_SENIORITY} to {MAX_SENIORITY}")
        if exit_reason is not None and exit_reason not in EXIT_REASONS:
            raise InvalidRecord(f"exit_reason {exit_reason!r} is not one of {', '.join(EXIT_REASONS)}")
        if exit_reason is not None and exit_date is None:
            raise InvalidRecord("exit_reason is given but exit_date is null")
        hire = hire_date.toordinal()
        exit_day = NEVER if exit_date is None else exit_date.toordinal()
        if exit_day < hire:
            raise InvalidRecord(f"exit_date {exit_date} is before hire_date {hire_date}")
        promotions = [promoted.toordinal() for promoted in promotion_dates]
        if promotions and (min(promotions) < hire or max(promotions) > exit_day):
            for promoted, day in zip(promotion_dates, promotions, strict=True):
                if day < hire:
                    raise InvalidRecord(f"promotion date {promoted} is before hire_date {hire_date}")
                if day > exit_day:
                    raise InvalidRecord(f"promotion date {promoted} is after exit_date {exit_date}")
        row = len(self._hire)
        self._row[employee_id] = row
        self._department.append(self._departments.code(department))
        self._country.append(self._countries.code(country))
        self._seniority.append(seniority_level)
        self._hire.append(hire)
        self._exit.append(exit_day)
        self._voluntary.append(exit_reason == VOLUNTARY)
        self._first_match.append(NEVER)
        if promotions:
            self._promotion_person.extend([row] * len(promotions))
            self._promotion_day.extend(promotions)

    def add_membership(
        self, employee_id: str, *, program_id: str, started_on: date, ended_on: date | None
    ) -> None:
        row = self._row.get(employee_id)
        if row is None:
            raise InvalidRecord(f"unknown employee {employee_id!r}")
        start = started_on.toordinal()
        if start < self._hire[row]:
            hired = date.fromordinal(self._hire[row])
            raise InvalidRecord(f"started_on {started_on} is before the employee's hire_date {hired}")
        if ended_on is not None and ended_on < started_on:
            raise InvalidRecord(f"ended_on {ended_on} is before started_on {started_on}")
        if (self.program is None or program_id == self.program) and start < self._first_match[row]:
            self._first_match[row] = start

    def build(self) -> Cohort:
        def column(values: list[int]) -> IntArray:
            return np.asarray(values, dtype=np.int64)

        return Cohort(
            department=column(self._department),
            departments=self._departments.labels(),
            country=column(self._country),
            countries=self._countries.labels(),
            seniority=column(self._seniority),
            hire=column(self._hire),
            exit=column(self._exit),
            voluntary=np.asarray(self._voluntary, dtype=np.bool_),
            first_match=column(self._first_match),
            promotion_person=column(self._promotion_person),
            promotion_day=column(self._promotion_day),
        )
