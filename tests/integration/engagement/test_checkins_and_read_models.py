"""Check-ins and the read models against PostgreSQL and the broker, with a clock the test
controls: due events exactly once across a restart and with two replicas running; an
ended match cancels its check-ins; answers stay with their respondent; match events in
any order; people with their history."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

import httpx
import pytest

from tandem_common.testing.backends import Infrastructure
from tandem_engagement.domain.checkins import checkin_id
from tests.support.backbone import new_id, wait_until
from tests.support.engagement import (
    EngagementUnderTest,
    days,
    engagement_events,
    match_ended,
    match_started,
    program_changed,
    today,
    viewer_headers,
)
from tests.support.matching import rows
from tests.support.profile_snapshots import profile_record, snapshot

COMMENT = "Private: I feel my partner does not listen"


def people() -> tuple[str, str]:
    return f"A-{new_id()[:6]}", f"B-{new_id()[:6]}"


def due_events(match_id: str, pairs: list[tuple[str, date]]) -> list[tuple[str, str, str, dict[str, str]]]:
    return [
        (
            "tandem.engagement.checkin.due.v1",
            f"{checkin_id(match_id, employee_id, day)}.due",
            "tandem/engagement",
            {
                "checkin_id": checkin_id(match_id, employee_id, day),
                "match_id": match_id,
                "employee_id": employee_id,
                "due_on": day.isoformat(),
            },
        )
        for employee_id, day in pairs
    ]


def shape(events: list) -> list[tuple[str, str, str, dict]]:
    return [(e.ce_type, e.ce_id, e.ce_source, e.data) for e in events]


async def all_published(database_url: str) -> None:
    """Wait until every outbox row is on the broker (sent rows are marked after the acks).

    A row committed just before ``stop()`` stays in the outbox for the next process: the
    relay ends at its next wake-up rather than start another pass. With no process left
    running, the topic is complete only once this holds.
    """

    async def nothing_unsent() -> bool:
        unsent = await rows(database_url, "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")
        return unsent == [{"n": 0}]

    await wait_until(nothing_unsent, timeout=60)


async def test_due_events_are_published_once_across_a_restart(
    infrastructure: Infrastructure, database_url: str
) -> None:
    program_id, match_id = f"P-{new_id()[:8]}", f"M-{new_id()[:8]}"
    a, b = people()
    start = today()
    first = EngagementUnderTest(infrastructure, database_url)
    await first.start()
    try:
        await first.publish_matching(
            [
                program_changed(program_id),
                match_started(match_id, program_id, start, start + days(180), ((a, "mentor"), (b, "mentee"))),
            ]
        )
        assert (await first.run_checkins()).checkins == 0
        first.clock.advance(days(29))
        assert (await first.run_checkins()).checkins == 0
        first.clock.advance(days(1))
        assert (await first.run_checkins()).checkins == 2
        assert (await first.run_checkins()).checkins == 0
    finally:
        await first.stop()
    # A new process on the same database, its clock where the first one stopped.
    second = EngagementUnderTest(infrastructure, database_url)
    second.clock.advance(days(30))
    await second.start()
    try:
        assert (await second.run_checkins()).checkins == 0
        second.clock.advance(days(60))
        assert (await second.run_checkins()).checkins == 2
        assert (await second.run_checkins()).checkins == 0
        # The first process may have left its two in the outbox; this one sends them.
        await all_published(database_url)
    finally:
        await second.stop()
    events = await engagement_events(infrastructure.kafka_bootstrap, {match_id}, 4)
    assert shape(events) == due_events(
        match_id, [(a, start + days(30)), (b, start + days(30)), (a, start + days(90)), (b, start + days(90))]
    )


async def test_two_replicas_announce_each_check_in_once(
    infrastructure: Infrastructure, database_url: str
) -> None:
    program_id = f"P-{new_id()[:8]}"
    start = today()
    matches = {f"M-{new_id()[:8]}": people() for _ in range(12)}
    replicas = [EngagementUnderTest(infrastructure, database_url, checkin_batch_size=5) for _ in range(2)]
    for replica in replicas:
        await replica.start()
    try:
        await replicas[0].publish_matching(
            [program_changed(program_id)]
            + [
                match_started(
                    match_id, program_id, start, start + days(180), ((a, "partner"), (b, "partner"))
                )
                for match_id, (a, b) in matches.items()
            ]
        )
        for replica in replicas:
            replica.clock.advance(days(30))
        done = await asyncio.gather(*(replica.run_checkins() for replica in replicas))
        assert sum(d.checkins for d in done) == 24
        again = await asyncio.gather(*(replica.run_checkins() for replica in replicas))
        assert [d.checkins for d in again] == [0, 0]
        await all_published(database_url)
    finally:
        for replica in replicas:
            await replica.stop()
    events = await engagement_events(infrastructure.kafka_bootstrap, set(matches), 24)
    expected = [
        event
        for match_id, (a, b) in matches.items()
        for event in due_events(match_id, [(a, start + days(30)), (b, start + days(30))])
    ]
    assert sorted(shape(events), key=lambda e: e[1]) == sorted(expected, key=lambda e: e[1])
    stored = await rows(
        database_url,
        "SELECT count(*) AS n, count(DISTINCT (match_id, employee_id, due_on)) AS d FROM checkins",
    )
    assert stored == [{"n": 24, "d": 24}]


async def started_a_month_ago(engagement: EngagementUnderTest) -> tuple[str, str, str, str]:
    program_id, match_id = f"P-{new_id()[:8]}", f"M-{new_id()[:8]}"
    a, b = people()
    start = today() - days(31)
    await engagement.publish_matching(
        [
            program_changed(program_id, admins=("PA",)),
            match_started(match_id, program_id, start, start + days(180), ((a, "mentor"), (b, "mentee"))),
        ]
    )
    await engagement.run_checkins()
    return program_id, match_id, a, b


async def test_a_match_ended_by_a_departure_cancels_its_due_check_ins(
    engagement: EngagementUnderTest, api: httpx.AsyncClient
) -> None:
    program_id, match_id, a, b = await started_a_month_ago(engagement)
    due_on = today() - days(1)
    due = (await api.post("/v1/checkins/due", json={"employee_ids": [a]}, headers=viewer_headers(a))).json()
    assert [c["checkin_id"] for c in due["by_person"][0]["checkins"]] == [checkin_id(match_id, a, due_on)]
    await engagement.publish_matching(
        [match_ended(match_id, program_id, today(), "member_departed", ((a, "mentor"), (b, "mentee")))]
    )
    stored = await rows(
        engagement.database_url,
        "SELECT employee_id, status FROM checkins WHERE match_id = :m ORDER BY employee_id",
        m=match_id,
    )
    assert stored == [{"employee_id": a, "status": "cancelled"}, {"employee_id": b, "status": "cancelled"}]
    due = (await api.post("/v1/checkins/due", json={"employee_ids": [a]}, headers=viewer_headers(a))).json()
    assert due["by_person"] == [{"employee_id": a, "checkins": []}]
    answer = await api.post(
        f"/v1/checkins/{checkin_id(match_id, a, due_on)}/answers",
        json={"satisfaction": 3, "career_support": 3, "psychosocial_support": 3, "role_modelling": 3},
        headers=viewer_headers(a),
    )
    assert (answer.status_code, answer.json()["user_errors"]) == (
        409,
        [
            {
                "field": "checkin_id",
                "message": "this check-in was cancelled when its match ended",
                "code": "CONFLICT",
            }
        ],
    )
    engagement.clock.advance(days(200))
    try:
        await engagement.run_checkins()
    finally:
        engagement.clock.advance(-days(200))
    events = await engagement_events(engagement.infrastructure.kafka_bootstrap, {match_id}, 2)
    assert shape(events) == due_events(match_id, [(a, due_on), (b, due_on)])


async def test_answers_are_published_without_content_and_shown_to_their_respondent_only(
    engagement: EngagementUnderTest, api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, match_id, a, b = await started_a_month_ago(engagement)
    mine = checkin_id(match_id, a, today() - days(1))
    body = {
        "satisfaction": 2,
        "career_support": 4,
        "psychosocial_support": 3,
        "role_modelling": 5,
        "comment": COMMENT,
    }
    partner = await api.post(f"/v1/checkins/{mine}/answers", json=body, headers=viewer_headers(b))
    assert (partner.status_code, partner.json()["user_errors"][0]["code"]) == (403, "FORBIDDEN")
    bad = await api.post(
        f"/v1/checkins/{mine}/answers", json={**body, "satisfaction": 6}, headers=viewer_headers(a)
    )
    assert (bad.status_code, bad.json()["user_errors"]) == (
        422,
        [{"field": "satisfaction", "message": "must be from 1 to 5", "code": "VALIDATION"}],
    )
    done = await api.post(f"/v1/checkins/{mine}/answers", json=body, headers=viewer_headers(a))
    assert (done.status_code, done.json()["status"], done.json()["answers"]["comment"]) == (
        200,
        "submitted",
        COMMENT,
    )
    again = await api.post(f"/v1/checkins/{mine}/answers", json=body, headers=viewer_headers(a))
    assert again.status_code == 409

    def answers_seen_by(*who: str) -> list:
        return [c["answers"] for c in seen[who].json()["by_match"][0]["checkins"]]

    seen = {}
    for who in ((a,), (b,), ("PA", "program_admin"), ("ADM", "admin")):
        seen[who] = await api.post(
            "/v1/checkins/by-match", json={"match_ids": [match_id]}, headers=viewer_headers(*who)
        )
    own = {
        "satisfaction": 2,
        "career_support": 4,
        "psychosocial_support": 3,
        "role_modelling": 5,
        "comment": COMMENT,
    }
    assert answers_seen_by(a) == [own, None]
    assert answers_seen_by(b) == [None, None]
    assert answers_seen_by("PA", "program_admin") == [None, None]
    assert answers_seen_by("ADM", "admin") == [None, None]
    events = await engagement_events(engagement.infrastructure.kafka_bootstrap, {match_id}, 3)
    assert shape(events)[2] == (
        "tandem.engagement.checkin.submitted.v1",
        f"{mine}.submitted",
        "tandem/engagement",
        {"checkin_id": mine, "match_id": match_id, "employee_id": a, "submitted_on": today().isoformat()},
    )
    assert len(events) == 3
    assert all(COMMENT.encode() not in e.value for e in events)
    assert COMMENT not in caplog.text


async def test_match_events_in_any_order_keep_the_furthest_state(engagement: EngagementUnderTest) -> None:
    program_id, match_id = f"P-{new_id()[:8]}", f"M-{new_id()[:8]}"
    a, b = people()
    start = today() - days(100)
    pair = ((a, "partner"), (b, "partner"))
    await engagement.publish_matching(
        [match_ended(match_id, program_id, today() - days(5), "member_departed", pair)]
    )
    await engagement.publish_matching([match_started(match_id, program_id, start, start + days(180), pair)])
    stored = await rows(
        engagement.database_url,
        "SELECT status, started_on, ended_on, end_reason, next_checkin_on FROM matches WHERE match_id = :m",
        m=match_id,
    )
    assert stored == [
        {
            "status": "ended",
            "started_on": start,
            "ended_on": today() - days(5),
            "end_reason": "member_departed",
            "next_checkin_on": None,
        }
    ]
    await engagement.run_checkins()
    assert await rows(engagement.database_url, "SELECT * FROM checkins WHERE match_id = :m", m=match_id) == []


async def test_people_keep_the_newest_version_and_their_history(engagement: EngagementUnderTest) -> None:
    employee_id = f"E-{new_id()[:8]}"
    await engagement.publish_profiles(
        [
            profile_record("registered", snapshot(employee_id, 1, hire_date="2024-02-01")),
            profile_record(
                "updated",
                snapshot(employee_id, 3, hire_date="2024-02-01", department="Sales", seniority_level=4),
            ),
            profile_record("updated", snapshot(employee_id, 2, hire_date="2024-02-01", department="Legal")),
            profile_record(
                "departed",
                snapshot(
                    employee_id,
                    4,
                    hire_date="2024-02-01",
                    department="Sales",
                    seniority_level=4,
                    status="departed",
                    exit_date="2026-10-31",
                    exit_reason="voluntary",
                ),
            ),
        ]
    )
    person = await rows(
        engagement.database_url,
        "SELECT profile_version, status, department, seniority_level, hire_date, exit_date, exit_reason "
        "FROM people WHERE employee_id = :e",
        e=employee_id,
    )
    assert person == [
        {
            "profile_version": 4,
            "status": "departed",
            "department": "Sales",
            "seniority_level": 4,
            "hire_date": date(2024, 2, 1),
            "exit_date": date(2026, 10, 31),
            "exit_reason": "voluntary",
        }
    ]
    history = await rows(
        engagement.database_url,
        "SELECT profile_version, status, department, seniority_level, valid_from FROM person_history "
        "WHERE employee_id = :e ORDER BY profile_version",
        e=employee_id,
    )
    assert [(h["profile_version"], h["status"], h["department"], h["seniority_level"]) for h in history] == [
        (1, "active", "Finance", 3),
        (3, "active", "Sales", 4),
        (4, "departed", "Sales", 4),
    ]
    assert (history[0]["valid_from"], history[2]["valid_from"]) == (date(2024, 2, 1), date(2026, 10, 31))
