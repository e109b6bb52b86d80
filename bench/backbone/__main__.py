"""``python -m bench.backbone``: the backbone's throughput beside the raw rates.

It starts its own infrastructure (the override variables, else testcontainers, else
the embedded PostgreSQL and tansu on a free port), measures in one run, prints a
table and the ratios, and cleans up after itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.backbone.measure import (
    ConsumerResult,
    Rate,
    consumer_throughput,
    progress,
    raw_consume,
    raw_inserts,
    raw_produce,
    relay_throughput,
)
from bench.backbone.workload import BenchSettings, Topics, cloud_event_records, make_schemas
from tandem_common.messaging.broker import provision_topics
from tandem_common.settings import libpq_url
from tandem_common.telemetry.setup import configure_telemetry
from tandem_common.testing.backends import Infrastructure, provide_infrastructure

GOAL = 0.30


@dataclass
class Results:
    events: int
    backend: str
    partitions: int
    relay_batch: int
    produce: Rate | None = None
    consume: Rate | None = None
    copy: Rate | None = None
    executemany: Rate | None = None
    relay: Rate | None = None
    consumer: ConsumerResult | None = None
    consumer_outbox: ConsumerResult | None = None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.backbone",
        description="Relay and consumer throughput beside raw Kafka and PostgreSQL rates.",
    )
    parser.add_argument("--events", type=int, default=100_000, help="events per measurement")
    parser.add_argument("--quick", action="store_true", help="10,000 events")
    parser.add_argument(
        "--relay-batch", type=int, default=2000, help="outbox rows per relay pass (default 2000)"
    )
    parser.add_argument("--partitions", type=int, default=3, help="partitions per topic (default 3)")
    args = parser.parse_args(argv)
    if args.quick:
        args.events = 10_000
    if args.events < 1:
        parser.error("--events must be positive")
    return args


async def run(infrastructure: Infrastructure, args: argparse.Namespace) -> Results:
    results = Results(args.events, infrastructure.kind, args.partitions, args.relay_batch)
    count = args.events
    topics = Topics.unique()
    schemas = make_schemas(topics)
    settings = BenchSettings(
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        kafka_partitions=args.partitions,
        log_level="WARNING",
        consumer_max_records=1000,
        consumer_session_timeout_ms=6000,
        consumer_heartbeat_interval_ms=500,
        outbox_batch_size=args.relay_batch,
    )
    databases: list[str] = []

    async def fresh_database() -> str:
        name = infrastructure.new_database_name("bench")
        admin = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        databases.append(name)
        return infrastructure.database_url(name)

    try:
        await provision_topics(settings, topics.all())

        progress(f"raw produce: {count} records")
        records = cloud_event_records(count, "tandem.bench.raw.v1")
        results.produce = await raw_produce(infrastructure.kafka_bootstrap, topics.raw, records)
        progress(f"raw consume: {count} records")
        results.consume = await raw_consume(infrastructure.kafka_bootstrap, topics.raw, count)
        del records

        progress(f"raw insert: {count} rows by COPY, then by executemany")
        results.copy, results.executemany = await raw_inserts(await fresh_database(), count, topics.relay)

        progress(f"relay: writing {count} outbox rows")
        results.relay = await relay_throughput(
            await fresh_database(), settings, schemas, count, args.relay_batch
        )

        progress(f"consumer: producing {count} pings")
        pings = cloud_event_records(count, schemas.ping.ce_type)
        await raw_produce(infrastructure.kafka_bootstrap, topics.ping, pings)
        del pings
        progress("consumer with inbox dedupe: starting")
        results.consumer = await consumer_throughput(
            await fresh_database(), settings, schemas, count, with_outbox=False
        )
        progress(f"consumer joined its group in {results.consumer.join_seconds:.1f}s")
        progress("consumer with inbox dedupe and one outbox row per event: starting")
        results.consumer_outbox = await consumer_throughput(
            await fresh_database(), settings, schemas, count, with_outbox=True
        )
        progress(f"consumer joined its group in {results.consumer_outbox.join_seconds:.1f}s")
    finally:
        await _drop(infrastructure, databases)
        if infrastructure.kind != "embedded":
            await _delete_topics(infrastructure.kafka_bootstrap, topics.all())
    return results


async def _drop(infrastructure: Infrastructure, databases: Sequence[str]) -> None:
    if not databases:
        return
    admin = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
    try:
        for name in databases:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    progress(f"dropped {len(databases)} databases")


async def _delete_topics(bootstrap: str, topics: Sequence[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    from tandem_common.messaging.broker import dlq_topic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        with contextlib.suppress(Exception):
            await admin.delete_topics([*topics, *(dlq_topic(topic) for topic in topics)])
    finally:
        await admin.close()


def report(results: Results) -> str:
    def rate(value: Rate | None) -> str:
        return f"{value.per_second:>12,.0f}" if value else f"{'-':>12}"

    def seconds(value: Rate | None) -> str:
        return f"{value.seconds:>9.2f}" if value else f"{'-':>9}"

    consumer = results.consumer.rate if results.consumer else None
    consumer_outbox = results.consumer_outbox.rate if results.consumer_outbox else None
    rows: list[tuple[str, Rate | None, str]] = [
        ("raw broker produce (aiokafka, acks=all)", results.produce, "records/s"),
        ("raw broker consume (aiokafka getmany)", results.consume, "records/s"),
        ("raw PostgreSQL insert (COPY)", results.copy, "rows/s"),
        ("raw PostgreSQL insert (executemany)", results.executemany, "rows/s"),
        (f"outbox relay (batch {results.relay_batch})", results.relay, "rows/s"),
        ("consumer, inbox dedupe", consumer, "events/s"),
        ("consumer, inbox dedupe + outbox row", consumer_outbox, "events/s"),
    ]
    width = max(len(name) for name, _, _ in rows)
    lines = [
        f"backbone benchmark: {results.events:,} events, {results.backend} backend, "
        f"{results.partitions} partitions",
        "",
        f"{'measurement':<{width}}  {'rate':>12}  {'unit':<9}  {'seconds':>9}",
    ]
    lines += [f"{name:<{width}}  {rate(value)}  {unit:<9}  {seconds(value)}" for name, value, unit in rows]
    ratios = [
        ("relay / raw produce", results.relay, results.produce),
        ("relay / raw insert (COPY)", results.relay, results.copy),
        ("consumer / raw consume", consumer, results.consume),
        ("consumer / raw insert (COPY)", consumer, results.copy),
        ("consumer + outbox / raw consume", consumer_outbox, results.consume),
        ("consumer + outbox / raw insert (COPY)", consumer_outbox, results.copy),
    ]
    ratio_width = max(len(name) for name, _, _ in ratios)
    lines += ["", f"{'ratio':<{ratio_width}}  {'value':>6}"]
    for name, part, whole in ratios:
        if part is None or whole is None:
            lines.append(f"{name:<{ratio_width}}  {'-':>6}")
            continue
        value = part.per_second / whole.per_second
        verdict = "" if value >= GOAL else "  below goal"
        lines.append(f"{name:<{ratio_width}}  {value:>6.2f}{verdict}")
    lines += ["", f"goal: ≥ {GOAL:.2f} of the raw rates"]
    if results.consumer and results.consumer_outbox:
        lines.append(
            "consumer rates are timed from partition assignment (group join excluded: "
            f"{results.consumer.join_seconds:.1f}s and {results.consumer_outbox.join_seconds:.1f}s)"
        )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lines.append(f"peak RSS of this process: {peak_kib / 1024:,.0f} MiB")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
    # As in a service process: the SDK tracer and meter are installed, so the relay's
    # and consumer's spans and metrics cost what they cost in production.
    configure_telemetry("bench", log_level="WARNING")
    progress("starting infrastructure")
    # Its own embedded servers, so a benchmark never stops those a test run is using.
    with provide_infrastructure(Path(".tandem"), name="bench") as infrastructure:
        progress(f"{infrastructure.kind} backend: Kafka at {infrastructure.kafka_bootstrap}")
        results = asyncio.run(run(infrastructure, args))
    print(report(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
