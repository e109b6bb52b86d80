"""The shapes of graphql.md, built from the services' JSON: matches, programs, rounds,
people, the viewer, skills, recommendations and analytics."""

from __future__ import annotations

import pytest
from strawberry import Schema

from tests.support.gateway_read_world import ALICE, BOB, PAM, codes
from tests.support.gateway_reads import FakeWorld, gid, profile, run, viewer

# -- shapes -------------------------------------------------------------------------------


async def test_a_match_in_graphql_md_s_shape(schema: Schema, world: FakeWorld) -> None:
    query = """
    query($id: ID!) {
      match(id: $id) {
        id status score startedOn endsOn endedOn endReason
        program {
          id name type status acceptance autoRematch durationDays
          cadence { sessionsPerMonth minutesPerSession }
        }
        members { role person { employeeId displayName } }
        explanation { factor value detail }
        sessions { heldOn minutes mode notes loggedBy { employeeId } }
        ledger { from { employeeId } to { employeeId } skill heldOn }
        checkIns { dueOn status answers { satisfaction } }
        health { score band factors { factor value detail } }
      }
    }
    """
    result = await run(schema, world, viewer(PAM, "program_admin"), query, id=gid("Match", "M1"))
    found = result.data["match"]  # type: ignore[index]
    assert found["status"] == "ACTIVE" and found["startedOn"] == "2026-02-02" and found["endReason"] is None
    assert found["program"]["type"] == "RECIPROCAL" and found["program"]["acceptance"] == "BOTH"
    assert found["program"]["cadence"] == {"sessionsPerMonth": 2, "minutesPerSession": 60}
    assert found["members"] == [
        {"role": "MENTOR", "person": {"employeeId": ALICE, "displayName": "Alice"}},
        {"role": "MENTEE", "person": {"employeeId": BOB, "displayName": "Bob"}},
    ]
    assert found["sessions"] == [
        {
            "heldOn": "2026-02-10",
            "minutes": 60,
            "mode": "VIDEO",
            "notes": None,
            "loggedBy": {"employeeId": ALICE},
        }
    ]
    assert found["checkIns"] == [{"dueOn": "2026-03-04", "status": "DUE", "answers": None}]
    assert found["health"]["band"] == "AT_RISK"
    # The admin reads no notes and no answers (the matrix); the rest resolves.
    assert sorted(codes(result)) == [
        (("match", "checkIns", 0, "answers"), "FORBIDDEN"),
        (("match", "sessions", 0, "notes"), "FORBIDDEN"),
    ]


async def test_an_ended_match_says_why(schema: Schema, world: FakeWorld) -> None:
    result = await run(
        schema,
        world,
        viewer(ALICE),
        "query($id: ID!) { match(id: $id) { endedOn endReason } }",
        id=gid("Match", "M4"),
    )
    assert result.data == {"match": {"endedOn": "2026-03-01", "endReason": "MEMBER_DEPARTED"}}


async def test_viewer_lists_their_matches_proposals_and_due_check_ins(
    schema: Schema, world: FakeWorld
) -> None:
    query = """
    { viewer { employeeId roles matches(status: ACTIVE) { id } proposals { id } checkInsDue { id dueOn }
               all: matches { id } } }
    """
    result = await run(schema, world, viewer(ALICE, "employee", "program_admin"), query)
    assert result.errors is None
    assert result.data == {
        "viewer": {
            "employeeId": ALICE,
            "roles": ["EMPLOYEE", "PROGRAM_ADMIN"],
            "matches": [{"id": gid("Match", "M1")}],
            "proposals": [{"id": gid("Match", "M3")}],
            "checkInsDue": [{"id": gid("CheckIn", "C1"), "dueOn": "2026-03-04"}],
            "all": [{"id": gid("Match", m)} for m in ("M1", "M3", "M4")],
        }
    }


async def test_a_round_and_a_person_s_own_profile(schema: Schema, world: FakeWorld) -> None:
    query = """
    query($r: ID!) {
      node(id: $r) {
        ... on MatchRound {
          status startedAt finishedAt
          stats { participants matched objective seconds }
          unmatched { employeeId reason }
        }
      }
      person(employeeId: "E000001") { country timezone seniorityLevel status
        mentoring {
          skillsOffered { skill level } skillsWanted { skill level }
          roles capacity hoursPerMonth goals
        }
      }
    }
    """
    result = await run(schema, world, viewer(ALICE), query, r=gid("MatchRound", "R1"))
    assert codes(result) == [(("node",), "FORBIDDEN")]  # a round is its program's admins'
    assert result.data["person"] == {  # type: ignore[index]
        "country": "DE",
        "timezone": "Europe/Berlin",
        "seniorityLevel": 3,
        "status": "ACTIVE",
        "mentoring": {
            "skillsOffered": [{"skill": "social-media", "level": 4}],
            "skillsWanted": [{"skill": "negotiation", "level": 2}],
            "roles": ["MENTOR", "MENTEE"],
            "capacity": 2,
            "hoursPerMonth": 4,
            "goals": "Learn to negotiate",
        },
    }
    admin = await run(schema, world, viewer(PAM, "program_admin"), query, r=gid("MatchRound", "R1"))
    assert admin.data["node"] == {  # type: ignore[index]
        "status": "DONE",
        "startedAt": "2026-02-01T08:00:01+00:00",
        "finishedAt": "2026-02-01T08:00:03+00:00",
        "stats": {"participants": 40, "matched": 38, "objective": 31.5, "seconds": 1.5},
        "unmatched": [{"employeeId": "E000099", "reason": "no partner passes the rules"}],
    }


async def test_a_departed_colleague_s_card_is_forbidden_but_their_id_is_kept(
    schema: Schema, world: FakeWorld
) -> None:
    world.profiles[BOB] = profile(BOB, "Bob", status="departed")
    result = await run(
        schema,
        world,
        viewer(ALICE),
        '{ person(employeeId: "E000002") { employeeId displayName department } }',
    )
    assert result.data == {"person": {"employeeId": BOB, "displayName": None, "department": None}}
    assert sorted(codes(result)) == [
        (("person", "department"), "FORBIDDEN"),
        (("person", "displayName"), "FORBIDDEN"),
    ]


async def test_person_that_does_not_exist_is_null_and_a_bad_id_is_refused(
    schema: Schema, world: FakeWorld
) -> None:
    missing = await run(schema, world, viewer(ALICE), '{ person(employeeId: "E999999") { employeeId } }')
    assert missing.data == {"person": None} and missing.errors is None
    bad = await run(schema, world, viewer(ALICE), '{ person(employeeId: "E1; DROP") { employeeId } }')
    assert codes(bad) == [(("person",), "BAD_USER_INPUT")]


async def test_skills_recommendations_and_analytics(schema: Schema, world: FakeWorld) -> None:
    query = """
    query($p: ID!) {
      skills(query: "negotiation", first: 5) { id name category }
      recommendations(programId: $p) { score person { displayName } explanation { factor } }
      organisationAnalytics {
        minGroup suppressed enrolmentToMatchRate participants matches activeMatches sessions hours
        reciprocity { bucket count } healthBands { bucket count }
        satisfaction { responses mean } goals { total met metRate }
        groups { by value suppressed participants }
      }
      program(id: $p) { analytics { suppressed participants sessionsPerMatch groups { value suppressed } } }
    }
    """
    result = await run(
        schema, world, viewer(PAM, "program_admin", "hr_analyst"), query, p=gid("Program", "P1")
    )
    assert result.errors is None
    data = result.data or {}
    assert data["skills"] == [{"id": "negotiation", "name": "Negotiation", "category": "craft"}]
    assert data["recommendations"] == [{"score": 0.7, "person": {"displayName": "Alice"}, "explanation": []}]
    analytics = data["organisationAnalytics"]
    assert analytics["minGroup"] == 10 and analytics["suppressed"] is False
    assert (analytics["participants"], analytics["matches"], analytics["activeMatches"]) == (40, 20, 18)
    assert analytics["healthBands"] == [
        {"bucket": "HEALTHY", "count": 15},
        {"bucket": "WATCH", "count": 3},
        {"bucket": "AT_RISK", "count": 1},
        {"bucket": "NOT_SCORED", "count": 1},
    ]
    assert analytics["reciprocity"][0] == {"bucket": "0-0.25", "count": 2}
    assert analytics["goals"] == {"total": 25, "met": 10, "metRate": 0.4}
    assert analytics["groups"] == [
        {"by": "department", "value": "Legal", "suppressed": True, "participants": None}
    ]
    assert data["program"]["analytics"] == {
        "suppressed": False,
        "participants": 40,
        "sessionsPerMatch": 2.75,
        "groups": [{"value": "Legal", "suppressed": True}],
    }
    assert world.calls[("profiles", "GET", "/v1/skills")] == 1


async def test_a_program_too_small_to_show_has_no_figures(schema: Schema, world: FakeWorld) -> None:
    small = {
        "program_id": "P1",
        "min_group": 10,
        "enrolment_to_match_rate": None,
        "suppressed": True,
        "groups": [],
    }
    answer = world.answer
    world.answer = lambda service, request: (  # type: ignore[method-assign]
        (200, small) if request.url.path == "/v1/programs/P1/analytics" else answer(service, request)
    )
    query = "query($p: ID!) { program(id: $p) { analytics { minGroup suppressed participants groups { value } } } }"  # noqa: E501
    result = await run(schema, world, viewer(PAM, "program_admin"), query, p=gid("Program", "P1"))
    assert result.errors is None
    assert result.data == {
        "program": {"analytics": {"minGroup": 10, "suppressed": True, "participants": None, "groups": []}}
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ('{ skills(query: "", first: 5) { id } }', "skills"),
        ('{ skills(query: "x", first: 51) { id } }', "skills"),
    ],
)
async def test_bad_skill_searches_are_refused(
    schema: Schema, world: FakeWorld, query: str, field: str
) -> None:
    result = await run(schema, world, viewer(ALICE), query)
    assert codes(result) == [((field,), "BAD_USER_INPUT")]
    assert world.calls == {}
