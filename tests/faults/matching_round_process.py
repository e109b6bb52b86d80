"""The real matching service in its own process, for the round crash test.

``python -m tests.faults.matching_round_process DATABASE_URL BOOTSTRAP PROFILES_TOPIC GROUP``

Its round runner holds short leases, so that a round whose process was killed is
taken over within seconds of the restart.
"""

from __future__ import annotations

import asyncio
import sys

from tandem_matching.entrypoints.main import create_runtime
from tandem_matching.settings import MatchingSettings
from tandem_testkit.harness import serve_until_terminated
from tests.support.backbone import FAST_TEST_SETTINGS

ROUND_SETTINGS = {"round_lease_seconds": 3.0, "round_poll_seconds": 0.2, "round_max_attempts": 3}


async def main() -> None:
    database_url, bootstrap, profiles_topic, group = sys.argv[1:5]
    settings = MatchingSettings(
        **{
            **FAST_TEST_SETTINGS,
            **ROUND_SETTINGS,
            "match_lifecycle_interval_seconds": 3600,
            "database_url": database_url,
            "kafka_bootstrap": bootstrap,
        }
    )
    runtime = create_runtime(settings, profiles_topic=profiles_topic, consumer_name=group)
    await serve_until_terminated(runtime, started_line="started")


if __name__ == "__main__":
    asyncio.run(main())
