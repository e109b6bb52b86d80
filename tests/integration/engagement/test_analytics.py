"""Analytics, outcome analytics and exports over HTTP, against PostgreSQL and the broker.

One hand-made organisation is seeded per module: a program of 12 pairs (24
participants: Eng 12, Sales 10, Ops 2; all in DE but Ops in FR), 30 people who never
joined, sessions with learning both ways, goals and check-in answers. Analytics are
exact, with every group below 10 hidden (with its complement); the outcome analysis
equals the `tandem engage outcomes` command's on the same data written to files; the
export of a hand-made match is exact in JSON and CSV; and free text is in none of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from tandem_engagement.domain.checkins import checkin_id
from tandem_engagement.domain.people import HistoryRow, Person
from tandem_engagement.entrypoints.main import build_app
from tests.support.backbone import new_id
from tests.support.engagement import (
    EngagementUnderTest,
    days,
    match_ended,
    match_started,
    program_changed,
    today,
    viewer_headers,
)
from tests.support.matching import rows

NOTES = "Confidential: my manager is leaving in March"
COMMENT = "Private: I feel ignored in our sessions"
CRITERIA = "Secret criterion: the board says yes"
TITLE = "Present to the board"
TANDEM = Path(sys.executable).with_name("tandem")
HR = viewer_headers("HR1", "hr_analyst")


@dataclass(frozen=True)
class Organisation:
    program_id: str
    admin: str
    participants: list[str]
    match_ids: list[str]
    employees: list[dict[str, Any]]  # EMPLOYEES.jsonl records
    part: list[dict[str, Any]]  # PART.jsonl records


def _person(employee_id: str, department: str, country: str, level: int, hired: date, **exit: Any) -> Person:
    return Person(
        employee_id,
        1,
        "departed" if exit else "active",
        hired,
        exit.get("exit_date"),
        exit.get("exit_reason"),
        department,
        country,
        level,
        False,
    )


async def _seed(engagement: EngagementUnderTest, api: httpx.AsyncClient) -> Organisation:
    tag = new_id()[:6]
    program_id, admin = f"P-{tag}", f"PA-{tag}"
    participants = [f"PRT{n:02d}-{tag}" for n in range(24)]
    started, ends = today() - days(40), today() + days(140)
    people: list[Person] = []
    for n, employee_id in enumerate(participants):
        department = "Eng" if n < 12 else "Sales" if n < 22 else "Ops"
        country = "FR" if n >= 22 else "DE"
        people.append(
            _person(employee_id, department, country, 2 if n < 12 else 5, date(2019, 1, 1) + days(n))
        )
    others = [f"NON{n:02d}-{tag}" for n in range(30)]
    for n, employee_id in enumerate(others):
        exit: dict[str, Any] = {}
        if n < 6:
            exit = {"exit_date": today() - days(20), "exit_reason": "voluntary"}
        elif n < 8:
            exit = {"exit_date": today() - days(10), "exit_reason": "involuntary"}
        people.append(
            _person(employee_id, ["Eng", "Sales"][n % 2], "DE", 3 + n % 4, date(2018, 3, 1) + days(n), **exit)
        )
    promoted = {others[10]: date(2024, 5, 1), others[11]: date(2025, 2, 3)}
    history = [
        HistoryRow(p.employee_id, 1, p.hire_date, p.status, p.department, p.country, p.seniority_level)
        for p in people
        if p.hire_date is not None
    ] + [HistoryRow(employee_id, 2, on, "active", "Eng", "DE", 9) for employee_id, on in promoted.items()]
    assert engagement.runtime is not None
    async with engagement.runtime.unit_of_work() as uow:
        await uow.people.save(people)
        await uow.people.add_history(history)
        await uow.commit()

    match_ids = [f"M{i:02d}-{tag}" for i in range(12)]
    pairs = [((participants[2 * i], "partner"), (participants[2 * i + 1], "partner")) for i in range(12)]
    records = [program_changed(program_id, admins=(admin,))]
    records += [
        match_started(m, program_id, started, ends, pair) for m, pair in zip(match_ids, pairs, strict=True)
    ]
    records += [
        match_ended(match_ids[i], program_id, today() - days(5), "ended_by_admin", pairs[i])
        for i in range(6, 11)
    ]
    await engagement.publish_matching(records)
    await engagement.run_checkins()

    for i in range(6):
        a = participants[2 * i]
        body = {
            "held_on": (today() - days(3)).isoformat(),
            "minutes": 60,
            "mode": "video",
            "taught": ["python"],
            "learned": ["sql"],
            "notes": NOTES,
        }
        logged = await api.post(f"/v1/matches/{match_ids[i]}/sessions", json=body, headers=viewer_headers(a))
        assert logged.status_code == 201, logged.text
    ops = participants[22]
    body = {
        "held_on": (today() - days(2)).isoformat(),
        "minutes": 90,
        "mode": "in_person",
        "taught": ["python"],
    }
    logged = await api.post(f"/v1/matches/{match_ids[11]}/sessions", json=body, headers=viewer_headers(ops))
    assert logged.status_code == 201, logged.text
    for i, status in ((0, "done"), (1, "open")):
        goal = {
            "match_id": match_ids[i],
            "title": TITLE,
            "success_criteria": CRITERIA,
            "due_on": (today() + days(30)).isoformat(),
            "status": status,
        }
        made = await api.post("/v1/goals", json=goal, headers=viewer_headers(participants[2 * i]))
        assert made.status_code == 201, made.text
    due_on = started + days(30)
    answers = [(participants[n], match_ids[n // 2], 4) for n in range(12)] + [(ops, match_ids[11], 2)]
    for employee_id, match_id, satisfaction in answers:
        answer = {
            "satisfaction": satisfaction,
            "career_support": 3,
            "psychosocial_support": 3,
            "role_modelling": 3,
            "comment": COMMENT,
        }
        sent = await api.post(
            f"/v1/checkins/{checkin_id(match_id, employee_id, due_on)}/answers",
            json=answer,
            headers=viewer_headers(employee_id),
        )
        assert sent.status_code == 200, sent.text

    employees = [
        {
            "employee_id": p.employee_id,
            "department": p.department,
            "country": p.country,
            "seniority_level": p.seniority_level,
            "hire_date": p.hire_date.isoformat() if p.hire_date else None,
            "exit_date": p.exit_date.isoformat() if p.exit_date else None,
            "exit_reason": p.exit_reason,
            "promotion_dates": [promoted[p.employee_id].isoformat()] if p.employee_id in promoted else [],
        }
        for p in people
    ]
    part = [
        {
            "employee_id": employee_id,
            "program_id": program_id,
            "started_on": started.isoformat(),
            "ended_on": (today() - days(5)).isoformat() if 6 <= i < 11 else None,
        }
        for i, pair in enumerate(pairs)
        for employee_id, _ in pair
    ]
    return Organisation(program_id, admin, participants, match_ids, employees, part)


@pytest.fixture(scope="module")
async def organisation(engagement: EngagementUnderTest, api: httpx.AsyncClient) -> Organisation:
    return await _seed(engagement, api)


def _free_text_absent(text: str) -> None:
    for secret in (NOTES, COMMENT, CRITERIA, TITLE):
        assert secret not in text


async def _bands(engagement: EngagementUnderTest, match_ids: list[str]) -> dict[str, int]:
    found = await rows(
        engagement.database_url,
        "SELECT band, count(*) AS n FROM match_health WHERE match_id = ANY(:ids) GROUP BY band",
        ids=match_ids,
    )
    counts = {"healthy": 0, "watch": 0, "at_risk": 0, "not_scored": len(match_ids)}
    for row in found:
        counts[row["band"]] += row["n"]
        counts["not_scored"] -= row["n"]
    return counts


async def test_program_analytics_are_exact_and_hide_every_small_group(
    engagement: EngagementUnderTest, api: httpx.AsyncClient, organisation: Organisation
) -> None:
    answer = await api.get(f"/v1/programs/{organisation.program_id}/analytics", headers=HR)
    assert answer.status_code == 200, answer.text
    _free_text_absent(answer.text)
    assert not any(p in answer.text for p in organisation.participants)
    document = answer.json()
    ids = organisation.match_ids
    # Health is scored by its own rules: each group's bands are those of its matches.
    assert document.pop("health_bands") == await _bands(engagement, ids)
    shown = [g for g in document["groups"] if not g.get("suppressed")]
    assert [g.pop("health_bands") for g in shown] == [
        await _bands(engagement, ids[:6]),
        await _bands(engagement, ids[:6]),
        await _bands(engagement, ids[6:]),
    ]
    eng = {
        "participants": 12,
        "matches": 6,
        "active_matches": 6,
        "sessions": 6,
        "hours": 6.0,
        "sessions_per_match": 1.0,
        "hours_per_match": 1.0,
        "reciprocity": {"0-0.25": 0, "0.25-0.5": 0, "0.5-0.75": 0, "0.75-1": 6, "no_learning_recorded": 0},
        "satisfaction": {"responses": 12, "mean": 4.0},
        "goals": {"total": 2, "met": 1, "met_rate": 0.5},
        # No enrolment was published for this program.
        "enrolment_to_match_rate": None,
    }
    assert document == {
        "program_id": organisation.program_id,
        "min_group": 10,
        "enrolment_to_match_rate": None,
        "suppressed": False,
        "participants": 24,
        "matches": 12,
        "active_matches": 7,
        "sessions": 7,
        "hours": 7.5,
        "sessions_per_match": 0.5833,
        "hours_per_match": 0.625,
        "reciprocity": {"0-0.25": 1, "0.25-0.5": 0, "0.5-0.75": 0, "0.75-1": 6, "no_learning_recorded": 5},
        "satisfaction": {"responses": 13, "mean": 3.8462},
        "goals": {"total": 2, "met": 1, "met_rate": 0.5},
        "groups": [
            {"by": "department", "value": "Eng", **eng},
            {"by": "department", "value": "Ops", "suppressed": True},
            {"by": "department", "value": "Sales", "suppressed": True},
            {"by": "country", "value": "DE", "suppressed": True},
            {"by": "country", "value": "FR", "suppressed": True},
            {"by": "seniority_band", "value": "1-3", **eng},
            {
                "by": "seniority_band",
                "value": "4-6",
                "participants": 12,
                "matches": 6,
                "active_matches": 1,
                "sessions": 1,
                "hours": 1.5,
                "sessions_per_match": 0.1667,
                "hours_per_match": 0.25,
                "reciprocity": {
                    "0-0.25": 1,
                    "0.25-0.5": 0,
                    "0.5-0.75": 0,
                    "0.75-1": 0,
                    "no_learning_recorded": 5,
                },
                "satisfaction": {"responses": 1, "mean": None},
                "goals": {"total": 0, "met": 0, "met_rate": None},
                "enrolment_to_match_rate": None,
            },
        ],
    }


async def test_analytics_are_for_the_programs_admins_hr_analysts_and_admins_only(
    engagement: EngagementUnderTest, api: httpx.AsyncClient, organisation: Organisation
) -> None:
    path = f"/v1/programs/{organisation.program_id}/analytics"
    for headers in (viewer_headers(organisation.admin, "program_admin"), viewer_headers("ADM", "admin")):
        assert (await api.get(path, headers=headers)).status_code == 200
    for headers in (
        viewer_headers("PA-other", "program_admin"),
        viewer_headers(organisation.participants[0]),
    ):
        refused = await api.get(path, headers=headers)
        assert (refused.status_code, refused.json()) == (
            403,
            {
                "user_errors": [
                    {
                        "field": "program_id",
                        "message": "only the program's admins, hr analysts and admins can see its analytics",
                        "code": "FORBIDDEN",
                    }
                ]
            },
        )
    missing = await api.get("/v1/programs/nope/analytics", headers=HR)
    assert (missing.status_code, missing.json()["user_errors"][0]["code"]) == (404, "NOT_FOUND")
    assert (await api.get(path)).status_code == 401
    organisation_wide = await api.get(
        "/v1/analytics", headers=viewer_headers(organisation.admin, "program_admin")
    )
    assert (organisation_wide.status_code, organisation_wide.json()["user_errors"][0]["field"]) == (
        403,
        "organisation",
    )


async def test_organisation_analytics_cover_every_started_match(
    engagement: EngagementUnderTest, api: httpx.AsyncClient, organisation: Organisation
) -> None:
    answer = await api.get("/v1/analytics", headers=HR)
    assert answer.status_code == 200, answer.text
    _free_text_absent(answer.text)
    [counted] = await rows(
        engagement.database_url,
        "SELECT count(DISTINCT employee_id) AS people, count(DISTINCT m.match_id) AS matches "
        "FROM matches m JOIN match_members USING (match_id) WHERE m.status IN ('active', 'ended')",
    )
    document = answer.json()
    assert (document["program_id"], document["participants"], document["matches"]) == (
        None,
        counted["people"],
        counted["matches"],
    )
    assert all(g.get("suppressed") or g["participants"] >= 10 for g in document["groups"])


def _command(tmp_path: Path, organisation: Organisation, *extra: str) -> dict[str, Any]:
    employees, part, out = tmp_path / "EMPLOYEES.jsonl", tmp_path / "PART.jsonl", tmp_path / "OUT.json"
    employees.write_text("".join(json.dumps(r) + "\n" for r in organisation.employees))
    part.write_text("".join(json.dumps(r) + "\n" for r in organisation.part))
    done = subprocess.run(
        [
            str(TANDEM),
            "engage",
            "outcomes",
            "--employees",
            str(employees),
            "--participation",
            str(part),
            "--as-of",
            today().isoformat(),
            "--out",
            str(out),
            "--quiet",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    del document["seconds"]
    return document


async def test_the_services_outcomes_equal_the_commands_on_the_same_data(
    engagement: EngagementUnderTest, organisation: Organisation, tmp_path: Path
) -> None:
    assert engagement.runtime is not None
    app = build_app(engagement.runtime, engagement.settings, clock=engagement.clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://engagement"
    ) as client:
        answer = await client.get("/v1/outcomes", headers=HR)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "program_id": None,
            "as_of": today().isoformat(),
            "outcomes": _command(tmp_path, organisation),
            "nothing_to_analyse": None,
        }
        assert answer.json()["outcomes"]["population"] == {"employees": 54, "participants": 24}
        # The program's admin asks for their program: the command with --program.
        mine = await client.get(
            "/v1/outcomes",
            params={"program_id": organisation.program_id},
            headers=viewer_headers(organisation.admin, "program_admin"),
        )
        assert mine.status_code == 200, mine.text
        assert mine.json()["outcomes"] == _command(
            tmp_path, organisation, "--program", organisation.program_id
        )
        # Asked again within the cache's time: answered without running the analysis.
        runs = app.state.outcomes.computed
        again = await client.get("/v1/outcomes", headers=HR)
        assert (again.json(), app.state.outcomes.computed) == (answer.json(), runs)
        for headers, params in (
            (viewer_headers(organisation.admin, "program_admin"), {}),
            (viewer_headers("PA-other", "program_admin"), {"program_id": organisation.program_id}),
            (viewer_headers(organisation.participants[0]), {"program_id": organisation.program_id}),
        ):
            refused = await client.get("/v1/outcomes", params=params, headers=headers)
            assert (refused.status_code, refused.json()["user_errors"][0]["code"]) == (403, "FORBIDDEN")
        bad = await client.get("/v1/outcomes", params={"program_id": "not an id"}, headers=HR)
        assert bad.status_code == 422


async def test_a_persons_export_is_exact_in_json_and_csv_and_only_theirs(
    engagement: EngagementUnderTest, api: httpx.AsyncClient
) -> None:
    tag = new_id()[:6]
    program_id, match_id, x, y = f"PX-{tag}", f"MX-{tag}", f"X-{tag}", f"Y-{tag}"
    started = today() - days(40)
    await engagement.publish_matching(
        [
            program_changed(program_id),
            match_started(match_id, program_id, started, started + days(180), ((x, "mentor"), (y, "mentee"))),
        ]
    )

    async def log(who: str, held: int, minutes: int, mode: str, taught: list[str], learned: list[str]) -> str:
        body = {
            "held_on": (today() - days(held)).isoformat(),
            "minutes": minutes,
            "mode": mode,
            "taught": taught,
            "learned": learned,
            "notes": NOTES,
        }
        done = await api.post(f"/v1/matches/{match_id}/sessions", json=body, headers=viewer_headers(who))
        assert done.status_code == 201, done.text
        return str(done.json()["session_id"])

    first = await log(x, 20, 45, "video", ["python", "sql"], ["negotiation"])
    second = await log(y, 10, 30, "in_person", ["negotiation"], ["python"])
    due = (today() + days(30)).isoformat()
    goal_ids = []
    for extra in (
        {"status": "done", "owner_id": x},
        {"status": "done"},
        {},
        {"status": "done", "owner_id": y},
    ):
        made = await api.post(
            "/v1/goals",
            json={"match_id": match_id, "title": TITLE, "success_criteria": CRITERIA, "due_on": due, **extra},
            headers=viewer_headers(x),
        )
        assert made.status_code == 201, made.text
        goal_ids.append(made.json()["goal_id"])
    met = sorted(goal_ids[:2])

    answer = await api.get(f"/v1/people/{x}/export", headers=viewer_headers(x))
    assert answer.status_code == 200, answer.text
    _free_text_absent(answer.text)
    sessions = sorted(
        [
            {
                "session_id": first,
                "match_id": match_id,
                "program_id": program_id,
                "held_on": (today() - days(20)).isoformat(),
                "minutes": 45,
                "mode": "video",
            },
            {
                "session_id": second,
                "match_id": match_id,
                "program_id": program_id,
                "held_on": (today() - days(10)).isoformat(),
                "minutes": 30,
                "mode": "in_person",
            },
        ],
        key=lambda s: (s["held_on"], s["session_id"]),
    )
    assert answer.json() == {
        "dictionary": "docs/engagement-export.md",
        "fields": [
            "employee_id",
            "summary.sessions",
            "summary.minutes",
            "summary.hours",
            "summary.goals_met",
            "sessions[].session_id",
            "sessions[].match_id",
            "sessions[].program_id",
            "sessions[].held_on",
            "sessions[].minutes",
            "sessions[].mode",
            "skills_taught[].skill",
            "skills_taught[].count",
            "skills_learned[].skill",
            "skills_learned[].count",
            "goals_met[].goal_id",
            "goals_met[].match_id",
            "goals_met[].due_on",
        ],
        "employee_id": x,
        "summary": {"sessions": 2, "minutes": 75, "hours": 1.25, "goals_met": 2},
        "sessions": sessions,
        "skills_taught": [{"skill": "python", "count": 2}, {"skill": "sql", "count": 1}],
        "skills_learned": [{"skill": "negotiation", "count": 2}],
        "goals_met": [{"goal_id": g, "match_id": match_id, "due_on": due} for g in met],
    }

    csv_answer = await api.get(
        f"/v1/people/{x}/export", params={"format": "csv"}, headers=viewer_headers("A1", "admin")
    )
    assert csv_answer.status_code == 200, csv_answer.text
    assert csv_answer.headers["content-type"] == "text/csv; charset=utf-8"
    _free_text_absent(csv_answer.text)
    lines = [
        "record,employee_id,program_id,match_id,session_id,held_on,minutes,mode,skill,count,goal_id,due_on",
        f"summary,{x},,,,,75,,,2,,",
        *(
            f"session,{x},{program_id},{match_id},{s['session_id']},{s['held_on']},{s['minutes']},{s['mode']},,,,"
            for s in sessions
        ),
        f"taught,{x},,,,,,,python,2,,",
        f"taught,{x},,,,,,,sql,1,,",
        f"learned,{x},,,,,,,negotiation,2,,",
        *(f"goal_met,{x},,{match_id},,,,,,,{g},{due}" for g in met),
    ]
    assert csv_answer.text == "".join(line + "\r\n" for line in lines)

    for headers in (
        viewer_headers(y),
        viewer_headers("HR1", "hr_analyst"),
        viewer_headers("PA", "program_admin"),
    ):
        refused = await api.get(f"/v1/people/{x}/export", headers=headers)
        assert (refused.status_code, refused.json()) == (
            403,
            {
                "user_errors": [
                    {
                        "field": "employee_id",
                        "message": "people export their own engagement only",
                        "code": "FORBIDDEN",
                    }
                ]
            },
        )
    bad = await api.get(f"/v1/people/{x}/export", params={"format": "xml"}, headers=viewer_headers(x))
    assert bad.status_code == 422
