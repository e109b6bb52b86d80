"""The matching unit of work: the one way a use case reaches storage.

A use case gets an open one and uses ``uow.programs``, ``uow.enrolments``,
``uow.pool``, ``uow.matches`` and ``uow.publish(...)``; it never commits. Its caller
(the profiles consumer, an HTTP handler, a periodic job) opens it with ``async with``
and commits. ``adapters/unit_of_work.py`` is the PostgreSQL one,
``tests/fakes/matching.py`` the in-memory one.
"""

from __future__ import annotations

from collections.abc import Callable

from tandem_common.db.unit_of_work import AbstractUnitOfWork
from tandem_matching.service.repositories import Enrolments, LifecycleRecords, Matches, Pool, Programs, Rounds


class MatchingUnitOfWork(AbstractUnitOfWork):
    # Bound to the transaction when the unit of work opens.
    programs: Programs
    enrolments: Enrolments
    pool: Pool
    matches: Matches
    rounds: Rounds
    lifecycle: LifecycleRecords


MatchingUnitOfWorkFactory = Callable[[], MatchingUnitOfWork]
