"""The demonstration organisation: 500 people, loaded on the first start or with --demo.

How ``tandem up`` finds it without profiles importing the testkit: this package
registers :func:`load_profiles_demo` under the ``tandem.demo`` entry point group with
the name of the service it fills (``profiles``). Once a service is ready on an empty
database (or with ``tandem up --demo``), ``tandem up`` loads the ``tandem.demo`` entry
point named after it and awaits it with the service's environment. A service that
ships its own loader in ``ServiceSpec.demo`` keeps it; without the testkit installed
the platform simply starts empty.

The loader generates the feed, publishes it to ``hr.employees`` as HR systems do, and
then loads the mentoring profiles through ``POST /v1/mentoring/bulk``, sending the
service token the environment carries (``tandem up`` puts it there).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from tandem_common.http.service_token import client_token
from tandem_profiles.adapters.taxonomy_file import load_taxonomy
from tandem_testkit.hr_publish import publish_file
from tandem_testkit.hrfeed.generator import FeedRequest, generate_feed
from tandem_testkit.mentoring_loader import load_profiles, read_profiles

DEMO_EMPLOYEES = 500
DEMO_SEED = 2026


async def load_profiles_demo(env: Mapping[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="tandem-demo-") as folder:
        events = Path(folder) / "demo.jsonl"
        profiles = Path(folder) / "demo.mentoring.jsonl"
        feed = generate_feed(
            FeedRequest(employees=DEMO_EMPLOYEES, seed=DEMO_SEED, churn=0.05), load_taxonomy()
        )
        with events.open("wb") as target:
            for chunk in feed.event_chunks():
                target.write(chunk.data)
        with profiles.open("wb") as target:
            for chunk in feed.mentoring_chunks():
                target.write(chunk.data)
        await publish_file(
            events,
            bootstrap=env.get("TANDEM_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            idempotence=env.get("TANDEM_KAFKA_IDEMPOTENCE", "false").lower() == "true",
            rate=None,
            topic=None,
            quiet=True,
        )
        port = env.get("TANDEM_PROFILES_PORT", "8001")
        await load_profiles(
            read_profiles(profiles),
            url=f"http://127.0.0.1:{port}",
            wait_seconds=60,
            token=client_token(env),
        )
