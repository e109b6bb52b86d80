"""The engagement unit of work on PostgreSQL: the repositories on one transaction's session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.outbox.writer import OutgoingEvent
from tandem_engagement.adapters.analytics_repository import AnalyticsRepository
from tandem_engagement.adapters.checkin_repository import CheckinRepository
from tandem_engagement.adapters.enrolment_repository import EnrolmentRepository
from tandem_engagement.adapters.goal_repository import GoalRepository
from tandem_engagement.adapters.health_repository import HealthRepository
from tandem_engagement.adapters.match_repository import MatchRepository, ProgramRepository
from tandem_engagement.adapters.people_repository import PeopleRepository
from tandem_engagement.adapters.session_repository import SessionRepository
from tandem_engagement.service.health import touched_by
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork

BeforeCommit = Callable[[EngagementUnitOfWork], Awaitable[None]]


class SqlEngagementUnitOfWork(UnitOfWork, EngagementUnitOfWork):
    """What ``ServiceRuntime(..., unit_of_work=SqlEngagementUnitOfWork)`` makes per transaction.

    ``before_commit`` (the composition root's health refresh, service/health.py) runs
    inside the transaction just before it commits.
    """

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, before_commit: BeforeCommit | None = None
    ) -> None:
        super().__init__(session_factory)
        self._before_commit = before_commit

    def _bind(self, session: AsyncSession) -> None:
        super()._bind(session)
        self.programs = ProgramRepository(session)
        self.enrolments = EnrolmentRepository(session)
        self.matches = MatchRepository(session)
        self.people = PeopleRepository(session)
        self.sessions = SessionRepository(session)
        self.goals = GoalRepository(session)
        self.checkins = CheckinRepository(session)
        self.health = HealthRepository(session)
        self.health_touched = set()
        self.analytics = AnalyticsRepository(session)

    async def publish(self, events: Sequence[OutgoingEvent]) -> None:
        await super().publish(events)
        self.health_touched.update(touched_by(events))

    async def commit(self) -> None:
        if self._before_commit is not None:
            await self._before_commit(self)
        await super().commit()
