"""Recommendations through the running matching service.

``python -m bench.matching_service.recommend [--quick]``.

What it does, in one run:

1. starts the matching service as ``tandem serve matching`` on a fresh database
   (embedded PostgreSQL and broker unless the override variables name others);
2. fills its pool with a synthetic organisation (``tandem_testkit.matching_synthetic``,
   copied straight into ``pool_members``: this is set-up, not what is measured), creates
   a running reciprocal program through the API and enrols everyone with the bulk
   enrolment API (10,000 rows a call);
3. asks once (the cold call: the service builds the program's index, and its
   ``tandem_recommendation_index_build`` histogram says how long that took), then
   1,000 times for random enrolled people, one call after another, through HTTP:
   p50 and p99 of the warm calls; after each, a ``GET`` of the program (one row) gives
   the HTTP floor of the service under the same load;
4. as the same-run baseline, builds the same index in this process from the same
   snapshots and times the engine's ``recommend`` alone for the same 1,000 viewers.

The ratio service/engine is what the service adds: HTTP, the program read, the re-check
of the partners shown against the database, JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import numpy as np
import orjson
import psutil

from tandem_common.runtime.embedded_kafka import free_port
from tandem_common.settings import libpq_url
from tandem_common.testing.backends import provide_infrastructure
from tandem_matching.engine.people import build_population
from tandem_matching.engine.program import parse_program
from tandem_matching.engine.recommend import RecommendationIndex
from tandem_testkit.matching_synthetic import organisation

REPO = Path(__file__).resolve().parents[2]
ADMIN = {"X-Tandem-Viewer": "BENCHADM", "X-Tandem-Roles": "employee,program_admin"}
PROGRAM = {
    "name": "Bench: reciprocal",
    "type": "reciprocal",
    "rules": {"exclude_reporting_line": True, "min_timezone_overlap_hours": 2},
    "weights": {"skill_complementarity": 1.0, "reciprocity_balance": 1.0, "cross_department": 0.2},
}
BULK = 10_000
FIRST = 10


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


async def start_service(
    database_url: str, bootstrap: str, port: int, token: str, log: Any
) -> asyncio.subprocess.Process:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")},
        "TANDEM_MATCHING_DATABASE_URL": database_url,
        "TANDEM_KAFKA_BOOTSTRAP": bootstrap,
        "TANDEM_KAFKA_IDEMPOTENCE": "false",
        "TANDEM_MATCHING_PORT": str(port),
        "TANDEM_SERVICE_TOKEN": token,
        "TANDEM_LOG_LEVEL": "INFO",
        "TANDEM_HOME": str(REPO / ".tandem"),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tandem_common.cli",
        "serve",
        "matching",
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )


async def became_ready(port: int, service: asyncio.subprocess.Process, timeout: float = 120) -> bool:
    """Whether the service answers /readyz; False if it exited first (its port was taken)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        while time.monotonic() < deadline and service.returncode is None:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return True
            await asyncio.sleep(0.5)
    return False


async def fill_pool(database_url: str, people: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        await connection.copy_records_to_table(
            "pool_members",
            records=[(p["employee_id"], 1, p["status"], orjson.dumps(p).decode()) for p in people],
            columns=["employee_id", "profile_version", "status", "snapshot"],
        )
    finally:
        await connection.close()
    return time.perf_counter() - started


def build_metric(metrics: str) -> tuple[float, int]:
    """Sum and count of the service's index build histogram."""
    total, count = 0.0, 0
    for line in metrics.splitlines():
        if line.startswith("tandem_recommendation_index_build_seconds_sum"):
            total = float(line.split()[-1])
        elif line.startswith("tandem_recommendation_index_build_seconds_count"):
            count = int(float(line.split()[-1]))
    return total, count


async def run(size: int, calls: int) -> None:
    say(f"generating {size:,} people")
    # A few synthetic people are on leave or departed: generate enough for `size` active.
    people = organisation(int(size * 1.1), seed=11, vocabulary="large")
    for person in people:
        person["profile_version"] = 1
        # Everyone takes part in the reciprocal program: `size` people enrolled.
        person["mentoring"]["roles"] = ["mentor", "mentee"]
    with provide_infrastructure(REPO / ".tandem", "bench-recsvc") as infrastructure:
        database = f"bench_recsvc_{uuid.uuid4().hex[:8]}"
        admin_db = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
        await admin_db.execute(f'CREATE DATABASE "{database}"')
        await admin_db.close()
        database_url = infrastructure.database_url(database)
        token = secrets.token_urlsafe(32)
        service_log = (REPO / ".tandem" / "bench-recsvc-service.log").open("wb")
        # A free port may be taken by another process before the service binds it: retry.
        for _ in range(5):
            port = free_port()
            service = await start_service(
                database_url, infrastructure.kafka_bootstrap, port, token, service_log
            )
            if await became_ready(port, service):
                break
            with contextlib.suppress(ProcessLookupError):
                service.terminate()
            await service.wait()
        else:
            raise SystemExit("the matching service did not become ready")
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            ) as client:
                say("filling the pool")
                await fill_pool(database_url, people)
                created = await client.post("/v1/programs", json=PROGRAM, headers=ADMIN)
                program_id = created.json()["program_id"]
                await client.post(
                    f"/v1/programs/{program_id}/status", json={"status": "running"}, headers=ADMIN
                )
                say("enrolling through the API")
                enrolled_at = time.perf_counter()
                able = [p["employee_id"] for p in people if p["status"] == "active"][:size]
                for start in range(0, len(able), BULK):
                    items = [{"employee_id": e} for e in able[start : start + BULK]]
                    done = await client.post(
                        f"/v1/programs/{program_id}/enrolments/bulk", json={"items": items}, headers=ADMIN
                    )
                    if done.status_code != 200:
                        raise SystemExit(f"enrolment failed: {done.text[:500]}")
                enrol_seconds = time.perf_counter() - enrolled_at
                rng = random.Random(5)
                viewers = [rng.choice(able) for _ in range(calls)]

                def ask(viewer: str) -> Any:
                    return client.get(
                        f"/v1/programs/{program_id}/recommendations",
                        params={"first": FIRST},
                        headers={"X-Tandem-Viewer": viewer, "X-Tandem-Roles": "employee"},
                    )

                say("cold call (builds the index)")
                watched = psutil.Process(service.pid)
                rss_before = watched.memory_info().rss
                cold_started = time.perf_counter()
                cold = await ask(viewers[0])
                cold_seconds = time.perf_counter() - cold_started
                if cold.status_code != 200:
                    raise SystemExit(f"recommendations failed: {cold.text[:500]}")
                build_sum, build_count = build_metric((await client.get("/metrics")).text)
                rss_after = watched.memory_info().rss
                say(f"{calls:,} warm calls")
                latencies: list[float] = []
                floor: list[float] = []
                answers: dict[str, list[str]] = {}
                for viewer in viewers:
                    started = time.perf_counter()
                    response = await ask(viewer)
                    latencies.append(time.perf_counter() - started)
                    answers[viewer] = [r["employee_id"] for r in response.json()["recommendations"]]
                    # The HTTP floor under the same load: a one-row read of the same program.
                    started = time.perf_counter()
                    await client.get(f"/v1/programs/{program_id}")
                    floor.append(time.perf_counter() - started)
                _, builds_after = build_metric((await client.get("/metrics")).text)
        finally:
            with contextlib.suppress(ProcessLookupError):
                service.terminate()
            await service.wait()
            service_log.close()
    built = [
        line
        for line in (REPO / ".tandem" / "bench-recsvc-service.log").read_text(errors="replace").splitlines()
        if "recommendation index of" in line
    ]

    say("the engine alone, same people, same viewers")
    enrolled = set(able)
    engine_started = time.perf_counter()
    population = build_population([p for p in people if p["employee_id"] in enrolled], people)
    program = parse_program({"program_id": program_id, **PROGRAM, "rules": {**PROGRAM["rules"]}})
    index = RecommendationIndex(population, program)
    engine_build = time.perf_counter() - engine_started
    engine: list[float] = []
    same = 0
    for viewer in viewers:
        started = time.perf_counter()
        found = index.recommend(viewer, FIRST)
        engine.append(time.perf_counter() - started)
        same += [r["employee_id"] for r in found.partners] == answers[viewer]
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    e50, e99 = percentile(engine, 50) * 1000, percentile(engine, 99) * 1000
    print(f"recommendations through the matching service, reciprocal program, {len(able):,} enrolled")
    print(
        f"  enrolment through the bulk API:    {enrol_seconds:.1f} s "
        f"({len(able) / enrol_seconds:,.0f} rows/s)"
    )
    print(
        f"  index build in the service:        {build_sum / max(build_count, 1):.2f} s "
        f"(read + build in a worker thread); cold first call {cold_seconds:.2f} s"
    )
    for line in built:
        print(f"  service log: {line[line.index('recommendation index of') :][:100]}")
    print(f"  index build in-process (baseline): {engine_build:.2f} s (build_population + index, no reads)")
    print(
        f"  warm calls over HTTP ({calls:,}):       p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms"
    )
    f50, f99 = percentile(floor, 50) * 1000, percentile(floor, 99) * 1000
    print(f"  HTTP floor, GET the program:       p50 {f50:.1f} ms, p99 {f99:.1f} ms (interleaved)")
    print(f"  engine recommend alone (same run): p50 {e50:.1f} ms, p99 {e99:.1f} ms")
    print(f"  ratio service/engine:              p50 {p50 / e50:.2f}x, p99 {p99 / e99:.2f}x")
    print(f"  rebuilds during the warm calls:    {builds_after - build_count}")
    print(f"  service RSS added by the index:    {(rss_after - rss_before) / 2**20:,.0f} MiB")
    print(f"  same partners as the engine:       {same} of {calls}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 people and 200 calls")
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--calls", type=int, default=None)
    args = parser.parse_args()
    size = args.people or (10_000 if args.quick else 100_000)
    calls = args.calls or (200 if args.quick else 1_000)
    asyncio.run(run(size, calls))


if __name__ == "__main__":
    main()
