"""The matching service as the round benchmark runs it: its own process, HTTP included.

``python -m bench.matching_service.service_process DATABASE_URL BOOTSTRAP PORT``
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from tandem_matching.entrypoints.main import build_app, create_runtime
from tandem_matching.settings import MatchingSettings


async def main() -> None:
    database_url, bootstrap, port = sys.argv[1:4]
    settings = MatchingSettings(
        database_url=database_url,
        kafka_bootstrap=bootstrap,
        round_poll_seconds=0.2,
        log_level="WARNING",
    )
    app = build_app(create_runtime(settings), settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=int(port), log_config=None, access_log=False, lifespan="on"
    )
    await uvicorn.Server(config).serve()


if __name__ == "__main__":
    asyncio.run(main())
