"""A round being stored and a re-match after an exit, racing on one program, on PostgreSQL.

Both take the program's row lock before they look at who is free, so whichever comes
second waits, then sees the first one's proposals: nobody ends up in two open matches
of one program. Under them, the database's own guard (migration matching_0003) refuses
a second open seat of a person in a program even from a writer that took no lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest
from asyncpg.exceptions import UniqueViolationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_common.db.engine import create_session_factory
from tandem_matching.adapters.unit_of_work import SqlMatchingUnitOfWork
from tandem_matching.domain.enrolment import Enrolment
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.rounds import BECAME_UNAVAILABLE, CHANGED_DURING_ROUND, Round
from tandem_matching.service import rounds
from tandem_matching.service.lifecycle import LifecycleDeps, LifecycleReport, follow_profile_changes
from tandem_matching.service.proposals import propose_matches
from tests.support.matching import emptied, migrate_matching
from tests.support.profile_snapshots import departed_snapshot
from tests.unit.matching_service.support import SOURCE, T0, a_match, a_member, a_program

TABLES = ("match_rounds", "match_members", "matches", "enrolments", "pool_members", "programs", "outbox")
PEOPLE = ("A", "B", "C", "D", "Y", "Z")
DEPARTMENTS = ("Finance", "Sales", "Legal", "People", "Operations", "Engineering")
OWNER = "runner-a"
# The round's plan, made while A, B, C and D were all free.
PLAN = {
    "matches": [
        {"members": ["A", "B"], "score": 0.5, "explanation": []},
        {"members": ["C", "D"], "score": 0.5, "explanation": []},
    ],
    "unmatched": [],
    "stats": {"participants": 4, "matched": 4, "objective": 1.0, "seconds": 0.1},
}
DEPS = LifecycleDeps(source=SOURCE, expiry_days=14)


def person(who: str, department: str) -> PoolMember:
    """Half of them teach what the other half want to learn, so any two may pair."""
    member = a_member(who, department=department)
    assert member.snapshot is not None
    if who in ("A", "C", "Y"):
        mentoring = dict(member.snapshot["mentoring"])
        mentoring["skills_offered"] = [{"skill": "stakeholder-management", "level": 4}]
        mentoring["skills_wanted"] = [{"skill": "social-media", "level": 3}]
        member = a_member(who, department=department, mentoring=mentoring)
    return member


@pytest.fixture(scope="module")
async def migrated(module_database_url: str) -> str:
    return await migrate_matching(module_database_url)


@pytest.fixture
async def engine(migrated: str) -> AsyncIterator[AsyncEngine]:
    async with emptied(migrated, TABLES, pool_size=4) as engine:
        yield engine


def unit_of_work(engine: AsyncEngine) -> SqlMatchingUnitOfWork:
    return SqlMatchingUnitOfWork(create_session_factory(engine))


async def seed(engine: AsyncEngine, *, program_type: str = "reciprocal") -> None:
    """Program P1 running with auto_rematch; Y and Z in an open match; a round of it
    claimed by OWNER (its plan is PLAN)."""
    async with unit_of_work(engine) as uow:
        await uow.programs.add(a_program("P1", status="running", type=program_type, auto_rematch=True))
        await uow.pool.save(
            [person(who, department) for who, department in zip(PEOPLE, DEPARTMENTS, strict=True)]
        )
        await uow.enrolments.save(
            [Enrolment("P1", who, ("mentor", "mentee"), "enrolled", T0, T0) for who in PEOPLE]
        )
        await uow.matches.add([a_match("M0", "P1", (("Y", "partner"), ("Z", "partner")))])
        await uow.rounds.add(Round.queue("R1", "P1", requested_by="ADM", now=T0))
        await rounds.claim_round(uow, owner=OWNER, now=T0, lease_seconds=600, max_attempts=3)
        await uow.commit()


def propose(uow: Any, program: Any, proposals: Any, *, round_id: str | None, now: Any) -> Awaitable[Any]:
    return propose_matches(uow, program, proposals, round_id=round_id, now=now, source=SOURCE, expiry_days=14)


async def store_round(uow: SqlMatchingUnitOfWork) -> Round:
    done = await rounds.finish_round(
        uow, "R1", PLAN, owner=OWNER, open_match_ids=frozenset({"M0"}), now=T0, propose=propose
    )
    assert done is not None
    return done


async def y_departs(uow: SqlMatchingUnitOfWork) -> LifecycleReport:
    """What the profiles consumer does with Y's departure: store it, end Y's match, re-match Z."""
    held = await uow.pool.get(["Y"], for_update=True)
    gone = PoolMember.from_snapshot(departed_snapshot("Y", 2))
    await uow.pool.save([gone])
    return await follow_profile_changes(uow, held, [gone], now=T0, deps=DEPS)


async def in_one_transaction(engine: AsyncEngine, work: Any) -> Any:
    async with unit_of_work(engine) as uow:
        result = await work(uow)
        await uow.commit()
    return result


async def a_transaction_waits_for_a_lock(engine: AsyncEngine) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(200):
        async with engine.connect() as connection:
            if (await connection.execute(query)).scalar_one():
                return
        await asyncio.sleep(0.05)
    raise AssertionError("no transaction waited for a lock")


async def open_seats(engine: AsyncEngine) -> dict[str, list[str]]:
    """Each person's open matches in P1."""
    async with engine.connect() as connection:
        found = await connection.execute(
            text(
                """
                SELECT mm.employee_id, array_agg(m.match_id ORDER BY m.match_id) AS matches
                FROM match_members mm JOIN matches m ON m.match_id = mm.match_id
                WHERE m.program_id = 'P1' AND m.status IN ('proposed', 'active')
                GROUP BY mm.employee_id
                """
            )
        )
        return {row.employee_id: list(row.matches) for row in found}


async def test_a_round_stored_during_a_rematch_waits_and_leaves_out_who_was_rematched(engine) -> None:
    await seed(engine)
    async with unit_of_work(engine) as rematching:
        report = await y_departs(rematching)
        [rematch] = report.proposed
        [partner] = set(rematch.employee_ids) - {"Z"}
        assert partner in {"A", "C"}
        storing = asyncio.create_task(in_one_transaction(engine, store_round))
        await a_transaction_waits_for_a_lock(engine)
        assert not storing.done()
        await rematching.commit()
    done = await storing

    seats = await open_seats(engine)
    left_alone = {"A": "B", "C": "D"}[partner]
    other_pair = {"A": ["C", "D"], "C": ["A", "B"]}[partner]
    assert {who: len(held) for who, held in seats.items()} == dict.fromkeys(["Z", partner, *other_pair], 1)
    assert seats["Z"] == seats[partner] == [rematch.match_id]
    assert left_alone not in seats
    assert {(u.employee_id, u.reason) for u in done.unmatched} == {
        (partner, BECAME_UNAVAILABLE),
        (left_alone, CHANGED_DURING_ROUND),
    }
    assert done.stats is not None and done.stats.matched == 2
    assert {"check", "store"} <= done.stats.phases.keys()


async def test_a_rematch_during_a_round_store_waits_and_takes_nobody_the_round_proposed(engine) -> None:
    await seed(engine)
    async with unit_of_work(engine) as storing:
        done = await store_round(storing)
        assert done.stats is not None and done.stats.matched == 4
        rematching = asyncio.create_task(in_one_transaction(engine, y_departs))
        await a_transaction_waits_for_a_lock(engine)
        assert not rematching.done()
        await storing.commit()
    report = await rematching

    assert [m.match_id for m in report.ended + report.withdrawn] == ["M0"]
    assert report.proposed == []
    assert set(report.unmatched) == {"Z"}
    seats = await open_seats(engine)
    assert {who: len(held) for who, held in seats.items()} == dict.fromkeys(["A", "B", "C", "D"], 1)


async def test_the_database_refuses_a_second_open_seat_even_from_a_writer_without_the_lock(engine) -> None:
    await seed(engine)
    async with unit_of_work(engine) as first:
        await first.matches.add([a_match("MA", "P1", (("A", "partner"), ("B", "partner")))])
        second = asyncio.create_task(
            in_one_transaction(
                engine,
                lambda uow: uow.matches.add([a_match("MB", "P1", (("A", "partner"), ("C", "partner")))]),
            )
        )
        await a_transaction_waits_for_a_lock(engine)
        await first.commit()
    with pytest.raises(UniqueViolationError, match="two open matches of one program"):
        await second
    assert (await open_seats(engine))["A"] == ["MA"]


async def test_the_guard_allows_what_the_rules_allow(engine) -> None:
    await seed(engine, program_type="reverse")
    async with unit_of_work(engine) as uow:
        await uow.programs.add(a_program("P2", status="running", type="reciprocal"))
        # A mentor with capacity takes two mentees; a person may be matched in another program.
        await uow.matches.add(
            [
                a_match("MA", "P1", (("A", "mentor"), ("B", "mentee"))),
                a_match("MB", "P1", (("A", "mentor"), ("C", "mentee"))),
                a_match("MC", "P2", (("B", "partner"), ("C", "partner"))),
            ]
        )
        # Once Y and Z's match is over, they may be proposed again.
        [m0] = (await uow.matches.get(["M0"], for_update=True)).values()
        await uow.matches.save([m0.decline("Y", now=T0)])
        await uow.matches.add([a_match("MD", "P1", (("Y", "mentor"), ("Z", "mentee")))])
        await uow.commit()
    seats = await open_seats(engine)
    assert seats == {"A": ["MA", "MB"], "B": ["MA"], "C": ["MB"], "Y": ["MD"], "Z": ["MD"]}


async def test_the_guard_refuses_a_mentee_in_two_open_matches_and_one_statement_with_a_person_twice(
    engine,
) -> None:
    await seed(engine, program_type="reverse")
    with pytest.raises(UniqueViolationError, match="two open matches of one program"):
        async with unit_of_work(engine) as uow:
            await uow.matches.add(
                [
                    a_match("MA", "P1", (("A", "mentor"), ("B", "mentee"))),
                    a_match("MB", "P1", (("C", "mentor"), ("B", "mentee"))),
                ]
            )
    with pytest.raises(UniqueViolationError, match="two open matches of one program"):
        async with unit_of_work(engine) as uow:
            await uow.matches.add([a_match("MA", "P1", (("A", "mentor"), ("Z", "mentee")))])
    assert await open_seats(engine) == {"Y": ["M0"], "Z": ["M0"]}
