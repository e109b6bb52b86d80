"""Round benchmark: a match round of a 100,000-participant reciprocal program inside the
running matching service.

``python -m bench.matching_service.round [--participants N] [--quick]``

The service runs in its own process (HTTP, runner, worker process, outbox relay) on the
embedded PostgreSQL and broker. The figure is the time from the start command
(``POST /v1/programs/{id}/rounds``, what ``startMatchRound`` calls) to the last
``match.proposed.v1`` of the round read back from ``matching.events``. Beside it, in the
same run: the engine alone (``plan``) on the very same input, read from the database
before the round starts, in this process; its snapshots are parsed before the clock
starts (the figure with the parsing included is printed too, as earlier runs of this
benchmark measured it). The round's own ``stats.phases`` say where its time went.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import orjson
import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition

from tandem_common.db.engine import create_engine, create_session_factory
from tandem_common.events.matching import MATCHING_TOPIC
from tandem_common.settings import libpq_url
from tandem_common.testing.backends import provide_infrastructure
from tandem_matching.adapters.unit_of_work import SqlMatchingUnitOfWork
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.rounds import Round
from tandem_matching.engine.planner import plan
from tandem_matching.service import rounds
from tandem_matching.service.round_plan import RoundParticipant, participant_document
from tandem_testkit.matching_synthetic import organisation

REPO = Path(__file__).resolve().parents[2]
ADMIN = {"X-Tandem-Viewer": "BENCHADM", "X-Tandem-Roles": "employee,program_admin"}
PROPOSED = b"tandem.matching.match.proposed.v1"
GOAL_SECONDS = 90.0
CHUNK = 10_000


def infrastructure_name(name: str) -> str:
    """Embedded servers of one's own when TANDEM_TEST_INFRA names them (as tests do)."""
    suffix = os.environ.get("TANDEM_TEST_INFRA")
    return f"{name}-{suffix}" if suffix else name


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def ready(client: httpx.AsyncClient, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.5)
    raise RuntimeError("the matching service did not become ready")


async def fill_pool(database_url: str, people: list[dict]) -> None:
    engine = create_engine(database_url)
    try:
        factory = create_session_factory(engine)
        for start in range(0, len(people), CHUNK):
            async with SqlMatchingUnitOfWork(factory) as uow:
                await uow.pool.save([PoolMember.from_snapshot(p) for p in people[start : start + CHUNK]])
                await uow.commit()
    finally:
        await engine.dispose()


async def same_input(database_url: str, program_id: str):
    """The engine's input for the program, as the round will read it."""
    engine = create_engine(database_url)
    try:
        async with SqlMatchingUnitOfWork(create_session_factory(engine)) as uow:
            probe = Round.queue("rnd_probe", program_id, requested_by="BENCHADM", now=datetime.now(UTC))
            return (await rounds.round_input(uow, probe)).input
    finally:
        await engine.dispose()


class ProposalWatcher:
    """Counts the program's match.proposed.v1 on matching.events as they arrive."""

    def __init__(self, bootstrap: str, program_id: str) -> None:
        self.bootstrap = bootstrap
        self.program_id = program_id.encode()
        self.count = 0
        self.last_at = 0.0
        self.consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False
        )
        await self.consumer.start()
        partitions = [
            TopicPartition(MATCHING_TOPIC, p)
            for p in sorted(self.consumer.partitions_for_topic(MATCHING_TOPIC) or {0})
        ]
        self.consumer.assign(partitions)
        await self.consumer.seek_to_end(*partitions)
        for partition in partitions:
            await self.consumer.position(partition)

    async def run(self) -> None:
        assert self.consumer is not None
        while True:
            batch = await self.consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batch.values():
                for record in records:
                    if dict(record.headers).get("ce_type") != PROPOSED:
                        continue
                    if orjson.loads(record.value)["program_id"].encode() == self.program_id:
                        self.count += 1
                        self.last_at = time.perf_counter()

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()


async def run(participants: int) -> None:
    # A few per cent are on leave and cannot enrol; the organisation is that much larger.
    people = organisation(int(participants * 1.04) + 50, seed=17)
    active = [p for p in people if p["status"] == "active"][:participants]
    with provide_infrastructure(REPO / ".tandem", infrastructure_name("bench-rounds")) as infrastructure:
        database = f"bench_rounds_{uuid.uuid4().hex[:8]}"
        admin_db = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
        await admin_db.execute(f'CREATE DATABASE "{database}"')
        database_url = infrastructure.database_url(database)
        port = free_port()
        service = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.matching_service.service_process",
            database_url,
            infrastructure.kafka_bootstrap,
            str(port),
            cwd=REPO,
        )
        watcher = ProposalWatcher(infrastructure.kafka_bootstrap, "")
        watching: asyncio.Task | None = None
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                await ready(client)
                say(f"filling the pool with {len(people):,} profiles")
                await fill_pool(database_url, people)
                created = await client.post(
                    "/v1/programs",
                    json={
                        "name": "Reciprocal benchmark",
                        "type": "reciprocal",
                        "duration_days": 180,
                        "rules": {"min_timezone_overlap_hours": 2, "require_common_language": True},
                        "weights": {"cross_department": 0.2, "timezone_overlap": 0.1, "common_goals": 0.2},
                    },
                    headers=ADMIN,
                )
                program_id = created.json()["program_id"]
                await client.post(
                    f"/v1/programs/{program_id}/status", json={"status": "running"}, headers=ADMIN
                )
                say(f"enrolling {len(active):,} participants")
                for start in range(0, len(active), CHUNK):
                    items = [{"employee_id": p["employee_id"]} for p in active[start : start + CHUNK]]
                    answer = await client.post(
                        f"/v1/programs/{program_id}/enrolments/bulk", json={"items": items}, headers=ADMIN
                    )
                    answer.raise_for_status()
                job = await same_input(database_url, program_id)
                watcher.program_id = program_id.encode()
                await watcher.start()
                watching = asyncio.create_task(watcher.run())

                say("round: start command -> last match.proposed.v1")
                watched = psutil.Process(service.pid)
                peak_rss = 0
                started = time.perf_counter()
                answer = await client.post(f"/v1/programs/{program_id}/rounds", headers=ADMIN)
                answer.raise_for_status()
                round_id = answer.json()["round_id"]
                while True:
                    processes = [watched, *watched.children(recursive=True)]
                    peak_rss = max(peak_rss, sum(p.memory_info().rss for p in processes if p.is_running()))
                    found = (await client.get(f"/v1/rounds/{round_id}")).json()
                    if found["status"] in ("done", "failed"):
                        stored_at = time.perf_counter()
                        break
                    await asyncio.sleep(0.25)
                if found["status"] != "done":
                    raise RuntimeError(f"the round failed: {found['error']}")
                stats = found["stats"]
                proposals = stats["matched"] // 2
                while watcher.count < proposals:
                    await asyncio.sleep(0.05)
                end_to_end = watcher.last_at - started
        finally:
            if watching is not None:
                watching.cancel()
            await watcher.stop()
            service.send_signal(15)
            await service.wait()
            await admin_db.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
            await admin_db.close()

    say("engine alone on the same input")
    parse_started = time.perf_counter()
    participants = [participant_document(RoundParticipant._make(p)) for p in job.participants]
    ids = {p[0] for p in job.participants}
    org = [{"employee_id": e, "manager_id": m} for e, m in job.org if e not in ids]
    engine_started = time.perf_counter()
    alone = plan(job.program, participants, org=org, top_k=job.top_k)
    engine_seconds = time.perf_counter() - engine_started
    parse_seconds = engine_started - parse_started
    phases = stats.get("phases") or {}

    print(
        f"round benchmark: reciprocal program, {stats['participants']:,} participants"
        " (embedded broker and PostgreSQL)"
    )
    print(
        f"  proposals                                 {proposals:10,}  ({stats['matched']:,} people matched)"
    )
    print(f"  start command -> round stored (done)      {stored_at - started:8.1f} s")
    print(f"  start command -> last match.proposed.v1   {end_to_end:8.1f} s")
    print(f"    of which the engine in the worker       {stats['seconds']:8.1f} s")
    for phase, seconds in phases.items():
        print(f"      phase {phase:<32}{seconds:8.2f} s")
    print(f"    outbox relay after the commit           {watcher.last_at - stored_at:8.1f} s  (or less)")
    print(
        f"  engine alone, same input, this process    {engine_seconds:8.1f} s"
        f"  ({len(alone['matches']):,} matches)"
    )
    print(f"    with the snapshots' parsing             {engine_seconds + parse_seconds:8.1f} s")
    print(f"  ratio round / engine alone                {end_to_end / engine_seconds:8.2f}")
    print(
        "  overhead outside the engine (round - engine in the worker)"
        f" {end_to_end - phases.get('engine', stats['seconds']):5.1f} s"
    )
    print(f"  service peak RSS (with its worker)        {peak_rss / 2**20:8,.0f} MiB")
    print(f"  goal: <= {GOAL_SECONDS:.0f} s from the start command to the last proposal on Kafka")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.matching_service.round")
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 participants")
    args = parser.parse_args()
    asyncio.run(run(10_000 if args.quick else args.participants))


if __name__ == "__main__":
    main()
