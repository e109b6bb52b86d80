"""The profiles service as the benchmark runs it: its own process, its own topic.

``python -m bench.ingest.service_process DATABASE_URL BOOTSTRAP HR_TOPIC GROUP``
"""

from __future__ import annotations

import asyncio
import signal
import sys

from tandem_profiles.entrypoints.main import create_runtime
from tandem_profiles.settings import ProfilesSettings


async def main() -> None:
    database_url, bootstrap, hr_topic, group = sys.argv[1:5]
    settings = ProfilesSettings(
        database_url=database_url,
        kafka_bootstrap=bootstrap,
        consumer_session_timeout_ms=6000,
        consumer_heartbeat_interval_ms=500,
        log_level="WARNING",
    )
    runtime = create_runtime(settings, hr_topic=hr_topic, consumer_name=group)
    await runtime.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runtime.stop()


if __name__ == "__main__":
    asyncio.run(main())
