"""Relationship health benchmark.

``python -m bench.engagement.health [--quick]``

The engagement service runs in its own process (HTTP on a free port) on the embedded
broker and PostgreSQL. In one run it measures:

(a) the daily health recomputation for 100,000 active matches (``--quick``: 10,000):
    the tables are seeded directly with COPY (matches, members, sessions and ledger
    entries, goals, answered check-ins, and yesterday's scores), then the health job
    (``HealthJob.run_once``, the service's own code) is timed end to end at today's
    date; beside it, the pure formula alone over the same inputs in-process. Budget
    <= 30 s;
(b) session logging through the internal API: requests per second and p99 at 50
    concurrent clients (httpx AsyncClient over HTTP against the running service; each
    log stores the session and its ledger, publishes ``session.logged`` and
    recomputes health in its transaction), beside the ``/healthz`` round trip at the
    same concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import numpy as np

from tandem_common.db.engine import create_engine, create_session_factory
from tandem_common.settings import libpq_url
from tandem_common.testing.backends import provide_infrastructure
from tandem_engagement.adapters.unit_of_work import SqlEngagementUnitOfWork
from tandem_engagement.domain.health import compute_health
from tandem_engagement.entrypoints.health_job import HealthJob
from tandem_engagement.settings import EngagementSettings

REPO = Path(__file__).resolve().parents[2]
CLIENTS = 50
BATCH = 1000
SKILLS = ["python", "sales", "negotiation", "social-media", "data-analysis", "public-speaking"]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def infrastructure_name(name: str) -> str:
    """Embedded servers of one's own when TANDEM_TEST_INFRA names them (as tests do)."""
    suffix = os.environ.get("TANDEM_TEST_INFRA")
    return f"{name}-{suffix}" if suffix else name


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
    raise RuntimeError("the engagement service did not become ready")


async def seed(database_url: str, count: int, today: date) -> list[tuple[str, str]]:
    """``count`` active matches of one reverse program with a few months of history;
    each match's (id, first member)."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    program = "P-bench"
    matches, members, sessions, ledger, goals, checkins = [], [], [], [], [], []
    pairs = []
    for n in range(count):
        match_id, a, b = f"M{n:07d}", f"A{n:07d}", f"B{n:07d}"
        pairs.append((match_id, a))
        age = rng.randint(1, 170)
        started = today - timedelta(days=age)
        matches.append((match_id, program, "active", "reverse", started, started + timedelta(days=180), now))
        members += [(match_id, 0, a, "mentor"), (match_id, 1, b, "mentee")]
        held_days = sorted(rng.sample(range(age), k=min(age, rng.randint(0, 8))))
        for k, offset in enumerate(held_days):
            session_id = f"S{n:07d}{k}"
            held_on = started + timedelta(days=offset)
            logger, partner = (a, b) if k % 2 == 0 else (b, a)
            sessions.append((session_id, match_id, program, logger, partner, held_on, 45, "video", now))
            ledger.append((session_id, 0, match_id, program, logger, partner, rng.choice(SKILLS), held_on))
        if rng.random() < 0.7:
            due = started + timedelta(days=rng.randint(20, 120))
            status = rng.choice(["open", "open", "done"])
            progress = 100 if status == "done" else rng.randint(0, 90)
            goals.append((f"G{n:07d}", match_id, [a, b], "goal", "", due, progress, status, 1, a, now, now))
        if age > 30:
            for member in (a, b):
                ratings = [rng.randint(2, 5) for _ in range(4)]
                due = started + timedelta(days=30)
                checkins.append(
                    (f"C{member}", match_id, program, member, due, "submitted", now, due, *ratings, now)
                )
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        await connection.execute(
            "INSERT INTO programs VALUES ($1, 1, 'reverse', 'running', 2, 60, 180, 30, 60, ARRAY['PA'])",
            program,
        )
        tables = {
            "matches": (
                matches,
                ["match_id", "program_id", "status", "program_type", "started_on", "ends_on", "updated_at"],
            ),
            "match_members": (members, ["match_id", "position", "employee_id", "role"]),
            "sessions": (
                sessions,
                [
                    "session_id",
                    "match_id",
                    "program_id",
                    "logged_by",
                    "partner_id",
                    "held_on",
                    "minutes",
                    "mode",
                    "logged_at",
                ],
            ),
            "ledger_entries": (
                ledger,
                ["session_id", "position", "match_id", "program_id", "from_id", "to_id", "skill", "held_on"],
            ),
            "goals": (
                goals,
                [
                    "goal_id",
                    "match_id",
                    "owners",
                    "title",
                    "success_criteria",
                    "due_on",
                    "progress",
                    "status",
                    "version",
                    "created_by",
                    "created_at",
                    "updated_at",
                ],
            ),
            "checkins": (
                checkins,
                [
                    "checkin_id",
                    "match_id",
                    "program_id",
                    "employee_id",
                    "due_on",
                    "status",
                    "announced_at",
                    "submitted_on",
                    "satisfaction",
                    "career_support",
                    "psychosocial_support",
                    "role_modelling",
                    "closed_at",
                ],
            ),
        }
        for table, (records, columns) in tables.items():
            await connection.copy_records_to_table(table, records=records, columns=columns)
        # Scores of two days ago, all healthy: yesterday's run rescores (and re-bands) them all.
        await connection.execute(
            "INSERT INTO match_health SELECT match_id, program_id, 100, 'healthy', '[]'::jsonb, 1, $1, "
            "now(), 0 FROM matches",
            today - timedelta(days=2),
        )
        await connection.execute("ANALYZE")
        say(
            f"  seeded {len(matches):,} matches, {len(sessions):,} sessions, {len(goals):,} goals, "
            f"{len(checkins):,} answered check-ins"
        )
    finally:
        await connection.close()
    return pairs


async def daily_recomputation(database_url: str, now: datetime) -> dict[str, float]:
    engine = create_engine(database_url)
    try:
        factory = create_session_factory(engine)

        def unit_of_work() -> SqlEngagementUnitOfWork:
            return SqlEngagementUnitOfWork(factory)

        # Baseline: the formula alone over the same inputs, read beforehand.
        ids: list[str] = []
        async with unit_of_work() as uow:
            ids = list(await uow.health.active_of_programs(["P-bench"]))
        inputs = []
        for start in range(0, len(ids), 5000):
            async with unit_of_work() as uow:
                inputs += list((await uow.health.inputs_of(ids[start : start + 5000])).values())
        started = time.perf_counter()
        for given in inputs:
            compute_health(given, now.date())
        formula = time.perf_counter() - started

        # The service's defaults.
        fields = EngagementSettings.model_fields
        batch_size, lanes = fields["health_batch_size"].default, fields["health_lanes"].default
        # Yesterday's run first (every seeded score changes band then), timed too...
        yesterday = now - timedelta(days=1)
        job = HealthJob(
            unit_of_work,
            source="tandem/engagement",
            batch_size=batch_size,
            lanes=lanes,
            clock=lambda: yesterday,
        )
        started = time.perf_counter()
        first = await job.run_once()
        first_elapsed = time.perf_counter() - started
        # ...then today's: the daily run, where only time passing changes the scores.
        job = HealthJob(
            unit_of_work,
            source="tandem/engagement",
            batch_size=batch_size,
            lanes=lanes,
            clock=lambda: now,
        )
        started = time.perf_counter()
        done = await job.run_once()
        elapsed = time.perf_counter() - started
        return {
            "matches": float(done.scored),
            "changed": float(done.changed),
            "seconds": elapsed,
            "first_matches": float(first.scored),
            "first_changed": float(first.changed),
            "first_seconds": first_elapsed,
            "formula_seconds": formula,
        }
    finally:
        await engine.dispose()


async def load(client: httpx.AsyncClient, requests: int, send) -> tuple[float, np.ndarray]:
    latencies: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for n in queue:
            started = time.perf_counter()
            answer = await send(n)
            latencies.append(time.perf_counter() - started)
            if answer.status_code not in (200, 201):
                raise RuntimeError(f"{answer.status_code}: {answer.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return time.perf_counter() - started, np.array(latencies)


async def session_logging(
    client: httpx.AsyncClient, pairs: list[tuple[str, str]], requests: int, today: date
):
    rng = random.Random(5)
    chosen = rng.sample(pairs, requests)

    async def log_one(n: int) -> httpx.Response:
        match_id, member = chosen[n]
        body = {
            "held_on": today.isoformat(),
            "minutes": 40,
            "mode": "video",
            "taught": ["python"],
            "learned": ["sales"],
            "client_request_id": f"bench-{n}",
        }
        return await client.post(
            f"/v1/matches/{match_id}/sessions",
            json=body,
            headers={"X-Tandem-Viewer": member, "X-Tandem-Roles": "employee"},
        )

    async def healthz(_: int) -> httpx.Response:
        return await client.get("/healthz")

    await load(client, 200, healthz)  # warm-up
    base_wall, base = await load(client, requests, healthz)
    wall, latencies = await load(client, requests, log_one)
    return {
        "rps": requests / wall,
        "p50_ms": float(np.percentile(latencies, 50) * 1000),
        "p99_ms": float(np.percentile(latencies, 99) * 1000),
        "base_rps": requests / base_wall,
        "base_p50_ms": float(np.percentile(base, 50) * 1000),
        "base_p99_ms": float(np.percentile(base, 99) * 1000),
    }


async def run(count: int, requests: int) -> None:
    with provide_infrastructure(REPO / ".tandem", infrastructure_name("bench-health")) as infrastructure:
        database = f"bench_health_{uuid.uuid4().hex[:8]}"
        admin_db = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
        await admin_db.execute(f'CREATE DATABASE "{database}"')
        await admin_db.close()
        database_url = infrastructure.database_url(database)
        port = free_port()
        service = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.engagement.service_process",
            database_url,
            infrastructure.kafka_bootstrap,
            str(port),
            cwd=REPO,
        )
        try:
            limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits
            ) as client:
                await ready(client)
                now = datetime.now(UTC)
                say(f"seeding {count:,} active matches")
                pairs = await seed(database_url, count, now.date())
                say("(a) daily health recomputation")
                daily = await daily_recomputation(database_url, now)
                print(
                    f"daily health recomputation: {int(daily['matches']):,} matches "
                    f"in {daily['seconds']:.2f} s ({daily['matches'] / daily['seconds']:,.0f}/s, "
                    f"{int(daily['changed']):,} band changes); "
                    f"budget 30 s: {'PASS' if daily['seconds'] <= 30 else 'FAIL'}"
                )
                print(
                    f"  the day before (every seeded score re-banded): {int(daily['first_matches']):,} "
                    f"matches in {daily['first_seconds']:.2f} s, {int(daily['first_changed']):,} band changes"
                )
                print(
                    f"  baseline, the formula alone in-process: {daily['formula_seconds']:.2f} s "
                    f"(job / formula = {daily['seconds'] / daily['formula_seconds']:.1f}x)"
                )
                say(f"(b) session logging, {CLIENTS} concurrent clients, {requests:,} requests")
                logging = await session_logging(client, pairs, requests, now.date())
                print(
                    f"session logging at {CLIENTS} clients: {logging['rps']:.0f} req/s, "
                    f"p50 {logging['p50_ms']:.1f} ms, p99 {logging['p99_ms']:.1f} ms"
                )
                print(
                    f"  baseline /healthz at {CLIENTS} clients: {logging['base_rps']:.0f} req/s, "
                    f"p50 {logging['base_p50_ms']:.1f} ms, p99 {logging['base_p99_ms']:.1f} ms "
                    f"(session p99 / healthz p99 = {logging['p99_ms'] / logging['base_p99_ms']:.1f}x)"
                )
        finally:
            service.terminate()
            await service.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 matches and 1,000 requests")
    args = parser.parse_args()
    count, requests = (10_000, 1_000) if args.quick else (100_000, 5_000)
    asyncio.run(run(count, requests))


if __name__ == "__main__":
    main()
