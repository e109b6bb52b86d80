"""Compaction of the HR log: old events folded into a snapshot, late events after it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tandem_common.runtime.service import ServiceRuntime
from tandem_common.testing.backends import Infrastructure
from tandem_profiles.entrypoints.jobs import CompactionReport, ErasureJob, HrLogCompactionJob
from tests.support.backbone import scalar
from tests.support.profiles import (
    changed,
    employee_row,
    exited,
    hired,
    ingest_batch,
    published,
    started_runtime,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the horizon, 730 days back, is 2024-11-01
OLD_CHANGES = 250
LAST_OLD = date(2015, 1, 1) + timedelta(days=OLD_CHANGES)


def _day_of_2015(n: int) -> str:
    return (date(2015, 1, 1) + timedelta(days=n)).isoformat()


@pytest.fixture
async def runtime(infrastructure: Infrastructure, database_url: str):
    started = await started_runtime(infrastructure, database_url)
    yield started
    await started.stop()


def _compaction(runtime: ServiceRuntime, **overrides: Any) -> HrLogCompactionJob:
    options: dict[str, Any] = {
        "window_days": 730,
        "min_events": 100,
        "batch_events": 100,
        "page_size": 2,
        "clock": lambda: NOW,
    }
    return HrLogCompactionJob(runtime.unit_of_work, **{**options, **overrides})


async def _long_history(runtime: ServiceRuntime, employee_id: str) -> None:
    """A hire in 2015, 250 changes that year, and three changes inside the window."""
    await ingest_batch(
        runtime,
        [hired(employee_id, hire_date="2015-01-01")]
        + [changed(employee_id, _day_of_2015(n), job_title=f"Old {n}") for n in range(1, OLD_CHANGES + 1)],
    )
    await ingest_batch(
        runtime,
        [
            changed(employee_id, "2026-06-01", job_title="Recent 1"),
            changed(employee_id, "2026-07-01", "transfer", department="Risk"),
            changed(employee_id, "2026-08-01", job_title="Recent 3"),
        ],
    )


async def _logged(database_url: str, employee_id: str) -> int:
    return int(
        await scalar(database_url, "SELECT count(*) FROM hr_events WHERE employee_id = :id", id=employee_id)
    )


async def _log_snapshot(database_url: str, employee_id: str) -> dict[str, Any] | None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        text("SELECT * FROM hr_log_snapshots WHERE employee_id = :id"), {"id": employee_id}
                    )
                )
                .mappings()
                .first()
            )
    finally:
        await engine.dispose()
    return dict(row) if row else None


async def test_old_events_are_folded_into_a_snapshot_and_deleted_in_bounded_batches(
    runtime: ServiceRuntime, database_url: str
) -> None:
    await _long_history(runtime, "K1")
    # Too few old events to be worth a snapshot.
    await ingest_batch(
        runtime,
        [hired("K2", hire_date="2015-01-01")]
        + [changed("K2", f"2015-02-{n:02d}", job_title=f"Old {n}") for n in range(1, 10)],
    )
    # Never hired: everything stays in the log, so a late hire still sorts before it.
    await ingest_batch(runtime, [changed("K3", _day_of_2015(n)) for n in range(120)])
    # Hired inside the window: its old held changes must wait for the hire in the log.
    await ingest_batch(
        runtime,
        [changed("K4", _day_of_2015(n), seniority_level=4) for n in range(120)]
        + [hired("K4", hire_date="2026-01-01")],
    )
    before = await employee_row(database_url, "K1")
    outbox = await scalar(database_url, "SELECT count(*) FROM outbox")

    compaction = _compaction(runtime)
    report = await compaction.run_once()
    assert report == CompactionReport(employees=1, events=OLD_CHANGES + 1, transactions=3)

    assert [await _logged(database_url, e) for e in ("K1", "K2", "K3", "K4")] == [3, 10, 120, 121]
    snapshot = await _log_snapshot(database_url, "K1")
    assert snapshot is not None
    assert (snapshot["position_date"], snapshot["events_folded"]) == (LAST_OLD, OLD_CHANGES + 1)
    assert {k: snapshot["record"][k] for k in ("status", "employment", "hire_date", "job_title")} == {
        "status": "active",
        "employment": 1,
        "hire_date": "2015-01-01",
        "job_title": f"Old {OLD_CHANGES}",
    }
    assert await _log_snapshot(database_url, "K4") is None
    # The record and what was published are untouched.
    assert await employee_row(database_url, "K1") == before
    assert await scalar(database_url, "SELECT count(*) FROM outbox") == outbox
    assert await compaction.run_once() == CompactionReport()


async def test_after_compaction_a_late_event_inside_the_window_replays_in_its_place(
    runtime: ServiceRuntime, database_url: str
) -> None:
    await _long_history(runtime, "K5")
    await _compaction(runtime).run_once()

    # Sorts before July's transfer, which wins: the replay from the snapshot is a no-op.
    await ingest_batch(runtime, [changed("K5", "2026-06-15", "transfer", department="Audit")])
    assert len(await published(database_url, "K5")) == 1 + OLD_CHANGES + 3
    # Sorts there too, and nothing later sets the seniority.
    await ingest_batch(runtime, [changed("K5", "2026-06-20", seniority_level=5)])

    last = (await published(database_url, "K5"))[-1]["data"]
    assert (
        last["profile_version"],
        last["job_title"],
        last["department"],
        last["seniority_level"],
    ) == (OLD_CHANGES + 5, "Recent 3", "Risk", 5)


async def test_late_events_before_and_after_the_snapshot_position(
    runtime: ServiceRuntime, database_url: str
) -> None:
    await _long_history(runtime, "K6")
    await _long_history(runtime, "K7")
    await _compaction(runtime).run_once()
    versions = 1 + OLD_CHANGES + 3

    # After the snapshot's last event (2015-09-08), before the logged ones: replayed in
    # its place, so the 2026 changes come after the exit and change nothing.
    await ingest_batch(runtime, [exited("K6", "2023-12-31", "involuntary")])
    last = (await published(database_url, "K6"))[-1]
    assert (last["type"], last["data"]["profile_version"]) == ("departed", versions + 1)
    assert (last["data"]["exit_date"], last["data"]["job_title"], last["data"]["department"]) == (
        "2023-12-31",
        f"Old {OLD_CHANGES}",
        "Finance",
    )

    # Before the snapshot's position, the documented rules: a change loses to the newer
    # values folded in (logged only); an exit still ends the employment, as of the
    # snapshot, and the logged events after it replay onto the departed record.
    await ingest_batch(runtime, [changed("K7", "2015-03-01", location={"country": "PT"})])
    assert len(await published(database_url, "K7")) == versions
    assert await _logged(database_url, "K7") == 4
    await ingest_batch(runtime, [exited("K7", "2015-06-30", "retirement")])
    last = (await published(database_url, "K7"))[-1]
    assert (last["type"], last["data"]["profile_version"]) == ("departed", versions + 1)
    assert (
        last["data"]["exit_date"],
        last["data"]["job_title"],
        last["data"]["department"],
        last["data"]["location"],
    ) == ("2015-06-30", f"Old {OLD_CHANGES}", "Finance", {"country": "BR", "city": "Sao Paulo"})

    # Erasure strips the log snapshots too.
    erasure = ErasureJob(runtime.unit_of_work, source=runtime.source, retention_days=365, clock=lambda: NOW)
    assert await erasure.run_once() == 2
    snapshot = await _log_snapshot(database_url, "K7")
    assert snapshot is not None
    record = snapshot["record"]
    assert (record["email"], record["display_name"], record["job_title"], record["location"]) == (
        None,
        None,
        None,
        None,
    )
    assert (record["department"], record["hire_date"], record["employment"]) == ("Finance", "2015-01-01", 1)


async def test_a_later_compaction_continues_from_the_snapshot_late_events_first(
    runtime: ServiceRuntime, database_url: str
) -> None:
    await _long_history(runtime, "K8")
    await _compaction(runtime).run_once()
    # Logged after the first compaction, dated before its snapshot: it folds first.
    await ingest_batch(runtime, [changed("K8", "2015-03-01", "transfer", department="Audit")])
    before = await employee_row(database_url, "K8")

    later = _compaction(runtime, min_events=1, clock=lambda: datetime(2029, 1, 1, tzinfo=UTC))
    assert await later.run_once() == CompactionReport(employees=1, events=4, transactions=1)

    assert await _logged(database_url, "K8") == 0
    snapshot = await _log_snapshot(database_url, "K8")
    assert snapshot is not None
    assert (snapshot["position_date"], snapshot["events_folded"]) == (date(2026, 8, 1), OLD_CHANGES + 5)
    assert {k: snapshot["record"][k] for k in ("job_title", "department")} == {
        "job_title": "Recent 3",
        "department": "Risk",
    }
    assert await employee_row(database_url, "K8") == before
    # The next event is stepped onto the stored record as before.
    await ingest_batch(runtime, [changed("K8", "2026-09-01", seniority_level=6)])
    last = (await published(database_url, "K8"))[-1]["data"]
    assert (last["profile_version"], last["seniority_level"], last["department"]) == (
        OLD_CHANGES + 5,
        6,
        "Risk",
    )
