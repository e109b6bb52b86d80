"""The real profiles service in its own process, for the crash test.

``python -m tests.faults.profiles_process DATABASE_URL BOOTSTRAP HR_TOPIC GROUP``
"""

from __future__ import annotations

import asyncio
import sys

from tandem_profiles.entrypoints.main import create_runtime
from tandem_testkit.harness import serve_until_terminated
from tests.support.profiles import settings_for


async def main() -> None:
    database_url, bootstrap, hr_topic, group = sys.argv[1:5]
    settings = settings_for(database_url, bootstrap, consumer_max_records=2000)
    runtime = create_runtime(settings, hr_topic=hr_topic, consumer_name=group)
    await serve_until_terminated(runtime, started_line="started")


if __name__ == "__main__":
    asyncio.run(main())
