"""The demonstration organisation: 500 people, loaded on the first start or with --demo."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from tandem_common.http.service_token import client_token
from tandem_profiles.adapters.taxonomy_file import load_taxonomy
from tandem_profiles.entrypoints.hr_publish import publish_file
from tandem_profiles.entrypoints.mentoring_loader import load_profiles, read_profiles
from tandem_profiles.hrfeed.generator import FeedRequest, generate_feed

DEMO_EMPLOYEES = 500
DEMO_SEED = 2026


async def load_demo_organisation(env: Mapping[str, str]) -> None:
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
