"""All SQL of the employees' HR event log and its compacted snapshots."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import orjson
from sqlalchemy import BigInteger, Text, any_, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_common.db.bulk import copy_rows
from tandem_profiles.adapters.tables import employees, hr_events, hr_log_snapshots
from tandem_profiles.domain.employee import EmployeeRecord, Fold, HrEvent, HrLogEntry

EVENT_COLUMNS = ("seq", "employee_id", "ce_source", "ce_id", "kind", "effective_date", "ce_time", "data")

_RESERVE_SEQS = text(
    "SELECT nextval(pg_get_serial_sequence('hr_events', 'seq')) FROM generate_series(1, :count)"
)
_SAVE_SNAPSHOT = text(
    """
    INSERT INTO hr_log_snapshots
        (employee_id, record, position_date, position_time, position_seq, events_folded)
    VALUES (:employee_id, CAST(:record AS jsonb), :position_date, :position_time, :position_seq, :folded)
    ON CONFLICT (employee_id) DO UPDATE SET
        record = excluded.record, position_date = excluded.position_date,
        position_time = excluded.position_time, position_seq = excluded.position_seq,
        events_folded = hr_log_snapshots.events_folded + excluded.events_folded,
        compacted_at = now()
    """
)
_PURGE_EVENTS = text(
    """
    UPDATE hr_events AS h SET data = CAST(v.data AS jsonb)
    FROM unnest(CAST(:seqs AS bigint[]), CAST(:datas AS text[])) AS v(seq, data)
    WHERE h.seq = v.seq
    """
)
_IDS = bindparam("ids", type_=ARRAY(Text))
# Rows per round trip when a log is streamed: a few milliseconds of work each.
_PAGE_ROWS = 1000


def record_to_json(record: EmployeeRecord) -> dict[str, Any]:
    return {
        "employee_id": record.employee_id,
        "status": record.status,
        "employment": record.employment,
        "hire_date": record.hire_date.isoformat(),
        "exit_date": record.exit_date.isoformat() if record.exit_date else None,
        "exit_reason": record.exit_reason,
        "email": record.email,
        "display_name": record.display_name,
        "job_title": record.job_title,
        "department": record.department,
        "manager_id": record.manager_id,
        "location": dict(record.location) if record.location is not None else None,
        "timezone": record.timezone,
        "seniority_level": record.seniority_level,
        "languages": list(record.languages),
        "birth_year": record.birth_year,
    }


def record_from_json(data: Mapping[str, Any]) -> EmployeeRecord:
    exit_date = data.get("exit_date")
    return EmployeeRecord(
        **{
            **data,
            "hire_date": date.fromisoformat(data["hire_date"]),
            "exit_date": date.fromisoformat(exit_date) if exit_date else None,
            "languages": tuple(data.get("languages") or ()),
        }
    )


def _event_from_row(row: Any) -> HrEvent:
    return HrEvent(row.kind, row.effective_date, row.ce_time, row.seq, row.data)


def _snapshot_from_row(row: Any) -> Fold:
    position = (row.position_date, row.position_time, row.position_seq)
    return Fold(record=record_from_json(row.record), last=position).as_snapshot()


class HrLogRepository:
    """``service.repositories.HrLog`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def reserve_seqs(self, count: int) -> list[int]:
        """``count`` log sequence numbers, rising, for events about to be appended.

        Taken before the events are applied so that each event's arrival in its order
        key is already the one a later replay from the log will see.
        """
        if count <= 0:
            return []
        rows = await self._session.execute(_RESERVE_SEQS, {"count": count})
        return sorted(seq for (seq,) in rows)

    async def append(self, entries: Sequence[HrLogEntry]) -> None:
        await copy_rows(
            self._session,
            hr_events.name,
            EVENT_COLUMNS,
            [
                (
                    entry.seq,
                    entry.employee_id,
                    entry.ce_source,
                    entry.ce_id,
                    entry.kind,
                    entry.effective_date,
                    entry.ce_time,
                    orjson.dumps(entry.data).decode(),
                )
                for entry in entries
            ],
        )

    async def load_events(self, employee_ids: Iterable[str]) -> dict[str, list[HrEvent]]:
        """Every logged (not compacted) event of these employees, in no particular order."""
        ids = sorted(set(employee_ids))
        found: dict[str, list[HrEvent]] = {employee_id: [] for employee_id in ids}
        if not ids:
            return found
        # Streamed in pages: a long log arrives (and is turned into events) a page per
        # round trip, instead of holding the event loop for the whole of it.
        result = await self._session.stream(
            select(
                hr_events.c.seq,
                hr_events.c.employee_id,
                hr_events.c.kind,
                hr_events.c.effective_date,
                hr_events.c.ce_time,
                hr_events.c.data,
            )
            .where(hr_events.c.employee_id == any_(_IDS))
            .execution_options(yield_per=_PAGE_ROWS),
            {"ids": ids},
        )
        async for page in result.partitions():
            for row in page:
                found[row.employee_id].append(_event_from_row(row))
        return found

    async def load_snapshots(self, employee_ids: Iterable[str]) -> dict[str, Fold]:
        """The compacted snapshot of each of these employees that has one."""
        ids = sorted(set(employee_ids))
        if not ids:
            return {}
        rows = await self._session.execute(
            select(hr_log_snapshots).where(hr_log_snapshots.c.employee_id == any_(_IDS)), {"ids": ids}
        )
        return {row.employee_id: _snapshot_from_row(row) for row in rows}

    # -- compaction ------------------------------------------------------------------

    async def compaction_candidates(
        self, *, dated_before: date, min_events: int, after: str | None, limit: int
    ) -> list[str]:
        """Hired employees with at least ``min_events`` logged events dated before a day.

        Keyset-paged by employee id, so one run visits every candidate once.
        """
        count = func.count(hr_events.c.seq)
        query = (
            select(hr_events.c.employee_id)
            .join(employees, employees.c.employee_id == hr_events.c.employee_id)
            .where(hr_events.c.effective_date < dated_before)
            .group_by(hr_events.c.employee_id)
            .having(count >= min_events)
            .order_by(hr_events.c.employee_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(hr_events.c.employee_id > after)
        return list((await self._session.execute(query)).scalars())

    async def first_events(self, employee_id: str, limit: int) -> list[HrEvent]:
        """The employee's first ``limit`` logged events in replay (effective) order."""
        query = (
            select(
                hr_events.c.seq,
                hr_events.c.kind,
                hr_events.c.effective_date,
                hr_events.c.ce_time,
                hr_events.c.data,
            )
            .where(hr_events.c.employee_id == employee_id)
            .order_by(hr_events.c.effective_date, hr_events.c.ce_time, hr_events.c.seq)
            .limit(limit)
        )
        return [_event_from_row(row) for row in await self._session.execute(query)]

    async def save_snapshot(self, employee_id: str, snapshot: Fold, folded: int) -> None:
        """Store ``snapshot`` as the compacted part of the log; ``folded`` events joined it."""
        if snapshot.record is None or snapshot.last is None:
            raise ValueError("a log snapshot holds a hired employee's record")
        position_date, position_time, position_seq = snapshot.last
        await self._session.execute(
            _SAVE_SNAPSHOT,
            {
                "employee_id": employee_id,
                "record": orjson.dumps(record_to_json(snapshot.record)).decode(),
                "position_date": position_date,
                "position_time": position_time,
                "position_seq": position_seq,
                "folded": folded,
            },
        )

    async def delete_events(self, seqs: Sequence[int]) -> int:
        if not seqs:
            return 0
        result = await self._session.execute(
            delete(hr_events).where(hr_events.c.seq == any_(bindparam("seqs", type_=ARRAY(BigInteger)))),
            {"seqs": list(seqs)},
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # -- erasure ---------------------------------------------------------------------

    async def redact(
        self,
        employee_id: str,
        event_data: Callable[[dict[str, Any]], dict[str, Any]],
        record: Callable[[EmployeeRecord], EmployeeRecord],
    ) -> None:
        rows = (
            await self._session.execute(
                select(hr_events.c.seq, hr_events.c.data).where(hr_events.c.employee_id == employee_id)
            )
        ).all()
        if rows:
            await self._session.execute(
                _PURGE_EVENTS,
                {
                    "seqs": [seq for seq, _ in rows],
                    "datas": [orjson.dumps(event_data(data)).decode() for _, data in rows],
                },
            )
        snapshot = (await self.load_snapshots([employee_id])).get(employee_id)
        if snapshot is not None and snapshot.record is not None:
            await self._session.execute(
                hr_log_snapshots.update()
                .where(hr_log_snapshots.c.employee_id == employee_id)
                .values(record=record_to_json(record(snapshot.record)))
            )
