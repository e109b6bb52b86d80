"""An in-memory unit of work and outbox, for use cases tested without infrastructure.

A ``FakeDatabase`` plays the database: each unit of work works on a copy of it and
writes the copy back on commit, so leaving without committing leaves no trace, as a
rolled back transaction does. A service's fake subclasses both (see ``profiles.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import ClassVar

import orjson

from tandem_common.db.unit_of_work import AbstractUnitOfWork
from tandem_common.outbox.writer import OutgoingEvent


@dataclass
class OutboxRow:
    event: OutgoingEvent
    # The encoded data, as the relay would publish it; None once redacted.
    payload: bytes | None
    sent: bool = False

    @property
    def key(self) -> str:
        return self.event.data.key()


@dataclass
class FakeDatabase:
    outbox: list[OutboxRow] = field(default_factory=list)

    def outbox_events(self) -> list[OutgoingEvent]:
        """Every event committed to the outbox, oldest first."""
        return [row.event for row in self.outbox]

    def mark_outbox_sent(self) -> None:
        """What the relay does once Kafka has the rows."""
        for row in self.outbox:
            row.sent = True


class FakeOutbox:
    """``tandem_common.outbox.repository.Outbox`` in memory."""

    def __init__(self, rows: list[OutboxRow]) -> None:
        self._rows = rows
        # What this transaction published, in order.
        self.added: list[OutgoingEvent] = []

    async def add(self, events: Sequence[OutgoingEvent]) -> None:
        for event in events:
            self._rows.append(OutboxRow(event, orjson.dumps(event.data.model_dump(mode="json"))))
        self.added.extend(events)

    async def redact_sent(self, key: str) -> int:
        redacted = 0
        for row in self._rows:
            if row.key == key and row.sent and row.payload is not None:
                row.payload = None
                redacted += 1
        return redacted


class FakeUnitOfWork(AbstractUnitOfWork):
    """``committed`` says whether anyone committed; ``published`` what this transaction
    published. ``database`` is shared by every unit of work made on it."""

    database_class: ClassVar[type[FakeDatabase]] = FakeDatabase

    def __init__(self, database: FakeDatabase | None = None) -> None:
        super().__init__()
        self.database = database if database is not None else self.database_class()
        self.committed = False
        self._working: FakeDatabase | None = None

    @property
    def published(self) -> list[OutgoingEvent]:
        return list(self.outbox.added)

    def _bind(self, working: FakeDatabase) -> None:
        """Build this transaction's repositories on ``working``, its copy of the database."""
        self.outbox = FakeOutbox(working.outbox)

    async def _begin(self) -> None:
        self._working = copy.deepcopy(self.database)
        self._bind(self._working)

    async def _commit(self) -> None:
        if self._working is None:
            raise RuntimeError("the unit of work is not open")
        # A copy, so that work after the commit stays private until the next one.
        for item in fields(self.database):
            setattr(self.database, item.name, copy.deepcopy(getattr(self._working, item.name)))
        self.committed = True

    async def _end(self) -> None:
        self._working = None
