"""Match rounds against PostgreSQL and the broker: a whole round on a 300-person
program, checked against every hard rule by an independent validator and read back
from matching.events with a plain Kafka client; a second round after declines; the
refusals of the start command."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from tandem_testkit.matching_synthetic import organisation
from tests.support.backbone import scalar, wait_until
from tests.support.matching import MatchingUnderTest, events_on_topic, rows, viewer_headers
from tests.support.profile_snapshots import profile_record
from tests.unit.matching.support import pair_problems

ADMIN = viewer_headers("RADM", "employee", "program_admin")
RULES = {
    "exclude_reporting_line": True,
    "exclude_same_department": False,
    "min_timezone_overlap_hours": 2,
    "require_common_language": True,
}
PEOPLE = [{k: v for k, v in p.items() if k != "birth_year"} for p in organisation(300, seed=11)]
BY_ID = {p["employee_id"]: p for p in PEOPLE}
MANAGERS = {p["employee_id"]: p["manager_id"] for p in PEOPLE}
# The top of the tree stays out of the program: reporting lines run through people
# who are only in the pool.
ENROLLED = [p["employee_id"] for p in PEOPLE[8:] if p["status"] == "active"]
PROPOSED = "tandem.matching.match.proposed.v1"


async def pool_of_300(matching: MatchingUnderTest) -> None:
    if await scalar(matching.database_url, "SELECT count(*) FROM pool_members") >= len(PEOPLE):
        return
    await matching.publish_profiles([profile_record("registered", p) for p in PEOPLE])


async def a_program(api: httpx.AsyncClient, *, status: str = "running", kind: str = "reciprocal") -> str:
    created = await api.post(
        "/v1/programs",
        json={"name": f"Rounds {kind}", "type": kind, "duration_days": 90, "rules": RULES},
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    program_id = created.json()["program_id"]
    if status != "draft":
        moved = await api.post(f"/v1/programs/{program_id}/status", json={"status": status}, headers=ADMIN)
        assert moved.status_code == 200, moved.text
    return program_id


async def enrol_all(api: httpx.AsyncClient, program_id: str, employee_ids: list[str]) -> None:
    enrolled = await api.post(
        f"/v1/programs/{program_id}/enrolments/bulk",
        json={"items": [{"employee_id": e} for e in employee_ids]},
        headers=ADMIN,
    )
    assert enrolled.status_code == 200, enrolled.text


async def program_of_the_300(
    api: httpx.AsyncClient, matching: MatchingUnderTest, enrolled: list[str] = ENROLLED
) -> str:
    """A running program with ``enrolled`` (of the pool of 300) enrolled."""
    await pool_of_300(matching)
    program_id = await a_program(api)
    await enrol_all(api, program_id, enrolled)
    return program_id


async def round_ended(api: httpx.AsyncClient, round_id: str, timeout: float = 120) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def ended() -> bool:
        nonlocal found
        found = (await api.get(f"/v1/rounds/{round_id}")).json()
        return found["status"] in ("done", "failed")

    await wait_until(ended, timeout=timeout, every=0.2)
    return found


async def stored_matches(database_url: str, program_id: str) -> dict[str, dict[str, Any]]:
    found = await rows(
        database_url,
        """SELECT m.match_id, m.round_id, m.status, m.score,
                  array_agg(mm.employee_id ORDER BY mm.position) AS members,
                  array_agg(mm.role ORDER BY mm.position) AS roles
           FROM matches m JOIN match_members mm ON mm.match_id = m.match_id
           WHERE m.program_id = :program_id GROUP BY m.match_id""",
        program_id=program_id,
    )
    return {row["match_id"]: row for row in found}


async def all_sent(database_url: str) -> None:
    async def drained() -> bool:
        return await scalar(database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0

    await wait_until(drained, timeout=60, every=0.2)


def program_document(program_id: str, previous: list[list[str]] | None = None) -> dict[str, Any]:
    return {
        "program_id": program_id,
        "type": "reciprocal",
        "rules": {**RULES, "exclude_previous_pairs": previous or []},
    }


async def test_a_whole_round_on_300_people_keeps_every_rule_and_publishes_each_proposal_once(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    program_id = await program_of_the_300(api, matching)
    started = await api.post(f"/v1/programs/{program_id}/rounds", headers=ADMIN)
    assert started.status_code == 201, started.text
    queued = started.json()
    assert (queued["program_id"], queued["status"], queued["requested_by"], queued["attempts"]) == (
        program_id,
        "queued",
        "RADM",
        0,
    )
    done = await round_ended(api, queued["round_id"])
    assert (done["status"], done["attempts"], done["error"]) == ("done", 1, None)
    assert done["started_at"] is not None and done["finished_at"] >= done["started_at"]

    matches = await stored_matches(matching.database_url, program_id)
    assert len(matches) > 40
    assert {m["round_id"] for m in matches.values()} == {queued["round_id"]}
    assert {m["status"] for m in matches.values()} == {"proposed"}
    assert {r for m in matches.values() for r in m["roles"]} == {"partner"}
    placed = Counter(e for m in matches.values() for e in m["members"])
    assert max(placed.values()) == 1
    assert set(placed) <= set(ENROLLED)
    document = program_document(program_id)
    for match in matches.values():
        a, b = (BY_ID[e] for e in match["members"])
        assert pair_problems(a, b, document, MANAGERS) == [], match["members"]

    stats = done["stats"]
    assert stats["participants"] == len(ENROLLED)
    assert stats["matched"] == 2 * len(matches)
    assert abs(stats["objective"] - sum(m["score"] for m in matches.values())) < 1e-4
    assert stats["seconds"] > 0
    unmatched = {u["employee_id"]: u["reason"] for u in done["unmatched"]}
    assert set(unmatched) == set(ENROLLED) - set(placed)
    assert all(reason for reason in unmatched.values())

    await all_sent(matching.database_url)
    on_topic = await asyncio.to_thread(
        events_on_topic, matching.infrastructure.kafka_bootstrap, PROPOSED, set(matches)
    )
    ours = Counter(key for key, data in on_topic if data["program_id"] == program_id)
    assert ours == Counter(dict.fromkeys(matches, 1))
    for key, data in on_topic:
        if key in matches:
            assert data["round_id"] == queued["round_id"]
            assert [m["employee_id"] for m in data["members"]] == matches[key]["members"]
    outbox = await scalar(
        matching.database_url,
        "SELECT count(DISTINCT ce_id) FROM outbox WHERE ce_type = :t AND key = ANY(:keys)",
        t=PROPOSED,
        keys=list(matches),
    )
    assert outbox == len(matches)

    listed = (await api.get(f"/v1/programs/{program_id}/rounds")).json()
    assert [edge["node"]["round_id"] for edge in listed["edges"]] == [queued["round_id"]]
    assert listed["page_info"]["has_next_page"] is False
    batch = (await api.post("/v1/rounds/batch", json={"ids": [queued["round_id"], "rnd_none"]})).json()
    assert [r["round_id"] for r in batch["rounds"]] == [queued["round_id"]]
    assert batch["missing"] == ["rnd_none"]
    assert batch["rounds"][0] == done


async def test_a_second_round_after_declines_never_proposes_a_declined_pair_and_keeps_matches(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    program_id = await program_of_the_300(api, matching)
    first = (await api.post(f"/v1/programs/{program_id}/rounds", headers=ADMIN)).json()
    assert (await round_ended(api, first["round_id"]))["status"] == "done"
    before = await stored_matches(matching.database_url, program_id)
    ordered = sorted(before.values(), key=lambda m: m["match_id"])
    declined, accepted = ordered[:15], ordered[15:25]
    for match in declined:
        answer = await api.post(
            f"/v1/matches/{match['match_id']}/response",
            json={"accept": False},
            headers=viewer_headers(match["members"][1]),
        )
        assert answer.json()["status"] == "declined"
    for match in accepted:
        for member in match["members"]:
            await api.post(
                f"/v1/matches/{match['match_id']}/response",
                json={"accept": True},
                headers=viewer_headers(member),
            )
    declined_pairs = {frozenset(m["members"]) for m in declined}
    second = (await api.post(f"/v1/programs/{program_id}/rounds", headers=ADMIN)).json()
    done = await round_ended(api, second["round_id"])
    assert done["status"] == "done"

    after = await stored_matches(matching.database_url, program_id)
    for match_id, match in before.items():
        expected = "declined" if match in declined else "active" if match in accepted else "proposed"
        assert (after[match_id]["status"], after[match_id]["members"]) == (expected, match["members"])
    new = [m for m in after.values() if m["round_id"] == second["round_id"]]
    assert new, "the declined people get new partners"
    assert not {frozenset(m["members"]) for m in new} & declined_pairs
    held = {e for m in before.values() if m not in declined for e in m["members"]}
    assert not held & {e for m in new for e in m["members"]}
    previous = [sorted(p) for p in declined_pairs]
    for match in new:
        a, b = (BY_ID[e] for e in match["members"])
        assert pair_problems(a, b, program_document(program_id, previous), MANAGERS) == []
    assert done["stats"]["participants"] == len(ENROLLED) - len(held)
    assert done["stats"]["matched"] == 2 * len(new)


async def test_two_rounds_started_at_once_give_one_round_and_one_conflict(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    program_id = await program_of_the_300(api, matching, ENROLLED[:40])
    answers = await asyncio.gather(
        *(api.post(f"/v1/programs/{program_id}/rounds", headers=ADMIN) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    refused = next(a for a in answers if a.status_code == 409).json()["user_errors"]
    assert [(e["field"], e["code"]) for e in refused] == [("program_id", "CONFLICT")]
    round_id = next(a for a in answers if a.status_code == 201).json()["round_id"]
    assert (await round_ended(api, round_id))["status"] == "done"
    again = await api.post(f"/v1/programs/{program_id}/rounds", headers=ADMIN)
    assert again.status_code == 201
    assert (await round_ended(api, again.json()["round_id"]))["status"] == "done"
    assert (
        await scalar(
            matching.database_url, "SELECT count(*) FROM match_rounds WHERE program_id = :p", p=program_id
        )
        == 2
    )


async def test_the_start_command_is_refused_to_others_and_outside_enrolling_or_running(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    running = await a_program(api)
    draft = await a_program(api, status="draft")
    closed = await a_program(api, status="closed")
    cases = [
        (running, viewer_headers("E0000050"), 403, [("program_id", "FORBIDDEN")]),
        (running, viewer_headers("OTHER", "employee", "program_admin"), 403, [("program_id", "FORBIDDEN")]),
        (draft, ADMIN, 409, [("program_id", "CONFLICT")]),
        (closed, ADMIN, 409, [("program_id", "CONFLICT")]),
        ("prg_missing", ADMIN, 404, [("program_id", "NOT_FOUND")]),
    ]
    for program_id, headers, status, errors in cases:
        answer = await api.post(f"/v1/programs/{program_id}/rounds", headers=headers)
        assert answer.status_code == status, (program_id, answer.text)
        assert [(e["field"], e["code"]) for e in answer.json()["user_errors"]] == errors
    assert (await api.post(f"/v1/programs/{running}/rounds")).status_code == 401
    assert (
        await scalar(
            matching.database_url,
            "SELECT count(*) FROM match_rounds WHERE program_id = ANY(:ids)",
            ids=[running, draft, closed],
        )
        == 0
    )
    missing = await api.get("/v1/rounds/rnd_missing")
    assert missing.status_code == 404
    assert missing.json()["user_errors"] == [
        {"field": "round_id", "message": "no such round", "code": "NOT_FOUND"}
    ]
    too_many = await api.post("/v1/rounds/batch", json={"ids": [f"r{i}" for i in range(1001)]})
    assert too_many.status_code == 422
    empty = (await api.get(f"/v1/programs/{running}/rounds")).json()
    assert empty == {"edges": [], "page_info": {"has_next_page": False, "end_cursor": None}}
