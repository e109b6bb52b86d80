"""Self-match against PostgreSQL and the broker: recommendations from the pool (equal to
the engine's own answer on the same people), their permissions and refusals, how the
cached index follows enrolments and matches, and requestMatch with its every refusal."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tandem_matching.domain.programs import Program
from tandem_matching.engine.people import build_population
from tandem_matching.engine.program import parse_program
from tandem_matching.engine.recommend import RecommendationIndex
from tandem_matching.service.loading import load_program
from tandem_matching.service.recommendations import engine_program, participant
from tests.support.backbone import wait_until
from tests.support.matching import MatchingUnderTest, matching_events, viewer_headers
from tests.support.profile_snapshots import registered, snapshot, updated

ADMIN = viewer_headers("ADM1", "employee", "program_admin")
SOCIAL, STAKEHOLDERS = "social-media", "stakeholder-management"


def mentoring(
    offers: str, wants: str, *, level: int = 4, roles=("mentor", "mentee"), goals: str = ""
) -> dict:
    return {
        "skills_offered": [{"skill": offers, "level": level}],
        "skills_wanted": [{"skill": wants, "level": 3}],
        "roles": list(roles),
        "capacity": 2,
        "hours_per_month": 4,
        "goals": goals,
        "consents": {"generation_aware_pairing": False, "demographics_for_reporting": False},
    }


def teaches_social(employee_id: str, level: int = 4, **overrides: Any) -> dict[str, Any]:
    return snapshot(employee_id, 1, mentoring=mentoring(SOCIAL, STAKEHOLDERS, level=level), **overrides)


def teaches_stakeholders(employee_id: str, level: int = 4, **overrides: Any) -> dict[str, Any]:
    return snapshot(employee_id, 1, mentoring=mentoring(STAKEHOLDERS, SOCIAL, level=level), **overrides)


async def publish(matching: MatchingUnderTest, people: list[dict[str, Any]]) -> None:
    await matching.publish_profiles(
        [
            registered(
                p["employee_id"],
                1,
                **{k: v for k, v in p.items() if k not in ("employee_id", "profile_version")},
            )
            for p in people
        ]
    )


async def running_program(api: httpx.AsyncClient, kind: str = "reciprocal", **fields: Any) -> str:
    created = await api.post(
        "/v1/programs", json={"name": f"Self-match {kind}", "type": kind, **fields}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    program_id = created.json()["program_id"]
    moved = await api.post(f"/v1/programs/{program_id}/status", json={"status": "running"}, headers=ADMIN)
    assert moved.status_code == 200, moved.text
    return program_id


async def enrol(
    api: httpx.AsyncClient, program_id: str, *people: str, roles: list[str] | None = None
) -> None:
    items = [{"employee_id": p, **({"roles": roles} if roles else {})} for p in people]
    done = await api.post(f"/v1/programs/{program_id}/enrolments/bulk", json={"items": items}, headers=ADMIN)
    assert done.status_code == 200, done.text


async def recommendations(
    api: httpx.AsyncClient, program_id: str, viewer: str, *roles: str, **params: Any
) -> httpx.Response:
    return await api.get(
        f"/v1/programs/{program_id}/recommendations", params=params, headers=viewer_headers(viewer, *roles)
    )


async def request_match(api: httpx.AsyncClient, program_id: str, viewer: str, partner: Any) -> httpx.Response:
    return await api.post(
        f"/v1/programs/{program_id}/match-requests",
        json={"employee_id": partner},
        headers=viewer_headers(viewer),
    )


async def stored_program(matching: MatchingUnderTest, program_id: str) -> Program:
    assert matching.runtime is not None
    async with matching.runtime.unit_of_work() as uow:
        return await load_program(uow, program_id)


def engine_answer(
    program: Program,
    enrolled: list[dict[str, Any]],
    others: list[dict[str, Any]],
    viewer: str,
    first: int,
    matches: list[list[str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """What the engine alone says on the same people: the service must say the same."""
    index = RecommendationIndex(
        build_population(
            [participant(p, p["mentoring"]["roles"]) for p in enrolled],
            [{"employee_id": p["employee_id"], "manager_id": p["manager_id"]} for p in others],
        ),
        parse_program(engine_program(program)),
        matches=matches,
    )
    found = index.recommend(viewer, first)
    return {"recommendations": found.partners, "eligible": found.eligible, "reason": found.reason}


def ids(response: httpx.Response) -> list[str]:
    return [r["employee_id"] for r in response.json()["recommendations"]]


async def test_recommendations_are_the_engines_ranking_under_every_hard_rule(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    # RA1's manager RAM (not in the program) reports to RB3: RA1 and RB3 are in one
    # reporting line through someone outside the program. RB4 is in RA1's department
    # and the program excludes same-department pairs.
    manager = snapshot("RAM", 1, manager_id="RB3", mentoring=mentoring(SOCIAL, STAKEHOLDERS, roles=()))
    enrolled = [
        teaches_social("RA1", manager_id="RAM", department="Legal"),
        teaches_social("RA2"),
        teaches_stakeholders("RB1", level=5, department="Sales"),
        teaches_stakeholders("RB2", level=3, department="Sales"),
        teaches_stakeholders("RB3", department="Sales"),
        teaches_stakeholders("RB4", department="Legal"),
        teaches_stakeholders("RB5", department="Ops"),
    ]
    await publish(matching, [manager, *enrolled])
    program_id = await running_program(
        api, rules={"exclude_same_department": True}, weights={"cross_department": 0.5}
    )
    await enrol(api, program_id, *(p["employee_id"] for p in enrolled))
    program = await stored_program(matching, program_id)

    answer = await recommendations(api, program_id, "RA1", first=3)
    assert answer.status_code == 200, answer.text
    expected = engine_answer(program, enrolled, [manager], "RA1", 3)
    assert answer.json() == {"program_id": program_id, "employee_id": "RA1", **expected}
    # Equal scores (each covers all RA1 wants, across departments): by id.
    assert ids(answer) == ["RB1", "RB2", "RB5"]
    assert answer.json()["eligible"] == 3  # RB3: reporting line; RB4: same department
    assert {r["role"] for r in answer.json()["recommendations"]} == {"partner"}
    assert all(r["explanation"] for r in answer.json()["recommendations"])

    # The default `first` is 10; an admin of the program may look at anyone's.
    everyone = await recommendations(api, program_id, "ADM1", "employee", "program_admin", employee_id="RB3")
    assert everyone.json() == {
        "program_id": program_id,
        "employee_id": "RB3",
        **engine_answer(program, enrolled, [manager], "RB3", 10),
    }
    assert ids(everyone) == ["RA2"]


async def test_refusals_of_a_recommendations_request(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    people = [teaches_social("RF1"), teaches_stakeholders("RF2")]
    await publish(matching, people)
    program_id = await running_program(api)
    await enrol(api, program_id, "RF1", "RF2")

    def error(response: httpx.Response) -> tuple[int, list[tuple[str, str]]]:
        return response.status_code, [(e["field"], e["code"]) for e in response.json()["user_errors"]]

    other = await recommendations(api, program_id, "RF2", employee_id="RF1")
    assert error(other) == (403, [("employee_id", "FORBIDDEN")])
    assert error(await recommendations(api, program_id, "RF1", first=0)) == (422, [("first", "VALIDATION")])
    assert error(await recommendations(api, program_id, "RF1", first=101)) == (422, [("first", "VALIDATION")])
    assert error(await recommendations(api, program_id, "RF1", first="x")) == (422, [("first", "VALIDATION")])
    assert error(await recommendations(api, "PRG_NONE", "RF1")) == (404, [("program_id", "NOT_FOUND")])
    no_viewer = await api.get(f"/v1/programs/{program_id}/recommendations")
    assert no_viewer.status_code == 401
    outsider = await recommendations(api, program_id, "RF9")
    assert outsider.json() == {
        "program_id": program_id,
        "employee_id": "RF9",
        "recommendations": [],
        "eligible": 0,
        "reason": "not eligible: RF9 is not enrolled in this program",
    }
    created = await api.post("/v1/programs", json={"name": "Circles", "type": "group"}, headers=ADMIN)
    circles = created.json()["program_id"]
    await api.post(f"/v1/programs/{circles}/status", json={"status": "running"}, headers=ADMIN)
    assert error(await recommendations(api, circles, "RF1")) == (409, [("program_id", "CONFLICT")])
    draft = (await api.post("/v1/programs", json={"name": "Draft", "type": "reverse"}, headers=ADMIN)).json()
    assert error(await recommendations(api, draft["program_id"], "RF1")) == (
        409,
        [("program_id", "CONFLICT")],
    )


async def test_the_index_follows_enrolments_and_never_offers_a_matched_person(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    await publish(
        matching,
        [
            *(teaches_social(x) for x in ("IX1", "IX2")),
            *(teaches_stakeholders(y) for y in ("IY1", "IY2", "IY3", "IY4")),
        ],
    )
    program_id = await running_program(api)
    await enrol(api, program_id, "IX1", "IX2", "IY1", "IY2")
    assert ids(await recommendations(api, program_id, "IX1")) == ["IY1", "IY2"]

    # Someone who enrolled after the index was built sees their partners at once.
    await enrol(api, program_id, "IY3")
    newcomer = await recommendations(api, program_id, "IY3")
    assert ids(newcomer) == ["IX1", "IX2"]

    # A match made after the index was built: its people vanish from every answer at
    # once, even one given from the index of before.
    made = await request_match(api, program_id, "IX2", "IY1")
    assert made.status_code == 201, made.text
    assert "IY1" not in ids(await recommendations(api, program_id, "IX1"))
    matched = await recommendations(api, program_id, "IY1")
    assert matched.json()["recommendations"] == []
    assert matched.json()["reason"] == "not eligible: IY1 is already matched in this program"

    # A later enrolment reaches everyone's answer once the index is rebuilt.
    await enrol(api, program_id, "IY4")

    async def rebuilt() -> bool:
        return ids(await recommendations(api, program_id, "IX1")) == ["IY2", "IY3", "IY4"]

    await wait_until(rebuilt, timeout=20, every=0.1)
    # Withdrawing takes a person out at once too.
    left = await api.delete(f"/v1/programs/{program_id}/enrolments/IY2", headers=viewer_headers("IY2"))
    assert left.status_code == 200, left.text
    assert ids(await recommendations(api, program_id, "IX1")) == ["IY3", "IY4"]


async def test_a_requested_match_is_proposed_with_the_requester_accepted(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    people = [teaches_social("RQ1"), teaches_stakeholders("RQ2")]
    await publish(matching, people)
    program_id = await running_program(api, duration_days=60)
    await enrol(api, program_id, "RQ1", "RQ2")
    program = await stored_program(matching, program_id)
    recommended = (await recommendations(api, program_id, "RQ1")).json()["recommendations"][0]

    made = await request_match(api, program_id, "RQ1", "RQ2")
    assert made.status_code == 201, made.text
    match = made.json()
    assert (match["status"], match["round_id"], match["program_id"]) == ("proposed", None, program_id)
    assert match["members"] == [
        {"employee_id": "RQ1", "role": "partner", "response": "accepted"},
        {"employee_id": "RQ2", "role": "partner", "response": None},
    ]
    assert (match["score"], match["explanation"]) == (recommended["score"], recommended["explanation"])
    assert engine_answer(program, people, [], "RQ1", 1)["recommendations"][0]["score"] == match["score"]
    events = await matching_events(matching.infrastructure.kafka_bootstrap, {match["match_id"]}, expected=1)
    assert [(e.ce_type, e.data["round_id"], e.data["members"]) for e in events] == [
        (
            "tandem.matching.match.proposed.v1",
            None,
            [{"employee_id": "RQ1", "role": "partner"}, {"employee_id": "RQ2", "role": "partner"}],
        )
    ]
    accepted = await api.post(
        f"/v1/matches/{match['match_id']}/response", json={"accept": True}, headers=viewer_headers("RQ2")
    )
    assert accepted.json()["status"] == "active"


async def test_with_auto_acceptance_a_requested_match_starts_at_once(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    mentor = snapshot(
        "AU1", 1, seniority_level=2, mentoring=mentoring(SOCIAL, STAKEHOLDERS, roles=("mentor",))
    )
    mentee = snapshot(
        "AU2", 1, seniority_level=6, mentoring=mentoring(STAKEHOLDERS, SOCIAL, roles=("mentee",))
    )
    await publish(matching, [mentor, mentee])
    program_id = await running_program(api, "reverse", acceptance="auto")
    await enrol(api, program_id, "AU1", roles=["mentor"])
    await enrol(api, program_id, "AU2", roles=["mentee"])
    made = await request_match(api, program_id, "AU2", "AU1")
    assert made.status_code == 201, made.text
    assert (made.json()["status"], [(m["employee_id"], m["role"]) for m in made.json()["members"]]) == (
        "active",
        [("AU1", "mentor"), ("AU2", "mentee")],
    )
    events = await matching_events(
        matching.infrastructure.kafka_bootstrap, {made.json()["match_id"]}, expected=2
    )
    assert [e.ce_type for e in events] == [
        "tandem.matching.match.proposed.v1",
        "tandem.matching.match.started.v1",
    ]


async def test_every_refusal_of_a_match_request(api: httpx.AsyncClient, matching: MatchingUnderTest) -> None:
    boss = teaches_stakeholders("RZB")
    people = [
        teaches_social("RZ1"),
        teaches_stakeholders("RZ2"),
        teaches_stakeholders("RZ3"),
        teaches_social("RZ4"),
        teaches_social("RZ5", manager_id="RZM"),
        boss,
        teaches_stakeholders("RZG"),
        teaches_stakeholders("RZ7"),
    ]
    chain = snapshot("RZM", 1, manager_id="RZB", mentoring=mentoring(SOCIAL, STAKEHOLDERS, roles=()))
    await publish(matching, [*people, chain])
    program_id = await running_program(api)
    await enrol(api, program_id, "RZ1", "RZ2", "RZ3", "RZ4", "RZ5", "RZB", "RZG", "RZ7")
    await matching.publish_profiles([updated("RZ7", 2, status="on_leave", mentoring=people[-1]["mentoring"])])

    def error(response: httpx.Response) -> tuple[int, list[tuple[str, str, str]]]:
        return response.status_code, [
            (e["field"], e["code"], e["message"]) for e in response.json()["user_errors"]
        ]

    assert error(await request_match(api, program_id, "RZ1", "RZ1")) == (
        422,
        [("employee_id", "VALIDATION", "cannot be matched with oneself")],
    )
    assert error(await request_match(api, program_id, "RZ1", 7)) == (
        422,
        [("employee_id", "VALIDATION", "must be an employee id")],
    )
    assert error(await request_match(api, program_id, "RZ1", "RZ9")) == (
        404,
        [("employee_id", "NOT_FOUND", "RZ9 is not enrolled in this program")],
    )
    assert error(await request_match(api, program_id, "RZ9", "RZ2")) == (
        404,
        [("requester_id", "NOT_FOUND", "RZ9 is not enrolled in this program")],
    )
    assert error(await request_match(api, "PRG_NONE", "RZ1", "RZ2")) == (
        404,
        [("program_id", "NOT_FOUND", "no such program")],
    )
    on_behalf = await api.post(
        f"/v1/programs/{program_id}/match-requests",
        json={"employee_id": "RZ2", "requester_id": "RZ1"},
        headers=viewer_headers("RZ3"),
    )
    assert error(on_behalf) == (
        403,
        [("requester_id", "FORBIDDEN", "people request matches for themselves only")],
    )
    # Both teach social media: their skills do not fit each other.
    assert error(await request_match(api, program_id, "RZ1", "RZ4")) == (
        409,
        [
            (
                "employee_id",
                "CONFLICT",
                "cannot be matched with the requester: no eligible partner: nobody both offers "
                "what RZ1 wants and wants what RZ1 offers, at the wanted levels",
            )
        ],
    )
    # RZ5 reports to RZB through RZM, who is not in the program.
    line = error(await request_match(api, program_id, "RZ5", "RZB"))
    assert line[0] == 409 and line[1][0][:2] == ("employee_id", "CONFLICT")
    assert line == (
        409,
        [
            (
                "employee_id",
                "CONFLICT",
                "cannot be matched with the requester: no eligible partner: of 1 whose skills fit, "
                "the rules exclude 1 person in RZ5's reporting line",
            )
        ],
    )

    first = await request_match(api, program_id, "RZ1", "RZ2")
    assert first.status_code == 201
    assert error(await request_match(api, program_id, "RZ4", "RZ2")) == (
        409,
        [("employee_id", "CONFLICT", "RZ2 is already matched in this program")],
    )
    assert error(await request_match(api, program_id, "RZ1", "RZ3")) == (
        409,
        [("requester_id", "CONFLICT", "RZ1 is already matched in this program")],
    )
    # RZ2 declines: the pair is never proposed again in this program.
    declined = await api.post(
        f"/v1/matches/{first.json()['match_id']}/response",
        json={"accept": False},
        headers=viewer_headers("RZ2"),
    )
    assert declined.json()["status"] == "declined"
    assert error(await request_match(api, program_id, "RZ1", "RZ2")) == (
        409,
        [("employee_id", "CONFLICT", "was in a declined or ended match with the requester in this program")],
    )
    # An inactive partner, and a program that does not run.
    assert error(await request_match(api, program_id, "RZ4", "RZ7")) == (
        409,
        [("employee_id", "CONFLICT", "RZ7 is not active")],
    )
    await api.post(f"/v1/programs/{program_id}/status", json={"status": "closed"}, headers=ADMIN)
    assert error(await request_match(api, program_id, "RZ4", "RZG")) == (
        409,
        [("program_id", "CONFLICT", "the program is closed; matches are requested while it runs")],
    )


async def test_two_requests_for_one_partner_at_once_make_one_match(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    await publish(matching, [teaches_social("CC1"), teaches_social("CC2"), teaches_stakeholders("CCP")])
    program_id = await running_program(api)
    await enrol(api, program_id, "CC1", "CC2", "CCP")
    answers = await asyncio.gather(
        request_match(api, program_id, "CC1", "CCP"), request_match(api, program_id, "CC2", "CCP")
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["user_errors"] == [
        {"field": "employee_id", "message": "CCP is already matched in this program", "code": "CONFLICT"}
    ]
    listed = await api.get(f"/v1/programs/{program_id}/matches")
    assert len(listed.json()["edges"]) == 1
