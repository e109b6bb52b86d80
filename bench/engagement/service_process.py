"""The engagement service as the health benchmark runs it: its own process, HTTP included.

``python -m bench.engagement.service_process DATABASE_URL BOOTSTRAP PORT``
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from tandem_engagement.entrypoints.main import build_app, create_runtime
from tandem_engagement.settings import EngagementSettings


async def main() -> None:
    database_url, bootstrap, port = sys.argv[1:4]
    # The jobs stay out of the way of what is measured (the benchmark runs the health job).
    settings = EngagementSettings(
        database_url=database_url,
        kafka_bootstrap=bootstrap,
        health_interval_seconds=86400,
        checkin_interval_seconds=86400,
        log_level="WARNING",
    )
    app = build_app(create_runtime(settings), settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=int(port), log_config=None, access_log=False, lifespan="on"
    )
    await uvicorn.Server(config).serve()


if __name__ == "__main__":
    asyncio.run(main())
