"""The unit of work: the one way to storage, and the one place where a transaction commits.

``AbstractUnitOfWork`` is what use cases are written against: ``async with uow:`` opens
a transaction, the use case works through the repositories the unit of work exposes and
publishes through ``uow.publish``, and its caller (a consumer, an HTTP handler, a
periodic job) ends it with ``await uow.commit()``. ``UnitOfWork`` is the SQLAlchemy one;
a service subclasses it to expose its repositories (``_bind``), and tests subclass the
abstract one with in-memory repositories.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_common.outbox.repository import Outbox, OutboxRepository
from tandem_common.outbox.writer import OutgoingEvent


class AbstractUnitOfWork(abc.ABC):
    """``async with uow:`` opens a transaction; ``await uow.commit()`` ends it.

    Leaving the block without committing rolls back, so a use case that raises leaves
    no trace, outbox rows included.
    """

    # Set when the unit of work opens; the events a use case publishes go here.
    outbox: Outbox

    def __init__(self) -> None:
        self._after_commit: list[Callable[[], None]] = []

    async def publish(self, events: Sequence[OutgoingEvent]) -> None:
        """Publish ``events`` once this transaction commits (the relay sends them)."""
        await self.outbox.add(events)

    async def publish_one(self, event: OutgoingEvent) -> None:
        await self.publish([event])

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (metrics, wake-ups)."""
        self._after_commit.append(callback)

    async def commit(self) -> None:
        await self._commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def __aenter__(self) -> Self:
        self._after_commit = []
        await self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._end()

    @abc.abstractmethod
    async def _begin(self) -> None:
        """Open the transaction and bind the repositories (and ``outbox``) to it."""

    @abc.abstractmethod
    async def _commit(self) -> None:
        """Make everything written since the transaction opened durable."""

    @abc.abstractmethod
    async def _end(self) -> None:
        """Roll back whatever was not committed and release the transaction."""


class UnitOfWork(AbstractUnitOfWork):
    """A transaction on one SQLAlchemy session.

    The backbone uses ``session`` directly (the consumer's inbox claim); a service's
    own unit of work overrides ``_bind`` to put its repositories on that session.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        super().__init__()
        self._session_factory = session_factory
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def _bind(self, session: AsyncSession) -> None:
        """Build the repositories of this transaction on ``session``."""
        self.outbox = OutboxRepository(session)

    async def _begin(self) -> None:
        self._session = self._session_factory()
        await self._session.begin()
        self._bind(self._session)

    async def _commit(self) -> None:
        await self.session.commit()

    async def _end(self) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if session.in_transaction():
                await session.rollback()
        finally:
            await session.close()


UnitOfWorkFactory = Callable[[], UnitOfWork]
