"""The engagement unit of work: the one way a use case reaches storage.

A use case gets an open one and uses its repositories and ``uow.publish(...)``; it
never commits. Its caller (a consumer, an HTTP handler, the check-in job) opens it
with ``async with`` and commits. ``adapters/unit_of_work.py`` is the PostgreSQL one,
``tests/fakes/engagement.py`` the in-memory one.
"""

from __future__ import annotations

from collections.abc import Callable

from tandem_common.db.unit_of_work import AbstractUnitOfWork
from tandem_engagement.service.repositories import (
    AnalyticsReads,
    Checkins,
    Enrolments,
    Goals,
    HealthScores,
    Matches,
    People,
    Programs,
    Sessions,
)


class EngagementUnitOfWork(AbstractUnitOfWork):
    # Bound to the transaction when the unit of work opens.
    programs: Programs
    enrolments: Enrolments
    matches: Matches
    people: People
    sessions: Sessions
    goals: Goals
    checkins: Checkins
    health: HealthScores
    # Matches whose relationship health this transaction must recompute before it
    # commits (service/health.py); the SQL unit of work starts it empty.
    health_touched: set[str]
    analytics: AnalyticsReads


EngagementUnitOfWorkFactory = Callable[[], EngagementUnitOfWork]
