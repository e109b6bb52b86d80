"""HR lifecycle benchmark: exit -> re-match proposal, and hire -> in the pool.

``python -m bench.matching_service.lifecycle [--quick]``

The profiles and matching services run in this process on the embedded broker and
PostgreSQL, wired as in production (hr.employees -> profiles -> profiles.events ->
matching -> matching.events). In one run it measures:

(a) exit -> re-match: p50/p99 from producing ``tandem.hr.employee.exited.v1`` for a
    matched person of a 10,000-participant reciprocal ``auto_rematch`` program to the
    ``match.proposed.v1`` (round_id null) of their former partner on matching.events,
    over 200 exits (5 a second), beside the raw broker round trip (produce -> consume
    on the same broker) measured in the same run; budget p99 <= 5 s;
(b) hire -> in the pool: p50/p99 from producing the hire to the matching pool row
    (its ``updated_at``, the transaction time) over 1,000 hires (50 a second); budget
    p99 <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import numpy as np
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tandem_common.envelope import CloudEvent, encode_binary
from tandem_common.events.matching import MATCHING_TOPIC
from tandem_common.events.profiles import PROFILES_TOPIC
from tandem_common.settings import libpq_url
from tandem_common.testing.backends import provide_infrastructure
from tandem_matching.domain.lifecycle import candidate_snapshot, engine_program
from tandem_matching.domain.matches import member_roles
from tandem_matching.engine.planner import plan
from tandem_matching.entrypoints.main import build_app as matching_app
from tandem_matching.entrypoints.main import create_runtime as matching_runtime
from tandem_matching.entrypoints.main import proposer
from tandem_matching.service.loading import load_program
from tandem_matching.service.proposals import ProposedMatch
from tandem_matching.settings import MatchingSettings
from tandem_profiles.adapters.taxonomy_file import load_taxonomy
from tandem_profiles.entrypoints.main import build_app as profiles_app
from tandem_profiles.entrypoints.main import create_runtime as profiles_runtime
from tandem_profiles.settings import ProfilesSettings

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 3
ADMIN = {"X-Tandem-Viewer": "BENCHADM", "X-Tandem-Roles": "employee,program_admin"}
DEPARTMENTS = ("Finance", "Sales", "Engineering", "People", "Legal", "Operations")
ZONES = (
    ("BR", "America/Sao_Paulo"),
    ("FR", "Europe/Paris"),
    ("US", "America/New_York"),
    ("GB", "Europe/London"),
)
# Services tuned for latency as in production: short fetch waits, a prompt relay.
LATENCY = {
    "consumer_batch_timeout_ms": 20,
    "outbox_poll_seconds": 0.05,
    "consumer_session_timeout_ms": 10_000,
    "consumer_heartbeat_interval_ms": 1_000,
    "log_level": "WARNING",
}


class RematchLog(logging.Handler):
    """Where a re-match spends its time, from the service's own log records."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.load: list[float] = []
        self.engine: list[float] = []
        self.candidates: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "re-matched after an HR event":
            self.load.append(record.__dict__["load_seconds"])
            self.engine.append(record.__dict__["engine_seconds"])
            self.candidates.append(record.__dict__["candidates"])


def infrastructure_name(name: str) -> str:
    """Embedded servers of one's own when TANDEM_TEST_INFRA names them (as tests do)."""
    suffix = os.environ.get("TANDEM_TEST_INFRA")
    return f"{name}-{suffix}" if suffix else name


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def hr_record(kind: str, data: dict[str, Any]) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    event = CloudEvent(
        id=f"{kind}-{uuid.uuid4().hex}",
        source="workday/bench",
        type=f"tandem.hr.employee.{kind}.v1",
        time=datetime.now(UTC),
        data=data,
        subject=data["employee_id"],
    )
    value, headers = encode_binary(event)
    return data["employee_id"].encode(), value, headers


def hire(employee_id: str, rng: random.Random, manager: str | None) -> dict[str, Any]:
    country, zone = rng.choice(ZONES)
    return {
        "employee_id": employee_id,
        "email": f"{employee_id.lower()}@example.com",
        "display_name": f"Person {employee_id}",
        "job_title": "Analyst",
        "department": rng.choice(DEPARTMENTS),
        "manager_id": manager,
        "location": {"country": country},
        "timezone": zone,
        "hire_date": "2024-01-01",
        "seniority_level": rng.randint(1, 10),
        "languages": ["en"],
    }


def mentoring(rng: random.Random, skills: list[str]) -> dict[str, Any]:
    offered = rng.sample(skills, 3)
    wanted = rng.sample([s for s in skills if s not in offered], 3)
    return {
        "skills_offered": [{"skill": s, "level": rng.randint(3, 5)} for s in offered],
        "skills_wanted": [{"skill": s, "level": rng.randint(1, 3)} for s in wanted],
        "roles": ["mentor", "mentee"],
        "capacity": 1,
        "hours_per_month": 4,
        "goals": "",
        "consents": {"generation_aware_pairing": False, "demographics_for_reporting": False},
    }


async def create_topics(bootstrap: str, topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        await admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics if t not in existing])
    finally:
        await admin.close()


def percentiles(samples: list[float]) -> str:
    values = np.asarray(samples) * 1000
    p50, p99 = np.percentile(values, 50), np.percentile(values, 99)
    return f"p50 {p50:8.1f} ms  p99 {p99:8.1f} ms  (n={len(samples)})"


async def raw_round_trip(producer: AIOKafkaProducer, bootstrap: str, topic: str, count: int) -> list[float]:
    """Produce one record and wait until a consumer of the same broker sees it, ``count`` times."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    samples = []
    try:
        for n in range(count):
            key = f"rt-{n}".encode()
            started = time.perf_counter()
            await producer.send_and_wait(topic, b"x", key=key)
            seen = False
            while not seen:
                batch = await consumer.getmany(timeout_ms=1000)
                seen = any(r.key == key for records in batch.values() for r in records)
            samples.append(time.perf_counter() - started)
    finally:
        await consumer.stop()
    return samples


async def wait_for(check: Any, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.5)


async def run(participants: int, exits: int, hires: int) -> None:
    token = uuid.uuid4().hex[:6]
    rng = random.Random(7)
    skills = [skill.id for skill in load_taxonomy().search("a", 50)][:24]
    with provide_infrastructure(REPO / ".tandem", infrastructure_name("bench-lifecycle")) as infrastructure:
        bootstrap = infrastructure.kafka_bootstrap
        hr_topic, rt_topic = f"bench.hr.{token}", f"bench.roundtrip.{token}"
        await create_topics(bootstrap, [hr_topic, rt_topic, PROFILES_TOPIC, MATCHING_TOPIC])
        admin_db = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
        databases = {name: f"bench_{name}_{token}" for name in ("profiles", "matching")}
        for database in databases.values():
            await admin_db.execute(f'CREATE DATABASE "{database}"')
        profiles_settings = ProfilesSettings(
            database_url=infrastructure.database_url(databases["profiles"]),
            kafka_bootstrap=bootstrap,
            **LATENCY,
        )
        matching_settings = MatchingSettings(
            database_url=infrastructure.database_url(databases["matching"]),
            kafka_bootstrap=bootstrap,
            **LATENCY,
        )
        profiles = profiles_runtime(
            profiles_settings, hr_topic=hr_topic, consumer_name=f"bench-profiles-{token}"
        )
        matching = matching_runtime(matching_settings, consumer_name=f"bench-matching-{token}")
        await profiles.start()
        await matching.start()
        rematches = RematchLog()
        lifecycle_log = logging.getLogger("tandem_matching.service.lifecycle")
        lifecycle_log.setLevel(logging.INFO)
        lifecycle_log.addHandler(rematches)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
        await producer.start()
        matching_db = await asyncpg.connect(libpq_url(matching_settings.database_url))
        try:
            ids = [f"B{token}{n:06d}" for n in range(participants)]
            say(f"hiring {participants:,} people and loading their mentoring profiles")
            started = time.perf_counter()
            for n, employee_id in enumerate(ids):
                manager = ids[rng.randrange(0, max(n, 1))] if n else None
                key, value, headers = hr_record("hired", hire(employee_id, rng, manager))
                await producer.send(hr_topic, value, key=key, headers=headers)
            await producer.flush()
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=profiles_app(profiles, profiles_settings)),
                base_url="http://profiles",
                timeout=120,
            ) as api:
                pending = [{"employee_id": i, "mentoring": mentoring(rng, skills)} for i in ids]
                while pending:
                    retry = []
                    for start in range(0, len(pending), 1000):
                        chunk = pending[start : start + 1000]
                        answer = (await api.post("/v1/mentoring/bulk", json=chunk)).json()["results"]
                        retry += [
                            item for item, r in zip(chunk, answer, strict=True) if r["status"] == "not_found"
                        ]
                    pending = retry
                    if pending:
                        await asyncio.sleep(0.5)

            async def pool_ready() -> bool:
                count = await matching_db.fetchval(
                    "SELECT count(*) FROM pool_members WHERE employee_id LIKE $1"
                    " AND jsonb_array_length(snapshot->'mentoring'->'roles') = 2",
                    f"B{token}%",
                )
                return bool(count >= participants)

            await wait_for(pool_ready, "the pool")
            say(f"  pool ready in {time.perf_counter() - started:.1f} s")

            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=matching_app(matching, matching_settings)),
                base_url="http://matching",
                timeout=300,
            ) as api:
                created = await api.post(
                    "/v1/programs",
                    json={"name": "Bench", "type": "reciprocal", "acceptance": "auto", "auto_rematch": True},
                    headers=ADMIN,
                )
                program_id = created.json()["program_id"]
                await api.post(f"/v1/programs/{program_id}/status", json={"status": "running"}, headers=ADMIN)
                enrolled = await api.post(
                    f"/v1/programs/{program_id}/enrolments/bulk",
                    json={"items": [{"employee_id": i} for i in ids]},
                    headers=ADMIN,
                )
                assert enrolled.status_code == 200, enrolled.text[:300]

            say("matching 80% of the program (engine plan), leaving the rest free")
            rows = await matching_db.fetch(
                "SELECT employee_id, snapshot FROM pool_members WHERE employee_id = ANY($1::text[])", ids
            )
            snapshots = {r["employee_id"]: orjson.loads(r["snapshot"]) for r in rows}
            planned_ids = ids[: int(participants * 0.8)]
            async with matching.unit_of_work() as uow:
                program = await load_program(uow, program_id)
            document = engine_program(program)
            people = [candidate_snapshot(snapshots[i], ["mentor", "mentee"]) for i in planned_ids]
            org = [{"employee_id": i, "manager_id": snapshots[i].get("manager_id")} for i in ids]
            result = plan(document, people, org=org)
            propose = proposer(matching, matching_settings)
            pairs = [m["members"] for m in result["matches"]]
            for start in range(0, len(pairs), 500):
                async with matching.unit_of_work() as uow:
                    await propose(
                        uow,
                        program,
                        [
                            ProposedMatch(list(zip(p, member_roles("reciprocal", 2), strict=True)), 0.5)
                            for p in pairs[start : start + 500]
                        ],
                        round_id="bench",
                        now=datetime.now(UTC),
                    )
                    await uow.commit()
            say(f"  {len(pairs):,} active matches, {participants - 2 * len(pairs):,} people free")

            say("raw broker round trip")
            round_trip = await raw_round_trip(producer, bootstrap, rt_topic, 200)

            say(f"{exits} exits, 5 a second")
            leavers = rng.sample(pairs, exits)
            partner_of = {a: b for a, b in leavers} | {b: a for a, b in leavers}
            chosen = [pair_[0] for pair_ in leavers]
            proposals: dict[str, float] = {}
            consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
            await consumer.start()
            partitions = [TopicPartition(MATCHING_TOPIC, p) for p in range(PARTITIONS)]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            waiting = {partner_of[c] for c in chosen}

            async def listen() -> None:
                while True:
                    batch = await consumer.getmany(timeout_ms=200)
                    now = time.perf_counter()
                    for records in batch.values():
                        for record in records:
                            headers = dict(record.headers)
                            if headers.get("ce_type") != b"tandem.matching.match.proposed.v1":
                                continue
                            data = orjson.loads(record.value)
                            if data["round_id"] is not None:
                                continue
                            for member in data["members"]:
                                if (
                                    member["employee_id"] in waiting
                                    and member["employee_id"] not in proposals
                                ):
                                    proposals[member["employee_id"]] = now

            listener = asyncio.create_task(listen())
            produced: dict[str, float] = {}
            for leaver in chosen:
                key, value, headers = hr_record(
                    "exited", {"employee_id": leaver, "exit_date": "2026-12-01", "reason": "voluntary"}
                )
                produced[partner_of[leaver]] = time.perf_counter()
                await producer.send_and_wait(hr_topic, value, key=key, headers=headers)
                await asyncio.sleep(0.2)

            async def ended() -> bool:
                done = await matching_db.fetchval(
                    "SELECT count(*) FROM matches WHERE program_id = $1 AND end_reason = 'member_departed'",
                    program_id,
                )
                return bool(done >= exits)

            await wait_for(ended, "the exits", timeout=120)
            await asyncio.sleep(3)
            listener.cancel()
            await consumer.stop()
            exit_samples = [proposals[p] - produced[p] for p in produced if p in proposals]
            returned = await matching_db.fetchval(
                "SELECT count(*) FROM matches WHERE program_id = $1 AND round_id IS NULL", program_id
            )

            say(f"{hires} hires, 50 a second")
            hired_at: dict[str, float] = {}
            wall_offset = time.time() - time.perf_counter()
            for n in range(hires):
                employee_id = f"H{token}{n:06d}"
                key, value, headers = hr_record("hired", hire(employee_id, rng, rng.choice(ids)))
                hired_at[employee_id] = time.perf_counter() + wall_offset
                await producer.send_and_wait(hr_topic, value, key=key, headers=headers)
                await asyncio.sleep(0.02)

            async def all_hired() -> bool:
                count = await matching_db.fetchval(
                    "SELECT count(*) FROM pool_members WHERE employee_id LIKE $1", f"H{token}%"
                )
                return bool(count >= hires)

            await wait_for(all_hired, "the hires", timeout=120)
            landed = await matching_db.fetch(
                "SELECT employee_id, extract(epoch FROM updated_at) AS at FROM pool_members"
                " WHERE employee_id LIKE $1",
                f"H{token}%",
            )
            hire_samples = [float(r["at"]) - hired_at[r["employee_id"]] for r in landed]
        finally:
            await matching_db.close()
            await producer.stop()
            await matching.stop()
            await profiles.stop()
            for database in databases.values():
                await admin_db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin_db.close()

    print(f"HR lifecycle benchmark: {participants:,}-participant reciprocal auto_rematch program, in-process")
    print("profiles and matching services, embedded broker and PostgreSQL")
    print(f"  raw broker round trip        {percentiles(round_trip)}")
    print(f"  exit -> re-match proposal    {percentiles(exit_samples)}")
    print(
        f"    {len(exit_samples)} of {exits} partners re-proposed ({returned} re-match proposals stored;"
        " the others had no eligible free partner)"
    )
    print(
        f"    inside the service: loading the free people {percentiles(rematches.load)};"
        f" engine {percentiles(rematches.engine)}; median {int(np.median(rematches.candidates)):,} candidates"
    )
    ratio = np.percentile(exit_samples, 99) / np.percentile(round_trip, 99)
    print(f"    p99 ratio to the raw round trip: {ratio:.1f}x   budget p99 <= 5000 ms")
    print(f"  hire -> in the pool          {percentiles(hire_samples)}")
    print("    budget p99 <= 1000 ms")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.matching_service.lifecycle")
    parser.add_argument("--quick", action="store_true", help="2,000 participants, 40 exits, 200 hires")
    args = parser.parse_args()
    if args.quick:
        asyncio.run(run(2_000, 40, 200))
    else:
        asyncio.run(run(10_000, 200, 1_000))


if __name__ == "__main__":
    main()
