"""Proposals and matches against PostgreSQL and the broker: accept, decline, expiry,
auto-start, ends, closing a program, and the events on matching.events exactly."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tandem_matching.domain.matches import ExplanationFactor
from tests.support.matching import MatchingUnderTest, matching_events, propose_pairs, viewer_headers

ADMIN = viewer_headers("ADM1", "employee", "program_admin")
EXPLANATION = [ExplanationFactor("skill_complementarity", 0.6, "A teaches social-media that B wants")]


async def running_program(api: httpx.AsyncClient, **fields) -> str:
    created = await api.post(
        "/v1/programs",
        json={"name": "Reverse", "type": "reverse", "duration_days": 90, **fields},
        headers=ADMIN,
    )
    program_id = created.json()["program_id"]
    await api.post(f"/v1/programs/{program_id}/status", json={"status": "running"}, headers=ADMIN)
    return program_id


async def propose(matching: MatchingUnderTest, program_id: str, *pairs: tuple[str, str]) -> list[str]:
    mentorships = [((a, "mentor"), (b, "mentee")) for a, b in pairs]
    return await propose_pairs(matching, program_id, mentorships, score=0.83, explanation=EXPLANATION)


async def answer(api: httpx.AsyncClient, match_id: str, employee_id: str, accept: bool) -> httpx.Response:
    return await api.post(
        f"/v1/matches/{match_id}/response", json={"accept": accept}, headers=viewer_headers(employee_id)
    )


async def test_every_member_accepts_and_the_match_starts(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    program_id = await running_program(api)
    [match_id] = await propose(matching, program_id, ("ACC1", "ACC2"))
    proposed = (await api.get(f"/v1/matches/{match_id}")).json()
    assert (proposed["status"], proposed["round_id"], proposed["score"]) == ("proposed", "rnd_1", 0.83)
    first = await answer(api, match_id, "ACC1", True)
    assert (first.status_code, first.json()["status"]) == (200, "proposed")
    assert [m["response"] for m in first.json()["members"]] == ["accepted", None]
    stranger = await answer(api, match_id, "ACC9", True)
    assert (stranger.status_code, stranger.json()["user_errors"][0]["code"]) == (403, "FORBIDDEN")
    both = (await answer(api, match_id, "ACC2", True)).json()
    today = matching.clock().date()
    assert (both["status"], both["started_on"], both["ends_on"]) == (
        "active",
        today.isoformat(),
        (today + timedelta(days=90)).isoformat(),
    )
    events = await matching_events(matching.infrastructure.kafka_bootstrap, {match_id}, expected=2)
    assert [(e.ce_type, e.key, e.ce_id) for e in events] == [
        ("tandem.matching.match.proposed.v1", match_id, f"{match_id}.proposed"),
        ("tandem.matching.match.started.v1", match_id, f"{match_id}.started"),
    ]
    members = [{"employee_id": "ACC1", "role": "mentor"}, {"employee_id": "ACC2", "role": "mentee"}]
    expires_at = events[0].data["expires_at"]
    assert events[0].data == {
        "match_id": match_id,
        "program_id": program_id,
        "round_id": "rnd_1",
        "members": members,
        "score": 0.83,
        "explanation": [
            {"factor": "skill_complementarity", "value": 0.6, "detail": "A teaches social-media that B wants"}
        ],
        "expires_at": expires_at,
    }
    assert expires_at.startswith((matching.clock().date() + timedelta(days=14)).isoformat())
    assert events[1].data == {
        "match_id": match_id,
        "program_id": program_id,
        "program_type": "reverse",
        "members": members,
        "started_on": today.isoformat(),
        "ends_on": (today + timedelta(days=90)).isoformat(),
    }
    again = await answer(api, match_id, "ACC1", False)
    assert (again.status_code, again.json()["user_errors"][0]["code"]) == (409, "CONFLICT")


async def test_one_decline_declines_and_the_pair_is_a_previous_pair(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    program_id = await running_program(api)
    [match_id] = await propose(matching, program_id, ("DEC1", "DEC2"))
    declined = (await answer(api, match_id, "DEC2", False)).json()
    assert (declined["status"], declined["declined_by"]) == ("declined", "DEC2")
    events = await matching_events(matching.infrastructure.kafka_bootstrap, {match_id}, expected=2)
    assert [(e.ce_type, e.data) for e in events[1:]] == [
        (
            "tandem.matching.match.declined.v1",
            {"match_id": match_id, "program_id": program_id, "declined_by": "DEC2"},
        )
    ]
    assert matching.runtime is not None
    async with matching.runtime.unit_of_work() as uow:
        assert await uow.matches.previous_pairs(program_id) == {("DEC1", "DEC2")}
        assert await uow.matches.matched_in_program(program_id, ["DEC1", "DEC2"]) == set()


async def test_unanswered_proposals_expire_and_ended_matches_complete(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    program_id = await running_program(api, duration_days=30)
    [waiting, started] = await propose(matching, program_id, ("EXP1", "EXP2"), ("EXP3", "EXP4"))
    await answer(api, started, "EXP3", True)
    await answer(api, started, "EXP4", True)
    matching.clock.advance(timedelta(days=14, minutes=1))
    report = await matching.run_lifecycle()
    assert report.expired >= 1
    assert (await api.get(f"/v1/matches/{waiting}")).json()["status"] == "declined"
    assert (await api.get(f"/v1/matches/{started}")).json()["status"] == "active"
    matching.clock.advance(timedelta(days=17))
    report = await matching.run_lifecycle()
    assert report.completed >= 1
    ended = (await api.get(f"/v1/matches/{started}")).json()
    ends_on = ended["ends_on"]
    assert (ended["status"], ended["end_reason"], ended["ended_on"]) == ("ended", "completed", ends_on)
    events = await matching_events(matching.infrastructure.kafka_bootstrap, {waiting, started}, expected=5)
    by_match = {(e.key, e.ce_type.split(".")[3]): e.data for e in events}
    assert by_match[(waiting, "declined")] == {
        "match_id": waiting,
        "program_id": program_id,
        "declined_by": None,
    }
    assert by_match[(started, "ended")] == {
        "match_id": started,
        "program_id": program_id,
        "members": [{"employee_id": "EXP3", "role": "mentor"}, {"employee_id": "EXP4", "role": "mentee"}],
        "ended_on": ends_on,
        "reason": "completed",
    }
    matching.clock.offset = timedelta()


async def test_with_auto_acceptance_proposals_start_at_once(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    program_id = await running_program(api, acceptance="auto")
    [match_id] = await propose(matching, program_id, ("AUTO1", "AUTO2"))
    assert (await api.get(f"/v1/matches/{match_id}")).json()["status"] == "active"
    events = await matching_events(matching.infrastructure.kafka_bootstrap, {match_id}, expected=2)
    assert [e.ce_type for e in events] == [
        "tandem.matching.match.proposed.v1",
        "tandem.matching.match.started.v1",
    ]


async def test_members_and_admins_end_matches_and_closing_a_program_ends_the_rest(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    program_id = await running_program(api, acceptance="auto")
    by_member, by_admin, open_match = await propose(
        matching, program_id, ("END1", "END2"), ("END3", "END4"), ("END5", "END6")
    )
    stranger = await api.post(f"/v1/matches/{by_member}/end", json={}, headers=viewer_headers("END9"))
    assert stranger.status_code == 403
    member = await api.post(
        f"/v1/matches/{by_member}/end", json={"reason": "new role"}, headers=viewer_headers("END2")
    )
    assert (member.json()["end_reason"], member.json()["end_note"]) == ("ended_by_member", "new role")
    admin = await api.post(f"/v1/matches/{by_admin}/end", json={}, headers=ADMIN)
    assert admin.json()["end_reason"] == "ended_by_admin"
    [pending] = await propose(matching, program_id, ("END7", "END8"))
    await api.patch(f"/v1/programs/{program_id}", json={"acceptance": "both"}, headers=ADMIN)
    # END7 mentors a second mentee (END8 is in an open match already: the database refuses a second).
    [proposal] = await propose(matching, program_id, ("END7", "END10"))
    closed = await api.post(f"/v1/programs/{program_id}/status", json={"status": "closed"}, headers=ADMIN)
    assert closed.status_code == 200
    statuses = {
        m["match_id"]: (m["status"], m["end_reason"], m["declined_by"])
        for m in (await api.post("/v1/matches/batch", json={"ids": [open_match, pending, proposal]})).json()[
            "matches"
        ]
    }
    assert statuses == {
        open_match: ("ended", "program_closed", None),
        pending: ("ended", "program_closed", None),
        proposal: ("declined", None, None),
    }
    events = await matching_events(
        matching.infrastructure.kafka_bootstrap, {by_member, by_admin, open_match, proposal}, expected=10
    )
    reasons = {e.key: e.data["reason"] for e in events if e.ce_type.endswith("match.ended.v1")}
    assert reasons == {by_member: "ended_by_member", by_admin: "ended_by_admin", open_match: "program_closed"}
    assert [e.data for e in events if e.ce_type.endswith("declined.v1")] == [
        {"match_id": proposal, "program_id": program_id, "declined_by": None}
    ]
    assert all("new role" not in str(e.data) for e in events)


async def test_batch_reads_by_member_and_program_pages(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    program_id = await running_program(api)
    made = await propose(matching, program_id, ("BM1", "BM2"), ("BM1", "BM3"), ("BM4", "BM5"))
    await answer(api, made[2], "BM5", False)
    by_member = (
        await api.post(
            "/v1/matches/by-member", json={"employee_ids": ["BM1", "BM5", "NOBODY"], "status": "proposed"}
        )
    ).json()
    assert [
        (row["employee_id"], [m["match_id"] for m in row["matches"]]) for row in by_member["by_member"]
    ] == [
        ("BM1", sorted(made[:2])),
        ("BM5", []),
        ("NOBODY", []),
    ]
    every = (await api.post("/v1/matches/by-member", json={"employee_ids": ["BM5"]})).json()
    assert [m["match_id"] for m in every["by_member"][0]["matches"]] == [made[2]]
    first = (await api.get(f"/v1/programs/{program_id}/matches", params={"first": 2})).json()
    assert first["page_info"]["has_next_page"] is True
    rest = (
        await api.get(
            f"/v1/programs/{program_id}/matches",
            params={"first": 2, "after": first["page_info"]["end_cursor"]},
        )
    ).json()
    assert [e["node"]["match_id"] for e in first["edges"] + rest["edges"]] == sorted(made)
    declined = (await api.get(f"/v1/programs/{program_id}/matches", params={"status": "declined"})).json()
    assert [e["node"]["match_id"] for e in declined["edges"]] == [made[2]]
    batch = (await api.post("/v1/matches/batch", json={"ids": [made[1], "mch_none"]})).json()
    assert ([m["match_id"] for m in batch["matches"]], batch["missing"]) == ([made[1]], ["mch_none"])
