"""Subscription fan-out benchmark.

``python -m bench.gateway_subscriptions [--quick] [--subscribers N] [--events N] [--rate R]``

On its own broker (the override variables, else testcontainers, else the embedded
tansu), in one run:

(a) baseline: the raw broker round trip. One aiokafka consumer reading every
    partition of ``matching.events`` from its end (no group, as the hub reads) while
    events are produced one by one at ``--rate`` per second; the delay is from just
    before each send to the record's arrival;
(b) the gateway's ``EventHub`` with ``--subscribers`` (default 1,000) concurrent
    subscriptions, each an asyncio task iterating its own subscription; the same
    events at the same rate; the delay is from just before each send to the moment
    each subscriber's task holds the event (events times subscribers deliveries).

It prints p50/p99/max of both and the ratios of the hub's figures to the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from tandem_common.envelope import CloudEvent, encode_binary
from tandem_common.events.matching import MATCHING_TOPIC, MatchDeclined
from tandem_common.messaging.broker import provision_topics
from tandem_common.messaging.producer import RecordProducer
from tandem_common.testing.backends import provide_infrastructure
from tandem_gateway.events.hub import HUB_TOPICS, EventHub, HubEvent
from tandem_gateway.events.source import KafkaRecordSource
from tandem_gateway.settings import GatewaySettings


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def infrastructure_name(name: str) -> str:
    """Embedded servers of one's own when TANDEM_TEST_INFRA names them (as tests do)."""
    suffix = os.environ.get("TANDEM_TEST_INFRA")
    return f"{name}-{suffix}" if suffix else name


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_subscriptions", description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200, help="events per measurement (default 200)")
    parser.add_argument("--rate", type=float, default=20.0, help="events produced per second (default 20)")
    parser.add_argument("--quick", action="store_true", help="60 events")
    args = parser.parse_args(argv)
    if args.quick:
        args.events = 60
    return args


def event_record(match_id: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    data = {"match_id": match_id, "program_id": "P1", "declined_by": None}
    event = CloudEvent(
        id=uuid.uuid4().hex,
        source="tandem/bench",
        type=MatchDeclined.ce_type,
        time=datetime.now(UTC),
        data=data,
    )
    value, headers = encode_binary(event)
    return match_id.encode(), value, headers


async def produce_paced(producer: RecordProducer, count: int, rate: float, sent: dict[str, float]) -> None:
    """``count`` events, one every ``1 / rate`` seconds; ``sent`` gets each one's send time."""
    run = uuid.uuid4().hex[:6]
    interval = 1.0 / rate
    start = time.perf_counter()
    acks = []
    for n in range(count):
        delay = start + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        key, value, headers = event_record(f"B{run}-{n}")
        sent[key.decode()] = time.time()
        acks.append(await producer.send(MATCHING_TOPIC, key, value, headers))
    await asyncio.gather(*acks)


async def baseline(bootstrap: str, producer: RecordProducer, count: int, rate: float) -> list[float]:
    source = KafkaRecordSource(bootstrap, [MATCHING_TOPIC], client_id="bench-raw")
    await source.open()
    sent: dict[str, float] = {}
    delays: list[float] = []

    async def consume() -> None:
        while len(delays) < count:
            for record in await source.fetch(500):
                key = record.key.decode()
                if key in sent:
                    delays.append(time.time() - sent[key])

    try:
        reader = asyncio.create_task(consume())
        await produce_paced(producer, count, rate, sent)
        await asyncio.wait_for(reader, 60)
    finally:
        await source.close()
    return delays


async def hub_fanout(
    settings: GatewaySettings, producer: RecordProducer, count: int, rate: float, subscribers: int
) -> tuple[list[float], int]:
    hub = EventHub(settings)
    await hub.start()
    await hub.until_ready(60)
    sent: dict[str, float] = {}
    delays: list[float] = []

    async def subscriber() -> None:
        got = 0
        async with hub.subscribe(lambda e: True, buffer=settings.subscriber_buffer_events) as events:
            async for event in events:
                delays.append(time.time() - sent[key_of(event)])
                got += 1
                if got == count:
                    return

    try:
        tasks = [asyncio.create_task(subscriber()) for _ in range(subscribers)]
        await asyncio.sleep(0.2)
        await produce_paced(producer, count, rate, sent)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        too_slow = hub.too_slow
    finally:
        await hub.stop()
    return delays, too_slow


def key_of(event: HubEvent) -> str:
    return event.key or ""


def figures(delays: Sequence[float]) -> tuple[float, float, float]:
    values = np.asarray(delays) * 1000
    return float(np.percentile(values, 50)), float(np.percentile(values, 99)), float(values.max())


async def run(bootstrap: str, args: argparse.Namespace) -> str:
    settings = GatewaySettings(http_port=8000, kafka_bootstrap=bootstrap, log_level="WARNING")
    await provision_topics(settings, HUB_TOPICS)
    producer = RecordProducer(settings, client_id="bench-gateway-subscriptions")
    await producer.start()
    try:
        say(f"baseline: {args.events} events at {args.rate:g}/s, raw consumer")
        raw = await baseline(bootstrap, producer, args.events, args.rate)
        say(f"hub: {args.events} events at {args.rate:g}/s, {args.subscribers} subscribers")
        started = time.process_time()
        hub, too_slow = await hub_fanout(settings, producer, args.events, args.rate, args.subscribers)
        cpu = time.process_time() - started
    finally:
        await producer.stop()
    raw_p50, raw_p99, raw_max = figures(raw)
    hub_p50, hub_p99, hub_max = figures(hub)
    lines = [
        f"gateway subscriptions: {args.subscribers:,} subscribers on one hub, {args.events} events "
        f"at {args.rate:g}/s, {len(hub):,} deliveries",
        "",
        f"{'delay from produce to delivery':<44} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}",
        f"{'baseline: raw broker produce -> consume':<44} {raw_p50:>8.1f} {raw_p99:>8.1f} {raw_max:>8.1f}",
        f"{'hub: produce -> each of the subscribers':<44} {hub_p50:>8.1f} {hub_p99:>8.1f} {hub_max:>8.1f}",
        "",
        f"ratio hub / baseline: p50 {hub_p50 / raw_p50:.2f}, p99 {hub_p99 / raw_p99:.2f}",
        f"fan-out cost over the raw round trip at p99: {hub_p99 - raw_p99:.1f} ms",
        f"subscribers ended as too slow: {too_slow}",
        f"CPU of this process during the hub run: {cpu:.1f} s",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
    say("starting infrastructure")
    with provide_infrastructure(Path(".tandem"), name=infrastructure_name("bench-gwsubs")) as infrastructure:
        say(f"{infrastructure.kind} backend: Kafka at {infrastructure.kafka_bootstrap}")
        report = asyncio.run(run(infrastructure.kafka_bootstrap, args))
    print(report, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
