"""kill -9 between the database commit and the offset commit: effects stay exactly-once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tandem_common.testing.backends import Infrastructure
from tests.support.backbone import (
    count_effects,
    new_id,
    ping_record,
    ping_service_ready,
    scalar,
    wait_until,
)
from tests.support.kafka import committed_offset, produce

REPO = Path(__file__).resolve().parents[2]


async def _spawn(*args: str, crash: bool) -> asyncio.subprocess.Process:
    env = {**os.environ, "CRASH_AFTER_COMMIT": "1" if crash else "0"}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.faults.consumer_process",
        *args,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_kill_9_between_database_commit_and_offset_commit_keeps_effects_exactly_once(
    infrastructure: Infrastructure, database_url: str
) -> None:
    schemas = await ping_service_ready(infrastructure.kafka_bootstrap, database_url)
    group = f"crash-{new_id()[:8]}"
    await produce(
        infrastructure.kafka_bootstrap,
        schemas.in_topic,
        [ping_record(n, event_id=f"crash-{n}") for n in range(200)],
    )
    args = (
        database_url,
        infrastructure.kafka_bootstrap,
        schemas.in_topic,
        schemas.out_topic,
        group,
    )

    crashing = await _spawn(*args, crash=True)
    code = await asyncio.wait_for(crashing.wait(), timeout=90)
    assert code == -signal.SIGKILL
    applied_before_restart = await scalar(database_url, "SELECT count(*) FROM effects")
    assert applied_before_restart > 0
    # The batch is durable in the database, but Kafka never heard of it.
    assert await committed_offset(infrastructure.kafka_bootstrap, f"tandem-{group}", schemas.in_topic) is None

    restarted = await _spawn(*args, crash=False)
    try:

        async def all_applied() -> bool:
            return await scalar(database_url, "SELECT count(*) FROM inbox") == 200

        await wait_until(all_applied, timeout=60)

        async def all_committed() -> bool:
            return (
                await committed_offset(infrastructure.kafka_bootstrap, f"tandem-{group}", schemas.in_topic)
                == 200
            )

        await wait_until(all_committed, timeout=30)
    finally:
        restarted.send_signal(signal.SIGTERM)
        await asyncio.wait_for(restarted.wait(), timeout=30)
    effects = await count_effects(database_url)
    assert len(effects) == 200
    assert set(effects.values()) == {1}
    assert await scalar(database_url, "SELECT count(*) FROM outbox") == 200
