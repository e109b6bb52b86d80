"""Outcome analytics on the service's own read models, off the event loop and cached.

The read models become the records of `outcomes-cli.md` (EMPLOYEES and PART lines)
and go through the very functions `tandem engage outcomes` uses to read its files, so
the service and the command answer the same on the same data. From the read models:

- department, country and seniority are the person's current ones (``people``);
- a promotion is a history row whose seniority is above the row before it, dated the
  day it took effect; promotions outside the employment are dropped;
- an exit reason outside the contract's list counts as ``other``; people without a
  hire date or a seniority (erased people, profiles not complete) are left out, and
  so are their memberships, and memberships that started before the hire;
- participation is every member of every started match.

The statistics take seconds on a large organisation, so they run in a worker thread;
an answer is kept for ``ttl_seconds`` per (program, as-of day), and concurrent asks of
one key wait for the one computation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from tandem_engagement.domain import policy
from tandem_engagement.domain.analytics import MIN_GROUP, CohortPerson, Membership, PromotionStep
from tandem_engagement.domain.policy import Subject, Viewer
from tandem_engagement.service.analytics import load_program
from tandem_engagement.service.clock import Clock
from tandem_engagement.service.unit_of_work import EngagementUnitOfWorkFactory

_EXIT_REASONS = ("voluntary", "involuntary", "retirement", "other")

Records = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def outcome_records(
    people: Sequence[CohortPerson], steps: Sequence[PromotionStep], memberships: Sequence[Membership]
) -> Records:
    """EMPLOYEES.jsonl and PART.jsonl records (as parsed JSON) of the read models."""
    promotions: dict[str, list[date]] = {}
    previous: dict[str, int] = {}
    for step in steps:
        before = previous.get(step.employee_id)
        if before is not None and step.seniority_level > before:
            promotions.setdefault(step.employee_id, []).append(step.valid_from)
        previous[step.employee_id] = step.seniority_level
    employees: list[dict[str, Any]] = []
    hired: dict[str, date] = {}
    for person in people:
        if person.hire_date is None or person.seniority_level is None:
            continue
        exit_date = person.exit_date if person.exit_date and person.exit_date >= person.hire_date else None
        reason = None
        if exit_date is not None:
            reason = person.exit_reason if person.exit_reason in _EXIT_REASONS else "other"
        last = exit_date or date.max
        employees.append(
            {
                "employee_id": person.employee_id,
                "department": person.department or "unknown",
                "country": person.country or "unknown",
                "seniority_level": person.seniority_level,
                "hire_date": person.hire_date.isoformat(),
                "exit_date": None if exit_date is None else exit_date.isoformat(),
                "exit_reason": reason,
                "promotion_dates": [
                    day.isoformat()
                    for day in promotions.get(person.employee_id, [])
                    if person.hire_date <= day <= last
                ],
            }
        )
        hired[person.employee_id] = person.hire_date
    part = [
        {
            "employee_id": m.employee_id,
            "program_id": m.program_id,
            "started_on": m.started_on.isoformat(),
            "ended_on": None if m.ended_on is None else m.ended_on.isoformat(),
        }
        for m in memberships
        if m.employee_id in hired
        and hired[m.employee_id] <= m.started_on
        and (m.ended_on is None or m.ended_on >= m.started_on)
    ]
    return employees, part


def analyse_records(
    records: Records, *, program_id: str | None, as_of: date, min_group: int
) -> dict[str, Any]:
    """The outcome document of the records, through the command's own reading; blocking."""
    from tandem_engagement.outcomes.cohort import CohortBuilder
    from tandem_engagement.outcomes.files import DateParser, add_employee_record, add_membership_record
    from tandem_engagement.outcomes.report import analyse
    from tandem_engagement.outcomes.timeline import NothingToAnalyse

    employees, part = records
    builder = CohortBuilder(program_id)
    dates = DateParser()
    for record in employees:
        add_employee_record(builder, record, dates)
    for record in part:
        add_membership_record(builder, record, dates)
    try:
        outcomes: dict[str, Any] | None = analyse(builder.build(), as_of=as_of, min_group=min_group)
        reason = None
    except NothingToAnalyse as error:
        outcomes, reason = None, str(error)
    return {
        "program_id": program_id,
        "as_of": as_of.isoformat(),
        "outcomes": outcomes,
        "nothing_to_analyse": reason,
    }


class OutcomesRunner:
    """``GET /v1/outcomes``: the permission, then a cached answer or a computation in a thread."""

    def __init__(
        self,
        unit_of_work: EngagementUnitOfWorkFactory,
        *,
        clock: Clock,
        ttl_seconds: float,
        min_group: int = MIN_GROUP,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._ttl = ttl_seconds
        self._min_group = min_group
        self._monotonic = monotonic
        self._cache: dict[tuple[str | None, date], tuple[float, dict[str, Any]]] = {}
        self._locks: dict[tuple[str | None, date], asyncio.Lock] = {}
        # How many analyses ran (not answered from the cache): for tests and metrics.
        self.computed = 0

    async def outcomes(self, viewer: Viewer, program_id: str | None) -> dict[str, Any]:
        async with self._unit_of_work() as uow:
            if program_id is None:
                policy.require("view_organisation_analytics", viewer, Subject())
            else:
                program = await load_program(uow, program_id)
                policy.require("view_program_analytics", viewer, Subject(program=program))
        key = (program_id, self._clock().date())
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            held = self._cache.get(key)
            if held is not None and self._monotonic() - held[0] < self._ttl:
                return held[1]
            async with self._unit_of_work() as uow:
                records = outcome_records(
                    await uow.analytics.cohort_people(),
                    await uow.analytics.seniority_steps(),
                    await uow.analytics.memberships(),
                )
            document = await asyncio.to_thread(
                analyse_records, records, program_id=program_id, as_of=key[1], min_group=self._min_group
            )
            self.computed += 1
            # Expired answers of other days go as soon as a new one is stored.
            self._cache = {k: v for k, v in self._cache.items() if k[1] == key[1]}
            self._cache[key] = (self._monotonic(), document)
            return document
