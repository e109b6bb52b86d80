"""One suite for the matching repositories, bound to the fakes and to PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from tandem_matching.adapters.unit_of_work import SqlMatchingUnitOfWork
from tandem_matching.domain.enrolment import Enrolment
from tandem_matching.domain.pool import PoolMember
from tests.contract.backends import FakeBackend, PostgresBackend
from tests.fakes.matching import FakeMatchingUnitOfWork
from tests.support.matching import emptied, migrate_matching
from tests.unit.matching_service.support import T0, a_match, a_member, a_program

TABLES = ("outbox", "inbox", "match_members", "matches", "enrolments", "pool_members", "programs")


@pytest.fixture
def fake_matching() -> FakeBackend:
    return FakeBackend(FakeMatchingUnitOfWork)


@pytest.fixture(scope="module")
async def matching_database(module_database_url: str) -> str:
    return await migrate_matching(module_database_url)


@pytest.fixture
async def postgres_matching(matching_database: str) -> AsyncIterator[PostgresBackend]:
    async with emptied(matching_database, TABLES, pool_size=2) as engine:
        yield PostgresBackend(engine, SqlMatchingUnitOfWork)


def enrolment(program_id: str, employee_id: str, status: str = "enrolled") -> Enrolment:
    return Enrolment(program_id, employee_id, ("mentor", "mentee"), status, T0, T0)  # type: ignore[arg-type]


class MatchingRepositoriesContract:
    async def test_programs_round_trip_and_page(self, backend) -> None:
        draft = a_program(
            "P2",
            eligibility={"countries": ["BR"], "min_seniority": 2},
            rules={"exclude_same_department": True},
        )
        running = a_program("P1", status="running", admins=("ADM", "CO"))
        async with backend.unit_of_work() as uow:
            await uow.programs.add(draft)
            await uow.programs.add(running)
            await uow.commit()
        changed = draft.edit(
            {"name": "Renamed", "weights": {"cross_department": 0.5}}, now=T0 + timedelta(hours=1)
        )
        async with backend.unit_of_work() as uow:
            assert await uow.programs.get(["P1", "P2", "P9"]) == {"P1": running, "P2": draft}
            await uow.programs.save(changed)
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert (await uow.programs.get(["P2"], for_update=True))["P2"] == changed
            assert [p.program_id for p in await uow.programs.page(after=None, limit=10, status=None)] == [
                "P1",
                "P2",
            ]
            assert [p.program_id for p in await uow.programs.page(after="P1", limit=10, status=None)] == [
                "P2"
            ]
            assert [p.program_id for p in await uow.programs.page(after=None, limit=1, status=None)] == ["P1"]
            assert [p.program_id for p in await uow.programs.page(after=None, limit=10, status="draft")] == [
                "P2"
            ]

    async def test_nothing_stays_without_a_commit(self, backend) -> None:
        async with backend.unit_of_work() as uow:
            await uow.programs.add(a_program("P1"))
            await uow.pool.save([a_member("E1")])
        async with backend.unit_of_work() as uow:
            assert await uow.programs.get(["P1"]) == {}
            assert await uow.pool.get(["E1"]) == {}

    async def test_enrolments(self, backend) -> None:
        async with backend.unit_of_work() as uow:
            await uow.enrolments.save(
                [
                    enrolment("P1", "E2"),
                    enrolment("P1", "E1"),
                    enrolment("P2", "E1"),
                    enrolment("P2", "E3", "withdrawn"),
                ]
            )
            await uow.commit()
        withdrawn = enrolment("P1", "E1").withdraw("departed", now=T0 + timedelta(days=1))
        async with backend.unit_of_work() as uow:
            assert await uow.enrolments.get("P1", ["E1", "E3"]) == {"E1": enrolment("P1", "E1")}
            await uow.enrolments.save([withdrawn])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert await uow.enrolments.get("P1", ["E1"], for_update=True) == {"E1": withdrawn}
            assert await uow.enrolments.of_employees(["E1", "E3"], status="enrolled") == [
                enrolment("P2", "E1")
            ]
            assert await uow.enrolments.of_employees(["E1"]) == [withdrawn, enrolment("P2", "E1")]
            assert [
                e.employee_id for e in await uow.enrolments.page("P1", after=None, limit=5, status=None)
            ] == [
                "E1",
                "E2",
            ]
            assert [
                e.employee_id for e in await uow.enrolments.page("P1", after="E1", limit=5, status="enrolled")
            ] == ["E2"]

    async def test_pool_members_round_trip_erased_included(self, backend) -> None:
        member = a_member("E1", 3, department="Sales")
        async with backend.unit_of_work() as uow:
            await uow.pool.save([member, PoolMember.erased("E2", 5)])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert await uow.pool.get(["E1", "E2", "E3"], for_update=True) == {
                "E1": member,
                "E2": PoolMember.erased("E2", 5),
            }
            await uow.pool.save([a_member("E1", 4)])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert (await uow.pool.get(["E1"]))["E1"].profile_version == 4

    async def test_matches_round_trip_and_queries(self, backend) -> None:
        declined = a_match("M1", members=(("B", "mentor"), ("A", "mentee")))
        circle = a_match("M2", members=(("C", "mentor"), ("D", "mentee"), ("E", "mentee")))
        other = a_match("M3", program_id="P2", members=(("A", "partner"), ("B", "partner")))
        async with backend.unit_of_work() as uow:
            await uow.matches.add([declined, circle, other])
            await uow.commit()
        later = T0 + timedelta(days=1)
        declined_after = declined.accept("A", now=later, duration_days=5).decline("B", now=later)
        circle_after = circle.start(date(2026, 12, 2), duration_days=10, now=later).flag_at_risk(
            True, now=later
        )
        async with backend.unit_of_work() as uow:
            assert await uow.matches.get(["M1", "M2", "M9"]) == {"M1": declined, "M2": circle}
            await uow.matches.save([declined_after, circle_after])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert await uow.matches.get(["M1", "M2"], for_update=True) == {
                "M1": declined_after,
                "M2": circle_after,
            }
            assert [m.match_id for m in await uow.matches.of_members(["A"])] == ["M1", "M3"]
            assert [m.match_id for m in await uow.matches.of_members(["A"], statuses=["proposed"])] == ["M3"]
            assert [m.match_id for m in await uow.matches.of_members(["A", "E"], program_id="P1")] == [
                "M1",
                "M2",
            ]
            assert [m.match_id for m in await uow.matches.of_program("P1")] == ["M1", "M2"]
            assert [m.match_id for m in await uow.matches.of_program("P1", statuses=["active"])] == ["M2"]
            assert [m.match_id for m in await uow.matches.of_program("P1", after="M1", limit=1)] == ["M2"]
            assert await uow.matches.previous_pairs("P1") == {("A", "B")}
            assert await uow.matches.previous_pairs("P2") == set()
            assert await uow.matches.matched_in_program("P1", ["A", "B", "C", "E", "Z"]) == {"C", "E"}

    async def test_the_jobs_find_what_is_due(self, backend) -> None:
        early = a_match("M1", members=(("A", "mentor"), ("B", "mentee")), expiry_days=1)
        late = a_match("M2", members=(("C", "mentor"), ("D", "mentee")), expiry_days=20)
        active = a_match("M3", members=(("E", "mentor"), ("F", "mentee"))).start(
            date(2026, 12, 1), duration_days=10, now=T0
        )
        async with backend.unit_of_work() as uow:
            await uow.matches.add([early, late, active])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert [m.match_id for m in await uow.matches.expired_proposals(T0 + timedelta(days=1), 10)] == [
                "M1"
            ]
            assert await uow.matches.expired_proposals(T0, 10) == []
            assert [m.match_id for m in await uow.matches.expired_proposals(T0 + timedelta(days=30), 1)] == [
                "M1"
            ]
            assert await uow.matches.due_to_complete(date(2026, 12, 10), 10) == []
            assert [m.match_id for m in await uow.matches.due_to_complete(date(2026, 12, 11), 10)] == ["M3"]


class TestMatchingRepositoriesOnFakes(MatchingRepositoriesContract):
    @pytest.fixture
    def backend(self, fake_matching: FakeBackend) -> FakeBackend:
        return fake_matching


class TestMatchingRepositoriesOnPostgres(MatchingRepositoriesContract):
    @pytest.fixture
    def backend(self, postgres_matching: PostgresBackend) -> PostgresBackend:
        return postgres_matching
