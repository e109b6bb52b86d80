"""The use cases on the in-memory unit of work: what they store and what they publish."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tandem_common.user_errors import UserErrors
from tandem_matching.domain.matches import ExplanationFactor
from tandem_matching.service import enrolment, matches, programs, proposals
from tandem_matching.service.pool import apply_profile_events
from tests.fakes.matching import FakeMatchingDatabase, FakeMatchingUnitOfWork
from tests.support.profile_snapshots import departed, erased, received, registered, updated
from tests.unit.matching_service.support import ADMIN, EMPLOYEE, PLATFORM_ADMIN, SOURCE, T0, as_viewer

LATER = T0 + timedelta(days=1)


def ids(prefix: str):
    numbers = iter(range(1, 1000))
    return lambda: f"{prefix}{next(numbers)}"


def published(uow) -> list[tuple[str, str, str]]:
    return [(e.data.ce_type.split(".", 2)[2], e.data.key(), e.id) for e in uow.published]


@pytest.fixture
def database() -> FakeMatchingDatabase:
    return FakeMatchingDatabase()


async def run(database, use_case, *args, **kwargs):
    """``use_case`` in a unit of work of its own, committed; returns (result, uow)."""
    uow = FakeMatchingUnitOfWork(database)
    async with uow:
        result = await use_case(uow, *args, **kwargs)
        assert not uow.committed
        await uow.commit()
    return result, uow


async def act(database, use_case, command, *, now, **kwargs):
    """A use case that publishes, run as ``run`` does at ``now`` with this suite's source."""
    return await run(database, use_case, command, now=now, source=SOURCE, **kwargs)


async def refused(database, use_case, *args, **kwargs) -> list[tuple[str, str]]:
    """The user errors of ``use_case``; the database is as it was before."""
    before = (dict(database.programs), dict(database.enrolments), dict(database.pool), dict(database.matches))
    outbox = len(database.outbox)
    uow = FakeMatchingUnitOfWork(database)
    with pytest.raises(UserErrors) as raised:
        async with uow:
            await use_case(uow, *args, **kwargs)
            await uow.commit()
    assert (database.programs, database.enrolments, database.pool, database.matches) == before
    assert len(database.outbox) == outbox
    return [(e.field, e.code) for e in raised.value.errors]


async def a_program(database, status: str = "enrolling", **settings):
    program, _ = await act(
        database,
        programs.create_program,
        programs.CreateProgram(ADMIN, {"name": "Reverse", "type": "reverse", **settings}),
        now=T0,
        new_id=lambda: "P1",
    )
    if status != "draft":
        program, _ = await act(
            database, programs.set_program_status, programs.SetProgramStatus(ADMIN, "P1", status), now=T0
        )
    return program


async def in_pool(database, *records):
    _, uow = await run(
        database, apply_profile_events, received(list(records)), source=SOURCE, clock=lambda: T0
    )
    return uow


# -- programs -----------------------------------------------------------------------


async def test_creating_a_program_stores_a_draft_and_publishes_version_1(database) -> None:
    program, uow = await act(
        database,
        programs.create_program,
        programs.CreateProgram(ADMIN, {"name": "Reverse", "type": "reverse"}),
        now=T0,
        new_id=lambda: "P1",
    )
    assert database.programs["P1"] == program
    assert published(uow) == [("program.changed.v1", "P1", "P1.v1")]
    event = uow.published[0]
    assert (event.data.status, event.data.program_version, event.data.admins, event.source) == (
        "draft",
        1,
        ["ADM"],
        SOURCE,
    )


async def test_only_program_admins_and_admins_create_programs(database) -> None:
    command = programs.CreateProgram(EMPLOYEE, {"name": "Reverse", "type": "reverse"})
    assert await refused(database, programs.create_program, command, now=T0, source=SOURCE) == [
        ("viewer", "FORBIDDEN")
    ]
    created, _ = await act(
        database,
        programs.create_program,
        programs.CreateProgram(PLATFORM_ADMIN, {"name": "Reverse", "type": "reverse"}),
        now=T0,
    )
    assert created.admins == ("ROOT",)


async def test_a_bad_create_is_refused_per_field_and_stores_nothing(database) -> None:
    command = programs.CreateProgram(ADMIN, {"name": "", "type": "reverse", "duration_days": 0})
    assert await refused(database, programs.create_program, command, now=T0, source=SOURCE) == [
        ("name", "VALIDATION"),
        ("duration_days", "VALIDATION"),
    ]


async def test_each_change_publishes_the_next_version(database) -> None:
    await a_program(database, status="draft")
    updated_program, uow = await act(
        database,
        programs.update_program,
        programs.UpdateProgram(ADMIN, "P1", {"duration_days": 90}),
        now=LATER,
    )
    assert (updated_program.version, updated_program.duration_days) == (2, 90)
    assert published(uow) == [("program.changed.v1", "P1", "P1.v2")]
    _, uow = await act(
        database,
        programs.update_program,
        programs.UpdateProgram(ADMIN, "P1", {"duration_days": 90}),
        now=LATER,
    )
    assert published(uow) == []
    moved, uow = await act(
        database, programs.set_program_status, programs.SetProgramStatus(ADMIN, "P1", "enrolling"), now=LATER
    )
    assert (moved.status, moved.version) == ("enrolling", 3)
    assert published(uow) == [("program.changed.v1", "P1", "P1.v3")]
    assert database.programs["P1"] == moved


async def test_only_its_admins_administer_a_program(database) -> None:
    await a_program(database, status="draft")
    other = as_viewer("PA2", "program_admin")
    update = programs.UpdateProgram(other, "P1", {"name": "Mine"})
    assert await refused(database, programs.update_program, update, now=T0, source=SOURCE) == [
        ("program_id", "FORBIDDEN")
    ]
    status = programs.SetProgramStatus(other, "P1", "closed")
    assert await refused(database, programs.set_program_status, status, now=T0, source=SOURCE) == [
        ("program_id", "FORBIDDEN")
    ]
    missing = programs.UpdateProgram(ADMIN, "P9", {"name": "Mine"})
    assert await refused(database, programs.update_program, missing, now=T0, source=SOURCE) == [
        ("program_id", "NOT_FOUND")
    ]


async def test_closing_a_program_ends_its_matches_and_withdraws_its_proposals(database) -> None:
    program = await a_program(database, status="running")
    made, _ = await run(
        database,
        proposals.propose_matches,
        program,
        [
            proposals.ProposedMatch([("A", "mentor"), ("B", "mentee")], 0.9),
            proposals.ProposedMatch([("C", "mentor"), ("D", "mentee")], 0.8),
        ],
        round_id="R1",
        now=T0,
        source=SOURCE,
        expiry_days=14,
        new_id=ids("M"),
    )
    for person in ("A", "B"):
        await respond(database, person, True, now=T0)
    closed, uow = await act(
        database, programs.set_program_status, programs.SetProgramStatus(ADMIN, "P1", "closed"), now=LATER
    )
    assert published(uow) == [
        ("program.changed.v1", "P1", f"P1.v{closed.version}"),
        ("match.ended.v1", "M1", "M1.ended"),
        ("match.declined.v1", "M2", "M2.declined"),
    ]
    assert (database.matches["M1"].status, database.matches["M1"].end_reason) == ("ended", "program_closed")
    assert (database.matches["M2"].status, database.matches["M2"].declined_by) == ("declined", None)
    assert uow.published[1].data.reason == "program_closed"
    assert uow.published[2].data.declined_by is None
    assert len(made) == 2


# -- the pool -------------------------------------------------------------------------


async def test_the_pool_keeps_the_newest_version_in_and_across_batches(database) -> None:
    await in_pool(database, updated("E1", 3, department="Sales"), registered("E1", 1), updated("E1", 2))
    assert (database.pool["E1"].profile_version, database.pool["E1"].department) == (3, "Sales")
    await in_pool(database, updated("E1", 2, department="Legal"))
    assert (database.pool["E1"].profile_version, database.pool["E1"].department) == (3, "Sales")
    await in_pool(database, updated("E1", 3, department="Legal"))
    assert database.pool["E1"].department == "Sales"
    await in_pool(database, updated("E1", 4, department="Legal"))
    assert (database.pool["E1"].profile_version, database.pool["E1"].department) == (4, "Legal")


async def test_a_departure_withdraws_from_every_program_and_erasure_keeps_only_the_id(database) -> None:
    await in_pool(database, registered("E1"), registered("E2"))
    await a_program(database)
    await act(database, enrolment.enrol, enrolment.Enrol(as_viewer("E1"), "P1", "E1", ["mentee"]), now=T0)
    await act(database, enrolment.enrol, enrolment.Enrol(as_viewer("E2"), "P1", "E2", ["mentee"]), now=T0)
    uow = await in_pool(database, departed("E1", 2))
    assert [e.data.model_dump(mode="json") for e in uow.published] == [
        {
            "program_id": "P1",
            "employee_id": "E1",
            "roles": ["mentee"],
            "status": "withdrawn",
            "changed_at": "2026-12-01T09:00:00Z",
        }
    ]
    assert database.pool["E1"].status == "departed"
    gone = database.enrolments[("P1", "E1")]
    assert (gone.status, gone.withdrawn_reason, gone.updated_at) == ("withdrawn", "departed", T0)
    assert database.enrolments[("P1", "E2")].status == "enrolled"
    await in_pool(database, erased("E1", 3))
    member = database.pool["E1"]
    assert (member.employee_id, member.profile_version, member.status, member.snapshot) == (
        "E1",
        3,
        "erased",
        None,
    )
    await in_pool(database, updated("E1", 2))
    assert database.pool["E1"].snapshot is None


# -- enrolment ------------------------------------------------------------------------


async def test_self_enrolment_and_withdrawal(database) -> None:
    await in_pool(database, registered("E1"))
    await a_program(database)
    enrolled, uow = await act(
        database, enrolment.enrol, enrolment.Enrol(as_viewer("E1"), "P1", "E1", ["mentor"]), now=T0
    )
    assert database.enrolments[("P1", "E1")] == enrolled and enrolled.roles == ("mentor",)
    [event] = uow.published
    assert (event.source, event.data.key(), event.data.model_dump(mode="json")) == (
        SOURCE,
        "P1",
        {
            "program_id": "P1",
            "employee_id": "E1",
            "roles": ["mentor"],
            "status": "enrolled",
            "changed_at": "2026-12-01T09:00:00Z",
        },
    )
    _, same = await act(
        database, enrolment.enrol, enrolment.Enrol(as_viewer("E1"), "P1", "E1", ["mentor"]), now=LATER
    )
    assert same.published == []
    _, other_roles = await act(
        database, enrolment.enrol, enrolment.Enrol(as_viewer("E1"), "P1", "E1", ["mentee"]), now=LATER
    )
    assert [(e.data.roles, e.data.status) for e in other_roles.published] == [(["mentee"], "enrolled")]
    withdrawn, withdrawal = await act(
        database, enrolment.withdraw, enrolment.Withdraw(as_viewer("E1"), "P1", "E1"), now=LATER
    )
    assert (withdrawn.status, withdrawn.withdrawn_reason) == ("withdrawn", "withdrew")
    assert [(e.data.employee_id, e.data.roles, e.data.status) for e in withdrawal.published] == [
        ("E1", ["mentee"], "withdrawn")
    ]
    assert len({e.id for e in [event, *other_roles.published, *withdrawal.published]}) == 3
    again = enrolment.Withdraw(as_viewer("E1"), "P1", "E1")
    assert await refused(database, enrolment.withdraw, again, now=LATER, source=SOURCE) == [
        ("employee_id", "NOT_FOUND")
    ]


async def test_an_admin_enrols_and_removes_others_but_an_employee_does_not(database) -> None:
    await in_pool(database, registered("E1"), registered("E2"))
    await a_program(database)
    other = enrolment.Enrol(as_viewer("E2"), "P1", "E1", ["mentor"])
    assert await refused(database, enrolment.enrol, other, now=T0, source=SOURCE) == [
        ("employee_id", "FORBIDDEN")
    ]
    await act(database, enrolment.enrol, enrolment.Enrol(ADMIN, "P1", "E1", ["mentor"]), now=T0)
    removed, _ = await act(database, enrolment.withdraw, enrolment.Withdraw(ADMIN, "P1", "E1"), now=T0)
    assert removed.withdrawn_reason == "removed_by_admin"


@pytest.mark.parametrize("status", ["draft", "closed"])
async def test_no_enrolment_outside_enrolling_and_running(database, status) -> None:
    await in_pool(database, registered("E1"))
    await a_program(database, status=status)
    command = enrolment.Enrol(as_viewer("E1"), "P1", "E1", ["mentor"])
    assert await refused(database, enrolment.enrol, command, now=T0, source=SOURCE) == [
        ("program_id", "CONFLICT")
    ]


async def test_bulk_enrolment_is_all_or_nothing_with_each_bad_row_named(database) -> None:
    await in_pool(database, registered("E1"), registered("E2", roles=("mentee",)), departed("E3", 2))
    await a_program(database)
    items = [
        {"employee_id": "E1", "roles": ["mentor"]},
        {"employee_id": "E2", "roles": ["mentor"]},
        {"employee_id": "E3", "roles": ["mentee"]},
        {"employee_id": "E4", "roles": ["mentee"]},
        {"employee_id": "E1", "roles": ["mentee"]},
        {"employee_id": "bad id", "roles": ["mentee"]},
    ]
    errors = await refused(
        database,
        enrolment.enrol_in_bulk,
        enrolment.BulkEnrol(ADMIN, "P1", items),
        now=T0,
        source=SOURCE,
        limit=100,
    )
    assert errors == [
        ("items.1.roles.0", "CONFLICT"),
        ("items.2.employee_id", "CONFLICT"),
        ("items.3.employee_id", "NOT_FOUND"),
        ("items.4.employee_id", "VALIDATION"),
        ("items.5.employee_id", "VALIDATION"),
    ]
    good = [items[0], {"employee_id": "E2", "roles": ["mentee"]}]
    done, uow = await act(
        database, enrolment.enrol_in_bulk, enrolment.BulkEnrol(ADMIN, "P1", good), now=T0, limit=100
    )
    assert [(e.employee_id, e.roles) for e in done] == [("E1", ("mentor",)), ("E2", ("mentee",))]
    assert [(e.data.key(), e.data.employee_id, e.data.roles, e.data.status) for e in uow.published] == [
        ("P1", "E1", ["mentor"], "enrolled"),
        ("P1", "E2", ["mentee"], "enrolled"),
    ]
    again = [{"employee_id": "E1", "roles": ["mentor", "mentee"]}, good[1]]
    _, uow = await act(
        database, enrolment.enrol_in_bulk, enrolment.BulkEnrol(ADMIN, "P1", again), now=LATER, limit=100
    )
    assert [(e.data.employee_id, e.data.roles) for e in uow.published] == [("E1", ["mentor", "mentee"])]
    assert set(database.enrolments) == {("P1", "E1"), ("P1", "E2")}


async def test_bulk_enrolment_limits(database) -> None:
    await a_program(database)
    rows = [{"employee_id": f"E{n}", "roles": ["mentor"]} for n in range(3)]
    assert await refused(
        database,
        enrolment.enrol_in_bulk,
        enrolment.BulkEnrol(ADMIN, "P1", rows),
        now=T0,
        source=SOURCE,
        limit=2,
    ) == [("items", "VALIDATION")]
    assert await refused(
        database,
        enrolment.enrol_in_bulk,
        enrolment.BulkEnrol(ADMIN, "P1", []),
        now=T0,
        source=SOURCE,
        limit=2,
    ) == [("items", "VALIDATION")]
    assert await refused(
        database,
        enrolment.enrol_in_bulk,
        enrolment.BulkEnrol(EMPLOYEE, "P1", rows[:1]),
        now=T0,
        source=SOURCE,
        limit=2,
    ) == [("program_id", "FORBIDDEN")]


# -- proposals and matches ------------------------------------------------------------


async def propose(database, program, *members, new_id=None):
    made, uow = await run(
        database,
        proposals.propose_matches,
        program,
        [
            proposals.ProposedMatch(
                [(a, "mentor"), (b, "mentee")], 0.75, [ExplanationFactor("skill_complementarity", 0.5, "why")]
            )
            for a, b in members
        ],
        round_id="R1",
        now=T0,
        source=SOURCE,
        expiry_days=14,
        new_id=new_id or ids("M"),
    )
    return made, uow


async def respond(database, person: str, accept, *, match_id: str = "M1", now=LATER):
    """``person``'s answer to the proposal ``match_id``; returns (match, uow)."""
    command = proposals.RespondToProposal(as_viewer(person), match_id, accept)
    return await run(database, proposals.respond_to_proposal, command, now=now, source=SOURCE)


async def test_a_proposal_is_stored_and_published_with_its_expiry(database) -> None:
    program = await a_program(database, status="running")
    [match], uow = await propose(database, program, ("A", "B"))
    assert database.matches["M1"] == match
    assert published(uow) == [("match.proposed.v1", "M1", "M1.proposed")]
    data = uow.published[0].data
    assert data.model_dump(mode="json") == {
        "match_id": "M1",
        "program_id": "P1",
        "round_id": "R1",
        "members": [{"employee_id": "A", "role": "mentor"}, {"employee_id": "B", "role": "mentee"}],
        "score": 0.75,
        "explanation": [{"factor": "skill_complementarity", "value": 0.5, "detail": "why"}],
        "expires_at": "2026-12-15T09:00:00Z",
    }


async def test_with_acceptance_auto_a_proposal_starts_at_once(database) -> None:
    program = await a_program(database, status="running", acceptance="auto", duration_days=30)
    [match], uow = await propose(database, program, ("A", "B"))
    assert (match.status, match.started_on, match.ends_on) == (
        "active",
        T0.date(),
        T0.date() + timedelta(days=30),
    )
    assert published(uow) == [
        ("match.proposed.v1", "M1", "M1.proposed"),
        ("match.started.v1", "M1", "M1.started"),
    ]
    started = uow.published[1].data
    assert (started.program_type, started.started_on, started.ends_on) == (
        "reverse",
        T0.date(),
        date(2026, 12, 31),
    )


async def test_all_accept_starts_the_match(database) -> None:
    program = await a_program(database, status="running", duration_days=60)
    await propose(database, program, ("A", "B"))
    first, uow = await respond(database, "A", True)
    assert (first.status, uow.published) == ("proposed", [])
    both, uow = await respond(database, "B", True)
    assert published(uow) == [("match.started.v1", "M1", "M1.started")]
    assert (both.status, both.started_on, both.ends_on) == (
        "active",
        LATER.date(),
        LATER.date() + timedelta(days=60),
    )


async def test_one_decline_declines_and_the_pair_becomes_a_previous_pair(database) -> None:
    program = await a_program(database, status="running")
    await propose(database, program, ("A", "B"), ("C", "D"))
    declined, uow = await respond(database, "B", False)
    assert published(uow) == [("match.declined.v1", "M1", "M1.declined")]
    assert uow.published[0].data.declined_by == "B"
    assert declined.status == "declined"
    uow = FakeMatchingUnitOfWork(database)
    async with uow:
        assert await uow.matches.previous_pairs("P1") == {("A", "B")}
        assert await uow.matches.matched_in_program("P1", ["A", "B", "C", "D"]) == {"C", "D"}


async def test_only_members_respond_and_accept_is_a_boolean(database) -> None:
    program = await a_program(database, status="running")
    await propose(database, program, ("A", "B"))
    stranger = proposals.RespondToProposal(as_viewer("Z"), "M1", True)
    assert await refused(database, proposals.respond_to_proposal, stranger, now=LATER, source=SOURCE) == [
        ("match_id", "FORBIDDEN")
    ]
    vague = proposals.RespondToProposal(as_viewer("A"), "M1", "yes")
    assert await refused(database, proposals.respond_to_proposal, vague, now=LATER, source=SOURCE) == [
        ("accept", "VALIDATION")
    ]
    missing = proposals.RespondToProposal(as_viewer("A"), "M9", True)
    assert await refused(database, proposals.respond_to_proposal, missing, now=LATER, source=SOURCE) == [
        ("match_id", "NOT_FOUND")
    ]


async def test_unanswered_proposals_expire(database) -> None:
    program = await a_program(database, status="running")
    await propose(database, program, ("A", "B"), ("C", "D"))
    not_yet, _ = await run(
        database,
        matches.expire_proposals,
        matches.ExpireProposals(T0 + timedelta(days=13), 10),
        source=SOURCE,
    )
    assert not_yet == 0
    count, uow = await run(
        database, matches.expire_proposals, matches.ExpireProposals(T0 + timedelta(days=14), 1), source=SOURCE
    )
    assert count == 1
    assert published(uow) == [("match.declined.v1", "M1", "M1.declined")]
    assert uow.published[0].data.declined_by is None
    assert [m.status for m in database.matches.values()] == ["declined", "proposed"]


async def test_matches_complete_on_their_end_date(database) -> None:
    program = await a_program(database, status="running", acceptance="auto", duration_days=10)
    await propose(database, program, ("A", "B"))
    count, uow = await act(
        database,
        matches.complete_due_matches,
        matches.CompleteDueMatches(T0.date() + timedelta(days=9), 10),
        now=T0,
    )
    assert (count, uow.published) == (0, [])
    late = T0 + timedelta(days=12)
    count, uow = await act(
        database, matches.complete_due_matches, matches.CompleteDueMatches(late.date(), 10), now=late
    )
    assert count == 1
    assert published(uow) == [("match.ended.v1", "M1", "M1.ended")]
    ended = uow.published[0].data
    assert (ended.reason, ended.ended_on) == ("completed", T0.date() + timedelta(days=10))


@pytest.mark.parametrize(
    ("viewer", "reason"),
    [(as_viewer("A"), "ended_by_member"), (ADMIN, "ended_by_admin"), (PLATFORM_ADMIN, "ended_by_admin")],
)
async def test_a_member_or_an_admin_ends_a_match(database, viewer, reason) -> None:
    program = await a_program(database, status="running", acceptance="auto")
    await propose(database, program, ("A", "B"))
    ended, uow = await run(
        database, matches.end_match, matches.EndMatch(viewer, "M1", "moved team"), now=LATER, source=SOURCE
    )
    assert (ended.status, ended.end_reason, ended.ended_on, ended.end_note) == (
        "ended",
        reason,
        LATER.date(),
        "moved team",
    )
    assert published(uow) == [("match.ended.v1", "M1", "M1.ended")]
    assert "moved team" not in str(uow.published[0].data.model_dump())


async def test_strangers_cannot_end_a_match_and_proposals_are_not_ended(database) -> None:
    program = await a_program(database, status="running")
    await propose(database, program, ("A", "B"))
    command = matches.EndMatch(as_viewer("Z"), "M1")
    assert await refused(database, matches.end_match, command, now=LATER, source=SOURCE) == [
        ("match_id", "FORBIDDEN")
    ]
    member = matches.EndMatch(as_viewer("A"), "M1")
    assert await refused(database, matches.end_match, member, now=LATER, source=SOURCE) == [
        ("match_id", "CONFLICT")
    ]
