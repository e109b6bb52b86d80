"""The profiles service as the benchmark runs it: its own process, its own topic.

``python -m bench.ingest.service_process DATABASE_URL BOOTSTRAP HR_TOPIC GROUP``
"""

from __future__ import annotations

import asyncio
import sys

from tandem_profiles.entrypoints.main import create_runtime
from tandem_profiles.settings import ProfilesSettings
from tandem_testkit.harness import serve_until_terminated


async def main() -> None:
    database_url, bootstrap, hr_topic, group = sys.argv[1:5]
    settings = ProfilesSettings(
        database_url=database_url,
        kafka_bootstrap=bootstrap,
        consumer_session_timeout_ms=6000,
        consumer_heartbeat_interval_ms=500,
        log_level="WARNING",
    )
    await serve_until_terminated(create_runtime(settings, hr_topic=hr_topic, consumer_name=group))


if __name__ == "__main__":
    asyncio.run(main())
