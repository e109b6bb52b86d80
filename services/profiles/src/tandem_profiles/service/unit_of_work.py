"""The profiles unit of work: the one way a use case reaches storage.

A use case gets an open one and uses ``uow.employees``, ``uow.hr_log`` and
``uow.publish(...)`` / ``uow.publish_one(...)``; it never commits. Its caller (the HR
consumer, an HTTP handler, a periodic job) opens it with ``async with`` and commits.
``adapters/unit_of_work.py`` is the PostgreSQL one, ``tests/fakes/profiles.py`` the
in-memory one.
"""

from __future__ import annotations

from collections.abc import Callable

from tandem_common.db.unit_of_work import AbstractUnitOfWork
from tandem_profiles.service.repositories import Employees, HrLog


class ProfilesUnitOfWork(AbstractUnitOfWork):
    # Bound to the transaction when the unit of work opens.
    employees: Employees
    hr_log: HrLog


ProfilesUnitOfWorkFactory = Callable[[], ProfilesUnitOfWork]
