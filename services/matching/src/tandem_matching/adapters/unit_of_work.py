"""The matching unit of work on PostgreSQL: the repositories on one transaction's session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_matching.adapters.enrolment_repository import EnrolmentRepository
from tandem_matching.adapters.lifecycle_repository import LifecycleRepository
from tandem_matching.adapters.match_repository import MatchRepository
from tandem_matching.adapters.pool_repository import PoolRepository
from tandem_matching.adapters.program_repository import ProgramRepository
from tandem_matching.adapters.round_repository import RoundRepository
from tandem_matching.service.unit_of_work import MatchingUnitOfWork


class SqlMatchingUnitOfWork(UnitOfWork, MatchingUnitOfWork):
    """What ``ServiceRuntime(..., unit_of_work=SqlMatchingUnitOfWork)`` makes per transaction.

    Still a backbone ``UnitOfWork``: the profiles consumer claims its inbox rows on
    ``session`` in the same transaction before it hands this to the pool handler.
    """

    def _bind(self, session: AsyncSession) -> None:
        super()._bind(session)
        self.programs = ProgramRepository(session)
        self.enrolments = EnrolmentRepository(session)
        self.pool = PoolRepository(session)
        self.matches = MatchRepository(session)
        self.rounds = RoundRepository(session)
        self.lifecycle = LifecycleRepository(session)
