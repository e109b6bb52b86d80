"""Storing a round fast, on plain objects: the events of many proposals built at once are
those built one by one, the collector pause always ends, and a round records where its
time went (``stats.phases``)."""

from __future__ import annotations

import gc
from datetime import timedelta

import pytest

from tandem_matching.domain.rounds import Round
from tandem_matching.entrypoints.rounds_runner import RoundRunner, worker_pool
from tandem_matching.service import events
from tandem_matching.service.collector import collector_paused
from tandem_matching.service.proposals import ProposedMatch, propose_matches
from tandem_matching.settings import MatchingSettings
from tandem_testkit.matching_synthetic import organisation
from tests.fakes.matching import FakeMatchingDatabase, FakeMatchingUnitOfWork
from tests.unit.matching_service.support import SOURCE, T0, a_match, a_program
from tests.unit.matching_service.test_rounds import enrol

PHASES = {"read", "to_worker", "parse", "engine", "from_worker", "check", "store"}


def test_events_of_many_proposals_are_those_of_each_one() -> None:
    matches = [
        a_match("M1", "P1", (("A", "mentor"), ("B", "mentee"))),
        a_match("M2", "P1", (("C", "partner"), ("D", "partner"))),
    ]
    together = events.matches_proposed(matches, source=SOURCE)
    alone = [events.match_proposed(m, source=SOURCE) for m in matches]
    assert [(e.id, e.subject, e.source, e.data) for e in together] == [
        (e.id, e.subject, e.source, e.data) for e in alone
    ]
    assert [e.record()[7] for e in together] == [e.record()[7] for e in alone]
    assert [e.id for e in together] == ["M1.proposed", "M2.proposed"]


def test_the_collector_runs_again_after_the_pause_even_when_the_block_raises() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled(), "a pause does not turn on a collector that was off"
    finally:
        gc.enable()


async def test_auto_acceptance_publishes_each_proposal_then_its_start() -> None:
    database = FakeMatchingDatabase()
    program = a_program("P1", status="running", type="reciprocal", acceptance="auto")
    database.programs["P1"] = program
    ids = iter(["M1", "M2"])
    async with FakeMatchingUnitOfWork(database) as uow:
        made = await propose_matches(
            uow,
            program,
            [
                ProposedMatch([("A", "partner"), ("B", "partner")], 0.5),
                ProposedMatch([("C", "partner"), ("D", "partner")], 0.25),
            ],
            round_id="R1",
            now=T0,
            source=SOURCE,
            expiry_days=14,
            new_id=lambda: next(ids),
        )
        await uow.commit()
    assert [m.status for m in made] == ["active", "active"]
    assert [(e.id, e.data.ce_type) for e in uow.published] == [
        ("M1.proposed", "tandem.matching.match.proposed.v1"),
        ("M1.started", "tandem.matching.match.started.v1"),
        ("M2.proposed", "tandem.matching.match.proposed.v1"),
        ("M2.started", "tandem.matching.match.started.v1"),
    ]


@pytest.fixture(scope="module")
def workers():
    pool = worker_pool(1)
    yield pool
    pool.shutdown()


async def test_a_round_records_the_seconds_of_each_phase(workers) -> None:
    database = FakeMatchingDatabase()
    database.programs["P1"] = a_program("P1", status="running", type="reciprocal")
    enrol(
        database, "P1", [{k: v for k, v in p.items() if k != "birth_year"} for p in organisation(60, seed=3)]
    )
    database.rounds["R1"] = Round.queue("R1", "P1", requested_by="ADM", now=T0)

    def propose(uow, program, proposals, *, round_id, now):
        return propose_matches(
            uow, program, proposals, round_id=round_id, now=now, source=SOURCE, expiry_days=14
        )

    runner = RoundRunner(
        lambda: FakeMatchingUnitOfWork(database),
        MatchingSettings(round_lease_seconds=30.0, round_max_attempts=2),
        propose=propose,
        clock=lambda: T0 + timedelta(seconds=1),
        owner="a",
        executor=workers,
    )
    done = await runner.run_once()
    assert done is not None and done.stats is not None
    assert done.stats.phases.keys() == PHASES
    assert all(seconds >= 0 for seconds in done.stats.phases.values())
    assert done.stats.phases["engine"] > 0
    assert database.rounds["R1"].stats == done.stats
