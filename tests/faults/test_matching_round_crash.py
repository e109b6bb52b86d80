"""kill -9 of the matching service while a match round runs, then a restart: the round
ends done, and every proposal is stored and published exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psutil

from tandem_common.db.engine import create_engine, create_session_factory
from tandem_common.testing.backends import Infrastructure
from tandem_matching.adapters.unit_of_work import SqlMatchingUnitOfWork
from tandem_matching.domain.enrolment import Enrolment
from tandem_matching.domain.policy import Viewer
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.programs import Program
from tandem_matching.service import rounds
from tandem_testkit.matching_synthetic import organisation
from tests.support.backbone import new_id, scalar, wait_until
from tests.support.kafka import create_topics, unique_topic
from tests.support.matching import events_on_topic

REPO = Path(__file__).resolve().parents[2]
PEOPLE = 20_000
PROPOSED = "tandem.matching.match.proposed.v1"


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.faults.matching_round_process",
        *args,
        cwd=REPO,
        env=dict(os.environ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _a_round_of(database_url: str) -> tuple[str, str]:
    """A running reciprocal program of PEOPLE enrolled people, and a round queued for it."""
    engine = create_engine(database_url)
    try:
        now = datetime.now(UTC)
        people = organisation(PEOPLE, seed=5)
        async with SqlMatchingUnitOfWork(create_session_factory(engine)) as uow:
            await uow.pool.save([PoolMember.from_snapshot(p) for p in people])
            program = Program.create(
                "prg_crash",
                {
                    "name": "Crash",
                    "type": "reciprocal",
                    "rules": {"min_timezone_overlap_hours": 2, "require_common_language": True},
                },
                creator="ADM",
                now=now,
            ).move_to("running", now=now)
            await uow.programs.add(program)
            await uow.enrolments.save(
                [
                    Enrolment(
                        program.program_id, p["employee_id"], ("mentor", "mentee"), "enrolled", now, now
                    )
                    for p in people
                    if p["status"] == "active" and {"mentor", "mentee"} <= set(p["mentoring"]["roles"])
                ]
            )
            started = await rounds.start_round(
                uow, rounds.StartRound(Viewer.of("ADM", ["program_admin"]), program.program_id), now=now
            )
            await uow.commit()
        return program.program_id, started.round_id
    finally:
        await engine.dispose()


def _proposals_on_topic(bootstrap: str, program_id: str, expected: set[str]) -> Counter[str]:
    """match.proposed.v1 of the program on matching.events by match id (confluent-kafka),
    read until every expected one arrived and the topic stayed quiet."""
    found = events_on_topic(bootstrap, PROPOSED, expected, timeout=120)
    return Counter(key for key, data in found if data["program_id"] == program_id)


async def test_kill_9_while_a_round_runs_then_restart_stores_and_publishes_each_proposal_once(
    infrastructure: Infrastructure, database_url: str
) -> None:
    profiles_topic = unique_topic("profiles.events")
    await create_topics(infrastructure.kafka_bootstrap, [profiles_topic])
    args = (database_url, infrastructure.kafka_bootstrap, profiles_topic, f"rounds-{new_id()[:8]}")

    first = await _spawn(*args)

    async def migrated() -> bool:
        return bool(await scalar(database_url, "SELECT to_regclass('public.match_rounds') IS NOT NULL"))

    await wait_until(migrated, timeout=120, every=0.2)
    program_id, round_id = await _a_round_of(database_url)

    async def running() -> bool:
        status = await scalar(database_url, "SELECT status FROM match_rounds WHERE round_id = :r", r=round_id)
        return status == "running"

    await wait_until(running, timeout=60, every=0.05)

    async def planning() -> bool:
        return bool(psutil.Process(first.pid).children())

    await wait_until(planning, timeout=30, every=0.05)
    workers = psutil.Process(first.pid).children()
    first.send_signal(signal.SIGKILL)
    await first.wait()

    at_kill = await scalar(
        database_url, "SELECT status || ':' || attempts FROM match_rounds WHERE round_id = :r", r=round_id
    )
    assert at_kill == "running:1"
    assert await scalar(database_url, "SELECT count(*) FROM matches WHERE program_id = :p", p=program_id) == 0
    assert await scalar(database_url, "SELECT count(*) FROM outbox WHERE ce_type = :t", t=PROPOSED) == 0
    # The killed service's worker process notices and ends too.
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []

    second = await _spawn(*args)
    try:

        async def ended() -> bool:
            status = await scalar(
                database_url, "SELECT status FROM match_rounds WHERE round_id = :r", r=round_id
            )
            return status in ("done", "failed")

        await wait_until(ended, timeout=240, every=0.2)

        async def all_sent() -> bool:
            return await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0

        await wait_until(all_sent, timeout=120, every=0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=60)

    summary = await scalar(
        database_url,
        "SELECT status || ':' || attempts || ':' || (stats ->> 'matched') "
        "FROM match_rounds WHERE round_id = :r",
        r=round_id,
    )
    status, attempts, matched = summary.split(":")
    assert (status, attempts) == ("done", "2")
    stored = await scalar(
        database_url,
        "SELECT array_agg(match_id) FROM matches WHERE program_id = :p AND round_id = :r",
        p=program_id,
        r=round_id,
    )
    assert len(stored) == int(matched) // 2 > 1000
    published = await scalar(
        database_url,
        "SELECT count(*) FROM outbox WHERE ce_type = :t AND key = ANY(:keys)",
        t=PROPOSED,
        keys=stored,
    )
    assert published == len(stored)
    on_topic = await asyncio.to_thread(
        _proposals_on_topic, infrastructure.kafka_bootstrap, program_id, set(stored)
    )
    assert on_topic == Counter(dict.fromkeys(stored, 1))
