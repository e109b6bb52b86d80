"""All SQL of sessions and the learning ledger."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Text, and_, any_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_engagement.adapters.tables import ledger_entries, sessions
from tandem_engagement.domain.ledger import RecordedEntry
from tandem_engagement.domain.sessions import LedgerEntry, Session

_IDS = bindparam("ids", type_=ARRAY(Text))


def _sessions(rows: Iterable[Any], entries: dict[str, list[LedgerEntry]]) -> list[Session]:
    return [
        Session(
            session_id=row.session_id,
            match_id=row.match_id,
            program_id=row.program_id,
            logged_by=row.logged_by,
            partner_id=row.partner_id,
            held_on=row.held_on,
            minutes=row.minutes,
            mode=row.mode,
            learning=tuple(entries.get(row.session_id, ())),
            notes=row.notes,
            client_request_id=row.client_request_id,
            logged_at=row.logged_at,
        )
        for row in rows
    ]


def _recorded(row: Any) -> RecordedEntry:
    return RecordedEntry(
        row.session_id, row.match_id, row.program_id, row.from_id, row.to_id, row.skill, row.held_on
    )


class SessionRepository:
    """``service.repositories.Sessions`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _entries(self, session_ids: list[str]) -> dict[str, list[LedgerEntry]]:
        if not session_ids:
            return {}
        rows = await self._session.execute(
            select(ledger_entries)
            .where(ledger_entries.c.session_id == any_(_IDS))
            .order_by(ledger_entries.c.session_id, ledger_entries.c.position),
            {"ids": session_ids},
        )
        found: dict[str, list[LedgerEntry]] = {}
        for row in rows:
            found.setdefault(row.session_id, []).append(LedgerEntry(row.from_id, row.to_id, row.skill))
        return found

    async def add(self, session: Session) -> None:
        await self._session.execute(
            insert(sessions).values(
                session_id=session.session_id,
                match_id=session.match_id,
                program_id=session.program_id,
                logged_by=session.logged_by,
                partner_id=session.partner_id,
                held_on=session.held_on,
                minutes=session.minutes,
                mode=session.mode,
                notes=session.notes,
                client_request_id=session.client_request_id,
                logged_at=session.logged_at,
            )
        )
        if session.learning:
            await self._session.execute(
                insert(ledger_entries),
                [
                    {
                        "session_id": session.session_id,
                        "position": position,
                        "match_id": session.match_id,
                        "program_id": session.program_id,
                        "from_id": entry.from_id,
                        "to_id": entry.to_id,
                        "skill": entry.skill,
                        "held_on": session.held_on,
                    }
                    for position, entry in enumerate(session.learning)
                ],
            )

    async def by_request(self, logged_by: str, client_request_id: str) -> Session | None:
        rows = (
            await self._session.execute(
                select(sessions).where(
                    and_(sessions.c.logged_by == logged_by, sessions.c.client_request_id == client_request_id)
                )
            )
        ).all()
        if not rows:
            return None
        return _sessions(rows, await self._entries([rows[0].session_id]))[0]

    async def of_matches(self, match_ids: Iterable[str]) -> dict[str, list[Session]]:
        ids = sorted(set(match_ids))
        found: dict[str, list[Session]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = (
            await self._session.execute(
                select(sessions)
                .where(sessions.c.match_id == any_(_IDS))
                .order_by(sessions.c.match_id, sessions.c.held_on.desc(), sessions.c.session_id),
                {"ids": ids},
            )
        ).all()
        entries = await self._entries([row.session_id for row in rows])
        for item in _sessions(rows, entries):
            found[item.match_id].append(item)
        return found

    async def ledger_of_matches(self, match_ids: Iterable[str]) -> dict[str, list[RecordedEntry]]:
        ids = sorted(set(match_ids))
        found: dict[str, list[RecordedEntry]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = await self._session.execute(
            select(ledger_entries)
            .where(ledger_entries.c.match_id == any_(_IDS))
            .order_by(ledger_entries.c.held_on, ledger_entries.c.session_id, ledger_entries.c.position),
            {"ids": ids},
        )
        for row in rows:
            found[row.match_id].append(_recorded(row))
        return found

    async def ledger_of_people(self, employee_ids: Iterable[str]) -> dict[str, list[RecordedEntry]]:
        ids = sorted(set(employee_ids))
        found: dict[str, list[RecordedEntry]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = await self._session.execute(
            select(ledger_entries)
            .where(or_(ledger_entries.c.from_id == any_(_IDS), ledger_entries.c.to_id == any_(_IDS)))
            .order_by(ledger_entries.c.held_on, ledger_entries.c.session_id, ledger_entries.c.position),
            {"ids": ids},
        )
        for row in rows:
            entry = _recorded(row)
            for employee_id in {entry.from_id, entry.to_id}:
                if employee_id in found:
                    found[employee_id].append(entry)
        return found

    async def erase_notes(self, employee_ids: Iterable[str]) -> int:
        ids = sorted(set(employee_ids))
        if not ids:
            return 0
        result = await self._session.execute(
            update(sessions)
            .where(and_(sessions.c.logged_by == any_(_IDS), sessions.c.notes.is_not(None)))
            .values(notes=None),
            {"ids": ids},
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
