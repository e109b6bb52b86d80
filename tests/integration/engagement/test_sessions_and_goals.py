"""Sessions, the ledger and goals through the internal API, against PostgreSQL and the
broker: validation per field, duplicates, dates outside the match, both directions of
the ledger, goal changes published; every event read back from outside and checked
exactly; free text never in events, logs or spans."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.support.backbone import new_id
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

NOTES = "Confidential: my manager is leaving in March"
CRITERIA = "Secret criterion: the board says yes"


async def a_match(
    engagement: EngagementUnderTest, *, ended_after: int | None = None
) -> tuple[str, str, str, str]:
    """A started pair (and ended ``ended_after`` days after its start, if given)."""
    program_id, match_id = f"P-{new_id()[:8]}", f"M-{new_id()[:8]}"
    a, b = f"A-{new_id()[:6]}", f"B-{new_id()[:6]}"
    started_on = today() - days(40)
    records = [
        program_changed(program_id),
        match_started(
            match_id, program_id, started_on, started_on + days(180), ((a, "mentor"), (b, "mentee"))
        ),
    ]
    if ended_after is not None:
        records.append(
            match_ended(
                match_id,
                program_id,
                started_on + days(ended_after),
                "ended_by_admin",
                ((a, "mentor"), (b, "mentee")),
            )
        )
    await engagement.publish_matching(records)
    return program_id, match_id, a, b


def log(**changes: Any) -> dict[str, Any]:
    body = {
        "held_on": (today() - days(3)).isoformat(),
        "minutes": 50,
        "mode": "video",
        "taught": ["social-media"],
        "learned": ["stakeholder-management", "negotiation"],
        "notes": NOTES,
    }
    body.update(changes)
    return body


async def session_count(engagement: EngagementUnderTest, match_id: str) -> int:
    found = await rows(
        engagement.database_url, "SELECT count(*) AS n FROM sessions WHERE match_id = :m", m=match_id
    )
    return int(found[0]["n"])


async def test_a_session_is_stored_published_and_read_with_both_directions(
    engagement: EngagementUnderTest,
    api: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    telemetry: InMemorySpanExporter,
) -> None:
    caplog.set_level(logging.DEBUG)
    program_id, match_id, a, b = await a_match(engagement)
    answer = await api.post(f"/v1/matches/{match_id}/sessions", json=log(), headers=viewer_headers(a))
    assert answer.status_code == 201, answer.text
    session = answer.json()
    session_id = session["session_id"]
    assert session["notes"] == NOTES
    held_on = (today() - days(3)).isoformat()
    [event] = await engagement_events(engagement.infrastructure.kafka_bootstrap, {match_id}, 1)
    assert (event.key, event.ce_type, event.ce_id, event.ce_source) == (
        match_id,
        "tandem.engagement.session.logged.v1",
        f"{session_id}.logged",
        "tandem/engagement",
    )
    assert event.data == {
        "session_id": session_id,
        "match_id": match_id,
        "program_id": program_id,
        "held_on": held_on,
        "minutes": 50,
        "mode": "video",
        "logged_by": a,
        "learning": [
            {"from": a, "to": b, "skill": "social-media"},
            {"from": b, "to": a, "skill": "stakeholder-management"},
            {"from": b, "to": a, "skill": "negotiation"},
        ],
    }
    # The partner sees the session without the notes; the ledger has both directions.
    seen = (
        await api.post("/v1/sessions/by-match", json={"match_ids": [match_id]}, headers=viewer_headers(b))
    ).json()
    assert [s["notes"] for s in seen["by_match"][0]["sessions"]] == [None]
    ledger = (
        await api.post(
            "/v1/ledger/by-match", json={"match_ids": [match_id, "nope"]}, headers=viewer_headers(b)
        )
    ).json()
    assert ledger["missing"] == ["nope"] and ledger["forbidden"] == []
    assert ledger["by_match"][0]["ledger"]["reciprocity"] == {
        "index": 0.5,
        "given": [{"employee_id": a, "count": 1}, {"employee_id": b, "count": 2}],
    }
    assert ledger["by_match"][0]["ledger"]["directions"] == [
        {"from": a, "to": b, "count": 1, "skills": [{"skill": "social-media", "count": 1}]},
        {
            "from": b,
            "to": a,
            "count": 2,
            "skills": [{"skill": "negotiation", "count": 1}, {"skill": "stakeholder-management", "count": 1}],
        },
    ]
    person = (
        await api.post("/v1/ledger/by-person", json={"employee_ids": [a, b]}, headers=viewer_headers(a))
    ).json()
    assert person["forbidden"] == [b]
    assert person["by_person"] == [
        {
            "employee_id": a,
            "ledger": {
                "employee_id": a,
                "taught": [{"skill": "social-media", "count": 1}],
                "learned": [
                    {"skill": "negotiation", "count": 1},
                    {"skill": "stakeholder-management", "count": 1},
                ],
                "taught_people": 1,
                "learned_from_people": 1,
                "programs": [program_id],
            },
        }
    ]
    # Free text stays in the service: not in the event, the logs or the spans.
    assert NOTES.encode() not in event.value
    assert NOTES not in caplog.text
    for span in telemetry.get_finished_spans():
        assert NOTES not in str(dict(span.attributes or {}))
        assert all(NOTES not in str(dict(e.attributes or {})) for e in span.events)


async def test_a_repeated_submission_has_one_effect(
    engagement: EngagementUnderTest, api: httpx.AsyncClient
) -> None:
    _, match_id, a, _ = await a_match(engagement)
    body = log(client_request_id=f"req-{new_id()[:8]}")
    first = await api.post(f"/v1/matches/{match_id}/sessions", json=body, headers=viewer_headers(a))
    again = await api.post(f"/v1/matches/{match_id}/sessions", json=body, headers=viewer_headers(a))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = await api.post(
        f"/v1/matches/{match_id}/sessions", json={**body, "minutes": 20}, headers=viewer_headers(a)
    )
    assert (other.status_code, other.json()) == (
        409,
        {
            "user_errors": [
                {
                    "field": "client_request_id",
                    "message": "was already used for a different session",
                    "code": "CONFLICT",
                }
            ]
        },
    )
    assert await session_count(engagement, match_id) == 1
    events = await engagement_events(engagement.infrastructure.kafka_bootstrap, {match_id}, 1)
    assert [e.ce_id for e in events] == [f"{first.json()['session_id']}.logged"]


@pytest.mark.parametrize(
    ("who", "changes", "status", "errors"),
    [
        pytest.param(
            "a",
            {"held_on": "tomorrow"},
            422,
            [("held_on", "must be an ISO 8601 date, YYYY-MM-DD", "VALIDATION")],
            id="date",
        ),
        pytest.param(
            "a", {"held_on": "future"}, 422, [("held_on", "is in the future", "VALIDATION")], id="future"
        ),
        pytest.param(
            "a",
            {"held_on": "before"},
            422,
            [("held_on", "is before the match started", "VALIDATION")],
            id="before-start",
        ),
        pytest.param(
            "a", {"minutes": 0}, 422, [("minutes", "must be from 1 to 1440", "VALIDATION")], id="minutes"
        ),
        pytest.param(
            "a",
            {"mode": "fax"},
            422,
            [("mode", "must be one of in_person, video, phone, chat", "VALIDATION")],
            id="mode",
        ),
        pytest.param(
            "a",
            {"taught": ["Not A Skill"]},
            422,
            [
                (
                    "taught.0",
                    "must be a skill id: lower-case letters and digits joined by hyphens",
                    "VALIDATION",
                )
            ],
            id="skill",
        ),
        pytest.param(
            "a",
            {"notes": "n" * 4001},
            422,
            [("notes", "must be at most 4000 characters", "VALIDATION")],
            id="notes",
        ),
        pytest.param(
            "x",
            {},
            403,
            [("match_id", "only a member of the match can log its sessions", "FORBIDDEN")],
            id="not-a-member",
        ),
    ],
)
async def test_a_refused_session_names_its_field_and_changes_nothing(
    engagement: EngagementUnderTest,
    api: httpx.AsyncClient,
    who: str,
    changes: dict[str, Any],
    status: int,
    errors: list[tuple[str, str, str]],
) -> None:
    _, match_id, a, _ = await a_match(engagement)
    started_on = today() - days(40)
    dates = {"future": (today() + days(1)).isoformat(), "before": (started_on - days(1)).isoformat()}
    body = log(**{k: dates.get(v, v) if k == "held_on" else v for k, v in changes.items()})
    answer = await api.post(
        f"/v1/matches/{match_id}/sessions", json=body, headers=viewer_headers(a if who == "a" else "X-1")
    )
    assert answer.status_code == status
    assert answer.json() == {"user_errors": [{"field": f, "message": m, "code": c} for f, m, c in errors]}
    assert await session_count(engagement, match_id) == 0


async def test_sessions_of_an_ended_match_stay_within_its_dates(
    engagement: EngagementUnderTest, api: httpx.AsyncClient
) -> None:
    _, match_id, a, _ = await a_match(engagement, ended_after=20)
    ended_on = today() - days(20)
    late = await api.post(
        f"/v1/matches/{match_id}/sessions",
        json=log(held_on=(ended_on + days(1)).isoformat()),
        headers=viewer_headers(a),
    )
    assert (late.status_code, late.json()["user_errors"]) == (
        422,
        [{"field": "held_on", "message": "is after the match ended", "code": "VALIDATION"}],
    )
    last_day = await api.post(
        f"/v1/matches/{match_id}/sessions", json=log(held_on=ended_on.isoformat()), headers=viewer_headers(a)
    )
    assert last_day.status_code == 201
    unknown = await api.post("/v1/matches/M-none/sessions", json=log(), headers=viewer_headers(a))
    assert (unknown.status_code, unknown.json()["user_errors"][0]["code"]) == (404, "NOT_FOUND")
    anonymous = await api.post(f"/v1/matches/{match_id}/sessions", json=log())
    assert anonymous.status_code == 401


async def test_goal_changes_are_published_without_their_texts(
    engagement: EngagementUnderTest, api: httpx.AsyncClient
) -> None:
    _, match_id, a, b = await a_match(engagement)
    due_on = (today() + days(60)).isoformat()
    made = await api.post(
        "/v1/goals",
        json={
            "match_id": match_id,
            "title": "Present to the board",
            "success_criteria": CRITERIA,
            "due_on": due_on,
        },
        headers=viewer_headers(a),
    )
    assert made.status_code == 201, made.text
    goal_id = made.json()["goal_id"]
    changed = await api.post(
        "/v1/goals", json={"goal_id": goal_id, "progress": 40, "owner_id": b}, headers=viewer_headers(b)
    )
    assert (changed.status_code, changed.json()["progress"], changed.json()["owners"]) == (200, 40, [b])
    done = await api.post("/v1/goals", json={"goal_id": goal_id, "status": "done"}, headers=viewer_headers(a))
    assert done.json()["progress"] == 100
    refused = await api.post(
        "/v1/goals",
        json={"match_id": match_id, "title": "", "due_on": "soon", "progress": 101},
        headers=viewer_headers(a),
    )
    assert (refused.status_code, refused.json()) == (
        422,
        {
            "user_errors": [
                {"field": "title", "message": "must be a non-empty string", "code": "VALIDATION"},
                {"field": "due_on", "message": "must be an ISO 8601 date, YYYY-MM-DD", "code": "VALIDATION"},
                {"field": "progress", "message": "must be from 0 to 100", "code": "VALIDATION"},
            ]
        },
    )
    events = await engagement_events(engagement.infrastructure.kafka_bootstrap, {match_id}, 3)
    assert [(e.ce_type, e.ce_id, e.data) for e in events] == [
        (
            "tandem.engagement.goal.changed.v1",
            f"{goal_id}.v{version}",
            {
                "goal_id": goal_id,
                "match_id": match_id,
                "owners": owners,
                "status": status,
                "progress": progress,
                "due_on": due_on,
            },
        )
        for version, owners, status, progress in (
            (1, [a, b], "open", 0),
            (2, [b], "open", 40),
            (3, [b], "done", 100),
        )
    ]
    assert all(CRITERIA.encode() not in e.value and b"Present to the board" not in e.value for e in events)
    listed = (
        await api.post(
            "/v1/goals/by-match",
            json={"match_ids": [match_id]},
            headers=viewer_headers("PA", "program_admin"),
        )
    ).json()
    assert [(g["goal_id"], g["status"], g["success_criteria"]) for g in listed["by_match"][0]["goals"]] == [
        (goal_id, "done", CRITERIA)
    ]
    stranger = (
        await api.post("/v1/goals/by-match", json={"match_ids": [match_id]}, headers=viewer_headers("X-1"))
    ).json()
    assert (stranger["by_match"], stranger["forbidden"]) == ([], [match_id])
