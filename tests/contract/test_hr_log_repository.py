"""``uow.hr_log``: one suite, bound to the fake and to PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from tandem_profiles.domain.employee import Fold, HrEvent
from tandem_profiles.domain.erasure import erase, purge_event_data
from tests.contract.backends import FakeBackend, PostgresBackend
from tests.support.stored_profiles import T0, a_log_entry, a_profile, a_record


def _dated(year: int, month: int = 1, day: int = 1) -> date:
    return date(year, month, day)


async def _append(backend, *entries) -> None:
    async with backend.unit_of_work() as uow:
        await uow.hr_log.append(list(entries))
        await uow.commit()


async def _seqs(backend, count: int) -> list[int]:
    async with backend.unit_of_work() as uow:
        seqs = await uow.hr_log.reserve_seqs(count)
        await uow.commit()
    return seqs


class HrLogRepositoryContract:
    async def test_reserved_sequence_numbers_rise_and_are_never_handed_out_twice(self, backend) -> None:
        assert await _seqs(backend, 0) == []
        first = await _seqs(backend, 3)
        assert first == sorted(set(first)) and len(first) == 3
        # Also after a transaction that took some and rolled back.
        async with backend.unit_of_work() as uow:
            taken = await uow.hr_log.reserve_seqs(2)
        later = await _seqs(backend, 2)
        assert min(later) > max([*first, *taken])

    async def test_appended_events_load_per_employee(self, backend) -> None:
        e1, e2 = await _seqs(backend, 2)
        hired = a_log_entry(e1, "H1", _dated(2020, 3, 1), "hired", hire_date="2020-03-01", email="h1@x.org")
        changed = a_log_entry(e2, "H1", _dated(2021, 1, 1), changes={"job_title": "Lead"})
        await _append(backend, changed, hired)
        async with backend.unit_of_work() as uow:
            assert await uow.hr_log.load_events([]) == {}
            found = await uow.hr_log.load_events(["H1", "NONE"])
        assert found["NONE"] == []
        assert sorted(found["H1"], key=lambda event: event.arrival) == [
            HrEvent("hired", _dated(2020, 3, 1), T0, e1, hired.data),
            HrEvent("changed", _dated(2021, 1, 1), T0, e2, changed.data),
        ]

    async def test_first_events_come_in_replay_order(self, backend) -> None:
        seqs = await _seqs(backend, 4)
        await _append(
            backend,
            a_log_entry(seqs[0], "H1", _dated(2022)),
            a_log_entry(seqs[1], "H1", _dated(2020), "hired"),
            a_log_entry(seqs[2], "H1", _dated(2021)),
            a_log_entry(seqs[3], "H2", _dated(2019)),
        )
        async with backend.unit_of_work() as uow:
            first = await uow.hr_log.first_events("H1", 2)
            every = await uow.hr_log.first_events("H1", 10)
        assert [event.arrival for event in first] == [seqs[1], seqs[2]]
        assert [event.arrival for event in every] == [seqs[1], seqs[2], seqs[0]]

    async def test_a_snapshot_is_stored_as_a_fold_to_replay_from(self, backend) -> None:
        position = (_dated(2015, 6, 1), T0, 7)
        async with backend.unit_of_work() as uow:
            assert await uow.hr_log.load_snapshots(["H1"]) == {}
            with pytest.raises(ValueError, match="hired"):
                await uow.hr_log.save_snapshot("H0", Fold(), 1)
            await uow.hr_log.save_snapshot("H1", Fold(a_record("H1"), (), position), 5)
            await uow.commit()
        later = (_dated(2016, 1, 1), T0, 9)
        async with backend.unit_of_work() as uow:
            assert await uow.hr_log.load_snapshots(["H1", "H2"]) == {
                "H1": Fold(a_record("H1"), (), position, horizon=position)
            }
            await uow.hr_log.save_snapshot("H1", Fold(a_record("H1", job_title="Lead"), (), later), 2)
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert await uow.hr_log.load_snapshots(["H1"]) == {
                "H1": Fold(a_record("H1", job_title="Lead"), (), later, horizon=later)
            }

    async def test_compaction_candidates_have_enough_old_events_and_a_profile(self, backend) -> None:
        await _save_profiles(backend, "C1", "C2", "C3", "C5")
        seqs = iter(await _seqs(backend, 12))
        entries = [
            *(a_log_entry(next(seqs), "C1", _dated(2015, 1, day)) for day in (1, 2, 3)),
            *(a_log_entry(next(seqs), "C2", _dated(2015, 1, day)) for day in (1, 2)),
            a_log_entry(next(seqs), "C2", _dated(2026, 1, 1)),
            *(a_log_entry(next(seqs), "C3", _dated(2014, 1, day)) for day in (1, 2, 3)),
            # Not hired (no profile): its events wait for the hire.
            *(a_log_entry(next(seqs), "C4", _dated(2015, 1, day)) for day in (1, 2, 3)),
        ]
        await _append(backend, *entries)
        async with backend.unit_of_work() as uow:
            hr_log = uow.hr_log
            before_2020 = {"dated_before": _dated(2020), "min_events": 3}
            assert await hr_log.compaction_candidates(**before_2020, after=None, limit=10) == ["C1", "C3"]
            assert await hr_log.compaction_candidates(**before_2020, after=None, limit=1) == ["C1"]
            assert await hr_log.compaction_candidates(**before_2020, after="C1", limit=10) == ["C3"]
            assert await hr_log.compaction_candidates(
                dated_before=_dated(2027), min_events=3, after=None, limit=10
            ) == ["C1", "C2", "C3"]
            assert await hr_log.compaction_candidates(
                dated_before=_dated(2015, 1, 3), min_events=2, after=None, limit=10
            ) == ["C1", "C2", "C3"]

    async def test_delete_events_removes_those_events_only(self, backend) -> None:
        seqs = await _seqs(backend, 3)
        await _append(backend, *(a_log_entry(seq, "D1", _dated(2015)) for seq in seqs))
        async with backend.unit_of_work() as uow:
            assert await uow.hr_log.delete_events([]) == 0
            assert await uow.hr_log.delete_events([seqs[0], seqs[2], 10**9]) == 2
            await uow.commit()
        async with backend.unit_of_work() as uow:
            remaining = await uow.hr_log.load_events(["D1"])
        assert [event.arrival for event in remaining["D1"]] == [seqs[1]]

    async def test_redact_rewrites_one_employees_events_and_snapshot(self, backend) -> None:
        seqs = await _seqs(backend, 3)
        personal = {"email": "r1@example.com", "job_title": "CFO", "department": "Finance"}
        await _append(
            backend,
            a_log_entry(seqs[0], "R1", _dated(2010, 5, 1), "hired", hire_date="2010-05-01", **personal),
            a_log_entry(seqs[1], "R1", _dated(2011), changes={"job_title": "CEO", "seniority_level": 8}),
            a_log_entry(seqs[2], "R2", _dated(2011), changes={"job_title": "CTO"}),
        )
        position = (_dated(2010, 5, 1), T0, seqs[0])
        async with backend.unit_of_work() as uow:
            for employee_id in ("R1", "R2"):
                await uow.hr_log.save_snapshot(employee_id, Fold(a_record(employee_id), (), position), 1)
            await uow.commit()
        async with backend.unit_of_work() as uow:
            await uow.hr_log.redact("R1", purge_event_data, erase)
            await uow.hr_log.redact("NOBODY", purge_event_data, erase)
            await uow.commit()
        async with backend.unit_of_work() as uow:
            events = await uow.hr_log.load_events(["R1", "R2"])
            snapshots = await uow.hr_log.load_snapshots(["R1", "R2"])
        assert sorted((event.arrival, event.data) for event in events["R1"]) == [
            (seqs[0], {"employee_id": "R1", "hire_date": "2010-05-01", "department": "Finance"}),
            (seqs[1], {"employee_id": "R1", "changes": {"seniority_level": 8}}),
        ]
        assert events["R2"][0].data["changes"] == {"job_title": "CTO"}
        assert snapshots["R1"].record == erase(a_record("R1"))
        assert snapshots["R2"].record == a_record("R2")


async def _save_profiles(backend, *employee_ids: str) -> None:
    async with backend.unit_of_work() as uow:
        await uow.employees.save([a_profile(employee_id) for employee_id in employee_ids])
        await uow.commit()


class TestHrLogRepositoryOnFakes(HrLogRepositoryContract):
    @pytest.fixture
    def backend(self, fake_profiles: FakeBackend) -> FakeBackend:
        return fake_profiles


class TestHrLogRepositoryOnPostgres(HrLogRepositoryContract):
    @pytest.fixture
    def backend(self, postgres_profiles: PostgresBackend) -> PostgresBackend:
        return postgres_profiles
