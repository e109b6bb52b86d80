"""Match rounds on plain objects and the in-memory unit of work: the round's state
machine, the claim and lease decisions, the engine's input, and storing a plan."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from tandem_common.user_errors import UserErrors
from tandem_matching.domain.enrolment import Enrolment
from tandem_matching.domain.rounds import (
    BECAME_UNAVAILABLE,
    CHANGED_DURING_ROUND,
    MAX_ERROR_CHARACTERS,
    Availability,
    PlannedMatch,
    Round,
    RoundStateError,
    RoundStats,
    UnmatchedPerson,
    availability,
    round_result,
    start_refusal,
    without_unavailable,
)
from tandem_matching.entrypoints.rounds_runner import RoundRunner, worker_pool
from tandem_matching.service import rounds
from tandem_matching.service.proposals import propose_matches
from tandem_matching.service.round_plan import RoundParticipant, participant_document, plan_round
from tandem_matching.settings import MatchingSettings
from tandem_testkit.matching_synthetic import organisation
from tests.fakes.matching import FakeMatchingDatabase, FakeMatchingUnitOfWork
from tests.unit.matching_service.support import (
    ADMIN,
    EMPLOYEE,
    PLATFORM_ADMIN,
    SOURCE,
    T0,
    a_match,
    a_member,
    a_program,
    as_viewer,
)

LEASE = 30.0


def a_round(
    status: str = "queued", *, attempts: int = 0, owner: str | None = None, lease_until=None
) -> Round:
    queued = Round.queue("R1", "P1", requested_by="ADM", now=T0)
    if status == "queued":
        return Round(**{**_fields(queued), "attempts": attempts})
    return Round(
        **{
            **_fields(queued),
            "status": status,
            "attempts": attempts,
            "lease_owner": owner,
            "lease_until": lease_until,
        }
    )


def _fields(round_: Round) -> dict:
    return {name: getattr(round_, name) for name in Round.__dataclass_fields__}


# -- the state machine ------------------------------------------------------------------


def test_a_queued_round_is_claimed_for_one_attempt_under_a_lease() -> None:
    claimed = a_round().claim("runner-a", now=T0, lease_seconds=LEASE, max_attempts=3)
    assert (claimed.status, claimed.attempts, claimed.lease_owner) == ("running", 1, "runner-a")
    assert claimed.lease_until == T0 + timedelta(seconds=LEASE)
    assert claimed.started_at == T0
    assert claimed.held_by("runner-a") and not claimed.held_by("runner-b")


def test_only_a_queued_round_or_one_whose_lease_lapsed_is_claimable() -> None:
    live = a_round("running", attempts=1, owner="a", lease_until=T0 + timedelta(seconds=10))
    assert a_round().claimable(T0)
    assert not live.claimable(T0)
    assert not live.claimable(T0 + timedelta(seconds=9))
    assert live.claimable(T0 + timedelta(seconds=10))
    assert not a_round("done").claimable(T0)
    assert not a_round("failed").claimable(T0)
    with pytest.raises(RoundStateError):
        live.claim("b", now=T0, lease_seconds=LEASE, max_attempts=3)


def test_a_round_whose_runner_died_is_taken_over_with_one_more_attempt() -> None:
    lapsed = a_round("running", attempts=1, owner="a", lease_until=T0)
    again = lapsed.claim("b", now=T0 + timedelta(seconds=1), lease_seconds=LEASE, max_attempts=3)
    assert (again.status, again.attempts, again.lease_owner) == ("running", 2, "b")
    assert not again.held_by("a")


def test_a_round_out_of_attempts_fails_instead_of_running_again() -> None:
    lapsed = a_round("running", attempts=3, owner="a", lease_until=T0)
    failed = lapsed.claim("b", now=T0, lease_seconds=LEASE, max_attempts=3)
    assert (failed.status, failed.attempts, failed.lease_owner, failed.lease_until) == (
        "failed",
        3,
        None,
        None,
    )
    assert failed.error is not None and failed.error.startswith("gave up after 3 attempts")
    assert failed.finished_at == T0


def test_only_the_holder_renews_releases_or_finishes() -> None:
    held = a_round().claim("a", now=T0, lease_seconds=LEASE, max_attempts=3)
    later = T0 + timedelta(seconds=20)
    assert held.renew("a", now=later, lease_seconds=LEASE).lease_until == later + timedelta(seconds=LEASE)
    stats = RoundStats(participants=4, matched=2, objective=0.8, seconds=0.1)
    for step in (
        lambda: held.renew("b", now=later, lease_seconds=LEASE),
        lambda: held.release("b", now=later),
        lambda: held.finish("b", stats, (), now=later),
        lambda: a_round().finish("a", stats, (), now=later),
    ):
        with pytest.raises(RoundStateError):
            step()
    released = held.release("a", now=later)
    assert (released.status, released.attempts, released.lease_owner) == ("queued", 1, None)
    done = held.finish("a", stats, [UnmatchedPerson("E3", "no eligible partner")], now=later)
    assert (done.status, done.stats, done.finished_at, done.lease_owner) == ("done", stats, later, None)
    assert done.unmatched == (UnmatchedPerson("E3", "no eligible partner"),)


def test_a_failure_is_final_and_its_reason_short() -> None:
    failed = a_round().fail("bad\n data  " + "x" * 1000, now=T0)
    assert failed.status == "failed" and len(failed.error) == MAX_ERROR_CHARACTERS
    assert failed.error.startswith("bad data x")
    with pytest.raises(RoundStateError):
        failed.fail("again", now=T0)
    with pytest.raises(RoundStateError):
        a_round("done").fail("late", now=T0)


def test_a_round_starts_only_in_an_enrolling_or_running_program_without_an_open_round() -> None:
    assert start_refusal(a_program(status="enrolling"), None) is None
    assert start_refusal(a_program(status="running"), None) is None
    for status in ("draft", "closed"):
        refusal = start_refusal(a_program(status=status), None)
        assert refusal is not None and (refusal.field, refusal.code) == ("program_id", "CONFLICT")
        assert status in refusal.message
    busy = start_refusal(a_program(status="running"), a_round("running", owner="a", lease_until=T0))
    assert busy is not None and busy.code == "CONFLICT" and "R1 is already running" in busy.message


# -- who takes part, and how ------------------------------------------------------------


def test_in_a_partner_program_or_a_circle_anyone_in_an_open_match_sits_out() -> None:
    for kind in ("reciprocal", "peer", "group"):
        assert availability(kind, ("mentor", "mentee"), 2, mentor_load=0, busy=True) is None
        assert availability(kind, ("mentor", "mentee"), 2, mentor_load=0, busy=False) == Availability(
            ("mentor", "mentee")
        )


def test_in_a_mentor_program_a_matched_mentee_sits_out_and_a_mentor_keeps_spare_capacity() -> None:
    assert availability("reverse", ("mentor", "mentee"), 3, mentor_load=1, busy=True) == Availability(
        ("mentor",), 2
    )
    assert availability("traditional", ("mentor",), 2, mentor_load=2, busy=False) is None
    assert availability("reverse", ("mentor", "mentee"), 1, mentor_load=1, busy=False) == Availability(
        ("mentee",), None
    )
    assert availability("reverse", ("mentee",), 0, mentor_load=0, busy=True) is None


def test_a_participant_takes_part_with_the_roles_their_profile_still_offers() -> None:
    snapshot = orjson.dumps(a_member("E1", roles=("mentee",)).snapshot).decode()
    document = participant_document(RoundParticipant("E1", ("mentor", "mentee"), 1, snapshot))
    assert document["mentoring"]["roles"] == ["mentee"]
    assert document["mentoring"]["capacity"] == 1
    assert document["employee_id"] == "E1"


# -- a plan as a round's result ---------------------------------------------------------


PLAN = {
    "matches": [
        {"members": ["M1", "A"], "score": 0.5, "explanation": [{"factor": "f", "value": 1.0, "detail": "d"}]},
        {"members": ["M1", "B"], "score": 0.25, "explanation": []},
        {"members": ["C", "D"], "score": 0.125, "explanation": []},
    ],
    "unmatched": [{"employee_id": "E", "reason": "no eligible partner"}],
    "stats": {"participants": 6, "matched": 5, "objective": 0.875, "seconds": 1.5, "kept": 0},
}


def test_a_plan_becomes_a_result() -> None:
    result = round_result(PLAN)
    assert result.stats == RoundStats(participants=6, matched=5, objective=0.875, seconds=1.5)
    assert result.matches[0] == PlannedMatch(
        ("M1", "A"), 0.5, ({"factor": "f", "value": 1.0, "detail": "d"},)
    )
    assert result.unmatched == (UnmatchedPerson("E", "no eligible partner"),)


def test_matches_of_people_who_became_unavailable_are_dropped_and_their_partners_listed() -> None:
    result = without_unavailable(round_result(PLAN), {"A", "C"})
    assert [m.members for m in result.matches] == [("M1", "B")]
    assert result.unmatched == (
        UnmatchedPerson("E", "no eligible partner"),
        UnmatchedPerson("A", BECAME_UNAVAILABLE),
        UnmatchedPerson("C", BECAME_UNAVAILABLE),
        UnmatchedPerson("D", CHANGED_DURING_ROUND),
    )
    # M1 still mentors B, so M1 is matched, not listed.
    assert result.stats == RoundStats(participants=6, matched=2, objective=0.25, seconds=1.5)
    unchanged = round_result(PLAN)
    assert without_unavailable(unchanged, set()) is unchanged


# -- the use cases on the in-memory unit of work ----------------------------------------


@pytest.fixture
def database() -> FakeMatchingDatabase:
    db = FakeMatchingDatabase()
    db.programs["P1"] = a_program("P1", status="running", type="reciprocal")
    return db


async def run(database, use_case, *args, **kwargs):
    uow = FakeMatchingUnitOfWork(database)
    async with uow:
        result = await use_case(uow, *args, **kwargs)
        await uow.commit()
    return result, uow


def round_ids():
    numbers = iter(range(1, 1000))
    return lambda: f"R{next(numbers)}"


async def test_an_admin_starts_a_round_and_it_is_queued(database) -> None:
    started, uow = await run(
        database, rounds.start_round, rounds.StartRound(ADMIN, "P1"), now=T0, new_id=round_ids()
    )
    assert (started.round_id, started.status, started.requested_by, started.attempts) == (
        "R1",
        "queued",
        "ADM",
        0,
    )
    assert database.rounds == {"R1": started}
    assert uow.published == []


@pytest.mark.parametrize(
    ("viewer", "program_id", "status", "expected"),
    [
        (EMPLOYEE, "P1", "running", [("program_id", "FORBIDDEN")]),
        (as_viewer("E9", "program_admin"), "P1", "running", [("program_id", "FORBIDDEN")]),
        (ADMIN, "P404", "running", [("program_id", "NOT_FOUND")]),
        (ADMIN, "P1", "draft", [("program_id", "CONFLICT")]),
        (ADMIN, "P1", "closed", [("program_id", "CONFLICT")]),
    ],
)
async def test_a_round_start_is_refused(database, viewer, program_id, status, expected) -> None:
    database.programs["P1"] = a_program("P1", status=status, type="reciprocal")
    uow = FakeMatchingUnitOfWork(database)
    with pytest.raises(UserErrors) as raised:
        async with uow:
            await rounds.start_round(uow, rounds.StartRound(viewer, program_id), now=T0)
    assert [(e.field, e.code) for e in raised.value.errors] == expected
    assert database.rounds == {}


async def test_a_second_round_waits_for_the_first_to_end(database) -> None:
    new_id = round_ids()
    await run(database, rounds.start_round, rounds.StartRound(ADMIN, "P1"), now=T0, new_id=new_id)
    uow = FakeMatchingUnitOfWork(database)
    with pytest.raises(UserErrors) as raised:
        async with uow:
            await rounds.start_round(uow, rounds.StartRound(PLATFORM_ADMIN, "P1"), now=T0, new_id=new_id)
    assert [(e.field, e.code) for e in raised.value.errors] == [("program_id", "CONFLICT")]
    database.rounds["R1"] = database.rounds["R1"].fail("engine refused", now=T0)
    again, _ = await run(
        database, rounds.start_round, rounds.StartRound(PLATFORM_ADMIN, "P1"), now=T0, new_id=new_id
    )
    assert (again.round_id, again.status, again.requested_by) == ("R2", "queued", "ROOT")


async def claim(database, owner: str, now, max_attempts: int = 3):
    claimed, _ = await run(
        database, rounds.claim_round, owner=owner, now=now, lease_seconds=LEASE, max_attempts=max_attempts
    )
    return claimed


async def test_runners_claim_the_oldest_round_and_never_one_under_a_live_lease(database) -> None:
    database.programs["P2"] = a_program("P2", status="running", type="reciprocal")
    database.rounds["R2"] = Round.queue("R2", "P2", requested_by="ADM", now=T0 + timedelta(seconds=1))
    database.rounds["R1"] = Round.queue("R1", "P1", requested_by="ADM", now=T0)
    first = await claim(database, "a", T0)
    second = await claim(database, "b", T0)
    assert (first.round_id, first.lease_owner, second.round_id, second.lease_owner) == ("R1", "a", "R2", "b")
    assert await claim(database, "c", T0 + timedelta(seconds=LEASE - 1)) is None
    # Runner a renews; b dies. After b's lease lapses, c takes R2 over.
    renewed, _ = await run(
        database, rounds.renew_lease, "R1", owner="a", now=T0 + timedelta(seconds=20), lease_seconds=LEASE
    )
    assert renewed is True
    taken = await claim(database, "c", T0 + timedelta(seconds=LEASE))
    assert (taken.round_id, taken.lease_owner, taken.attempts) == ("R2", "c", 2)
    lost, _ = await run(database, rounds.renew_lease, "R2", owner="b", now=T0, lease_seconds=LEASE)
    assert lost is False
    assert database.rounds["R2"].lease_owner == "c"


async def test_a_round_out_of_attempts_is_failed_at_the_claim(database) -> None:
    database.rounds["R1"] = a_round("running", attempts=2, owner="gone", lease_until=T0)
    assert await claim(database, "a", T0, max_attempts=2) is None
    failed = database.rounds["R1"]
    assert (failed.status, failed.attempts) == ("failed", 2)
    assert failed.error.startswith("gave up after 2 attempts")


# -- the engine's input and storing the plan --------------------------------------------


def enrol(database, program_id: str, people, roles=("mentor", "mentee")) -> None:
    for person in people:
        database.pool[person["employee_id"]] = a_member_from(person)
        database.enrolments[(program_id, person["employee_id"])] = Enrolment(
            program_id, person["employee_id"], tuple(roles), "enrolled", T0, T0
        )


def a_member_from(snapshot):
    from tandem_matching.domain.pool import PoolMember

    return PoolMember.from_snapshot({k: v for k, v in snapshot.items() if k != "birth_year"})


async def test_the_input_holds_enrolled_active_people_not_in_open_matches(database) -> None:
    enrol(database, "P1", [a_member(i).snapshot for i in ("A", "B", "C", "D")])
    database.pool["D"] = a_member("D", 2, status="on_leave")
    database.pool["BOSS"] = a_member("BOSS")
    database.enrolments[("P1", "C")] = database.enrolments[("P1", "C")].withdraw("withdrew", now=T0)
    database.matches["M1"] = a_match("M1", "P1", (("B", "partner"), ("X", "partner")))
    declined = a_match("M2", "P1", (("A", "partner"), ("Y", "partner"))).decline("A", now=T0)
    database.matches["M2"] = declined
    database.rounds["R1"] = Round.queue("R1", "P1", requested_by="ADM", now=T0)
    prepared, _ = await run(database, rounds.round_input, database.rounds["R1"])
    assert [p[0] for p in prepared.input.participants] == ["A"]
    assert prepared.input.program["type"] == "reciprocal"
    assert prepared.input.program["rules"]["exclude_previous_pairs"] == [["A", "Y"]]
    assert dict(prepared.input.org).keys() == {"A", "B", "C", "D", "BOSS"}
    assert prepared.open_match_ids == frozenset({"M1"})


async def test_in_a_mentor_program_a_mentor_enters_with_spare_capacity(database) -> None:
    database.programs["P1"] = a_program("P1", status="running", type="reverse")
    enrol(database, "P1", [a_member("MEN").snapshot])
    database.matches["M1"] = a_match("M1", "P1", (("MEN", "mentor"), ("Z", "mentee")))
    database.rounds["R1"] = Round.queue("R1", "P1", requested_by="ADM", now=T0)
    prepared, _ = await run(database, rounds.round_input, database.rounds["R1"])
    [mentor] = [RoundParticipant._make(p) for p in prepared.input.participants]
    # Profile capacity 2, one mentee already: one more; not a mentee anywhere, so both roles.
    assert (mentor.employee_id, mentor.roles, mentor.capacity) == ("MEN", ("mentor", "mentee"), 1)


def synthetic(n: int = 60):
    return [{k: v for k, v in p.items() if k != "birth_year"} for p in organisation(n, seed=3)]


async def finish(database, plan, owner="a", open_match_ids=frozenset(), now=T0):
    def propose(uow, program, proposals, *, round_id, now):
        return propose_matches(
            uow, program, proposals, round_id=round_id, now=now, source=SOURCE, expiry_days=14
        )

    return await run(
        database,
        rounds.finish_round,
        "R1",
        plan,
        owner=owner,
        open_match_ids=open_match_ids,
        now=now,
        propose=propose,
    )


async def test_a_plan_is_stored_with_every_proposal_in_one_transaction(database) -> None:
    people = synthetic()
    enrol(database, "P1", people)
    database.rounds["R1"] = Round.queue("R1", "P1", requested_by="ADM", now=T0)
    await claim(database, "a", T0)
    prepared, _ = await run(database, rounds.round_input, database.rounds["R1"])
    plan = plan_round(prepared.input)
    assert plan["matches"], "the synthetic people give some matches"
    done, uow = await finish(database, plan)
    assert (done.status, done.lease_owner) == ("done", None)
    assert done.stats.matched == 2 * len(plan["matches"])
    assert done.stats.participants == done.stats.matched + len(done.unmatched)
    stored = sorted(database.matches.values(), key=lambda m: m.employee_ids)
    assert len(stored) == len(plan["matches"])
    assert {m.round_id for m in stored} == {"R1"}
    assert {m.status for m in stored} == {"proposed"}
    assert {tuple(m.employee_ids) for m in stored} == {tuple(m["members"]) for m in plan["matches"]}
    assert {r for m in stored for r in (x.role for x in m.members)} == {"partner"}
    proposed = [e for e in uow.published if e.data.ce_type == "tandem.matching.match.proposed.v1"]
    assert sorted(e.data.key() for e in proposed) == sorted(m.match_id for m in stored)
    assert {e.data.round_id for e in proposed} == {"R1"}
    assert len(uow.published) == len(stored)


async def test_a_runner_that_lost_the_round_stores_nothing(database) -> None:
    enrol(database, "P1", synthetic(20))
    database.rounds["R1"] = Round.queue("R1", "P1", requested_by="ADM", now=T0)
    await claim(database, "a", T0)
    await claim(database, "b", T0 + timedelta(seconds=LEASE))
    stored, _ = await finish(database, PLAN, owner="a")
    assert stored is None
    assert database.matches == {} and database.outbox == []
    assert database.rounds["R1"].lease_owner == "b"


async def test_a_round_of_a_program_closed_meanwhile_fails_without_proposals(database) -> None:
    enrol(database, "P1", synthetic(20))
    database.rounds["R1"] = Round.queue("R1", "P1", requested_by="ADM", now=T0)
    await claim(database, "a", T0)
    database.programs["P1"] = database.programs["P1"].move_to("closed", now=T0)
    failed, _ = await finish(database, PLAN)
    assert (failed.status, failed.error) == ("failed", "the program was closed while the round ran")
    assert database.matches == {} and database.outbox == []


async def test_people_matched_or_gone_while_the_engine_worked_are_not_proposed(database) -> None:
    people = [a_member(i).snapshot for i in ("A", "B", "C", "D", "M1", "E")]
    enrol(database, "P1", people)
    database.rounds["R1"] = Round.queue("R1", "P1", requested_by="ADM", now=T0)
    await claim(database, "a", T0)
    database.matches["MX"] = a_match("MX", "P1", (("A", "partner"), ("Q", "partner")))
    database.pool["C"] = a_member("C", 2, status="departed")
    done, _ = await finish(database, PLAN)
    [stored] = [m for m in database.matches.values() if m.match_id != "MX"]
    assert stored.employee_ids == ("M1", "B")
    assert done.stats.matched == 2
    assert {(u.employee_id, u.reason) for u in done.unmatched} == {
        ("E", "no eligible partner"),
        ("A", BECAME_UNAVAILABLE),
        ("C", BECAME_UNAVAILABLE),
        ("D", CHANGED_DURING_ROUND),
    }


# -- the runner, with a real worker process ---------------------------------------------


@pytest.fixture(scope="module")
def workers():
    pool = worker_pool(1)
    yield pool
    pool.shutdown()


def runner(database, workers) -> RoundRunner:
    settings = MatchingSettings(round_lease_seconds=LEASE, round_max_attempts=2)

    def propose(uow, program, proposals, *, round_id, now):
        return propose_matches(
            uow, program, proposals, round_id=round_id, now=now, source=SOURCE, expiry_days=14
        )

    return RoundRunner(
        lambda: FakeMatchingUnitOfWork(database),
        settings,
        propose=propose,
        clock=lambda: T0,
        owner="a",
        executor=workers,
    )


async def test_the_runner_plans_in_a_worker_process_and_stores_the_round(database, workers) -> None:
    enrol(database, "P1", synthetic())
    database.rounds["R1"] = Round.queue("R1", "P1", requested_by="ADM", now=T0)
    done = await runner(database, workers).run_once()
    assert (done.round_id, done.status, done.attempts) == ("R1", "done", 1)
    assert database.rounds["R1"] == done
    assert len(database.matches) == done.stats.matched // 2 > 0
    assert len(database.outbox) == len(database.matches)
    assert await runner(database, workers).run_once() is None


async def test_a_plan_the_engine_refuses_fails_the_round_once_and_for_all(database, workers) -> None:
    broken = a_member("BAD").snapshot | {"timezone": "Mars/Olympus_Mons"}
    enrol(database, "P1", [a_member("OK").snapshot, broken])
    database.rounds["R1"] = Round.queue("R1", "P1", requested_by="ADM", now=T0)
    failed = await runner(database, workers).run_once()
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.error.startswith("the engine refused the round: ")
    assert "Mars/Olympus_Mons" in failed.error
    assert database.matches == {} and database.outbox == []
    assert await runner(database, workers).run_once() is None
    assert database.rounds["R1"].status == "failed"
