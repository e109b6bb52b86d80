"""Ingest benchmark: hires from hr.employees to registered snapshots on profiles.events.

``python -m bench.ingest [--employees N] [--quick]``

In one run it measures, on the same messages and rows:

- the end-to-end rate of the profiles service, from the first event consumed to the
  last ``registered`` snapshot published (inbox and outbox timestamps);
- the raw broker consume rate (aiokafka, no processing);
- the raw PostgreSQL insert rate (asyncpg ``copy_records_to_table``);

and prints the ratios and the service's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import asyncpg
import orjson
import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tandem_common.settings import libpq_url
from tandem_common.testing.backends import provide_infrastructure
from tandem_profiles.adapters.taxonomy_file import load_taxonomy
from tandem_testkit.hr_publish import publish_file
from tandem_testkit.hrfeed.generator import FeedRequest, generate_feed

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 3


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def generate(employees: int, path: Path) -> float:
    started = time.perf_counter()
    feed = generate_feed(FeedRequest(employees=employees, seed=7, churn=0.0), load_taxonomy())
    with path.open("wb") as target:
        for chunk in feed.event_chunks():
            target.write(chunk.data)
    return time.perf_counter() - started


async def raw_consume(bootstrap: str, topic: str, expected: int) -> float:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen = 0
        started = time.perf_counter()
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(records) for records in batch.values())
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def raw_insert(database_url: str, path: Path) -> float:
    rows = []
    with path.open("rb") as source:
        for line in source:
            value = orjson.loads(line)["value"]
            rows.append(
                (
                    value["employee_id"],
                    "active",
                    1,
                    1,
                    date.fromisoformat(value["hire_date"]),
                    value["email"],
                    value["display_name"],
                    value["job_title"],
                    value["department"],
                    value.get("manager_id"),
                    value["location"]["country"],
                    value["location"].get("city"),
                    value["timezone"],
                    value["seniority_level"],
                    value.get("languages", []),
                )
            )
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        await connection.execute(
            """CREATE TABLE raw_employees (employee_id text primary key, status text, profile_version int,
               employment int, hire_date date, email text, display_name text, job_title text,
               department text, manager_id text, country text, city text, timezone text,
               seniority_level int, languages text[])"""
        )
        started = time.perf_counter()
        for start in range(0, len(rows), 50_000):
            await connection.copy_records_to_table("raw_employees", records=rows[start : start + 50_000])
        return len(rows) / (time.perf_counter() - started)
    finally:
        await connection.close()


async def run(employees: int) -> None:
    work = REPO / ".tandem" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    feed_path = work / f"ingest-{employees}.jsonl"
    say(f"generating {employees:,} hires")
    generate_seconds = generate(employees, feed_path)
    with provide_infrastructure(REPO / ".tandem", "bench-ingest") as infrastructure:
        topic = f"bench.hr.{uuid.uuid4().hex[:8]}"
        admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap)
        await admin.start()
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
        await admin.close()
        say("publishing")
        published, publish_seconds = await publish_file(
            feed_path,
            bootstrap=infrastructure.kafka_bootstrap,
            idempotence=False,
            rate=None,
            topic=topic,
            quiet=True,
        )
        say("raw consume")
        consume_rate = await raw_consume(infrastructure.kafka_bootstrap, topic, published)
        database = f"bench_ingest_{uuid.uuid4().hex[:8]}"
        raw_database = f"bench_raw_{uuid.uuid4().hex[:8]}"
        admin_db = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
        await admin_db.execute(f'CREATE DATABASE "{database}"')
        await admin_db.execute(f'CREATE DATABASE "{raw_database}"')
        say("raw insert (COPY)")
        insert_rate = await raw_insert(infrastructure.database_url(raw_database), feed_path)
        say("profiles service")
        database_url = infrastructure.database_url(database)
        service = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.ingest.service_process",
            database_url,
            infrastructure.kafka_bootstrap,
            topic,
            f"bench-{uuid.uuid4().hex[:8]}",
            cwd=REPO,
        )
        peak_rss = 0
        watched = psutil.Process(service.pid)
        profile_to = os.environ.get("TANDEM_BENCH_PROFILE")
        if profile_to:
            # Samples the service with py-spy (when installed) for where the time goes.
            await asyncio.create_subprocess_exec(
                "py-spy",
                "record",
                "-p",
                str(service.pid),
                "-o",
                profile_to,
                "-f",
                "speedscope",
                "-d",
                "25",
                "-r",
                "50",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            last_report = time.monotonic()
            while True:
                peak_rss = max(peak_rss, watched.memory_info().rss)
                await asyncio.sleep(0.5)
                exists = await connection.fetchval("SELECT to_regclass('public.outbox') IS NOT NULL")
                if not exists:
                    continue
                sent = await connection.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")
                if time.monotonic() - last_report > 10:
                    say(f"  {sent:,} snapshots published")
                    last_report = time.monotonic()
                if sent >= employees:
                    break
            first, last, registered = await connection.fetchrow(
                """SELECT (SELECT min(processed_at) FROM inbox), max(sent_at), count(*)
                   FROM outbox WHERE ce_type = 'tandem.profile.registered.v1'"""
            )
            consumed_last = await connection.fetchval("SELECT max(processed_at) FROM inbox")
        finally:
            await connection.close()
            service.send_signal(15)
            await service.wait()
            await admin_db.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
            await admin_db.execute(f'DROP DATABASE "{raw_database}" WITH (FORCE)')
            await admin_db.close()
    end_to_end_seconds = (last - first).total_seconds()
    rate = registered / end_to_end_seconds
    print(f"ingest benchmark: {employees:,} hires ({PARTITIONS} partitions, embedded broker and PostgreSQL)")
    print(f"  generate feed                      {generate_seconds:8.1f} s")
    print(f"  publish to hr.employees            {published / publish_seconds:10,.0f} events/s")
    print(f"  raw broker consume                 {consume_rate:10,.0f} records/s")
    print(f"  raw PostgreSQL insert (COPY)       {insert_rate:10,.0f} rows/s")
    print(
        f"  end to end (consumed -> published) {rate:10,.0f} events/s"
        f"  ({registered:,} registered in {end_to_end_seconds:.1f} s)"
    )
    consumer_seconds = (consumed_last - first).total_seconds()
    print(
        f"  of which consuming (inbox)         {registered / consumer_seconds:10,.0f} events/s"
        f"  (last event applied after {consumer_seconds:.1f} s)"
    )
    print(f"  ratio to raw consume               {rate / consume_rate:10.3f}")
    print(f"  ratio to raw insert                {rate / insert_rate:10.3f}")
    print(f"  service peak RSS                   {peak_rss / 2**20:10,.0f} MiB")
    print("  goal: >= 20,000 events/s end to end, RSS < 1 GiB")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--employees", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 hires")
    args = parser.parse_args()
    asyncio.run(run(50_000 if args.quick else args.employees))


if __name__ == "__main__":
    main()
