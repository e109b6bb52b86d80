"""The engagement database is unreachable during a burst of consumed match events and
of session commands, then comes back: every effect happens exactly once after
recovery (matches, sessions, session events, health scores and band changes), and
nothing is dead-lettered."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from tandem_common.testing.backends import Infrastructure
from tests.faults.test_matching_db_outage import SocketProxy
from tests.support.backbone import new_id, wait_until
from tests.support.engagement import (
    EngagementUnderTest,
    days,
    engagement_events,
    match_started,
    program_changed,
    today,
    viewer_headers,
)
from tests.support.kafka import produce
from tests.support.matching import rows

BURST = 6


async def log_until_accepted(api: httpx.AsyncClient, match_id: str, member: str, body: dict) -> list[int]:
    """What a client does: send the same session (same client request id) until it is accepted."""
    statuses: list[int] = []
    while True:
        try:
            answer = await api.post(
                f"/v1/matches/{match_id}/sessions", json=body, headers=viewer_headers(member)
            )
            statuses.append(answer.status_code)
            if answer.status_code in (200, 201):
                return statuses
        except Exception:  # the database is away: the request fails, the client tries again
            statuses.append(0)
        await asyncio.sleep(0.3)


async def test_a_burst_during_a_database_outage_has_every_effect_once_after_recovery(
    infrastructure: Infrastructure, database_url: str
) -> None:
    url = make_url(database_url)
    listen_dir = Path(tempfile.mkdtemp(prefix="pg-proxy-"))
    proxy = SocketProxy(listen_dir, Path(str(url.query["host"])))
    await proxy.start()
    through_proxy = url.update_query_dict({"host": str(listen_dir)}).render_as_string(hide_password=False)
    service = EngagementUnderTest(infrastructure, through_proxy)
    await service.start()
    program_id = f"P-{new_id()[:8]}"
    pairs = [(f"M{n}-{new_id()[:8]}", f"A{n}-{new_id()[:6]}", f"B{n}-{new_id()[:6]}") for n in range(BURST)]
    started_on = today() - days(70)
    try:
        await proxy.cut()
        assert service.runtime is not None
        consumer = service.runtime.consumers[0]
        # Matches started 70 days ago arrive while the database is away...
        records = [program_changed(program_id)] + [
            match_started(m, program_id, started_on, started_on + days(180), ((a, "mentor"), (b, "mentee")))
            for m, a, b in pairs
        ]
        await produce(infrastructure.kafka_bootstrap, service.matching_topic, records)
        # ...and each pair's mentor logs a session, retrying until it is accepted.
        bodies = {
            m: {
                "held_on": (today() - days(1)).isoformat(),
                "minutes": 30,
                "mode": "phone",
                "taught": ["python"],
                "learned": ["sales"],
                "client_request_id": f"req-{m}",
            }
            for m, _, _ in pairs
        }
        async with service.client() as api:
            clients = [asyncio.create_task(log_until_accepted(api, m, a, bodies[m])) for m, a, _ in pairs]
            await asyncio.sleep(4)
            # Nothing got through, and the consumer is retrying, not dead-lettering.
            assert (consumer.processed, consumer.dead_lettered) == (0, 0)
            assert not any(task.done() for task in clients)

            await proxy.start()
            statuses = await asyncio.wait_for(asyncio.gather(*clients), timeout=90)
            # Every client failed at least once before its session was accepted once.
            assert all(s[0] != 201 and s[-1] == 201 for s in statuses)
            # A client that sends it again after all gets the same session back.
            for m, a, _ in pairs:
                again = await api.post(f"/v1/matches/{m}/sessions", json=bodies[m], headers=viewer_headers(a))
                assert again.status_code == 200

        async def applied() -> bool:
            return consumer.processed == len(records)

        await wait_until(applied, timeout=30)
        assert consumer.dead_lettered == 0
        ids = sorted(m for m, _, _ in pairs)
        sessions = await rows(
            database_url,
            "SELECT match_id, count(*) AS n FROM sessions WHERE match_id = ANY(:ids) GROUP BY match_id "
            "ORDER BY match_id",
            ids=ids,
        )
        assert [(r["match_id"], r["n"]) for r in sessions] == [(m, 1) for m in ids]
        health = await rows(
            database_url,
            "SELECT match_id, band, band_changes FROM match_health WHERE match_id = ANY(:ids) "
            "ORDER BY match_id",
            ids=ids,
        )
        # At risk when they arrived (70 days without a session), healthy after the session.
        assert [(r["match_id"], r["band"], r["band_changes"]) for r in health] == [
            (m, "healthy", 2) for m in ids
        ]
    finally:
        await service.stop()
        await proxy.cut()

    events = await engagement_events(infrastructure.kafka_bootstrap, set(ids), 3 * BURST, health=True)
    kinds = sorted(
        (e.key, e.ce_type.split(".")[2], e.ce_id.split(".", 1)[1], e.data.get("band")) for e in events
    )
    assert kinds == sorted(
        [(m, "session", "logged", None) for m in ids]
        + [(m, "health", "health.1", "at_risk") for m in ids]
        + [(m, "health", "health.2", "healthy") for m in ids]
    )
    assert len({(e.ce_source, e.ce_id) for e in events}) == len(events)
