"""``tandem hr publish FILE.jsonl``: produce a generated feed to Kafka, as HR systems do.

Each line already holds the contract's key and CloudEvents headers; they are sent
unchanged, so the file's events reach ``hr.employees`` byte for byte.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from tqdm import tqdm

from tandem_common.cli import UsageError, existing_file
from tandem_common.settings import TandemSettings
from tandem_testkit.json_lines import read_json_lines

_IN_FLIGHT = 20_000


def count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as source:
        while block := source.read(1 << 20):
            lines += block.count(b"\n")
    return lines


Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]


def _record(item: Any) -> Record:
    topic = item["topic"]
    key = str(item["key"]).encode()
    headers = [(str(name), str(value).encode()) for name, value in item["headers"].items()]
    return topic, key, orjson.dumps(item["value"]), headers


def read_records(path: Path) -> Iterator[tuple[int, str, bytes, bytes, list[tuple[str, bytes]]]]:
    for number, (topic, key, value, headers) in read_json_lines(
        path, "a record line", _record, (AttributeError,)
    ):
        yield number, topic, key, value, headers


async def publish_file(
    path: Path,
    *,
    bootstrap: str,
    idempotence: bool,
    rate: float | None,
    topic: str | None,
    quiet: bool = False,
) -> tuple[int, float]:
    """Publish every line; returns (records, seconds)."""
    total = count_lines(path)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=idempotence,
        linger_ms=10,
        max_batch_size=512 * 1024,
        compression_type=None,
    )
    await producer.start()
    sent = 0
    started = time.perf_counter()
    pending: list[asyncio.Future[Any]] = []
    try:
        with tqdm(
            total=total, unit=" events", unit_scale=True, file=sys.stderr, disable=quiet or None
        ) as progress:
            for _, line_topic, key, value, headers in read_records(path):
                if rate:
                    ahead = sent / rate - (time.perf_counter() - started)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                pending.append(
                    await producer.send(topic or line_topic, value=value, key=key, headers=headers)
                )
                sent += 1
                if len(pending) >= _IN_FLIGHT:
                    await asyncio.gather(*pending)
                    progress.update(len(pending))
                    pending.clear()
            await asyncio.gather(*pending)
            progress.update(len(pending))
    finally:
        await producer.stop()
    return sent, time.perf_counter() - started


def publish(args: Any) -> int:
    path = existing_file(args.file)
    if args.rate is not None and args.rate <= 0:
        raise UsageError("--rate must be a positive number of events per second")
    settings = TandemSettings()
    sent, seconds = asyncio.run(
        publish_file(
            path,
            bootstrap=args.bootstrap or settings.kafka_bootstrap,
            idempotence=settings.kafka_idempotence,
            rate=args.rate,
            topic=args.topic,
        )
    )
    print(
        f"tandem hr publish: {sent:,} events in {seconds:.1f} s ({sent / max(seconds, 1e-9):,.0f} events/s)",
        file=sys.stderr,
    )
    return 0
