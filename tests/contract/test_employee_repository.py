"""``uow.employees``: one suite, bound to the fake and to PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from tandem_profiles.domain.erasure import erase_profile
from tandem_profiles.domain.mentoring import EMPTY_MENTORING_PROFILE, MentoringProfile, SkillLevel
from tests.contract.backends import FakeBackend, PostgresBackend
from tests.support.stored_profiles import T0, a_profile, departed

ERASED_AT = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


async def _save(backend, *profiles) -> None:
    async with backend.unit_of_work() as uow:
        await uow.employees.save(list(profiles))
        await uow.commit()


async def _load(backend, *ids: str):
    async with backend.unit_of_work() as uow:
        return await uow.employees.load(ids)


class EmployeeRepositoryContract:
    async def test_load_finds_only_stored_profiles_with_or_without_a_lock(self, backend) -> None:
        await _save(backend, a_profile("E1"), a_profile("E2", version=3, hr_position=None))
        async with backend.unit_of_work() as uow:
            await uow.employees.lock_employees(["E1", "NEW", "E1"])
            assert await uow.employees.load([]) == {}
            assert await uow.employees.load(["E1", "NOPE"]) == {"E1": a_profile("E1")}
            locked = await uow.employees.load(["E2", "E1"], for_update=True)
        assert locked == {"E1": a_profile("E1"), "E2": a_profile("E2", version=3, hr_position=None)}

    async def test_a_profile_comes_back_as_it_was_saved(self, backend) -> None:
        stored = departed(
            "E1",
            date(2025, 6, 30),
            location={"country": "PT"},
            languages=(),
            manager_id=None,
            birth_year=None,
            mentoring=EMPTY_MENTORING_PROFILE,
        )
        await _save(backend, stored)
        assert await _load(backend, "E1") == {"E1": stored}

    async def test_save_replaces_a_stored_profile(self, backend) -> None:
        await _save(backend, a_profile("E1"))
        newer = a_profile("E1", version=2, job_title="Lead", mentoring=MentoringProfile(capacity=1))
        await _save(backend, newer, a_profile("E2"))
        assert await _load(backend, "E1", "E2") == {"E1": newer, "E2": a_profile("E2")}

    async def test_advance_positions_moves_the_position_and_nothing_else(self, backend) -> None:
        await _save(backend, a_profile("E1"), departed("E2", date(2020, 1, 31)))
        async with backend.unit_of_work() as uow:
            await uow.employees.save_erased(erase_profile(departed("E2", date(2020, 1, 31))), ERASED_AT)
            await uow.commit()
        position = (date(2026, 3, 1), T0, 42)
        async with backend.unit_of_work() as uow:
            await uow.employees.advance_positions({})
            await uow.employees.advance_positions({"E1": position, "E2": position, "NOPE": position})
            await uow.commit()
        found = await _load(backend, "E1", "E2", "NOPE")
        assert found["E1"] == a_profile("E1", hr_position=position)
        assert found["E2"] == replace(erase_profile(departed("E2", date(2020, 1, 31))), hr_position=position)
        assert "NOPE" not in found

    async def test_save_erased_stores_the_erased_profile_and_a_later_save_clears_it(self, backend) -> None:
        before = departed("E1", date(2020, 1, 31))
        await _save(backend, before)
        erased = erase_profile(before)
        async with backend.unit_of_work() as uow:
            await uow.employees.save_erased(erased, ERASED_AT)
            await uow.employees.save_erased(erase_profile(departed("NOPE", date(2020, 1, 1))), ERASED_AT)
            await uow.commit()
        assert await _load(backend, "E1", "NOPE") == {"E1": erased}
        # A rehire is saved as it comes: not erased.
        rehired = a_profile("E1", version=erased.version + 1, employment=2, hire_date=date(2026, 1, 1))
        await _save(backend, rehired)
        assert await _load(backend, "E1") == {"E1": rehired}

    async def test_erasure_candidates_are_departed_by_the_cutoff_not_erased_by_id(self, backend) -> None:
        await _save(
            backend,
            departed("E3", date(2024, 1, 31)),
            departed("E1", date(2024, 2, 1)),
            departed("E2", date(2024, 2, 2)),
            a_profile("E4"),
            departed("E5", date(2020, 1, 1)),
            departed("E6", date(2023, 1, 1)),
        )
        async with backend.unit_of_work() as uow:
            await uow.employees.save_erased(erase_profile(departed("E5", date(2020, 1, 1))), ERASED_AT)
            await uow.commit()
        async with backend.unit_of_work() as uow:
            candidates = await uow.employees.erasure_candidates(date(2024, 2, 1), 10)
            limited = await uow.employees.erasure_candidates(date(2024, 2, 1), 2)
        assert [c.record.employee_id for c in candidates] == ["E1", "E3", "E6"]
        assert candidates[0] == departed("E1", date(2024, 2, 1))
        assert [c.record.employee_id for c in limited] == ["E1", "E3"]

    async def test_page_lists_profiles_not_erased_by_id_with_every_filter(self, backend) -> None:
        python = MentoringProfile(skills_offered=(SkillLevel("python", 2),), skills_wanted=())
        wants_python = MentoringProfile(skills_wanted=(SkillLevel("python", 2),))
        await _save(
            backend,
            a_profile("P4", department="Risk", mentoring=python),
            a_profile("P1", mentoring=python),
            a_profile("P3", location={"country": "PT", "city": "Porto"}, mentoring=wants_python),
            departed("P2", date(2025, 1, 1), location=None, mentoring=EMPTY_MENTORING_PROFILE),
            departed("P5", date(2020, 1, 1)),
        )
        async with backend.unit_of_work() as uow:
            await uow.employees.save_erased(erase_profile(departed("P5", date(2020, 1, 1))), ERASED_AT)
            await uow.commit()

        async def ids(**query) -> list[str]:
            async with backend.unit_of_work() as uow:
                found = await uow.employees.page(**{"after": None, "limit": 10, **query})
            return [stored.record.employee_id for stored in found]

        assert await ids() == ["P1", "P2", "P3", "P4"]
        assert await ids(limit=2) == ["P1", "P2"]
        assert await ids(after="P2") == ["P3", "P4"]
        assert await ids(department="Risk") == ["P4"]
        assert await ids(country="PT") == ["P3"]
        assert await ids(country="BR", status="active") == ["P1", "P4"]
        assert await ids(status="departed") == ["P2"]
        assert await ids(skill="python") == ["P1", "P4"]
        assert await ids(skill="python", department="Finance", after="P1") == []
        async with backend.unit_of_work() as uow:
            (first,) = await uow.employees.page(after=None, limit=1)
        assert first == a_profile("P1", mentoring=python)


class TestEmployeeRepositoryOnFakes(EmployeeRepositoryContract):
    @pytest.fixture
    def backend(self, fake_profiles: FakeBackend) -> FakeBackend:
        return fake_profiles


class TestEmployeeRepositoryOnPostgres(EmployeeRepositoryContract):
    @pytest.fixture
    def backend(self, postgres_profiles: PostgresBackend) -> PostgresBackend:
        return postgres_profiles
