"""The profiles unit of work on PostgreSQL: the repositories on one transaction's session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_profiles.adapters.employee_repository import EmployeeRepository
from tandem_profiles.adapters.hr_log_repository import HrLogRepository
from tandem_profiles.service.unit_of_work import ProfilesUnitOfWork


class SqlProfilesUnitOfWork(UnitOfWork, ProfilesUnitOfWork):
    """What ``ServiceRuntime(..., unit_of_work=SqlProfilesUnitOfWork)`` makes per transaction.

    Still a backbone ``UnitOfWork``: the HR consumer claims its inbox rows on ``session``
    in the same transaction before it hands this to the ingest use case.
    """

    def _bind(self, session: AsyncSession) -> None:
        super()._bind(session)
        self.employees = EmployeeRepository(session)
        self.hr_log = HrLogRepository(session)
