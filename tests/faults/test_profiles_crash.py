"""kill -9 of the profiles service during a bulk load of 50,000 hires, then a restart."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import new_id, scalar, wait_until
from tests.support.kafka import create_topics, produce, unique_topic
from tests.support.profiles import hired, published

REPO = Path(__file__).resolve().parents[2]
HIRES = 50_000


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.faults.profiles_process",
        *args,
        cwd=REPO,
        env=dict(os.environ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_kill_9_during_a_bulk_load_then_restart_registers_each_hire_exactly_once(
    infrastructure: Infrastructure, database_url: str
) -> None:
    hr_topic = unique_topic("hr.employees")
    await create_topics(infrastructure.kafka_bootstrap, [hr_topic], partitions=3)
    for start in range(0, HIRES, 10_000):
        await produce(
            infrastructure.kafka_bootstrap,
            hr_topic,
            [hired(f"B{n:06d}") for n in range(start, start + 10_000)],
            partition=None,
        )
    args = (database_url, infrastructure.kafka_bootstrap, hr_topic, f"bulk-{new_id()[:8]}")

    first = await _spawn(*args)

    async def partly_loaded() -> bool:
        if not await _migrated(database_url):
            return False
        return await scalar(database_url, "SELECT count(*) FROM employees") >= 10_000

    started = time.monotonic()
    await wait_until(partly_loaded, timeout=120, every=0.2)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    at_kill = await scalar(database_url, "SELECT count(*) FROM employees")
    assert 0 < at_kill < HIRES

    second = await _spawn(*args)
    try:

        async def fully_loaded() -> bool:
            return await scalar(database_url, "SELECT count(*) FROM inbox") == HIRES

        await wait_until(fully_loaded, timeout=240, every=0.5)

        async def all_sent() -> bool:
            return await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0

        await wait_until(all_sent, timeout=120, every=0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=60)
    elapsed = time.monotonic() - started

    assert await scalar(database_url, "SELECT count(*) FROM employees") == HIRES
    events = await published(database_url)
    assert len(events) == HIRES
    assert len({e["key"] for e in events}) == HIRES
    assert {e["type"] for e in events} == {"registered"}
    assert {e["data"]["profile_version"] for e in events} == {1}
    assert await scalar(database_url, "SELECT count(DISTINCT ce_id) FROM outbox") == HIRES
    print(f"50,000 hires with a kill -9 in {elapsed:.1f}s (killed at {at_kill})")


async def _migrated(database_url: str) -> bool:
    return bool(await scalar(database_url, "SELECT to_regclass('public.employees') IS NOT NULL"))
