"""The profiles use cases on the in-memory unit of work: no infrastructure, milliseconds.

Each test opens the unit of work as the real caller does (the consumer, an HTTP handler,
a job), runs the use case and checks what it published and that it did not commit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_common.outbox.writer import OutgoingEvent
from tandem_profiles.adapters.taxonomy_file import load_taxonomy
from tandem_profiles.domain.erasure import erase
from tandem_profiles.domain.mentoring import MentoringProfileInvalid
from tandem_profiles.domain.profile import EmployeeDepartedError
from tandem_profiles.entrypoints.api import profiles_router
from tandem_profiles.entrypoints.jobs import ErasureJob
from tandem_profiles.service.erasure import EraseDueProfiles, erase_due_profiles
from tandem_profiles.service.hr_ingest import ingest_hr_events
from tandem_profiles.service.hr_log_compaction import CompactHrLog, compact_hr_log
from tandem_profiles.service.mentoring_profiles import (
    EmployeeNotFoundError,
    UpdateMentoring,
    WriteOutcome,
    update_mentoring,
    update_mentoring_in_bulk,
)
from tandem_profiles.service.snapshots import snapshot_event
from tests.fakes.profiles import FakeProfilesDatabase, FakeProfilesUnitOfWork
from tests.support.profiles import changed, exited, hired, received_events
from tests.support.stored_profiles import a_log_entry, a_profile, departed

SOURCE = "tandem/profiles"
TAXONOMY = load_taxonomy()


def _snapshots(events: list[OutgoingEvent]) -> list[tuple[str, str, str]]:
    """(type, id, status) of each published profile event, in order."""
    return [(e.data.ce_type.split(".")[2], e.id, getattr(e.data, "status", "erased")) for e in events]


async def _ingest(database: FakeProfilesDatabase, *records: Any) -> FakeProfilesUnitOfWork:
    """One consumer batch: the use case inside the unit of work, then the commit."""
    uow = FakeProfilesUnitOfWork(database)
    async with uow:
        await ingest_hr_events(uow, received_events("hr.test", list(records)), source=SOURCE)
        assert not uow.committed
        await uow.commit()
    return uow


# -- HR ingest -------------------------------------------------------------------------


async def test_a_hire_registers_version_1_and_a_change_updates_it() -> None:
    database = FakeProfilesDatabase()
    first = await _ingest(database, hired("E1", manager_id="E0"))
    assert _snapshots(first.published) == [("registered", "E1.v1", "active")]
    assert first.published[0].source == SOURCE and first.published[0].subject == "E1"
    second = await _ingest(database, changed("E1", "2021-01-01", job_title="Senior Data Analyst"))
    assert _snapshots(second.published) == [("updated", "E1.v2", "active")]
    assert second.published[0].data.job_title == "Senior Data Analyst"  # type: ignore[attr-defined]
    assert database.outbox_events() == [*first.published, *second.published]


async def test_a_change_before_its_hire_is_held_then_applied() -> None:
    database = FakeProfilesDatabase()
    early = await _ingest(database, changed("E2", "2022-05-01", "transfer", department="Marketing"))
    assert early.published == [] and database.employees == {}
    late = await _ingest(database, hired("E2"))
    assert _snapshots(late.published) == [("registered", "E2.v1", "active")]
    assert late.published[0].data.department == "Marketing"  # type: ignore[attr-defined]


async def test_an_exit_before_its_hire_keeps_the_late_hire_departed() -> None:
    database = FakeProfilesDatabase()
    assert (await _ingest(database, exited("E3", "2024-01-31", "involuntary"))).published == []
    late = await _ingest(database, hired("E3", hire_date="2019-02-01"))
    assert _snapshots(late.published) == [("registered", "E3.v1", "departed")]
    assert database.employees["E3"].record.exit_date == date(2024, 1, 31)


async def test_a_hire_after_the_last_exit_is_a_rehire_with_a_new_employment() -> None:
    database = FakeProfilesDatabase()
    await _ingest(database, hired("E4", hire_date="2018-01-15"))
    await _ingest(database, exited("E4", "2022-12-31"))
    rehire = await _ingest(database, hired("E4", hire_date="2025-04-01", job_title="Analytics Lead"))
    assert _snapshots(database.outbox_events()) == [
        ("registered", "E4.v1", "active"),
        ("departed", "E4.v2", "departed"),
        ("updated", "E4.v3", "active"),
    ]
    assert _snapshots(rehire.published) == [("updated", "E4.v3", "active")]
    assert database.employees["E4"].record.employment == 2


async def test_an_older_change_arriving_later_in_the_batch_changes_nothing() -> None:
    database = FakeProfilesDatabase()
    uow = await _ingest(
        database,
        hired("E5"),
        changed("E5", "2026-09-01", job_title="Lead"),
        changed("E5", "2026-06-01", job_title="Senior"),
    )
    assert _snapshots(uow.published) == [("registered", "E5.v1", "active"), ("updated", "E5.v2", "active")]
    assert database.employees["E5"].record.job_title == "Lead"
    assert len(database.hr_events) == 3


async def test_a_repeated_hire_and_a_no_op_change_publish_nothing() -> None:
    database = FakeProfilesDatabase()
    await _ingest(database, hired("E6"))
    again = await _ingest(
        database,
        hired("E6"),
        changed("E6", "2023-01-01", "correction", job_title="Data Analyst", department="Finance"),
    )
    assert again.published == []
    assert database.employees["E6"].version == 1
    assert len(database.hr_events) == 3


# -- mentoring profile writes ------------------------------------------------------------


def _with(*profiles: Any) -> FakeProfilesDatabase:
    return FakeProfilesDatabase(employees={p.record.employee_id: p for p in profiles})


async def test_a_valid_write_saves_the_next_version_and_publishes_it() -> None:
    database = _with(a_profile("M1"))
    uow = FakeProfilesUnitOfWork(database)
    async with uow:
        after = await update_mentoring(
            uow,
            UpdateMentoring("M1", {"capacity": 4, "skills_wanted": [{"skill": "K8s", "level": 2}]}),
            taxonomy=TAXONOMY,
            source=SOURCE,
        )
        assert not uow.committed
        await uow.commit()
    assert (after.version, after.mentoring.capacity) == (2, 4)
    assert [s.skill for s in after.mentoring.skills_wanted] == ["kubernetes"]
    assert _snapshots(uow.published) == [("updated", "M1.v2", "active")]
    assert uow.published[0].data.mentoring.capacity == 4  # type: ignore[attr-defined]
    assert database.employees["M1"] == after


@pytest.mark.parametrize(
    ("employee", "write", "error"),
    [
        pytest.param(a_profile("M1"), {"capacity": 9}, MentoringProfileInvalid, id="invalid"),
        pytest.param(departed("M1", date(2025, 1, 1)), {"capacity": 9}, EmployeeDepartedError, id="departed"),
        pytest.param(a_profile("M2"), {"capacity": 1}, EmployeeNotFoundError, id="not-found"),
    ],
)
async def test_a_refused_write_changes_and_publishes_nothing(employee: Any, write: Any, error: Any) -> None:
    database = _with(employee)
    uow = FakeProfilesUnitOfWork(database)
    with pytest.raises(error):
        async with uow:
            await update_mentoring(uow, UpdateMentoring("M1", write), taxonomy=TAXONOMY, source=SOURCE)
    assert (uow.published, uow.committed) == ([], False)
    assert database.employees == {employee.record.employee_id: employee}


async def test_a_write_that_changes_nothing_publishes_nothing() -> None:
    stored = a_profile("M1")
    uow = FakeProfilesUnitOfWork(_with(stored))
    async with uow:
        same = await update_mentoring(
            uow,
            UpdateMentoring("M1", {"capacity": stored.mentoring.capacity}),
            taxonomy=TAXONOMY,
            source=SOURCE,
        )
    assert same == stored and uow.published == []


async def test_bulk_writes_apply_in_order_and_report_each() -> None:
    database = _with(a_profile("B1"), departed("B2", date(2025, 1, 1)))
    uow = FakeProfilesUnitOfWork(database)
    async with uow:
        outcomes = await update_mentoring_in_bulk(
            uow,
            [
                UpdateMentoring("B1", {"capacity": 1}),
                UpdateMentoring("B2", {"capacity": 1}),
                UpdateMentoring("B3", {"capacity": 1}),
                UpdateMentoring("B1", {"hours_per_month": 99}),
                UpdateMentoring("B1", {"capacity": 1}),
                UpdateMentoring("B1", {"capacity": 3}),
            ],
            taxonomy=TAXONOMY,
            source=SOURCE,
        )
        assert not uow.committed
        await uow.commit()
    assert [(o.employee_id, o.status) for o in outcomes] == [
        ("B1", "ok"),
        ("B2", "departed"),
        ("B3", "not_found"),
        ("B1", "invalid"),
        ("B1", "ok"),
        ("B1", "ok"),
    ]
    assert outcomes[3] == WriteOutcome(
        "B1", "invalid", ("hours_per_month: Input should be less than or equal to 40",)
    )
    assert _snapshots(uow.published) == [("updated", "B1.v2", "active"), ("updated", "B1.v3", "active")]
    assert database.employees["B1"].mentoring.capacity == 3


async def test_the_http_handler_commits_a_write_and_answers_409_for_a_departed_employee() -> None:
    database = _with(a_profile("H1"), departed("H2", date(2025, 1, 1)))
    opened: list[FakeProfilesUnitOfWork] = []

    def unit_of_work() -> FakeProfilesUnitOfWork:
        opened.append(FakeProfilesUnitOfWork(database))
        return opened[-1]

    app = FastAPI()
    app.include_router(profiles_router(unit_of_work, TAXONOMY, 50, SOURCE))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://profiles") as api:
        ok = await api.patch("/v1/profiles/H1/mentoring", json={"capacity": 3})
        refused = await api.patch("/v1/profiles/H2/mentoring", json={"capacity": 2})
    assert (ok.status_code, ok.json()["profile_version"], refused.status_code) == (200, 2, 409)
    assert [(uow.committed, len(uow.published)) for uow in opened] == [(True, 1), (False, 0)]


# -- erasure -------------------------------------------------------------------------------

NOW = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)  # with 365 days: exits up to 2024-02-02 are due


async def test_erasure_takes_due_profiles_only_and_strips_their_traces() -> None:
    due = departed("R1", date(2024, 2, 2))
    database = _with(due, departed("R2", date(2024, 2, 3)), a_profile("R3"))
    database.hr_events[1] = a_log_entry(1, "R1", date(2024, 2, 2), "exited", email="r1@example.com")
    setup = FakeProfilesUnitOfWork(database)
    async with setup:
        await setup.publish_one(
            OutgoingEvent(data=snapshot_event("departed", due), source=SOURCE, id="R1.v2")
        )
        await setup.commit()
    database.mark_outbox_sent()

    uow = FakeProfilesUnitOfWork(database)
    async with uow:
        erased = await erase_due_profiles(uow, EraseDueProfiles(NOW, 365, limit=10), source=SOURCE)
        assert not uow.committed
        await uow.commit()
    assert erased == 1
    assert _snapshots(uow.published) == [("erased", "R1.v3", "erased")]
    assert uow.published[0].data.model_dump() == {"employee_id": "R1", "profile_version": 3}
    r1 = database.employees["R1"]
    assert r1.erased and r1.record == erase(due.record) and r1.version == 3
    assert database.erased_at["R1"] == NOW
    assert database.hr_events[1].data == {"employee_id": "R1"}
    assert [row.payload is None for row in database.outbox] == [True, False]
    assert not database.employees["R2"].erased and not database.employees["R3"].erased


async def test_the_erasure_job_commits_one_transaction_per_batch() -> None:
    database = _with(*(departed(f"R{n}", date(2020, 1, n)) for n in range(1, 4)), a_profile("R9"))
    opened: list[FakeProfilesUnitOfWork] = []

    def unit_of_work() -> FakeProfilesUnitOfWork:
        opened.append(FakeProfilesUnitOfWork(database))
        return opened[-1]

    job = ErasureJob(unit_of_work, source=SOURCE, retention_days=365, clock=lambda: NOW, batch_size=2)
    assert await job.run_once() == 3
    assert [(uow.committed, len(uow.published)) for uow in opened] == [(True, 2), (True, 1)]
    assert await job.run_once() == 0


# -- HR log compaction -------------------------------------------------------------------


async def test_compaction_folds_the_events_before_the_horizon_into_the_snapshot() -> None:
    database = _with(a_profile("K1"))
    entries = [
        a_log_entry(1, "K1", date(2015, 1, 1), "hired", hire_date="2015-01-01", job_title="Analyst"),
        a_log_entry(2, "K1", date(2015, 6, 1), changes={"job_title": "Senior"}),
        a_log_entry(3, "K1", date(2026, 6, 1), changes={"job_title": "Lead"}),
        # Never hired: what waits for a hire stays in the log.
        a_log_entry(4, "K2", date(2015, 1, 1), changes={"job_title": "Lead"}),
    ]
    database.hr_events = {entry.seq: entry for entry in entries}
    uow = FakeProfilesUnitOfWork(database)
    async with uow:
        horizon = date(2024, 11, 1)
        assert await compact_hr_log(uow, CompactHrLog("K1", horizon, max_events=10)) == 2
        assert await compact_hr_log(uow, CompactHrLog("K2", horizon, max_events=10)) == 0
        await uow.commit()
    assert (uow.published, sorted(database.hr_events)) == ([], [3, 4])
    snapshot = database.log_snapshots["K1"]
    assert snapshot.events_folded == 2 and snapshot.fold.horizon == entries[1].event().order
    assert snapshot.fold.record is not None and snapshot.fold.record.job_title == "Senior"
