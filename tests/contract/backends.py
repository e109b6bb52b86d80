"""How each backend of a contract suite is built, and what the suites read besides it.

A suite only uses the repositories through a unit of work, plus the outbox rows (the
relay's side of the table), so the same test body runs on both backends.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_common.db.engine import create_session_factory
from tandem_common.db.unit_of_work import AbstractUnitOfWork
from tests.fakes.unit_of_work import FakeUnitOfWork


class OutboxRowView(NamedTuple):
    key: str
    ce_id: str
    has_payload: bool
    sent: bool


class FakeBackend:
    """Every unit of work on one in-memory database."""

    def __init__(self, unit_of_work_class: type[FakeUnitOfWork]) -> None:
        self._class = unit_of_work_class
        self.database = unit_of_work_class.database_class()

    def unit_of_work(self) -> Any:
        return self._class(self.database)

    async def mark_outbox_sent(self) -> None:
        self.database.mark_outbox_sent()

    async def outbox_rows(self) -> list[OutboxRowView]:
        return [
            OutboxRowView(row.key, row.event.id, row.payload is not None, row.sent)
            for row in self.database.outbox
        ]


class PostgresBackend:
    """Every unit of work on one migrated PostgreSQL database."""

    def __init__(self, engine: AsyncEngine, unit_of_work_class: Any) -> None:
        self._engine = engine
        self._class = unit_of_work_class
        self._sessions = create_session_factory(engine)

    def unit_of_work(self) -> Any:
        uow = self._class(self._sessions)
        assert isinstance(uow, AbstractUnitOfWork)
        return uow

    async def mark_outbox_sent(self) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(text("UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL"))

    async def outbox_rows(self) -> list[OutboxRowView]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT key, ce_id, payload IS NOT NULL, sent_at IS NOT NULL FROM outbox ORDER BY id")
            )
            return [OutboxRowView(*row) for row in rows]
