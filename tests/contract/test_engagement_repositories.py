"""One suite for the engagement repositories, bound to the fakes and to PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from tandem_common.db.engine import create_engine
from tandem_common.db.tables import backbone_metadata
from tandem_common.migrations.runner import run_migrations
from tandem_engagement.adapters.tables import metadata as engagement_metadata
from tandem_engagement.adapters.unit_of_work import SqlEngagementUnitOfWork
from tandem_engagement.domain.checkins import Answers, announce
from tandem_engagement.domain.enrolments import Enrolment
from tandem_engagement.domain.goals import create_goal, edit_goal
from tandem_engagement.domain.ledger import RecordedEntry
from tandem_engagement.domain.matches import CheckinSchedule, Member
from tandem_engagement.domain.people import HistoryRow, Person
from tandem_engagement.domain.sessions import LedgerEntry, Session
from tandem_engagement.entrypoints.main import MIGRATIONS
from tests.contract.backends import FakeBackend, PostgresBackend
from tests.fakes.engagement import FakeEngagementUnitOfWork
from tests.unit.engagement_service.support import T0, a_match, a_program

TABLES = (
    "outbox",
    "inbox",
    "checkins",
    "goals",
    "ledger_entries",
    "sessions",
    "person_history",
    "people",
    "match_members",
    "matches",
    "programs",
    "enrolments",
)


@pytest.fixture
def fake_engagement() -> FakeBackend:
    return FakeBackend(FakeEngagementUnitOfWork)


@pytest.fixture(scope="module")
async def engagement_database(module_database_url: str) -> str:
    engine = create_engine(module_database_url, pool_size=1)
    try:
        await run_migrations(engine, MIGRATIONS, [backbone_metadata, engagement_metadata])
    finally:
        await engine.dispose()
    return module_database_url


@pytest.fixture
async def postgres_engagement(engagement_database: str) -> AsyncIterator[PostgresBackend]:
    engine = create_engine(engagement_database, pool_size=2)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))
        yield PostgresBackend(engine, SqlEngagementUnitOfWork)
    finally:
        await engine.dispose()


def a_session(
    session_id: str,
    match_id: str = "M1",
    *,
    by: str = "A",
    partner: str = "B",
    day: int = 10,
    **changes: object,
) -> Session:
    values: dict[str, object] = {
        "session_id": session_id,
        "match_id": match_id,
        "program_id": "P1",
        "logged_by": by,
        "partner_id": partner,
        "held_on": date(2026, 2, day),
        "minutes": 60,
        "mode": "video",
        "learning": (LedgerEntry(by, partner, "python"), LedgerEntry(partner, by, "excel")),
        "notes": "private words",
        "client_request_id": None,
        "logged_at": T0,
    }
    values.update(changes)
    return Session(**values)  # type: ignore[arg-type]


def person(employee_id: str, version: int, **changes: object) -> Person:
    values: dict[str, object] = {
        "employee_id": employee_id,
        "profile_version": version,
        "status": "active",
        "hire_date": date(2025, 3, 1),
        "exit_date": None,
        "exit_reason": None,
        "department": "Finance",
        "country": "BR",
        "seniority_level": 3,
        "demographics_consent": False,
    }
    values.update(changes)
    return Person(**values)  # type: ignore[arg-type]


class EngagementRepositoriesContract:
    async def test_programs_and_matches_round_trip(self, backend) -> None:
        program = a_program(checkins=CheckinSchedule(14, 28), admins=("X", "Y"))
        active = a_match(
            "M2",
            members=("F", "A", "B"),
            next_checkin_on=date(2026, 2, 1),
            checkins_through=date(2026, 1, 15),
        )
        ended = a_match("M1", status="ended", ended_on=date(2026, 2, 1), end_reason="completed")
        async with backend.unit_of_work() as uow:
            await uow.programs.save([program])
            await uow.matches.save([active, ended])
            await uow.commit()
        moved = replace(active, members=(Member("A", "mentor"), Member("B", "mentee")), status="ended")
        async with backend.unit_of_work() as uow:
            assert await uow.programs.get(["P1", "P9"], for_update=True) == {"P1": program}
            assert await uow.matches.get(["M1", "M2", "M9"]) == {"M1": ended, "M2": active}
            assert await uow.matches.active_of_program("P1") == [active]
            await uow.programs.save([replace(program, version=2)])
            await uow.matches.save([moved])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert (await uow.programs.get(["P1"]))["P1"].version == 2
            assert (await uow.matches.get(["M2"]))["M2"] == moved
            assert await uow.matches.active_of_program("P1") == []

    async def test_enrolments_round_trip(self, backend) -> None:
        first = Enrolment("P1", "B", ("mentee",), "enrolled", T0)
        second = Enrolment("P1", "A", ("mentor", "mentee"), "enrolled", T0)
        elsewhere = Enrolment("P2", "A", (), "enrolled", T0)
        async with backend.unit_of_work() as uow:
            await uow.enrolments.save([first, second, elsewhere])
            await uow.commit()
        left = replace(second, status="withdrawn", changed_at=T0 + timedelta(hours=1))
        async with backend.unit_of_work() as uow:
            found = await uow.enrolments.get([("P1", "A"), ("P1", "B"), ("P1", "C")], for_update=True)
            assert found == {("P1", "A"): second, ("P1", "B"): first}
            assert list(found) == [("P1", "A"), ("P1", "B")]
            await uow.enrolments.save([left])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert await uow.enrolments.get([("P1", "A"), ("P2", "A")]) == {
                ("P1", "A"): left,
                ("P2", "A"): elsewhere,
            }
            assert await uow.enrolments.get([]) == {}

    async def test_matches_due_for_check_ins(self, backend) -> None:
        due = [a_match(f"M{i}", next_checkin_on=date(2026, 2, i)) for i in (3, 1, 2)]
        later = a_match("M4", next_checkin_on=date(2026, 3, 1))
        unscheduled = a_match("M5")
        ended = a_match("M6", status="ended", next_checkin_on=date(2026, 1, 1))
        async with backend.unit_of_work() as uow:
            await uow.matches.save([*due, later, unscheduled, ended])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert [m.match_id for m in await uow.matches.due_for_checkins(date(2026, 2, 28), 10)] == [
                "M1",
                "M2",
                "M3",
            ]
            assert [m.match_id for m in await uow.matches.due_for_checkins(date(2026, 2, 28), 2)] == [
                "M1",
                "M2",
            ]

    async def test_people_and_their_history(self, backend) -> None:
        rows = [
            HistoryRow("E1", 1, date(2025, 3, 1), "active", "Finance", "BR", 3),
            HistoryRow("E1", 3, date(2025, 9, 1), "active", "Sales", "BR", 4),
            HistoryRow("E2", 1, date(2024, 1, 1), "active", None, None, None),
        ]
        async with backend.unit_of_work() as uow:
            await uow.people.save([person("E1", 1), person("E2", 1)])
            await uow.people.add_history(rows)
            await uow.people.add_history([replace(rows[0], department="Other")])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert await uow.people.get(["E1", "E9"], for_update=True) == {"E1": person("E1", 1)}
            assert await uow.people.history(["E1", "E2", "E9"]) == {"E1": rows[:2], "E2": rows[2:]}
            await uow.people.save(
                [person("E1", 4, status="erased", department=None, country=None, seniority_level=None)]
            )
            await uow.people.forget_history(["E1"])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert (await uow.people.get(["E1"]))["E1"].status == "erased"
            assert await uow.people.history(["E1", "E2"]) == {"E2": rows[2:]}

    async def test_sessions_and_the_ledger(self, backend) -> None:
        first = a_session("S1", day=10, client_request_id="r1")
        second = a_session(
            "S2", day=12, by="B", partner="A", notes=None, learning=(LedgerEntry("B", "A", "sql"),)
        )
        other = a_session("S3", "M2", by="A", partner="C", day=11, learning=())
        async with backend.unit_of_work() as uow:
            for session in (first, second, other):
                await uow.sessions.add(session)
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert await uow.sessions.by_request("A", "r1") == first
            assert await uow.sessions.by_request("B", "r1") is None
            assert await uow.sessions.of_matches(["M1", "M2", "M9"]) == {
                "M1": [second, first],
                "M2": [other],
                "M9": [],
            }
            entries = await uow.sessions.ledger_of_matches(["M1", "M9"])
            assert entries == {
                "M1": [
                    RecordedEntry("S1", "M1", "P1", "A", "B", "python", date(2026, 2, 10)),
                    RecordedEntry("S1", "M1", "P1", "B", "A", "excel", date(2026, 2, 10)),
                    RecordedEntry("S2", "M1", "P1", "B", "A", "sql", date(2026, 2, 12)),
                ],
                "M9": [],
            }
            people = await uow.sessions.ledger_of_people(["B", "Z"])
            assert people == {"B": entries["M1"], "Z": []}
            assert await uow.sessions.erase_notes(["A"]) == 2
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert [s.notes for s in (await uow.sessions.of_matches(["M1", "M2"])).values() for s in s] == [
                None,
                None,
                None,
            ]

    async def test_goals(self, backend) -> None:
        match = a_match()
        later = create_goal(match, {"title": "B", "due_on": "2026-09-01"}, ("A", "B"), by="A", now=T0)
        sooner = create_goal(
            match, {"title": "A", "due_on": "2026-05-01", "success_criteria": "x"}, ("A",), by="A", now=T0
        )
        async with backend.unit_of_work() as uow:
            await uow.goals.add(later)
            await uow.goals.add(sooner)
            await uow.commit()
        changed = edit_goal(later, {"status": "done"}, None, now=T0)
        async with backend.unit_of_work() as uow:
            assert await uow.goals.get([later.goal_id, "G9"], for_update=True) == {later.goal_id: later}
            await uow.goals.save(changed)
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert await uow.goals.of_matches(["M1", "M9"]) == {"M1": [sooner, changed], "M9": []}

    async def test_check_ins_are_stored_once_per_member_and_date(self, backend) -> None:
        match = a_match(members=("B", "A"))
        first = announce(match, date(2026, 1, 31), now=T0)
        async with backend.unit_of_work() as uow:
            assert await uow.checkins.add_new(first) == first
            await uow.commit()
        second = announce(match, date(2026, 4, 1), now=T0)
        async with backend.unit_of_work() as uow:
            # The first date again (as another replica would) is left alone.
            assert (
                await uow.checkins.add_new([*announce(match, date(2026, 1, 31), now=T0), *second]) == second
            )
            await uow.commit()
        # Members in their match order: B first.
        assert [c.employee_id for c in first] == ["B", "A"]
        answered = first[0].submit(Answers(4, 3, 2, 1, "words"), today=date(2026, 2, 1), now=T0)
        async with backend.unit_of_work() as uow:
            assert await uow.checkins.get([answered.checkin_id, "C9"], for_update=True) == {
                answered.checkin_id: first[0]
            }
            await uow.checkins.save([answered])
            await uow.commit()
        async with backend.unit_of_work() as uow:
            assert {c.checkin_id for c in await uow.checkins.open_of_matches(["M1"], for_update=True)} == {
                first[1].checkin_id,
                *(c.checkin_id for c in second),
            }
            by_match = await uow.checkins.of_matches(["M1", "M9"])
            assert [(c.due_on, c.employee_id, c.status) for c in by_match["M1"]] == [
                (date(2026, 1, 31), "A", "due"),
                (date(2026, 1, 31), "B", "submitted"),
                (date(2026, 4, 1), "A", "due"),
                (date(2026, 4, 1), "B", "due"),
            ]
            assert by_match["M9"] == []
            assert (await uow.checkins.get([answered.checkin_id]))[answered.checkin_id] == answered
            due = await uow.checkins.due_of_people(["A", "B", "Z"])
            assert [c.due_on for c in due["A"]] == [date(2026, 1, 31), date(2026, 4, 1)]
            assert [c.due_on for c in due["B"]] == [date(2026, 4, 1)]
            assert due["Z"] == []
            assert await uow.checkins.erase_comments(["B"]) == 1
            await uow.commit()
        async with backend.unit_of_work() as uow:
            stored = (await uow.checkins.get([answered.checkin_id]))[answered.checkin_id]
            assert stored.answers == Answers(4, 3, 2, 1, "")


class TestEngagementRepositoriesOnFakes(EngagementRepositoriesContract):
    @pytest.fixture
    def backend(self, fake_engagement: FakeBackend) -> FakeBackend:
        return fake_engagement


class TestEngagementRepositoriesOnPostgres(EngagementRepositoriesContract):
    @pytest.fixture
    def backend(self, postgres_engagement: PostgresBackend) -> PostgresBackend:
        return postgres_engagement
