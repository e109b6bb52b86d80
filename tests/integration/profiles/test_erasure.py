"""Erasure after the retention period, driven by a clock the test controls."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from tandem_common.testing.backends import Infrastructure
from tandem_profiles.entrypoints.jobs import ErasureJob
from tests.support.backbone import scalar, wait_until
from tests.support.kafka import produce
from tests.support.profiles import (
    ProfilesUnderTest,
    changed,
    employee_row,
    exited,
    hired,
    published,
)


async def test_erasure_keeps_only_analytics_fields_publishes_erased_and_purges_payloads(
    infrastructure: Infrastructure, database_url: str
) -> None:
    service = ProfilesUnderTest(infrastructure, database_url)
    runtime = await service.start()
    try:
        await produce(
            infrastructure.kafka_bootstrap,
            service.hr_topic,
            [
                hired(
                    "R1",
                    birth_year=1970,
                    manager_id="R0",
                    hire_date="2010-05-01",
                    seniority_level=7,
                ),
                exited("R1", "2024-01-31", "retirement"),
                hired("R2", hire_date="2015-01-01"),
                exited("R2", "2025-11-01"),
                hired("R3"),
            ],
        )
        await service.wait_handled(5)

        async def relayed() -> bool:
            return await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0

        await wait_until(relayed)
        now = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)
        erasure = ErasureJob(
            runtime.unit_of_work, source=runtime.source, retention_days=365, clock=lambda: now
        )
        assert erasure.cutoff().isoformat() == "2024-02-02"
        assert await erasure.run_once() == 1
        assert await erasure.run_once() == 0

        # A late HR event for the erased employment brings nothing back.
        await produce(
            infrastructure.kafka_bootstrap,
            service.hr_topic,
            [changed("R1", "2023-06-01", job_title="CFO")],
        )
        await service.wait_handled(6)
    finally:
        await service.stop()

    row = await employee_row(database_url, "R1")
    assert row is not None
    for erased in (
        "email",
        "display_name",
        "job_title",
        "manager_id",
        "country",
        "city",
        "timezone",
        "birth_year",
    ):
        assert row[erased] is None, erased
    assert row["languages"] == []
    assert row["mentoring"]["goals"] == "" and row["mentoring"]["skills_offered"] == []
    assert (row["department"], row["seniority_level"], row["status"]) == ("Finance", 7, "departed")
    assert (row["hire_date"].isoformat(), row["exit_date"].isoformat()) == (
        "2010-05-01",
        "2024-01-31",
    )
    assert row["erased_at"] is not None and row["profile_version"] == 3

    events = await published(database_url, "R1")
    assert [e["type"] for e in events] == ["registered", "departed", "erased"]
    assert events[-1]["data"] == {"employee_id": "R1", "profile_version": 3}
    # Payloads already sent are purged; the erasure event carries no personal data.
    assert [e["data"] is None for e in events] == [True, True, False]

    logged = await scalar(
        database_url, "SELECT json_agg(data ORDER BY seq) FROM hr_events WHERE employee_id = 'R1'"
    )
    text = orjson.dumps(logged).decode()
    for personal in ("r1@example.com", "Person R1", "Sao Paulo", "1970", "R0", "CFO"):
        assert personal not in text
    assert "2024-01-31" in text and "2010-05-01" in text

    assert (await employee_row(database_url, "R2"))["erased_at"] is None
    assert (await employee_row(database_url, "R3"))["email"] == "r3@example.com"
