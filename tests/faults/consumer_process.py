"""A consuming process for the crash test: ``python -m tests.faults.consumer_process``.

With ``CRASH_AFTER_COMMIT=1`` it kills itself with SIGKILL right after the first batch
is committed to the database and before its offsets are committed to Kafka.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from tandem_common.messaging.consumer import ReliableConsumer
from tandem_testkit.harness import serve_until_terminated
from tests.support.backbone import build_runtime, make_schemas, settings_for


async def main() -> None:
    database_url, bootstrap, in_topic, out_topic, group = sys.argv[1:6]
    if os.environ.get("CRASH_AFTER_COMMIT") == "1":
        original = ReliableConsumer.handle_records

        async def crash_after_commit(self: ReliableConsumer, records) -> None:  # type: ignore[no-untyped-def]
            await original(self, records)
            print(f"committed {self.processed}; killing myself", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        ReliableConsumer.handle_records = crash_after_commit  # type: ignore[method-assign]
    schemas = make_schemas(in_topic, out_topic)
    runtime = build_runtime(settings_for(database_url, bootstrap), schemas, consumer_name=group)
    await serve_until_terminated(runtime, started_line="started")


if __name__ == "__main__":
    asyncio.run(main())
