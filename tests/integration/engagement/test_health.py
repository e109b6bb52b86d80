"""Relationship health against PostgreSQL and the broker, with a clock the test moves:
scores stored with their factors and formula version, readable by members and program
admins only; each band change published once, none while the band stays; the daily
job across a restart and beside a second job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tandem_common.testing.backends import Infrastructure
from tandem_engagement.domain.health import HEALTH_FORMULA_VERSION
from tandem_engagement.entrypoints.main import health_job
from tandem_engagement.service.health import RecomputeStale, recompute_stale
from tests.support.backbone import new_id
from tests.support.engagement import (
    EngagementUnderTest,
    days,
    engagement_events,
    match_started,
    program_changed,
    viewer_headers,
)
from tests.support.matching import rows

HEALTH = "tandem.engagement.health.changed.v1"


@pytest.fixture
async def engagement(infrastructure: Infrastructure, database_url: str) -> AsyncIterator[EngagementUnderTest]:
    service = EngagementUnderTest(infrastructure, database_url)
    await service.start()
    yield service
    await service.stop()


async def start_matches(
    engagement: EngagementUnderTest, count: int, *, started_days_ago: int
) -> tuple[str, list[tuple[str, str, str]]]:
    program_id = f"P-{new_id()[:8]}"
    started_on = engagement.clock().date() - days(started_days_ago)
    matches = []
    records = [program_changed(program_id, admins=("PA",))]
    for n in range(count):
        match_id, a, b = f"M{n}-{new_id()[:8]}", f"A{n}-{new_id()[:6]}", f"B{n}-{new_id()[:6]}"
        matches.append((match_id, a, b))
        records.append(
            match_started(
                match_id, program_id, started_on, started_on + days(180), ((a, "mentor"), (b, "mentee"))
            )
        )
    await engagement.publish_matching(records)
    return program_id, matches


async def stored(engagement: EngagementUnderTest, match_id: str) -> dict:
    [row] = await rows(
        engagement.database_url,
        "SELECT score, band, formula_version, computed_on, computed_at, band_changes FROM match_health "
        "WHERE match_id = :m",
        m=match_id,
    )
    return row


async def health_events(engagement: EngagementUnderTest, keys: set[str], expected: int) -> list:
    found = await engagement_events(engagement.infrastructure.kafka_bootstrap, keys, expected, health=True)
    return [e for e in found if e.ce_type == HEALTH]


async def test_a_started_match_is_scored_and_read_by_members_and_program_admins_only(
    engagement: EngagementUnderTest,
) -> None:
    program_id, [(match_id, a, b)] = await start_matches(engagement, 1, started_days_ago=5)
    async with engagement.client() as api:
        answer = await api.get(f"/v1/matches/{match_id}/health", headers=viewer_headers(a))
        assert answer.status_code == 200, answer.text
        health = answer.json()["health"]
        assert (health["score"], health["band"], health["formula_version"]) == (
            100.0,
            "healthy",
            HEALTH_FORMULA_VERSION,
        )
        assert health["computed_on"] == engagement.clock().date().isoformat()
        assert [(f["factor"], f["value"]) for f in health["factors"]] == [
            ("cadence", 0.0),
            ("days_since_last_session", 0.0),
            ("first_session", 0.0),
            ("checkin_ratings", 0.0),
            ("checkin_disagreement", 0.0),
            ("reciprocity", 0.0),
            ("goals", 0.0),
        ]
        assert health["factors"][2]["detail"] == "no session yet, 5 of 14 days allowed"
        # The program's admin reads it too; anyone else is refused, an unknown match is 404.
        admin = await api.get(f"/v1/matches/{match_id}/health", headers=viewer_headers("PA"))
        assert admin.status_code == 200 and admin.json()["health"] == health
        stranger = await api.get(f"/v1/matches/{match_id}/health", headers=viewer_headers("X1"))
        assert stranger.status_code == 403
        assert stranger.json()["user_errors"][0]["code"] == "FORBIDDEN"
        nothing = await api.get("/v1/matches/nope/health", headers=viewer_headers(a))
        assert nothing.status_code == 404
        batch = await api.post(
            "/v1/health/by-match", json={"match_ids": [match_id, "nope"]}, headers=viewer_headers(b)
        )
        assert batch.json() == {
            "by_match": [{"match_id": match_id, "health": health}],
            "missing": ["nope"],
            "forbidden": [],
        }
        refused = await api.post(
            "/v1/health/by-match", json={"match_ids": [match_id]}, headers=viewer_headers("X1")
        )
        assert refused.json() == {"by_match": [], "missing": [], "forbidden": [match_id]}
    # Healthy from the start: nothing to announce.
    assert await health_events(engagement, {match_id}, 0) == []
    assert program_id


async def test_each_band_change_is_published_once_and_none_while_the_band_stays(
    engagement: EngagementUnderTest,
) -> None:
    program_id, [(match_id, a, _)] = await start_matches(engagement, 1, started_days_ago=5)
    async with engagement.client() as api:
        held_on = (engagement.clock().date() - days(4)).isoformat()
        body = {
            "held_on": held_on,
            "minutes": 45,
            "mode": "video",
            "taught": ["python"],
            "learned": ["sales"],
        }
        logged = await api.post(f"/v1/matches/{match_id}/sessions", json=body, headers=viewer_headers(a))
        assert logged.status_code == 201, logged.text
        assert (await stored(engagement, match_id))["band"] == "healthy"

        # 31 days after that session: the band moves to watch, published by the daily job once.
        engagement.clock.advance(days(27))
        assert (await engagement.run_health()).changed == 1
        assert (await engagement.run_health()).scored == 0
        engagement.clock.advance(days(1))
        # The next day the band stays watch: scored again, nothing published.
        next_day = await engagement.run_health()
        assert (next_day.scored, next_day.changed) == (1, 0)
        row = await stored(engagement, match_id)
        assert (row["band"], row["band_changes"], row["computed_on"]) == (
            "watch",
            1,
            engagement.clock().date(),
        )

        # A new session brings it back: recomputed in the session's own transaction.
        body = {**body, "held_on": (engagement.clock().date() - days(1)).isoformat()}
        again = await api.post(f"/v1/matches/{match_id}/sessions", json=body, headers=viewer_headers(a))
        assert again.status_code == 201, again.text
        row = await stored(engagement, match_id)
        assert (row["band"], row["band_changes"]) == ("healthy", 2)

    events = await health_events(engagement, {match_id}, 2)
    assert [(e.ce_id, e.data["band"]) for e in events] == [
        (f"{match_id}.health.1", "watch"),
        (f"{match_id}.health.2", "healthy"),
    ]
    watch = events[0].data
    assert (watch["match_id"], watch["program_id"], watch["score"]) == (match_id, program_id, 73.2)
    assert {f["factor"]: f["value"] for f in watch["factors"]}["days_since_last_session"] == -11.1


async def test_the_daily_job_carries_on_after_a_restart_and_shares_a_run_with_a_second_job(
    engagement: EngagementUnderTest, infrastructure: Infrastructure, database_url: str
) -> None:
    _, matches = await start_matches(engagement, 5, started_days_ago=20)
    ids = sorted(m[0] for m in matches)
    # Day 20 without a first session: 81.1, healthy. Fifteen days later all five are at risk.
    assert [(await stored(engagement, i))["score"] for i in ids] == [81.1] * 5
    engagement.clock.advance(days(15))
    assert engagement.runtime is not None
    now = engagement.clock()
    async with engagement.runtime.unit_of_work() as uow:
        first = await recompute_stale(uow, RecomputeStale(now.date(), now, "", 2), source="tandem/engagement")
        await uow.commit()
    assert (first.claimed, first.recomputed.changed) == (ids[:2], 2)
    before_restart = {i: await stored(engagement, i) for i in ids[:2]}
    await engagement.stop()

    restarted = EngagementUnderTest(infrastructure, database_url)
    await restarted.start()
    restarted.clock.offset = engagement.clock.offset
    try:
        # The restarted job scores the three left (its pass at start may have been first),
        # and not the two scored before the restart; a second run finds nothing.
        await restarted.run_health()
        assert (await restarted.run_health()).scored == 0
        for match_id in ids:
            row = await stored(restarted, match_id)
            assert (row["band"], row["band_changes"], row["computed_on"]) == ("at_risk", 1, now.date())
        assert {i: await stored(restarted, i) for i in ids[:2]} == before_restart
        # The next day, two jobs side by side score each match once, and the band stays.
        restarted.clock.advance(days(1))
        assert restarted.runtime is not None
        jobs = [health_job(restarted.runtime, restarted.settings, clock=restarted.clock) for _ in range(2)]
        both = await asyncio.gather(*(job.run_once() for job in jobs))
        assert sum(r.scored for r in both) == 5
        assert sum(r.changed for r in both) == 0
        for match_id in ids:
            row = await stored(restarted, match_id)
            assert (row["band"], row["band_changes"], row["computed_on"]) == (
                "at_risk",
                1,
                restarted.clock().date(),
            )
    finally:
        await restarted.stop()
    events = await health_events(engagement, set(ids), 5)
    assert sorted((e.key, e.ce_id, e.data["band"]) for e in events) == [
        (i, f"{i}.health.1", "at_risk") for i in ids
    ]
