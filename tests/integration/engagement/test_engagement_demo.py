"""The engagement demo's seeding on a real database: matches that started today get
months of history through the service's use cases, every session within its match,
check-ins announced and answered; a second run changes nothing; analytics show it."""

from __future__ import annotations

from datetime import date

import httpx

from tandem_engagement.domain.people import Person
from tandem_testkit.engagement_demo import Seeded, seed_database
from tests.support.backbone import new_id
from tests.support.engagement import (
    EngagementUnderTest,
    days,
    match_started,
    program_changed,
    today,
    viewer_headers,
)
from tests.support.matching import rows

COUNTS = """
SELECT (SELECT count(*) FROM sessions WHERE program_id = :p) AS sessions,
       (SELECT count(*) FROM ledger_entries WHERE program_id = :p) AS ledger,
       (SELECT count(*) FROM goals g JOIN matches m USING (match_id) WHERE m.program_id = :p) AS goals,
       (SELECT count(*) FROM goals g JOIN matches m USING (match_id) WHERE m.program_id = :p
          AND g.status = 'done') AS goals_done,
       (SELECT count(*) FROM checkins WHERE program_id = :p) AS checkins,
       (SELECT count(*) FROM checkins WHERE program_id = :p AND status = 'submitted') AS answered
"""


async def test_the_demo_gives_started_matches_a_history_once(
    engagement: EngagementUnderTest, api: httpx.AsyncClient
) -> None:
    tag = new_id()[:6]
    program_id = f"PD-{tag}"
    people = [f"D{n:02d}-{tag}" for n in range(24)]
    assert engagement.runtime is not None
    async with engagement.runtime.unit_of_work() as uow:
        await uow.people.save(
            [Person(p, 1, "active", date(2018, 1, 1), None, None, "Eng", "DE", 3, False) for p in people]
        )
        await uow.commit()
    match_ids = [f"MD{i:02d}-{tag}" for i in range(12)]
    started = today()
    await engagement.publish_matching(
        [program_changed(program_id, admins=("PA",))]
        + [
            match_started(
                m,
                program_id,
                started,
                started + days(180),
                ((people[2 * i], "mentor"), (people[2 * i + 1], "mentee")),
            )
            for i, m in enumerate(match_ids)
        ]
    )
    skills = {p: ("python", "public-speaking") if n % 2 else ("negotiation",) for n, p in enumerate(people)}

    first = await seed_database(engagement.database_url, match_ids, skills, today=today())
    counts = (await rows(engagement.database_url, COUNTS, p=program_id))[0]
    assert first.matches == 12
    assert first.sessions == counts["sessions"] > 12
    assert first.goals == counts["goals"] == 24
    assert first.answers == counts["answered"] > 0
    assert counts["ledger"] > 0 and counts["goals_done"] > 0 and counts["checkins"] > counts["answered"]

    moved = await rows(
        engagement.database_url,
        "SELECT match_id, started_on, ends_on FROM matches WHERE program_id = :p ORDER BY match_id",
        p=program_id,
    )
    for match in moved:
        assert today() - days(150) <= match["started_on"] <= today() - days(60), match
        assert match["ends_on"] - match["started_on"] == days(180)
    outside = await rows(
        engagement.database_url,
        "SELECT count(*) AS n FROM sessions s JOIN matches m USING (match_id) "
        "WHERE m.program_id = :p AND (s.held_on < m.started_on OR s.held_on >= :today)",
        p=program_id,
        today=today(),
    )
    assert outside[0]["n"] == 0
    # Sessions spread over the months since the (moved) starts.
    months = await rows(
        engagement.database_url,
        "SELECT count(DISTINCT date_trunc('month', held_on)) AS n FROM sessions WHERE program_id = :p",
        p=program_id,
    )
    assert months[0]["n"] >= 3

    again = await seed_database(engagement.database_url, match_ids, skills, today=today())
    assert again == Seeded(matches=12, sessions=first.sessions, goals=0, answers=0)
    assert (await rows(engagement.database_url, COUNTS, p=program_id))[0] == counts

    analytics = await api.get(
        f"/v1/programs/{program_id}/analytics", headers=viewer_headers("PA", "program_admin")
    )
    assert analytics.status_code == 200, analytics.text
    document = analytics.json()
    assert (document["suppressed"], document["participants"], document["sessions"]) == (
        False,
        24,
        counts["sessions"],
    )
    assert document["satisfaction"]["responses"] == counts["answered"]
    assert document["goals"] == {
        "total": 24,
        "met": counts["goals_done"],
        "met_rate": round(counts["goals_done"] / 24, 4),
    }
